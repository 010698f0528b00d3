"""A modal screen that leaves once. Textual 8.2.8's ``Screen.dismiss`` pops whatever screen
is on top: a key queued behind the one that closed a dialog (Esc, Enter, ``?`` pressed twice
quickly) would dismiss it again and pop the main screen from under it, ending the app."""

from __future__ import annotations

from textual.await_complete import AwaitComplete


async def _nothing() -> None:
    return None


class DismissOnce:
    def dismiss(self, result=None) -> AwaitComplete:
        stack = self.app.screen_stack
        if not stack or stack[-1] is not self:  # already left: nothing to pop
            return AwaitComplete(_nothing())
        return super().dismiss(result)
