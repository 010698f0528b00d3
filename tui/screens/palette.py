"""The command palette, guarded against two Textual 8.2.8 races that crash any app using it:

- ``ctrl+p`` then at once PageDown / PageUp: the results list pages before its lines are laid
  out and ``OptionList._move_page`` raises KeyError.
- Enter twice quickly on a command: the second Enter runs the command again on a palette
  that is already closing, and popping it a second time raises ScreenStackError.

Both keys are handled here so they cannot reach the broken paths (tests press them with no
pause); everything else is Textual's palette.
"""

from __future__ import annotations

from textual.command import CommandPalette


class GuardedCommandPalette(CommandPalette):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._closing = False

    def _action_command_list(self, action: str) -> None:
        try:
            super()._action_command_list(action)
        except (KeyError, IndexError):
            # The list has options but no laid-out lines yet: page to the end instead.
            if action in ("page_down", "page_up"):
                fallback = "last" if action == "page_down" else "first"
                super()._action_command_list(fallback)

    def _select_or_command(self, event=None) -> None:
        if self._closing:  # a second Enter while the palette closes
            if event is not None:
                event.stop()
            return
        super()._select_or_command(event)
        if not self._list_visible and self._selected_command is not None:
            self._closing = True

    def _action_escape(self) -> None:
        if not self._closing:
            self._closing = True
            super()._action_escape()

    def dismiss(self, result=None):
        self._closing = True
        if self.is_current or self in self.app.screen_stack:
            return super().dismiss(result)
        return None
