"""The command palette, guarded against two Textual 8.2.8 races that crash any app using it
(both seen in tmux with a bare Textual app, and reproduced in tests by queueing the keys in
one go, as a terminal delivers them):

- ``ctrl+p`` then at once PageDown / PageUp: the results list pages before its lines are laid
  out and ``OptionList._move_page`` raises KeyError.
- Enter twice quickly on a command: the second Enter runs the command again on a palette
  that is already closing, and popping it a second time raises ScreenStackError.
"""

from __future__ import annotations

from textual.command import CommandPalette
from textual.widgets import Button, Input

from ffnn.tui.screens.dismiss_once import DismissOnce


class GuardedCommandPalette(DismissOnce, CommandPalette):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._handed_over = False

    def _action_command_list(self, action: str) -> None:
        try:
            super()._action_command_list(action)
        except (KeyError, IndexError):
            # The list has options but no laid-out lines yet: go to its end instead.
            if action in ("page_down", "page_up"):
                super()._action_command_list("last" if action == "page_down" else "first")

    def _select_or_command(self, event: Input.Submitted | Button.Pressed | None = None) -> None:
        # Runs when a picked command is handed over (the OptionSelected path calls it
        # directly); Textual's own decorated handler still takes Input.Submitted, which is why
        # the command is forgotten once handed over: a later Enter then finds nothing to run.
        if self._handed_over:
            return
        super()._select_or_command(event)
        if not self._list_visible and self._selected_command is not None:
            self._handed_over = True

    def _action_escape(self) -> None:
        if not self._handed_over:
            self._handed_over = True
            super()._action_escape()
