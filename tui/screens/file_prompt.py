"""A small modal that asks for a file path: save, open and the exports.

The Input starts with a sensible default; Enter runs the caller's ``action`` with the text,
Esc cancels. The action returns None when it is done (the screen closes, dismissed with the
path) or a one-line reason it could not be done: the reason shows under the Input and the
screen stays open, so the path can be fixed. Nothing the action refuses changes the app.

A folder stands for the default file name in that folder. Writing over existing files asks
first: ``existing(text)`` names the files a write would replace; then the first Enter only
warns and a second Enter on the same text goes ahead. Opening can list candidate files
(``choices``): picking one runs the action with it.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Label, OptionList
from textual.widgets.option_list import Option

from ffnn.tui.screens.dismiss_once import DismissOnce
from ffnn.tui.widgets.number_field import cursor_blinks

# The action returns None (done) or a one-line reason, possibly from a coroutine.
Action = Callable[[str], "str | None | Awaitable[str | None]"]


class FilePrompt(DismissOnce, ModalScreen[Path | None]):
    """Ask for a path; run ``action`` on Enter. Dismissed with the path, or None on Esc."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        # Not the app's "quit" while the file list has focus (ctrl+q still quits).
        Binding("q", "ignore", show=False),
    ]

    def __init__(self, title: str, default: str, action: Action, *,
                 prompt: str = "", existing: Callable[[str], list[Path]] | None = None,
                 choices: Sequence[str] = ()) -> None:
        super().__init__()
        self.title_text = title
        self.default = default
        self.action = action
        self.prompt = prompt
        self.existing = existing
        self.choices = list(choices)
        self._confirmed: str | None = None   # the text whose overwrite warning was shown
        self._busy = False
        self._done = False   # dismissed: keys still queued (Enter, Esc) must not dismiss again

    def compose(self) -> ComposeResult:
        with Vertical(id="file-body") as body:
            body.border_title = self.title_text
            body.border_subtitle = "Enter: OK · Esc: cancel"
            if self.prompt:
                yield Label(self.prompt, id="file-prompt")
            field = Input(self.default, id="file-path", select_on_focus=False)
            field.cursor_blink = cursor_blinks(self.app)
            yield field
            yield Label("", id="file-message")
            if self.choices:
                yield Label("or pick one (Tab, arrows, Enter):", id="file-choices-caption")
                yield OptionList(*(Option(name, id=name) for name in self.choices),
                                 id="file-choices")
        yield Footer(compact=True)  # this screen's keys (Esc), not the main screen's

    def on_mount(self) -> None:
        field = self.query_one("#file-path", Input)
        field.focus()
        field.cursor_position = len(field.value)

    # --- what the user sees -------------------------------------------------------------------
    @property
    def message(self) -> str:
        """The line under the Input (an error or a warning; "" when none)."""
        return str(self.query_one("#file-message", Label).content)

    def show_message(self, text: str, kind: str = "error") -> None:
        label = self.query_one("#file-message", Label)
        label.update(text)
        label.set_class(bool(text) and kind == "error", "-error")
        label.set_class(bool(text) and kind == "warning", "-warning")

    # --- events ---------------------------------------------------------------------------
    @on(Input.Changed, "#file-path")
    def _changed(self, event: Input.Changed) -> None:
        if self._confirmed is not None and event.value != self._confirmed:
            self._confirmed = None
            self.show_message("")

    @on(Input.Submitted, "#file-path")
    async def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        await self.submit(event.value)

    @on(OptionList.OptionSelected, "#file-choices")
    async def _picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        name = str(event.option.id)
        field = self.query_one("#file-path", Input)
        with self.prevent(Input.Changed):
            field.value = name
        await self.submit(name)

    async def submit(self, text: str) -> None:
        """Run the action with ``text`` (what Enter does)."""
        if self._busy or self._done:
            return
        text = text.strip()
        if not text:
            self.show_message("enter a file name")
            return
        if Path(text).expanduser().is_dir() and self.default:
            # A folder: the default name in it.
            text = str(Path(text) / Path(self.default).name)
            with self.prevent(Input.Changed):
                self.query_one("#file-path", Input).value = text
        if self.existing is not None and self._confirmed != text:
            replaced = self.existing(text)
            if replaced:
                self._confirmed = text
                names = ", ".join(p.name for p in replaced)
                self.show_message(f"{names} exist{'s' if len(replaced) == 1 else ''}: "
                                  "Enter again replaces, or edit the name", "warning")
                return
        self._busy = True
        try:
            result = self.action(text)
            if inspect.isawaitable(result):
                result = await result
        finally:
            self._busy = False
        if result:
            self._confirmed = None
            self.show_message(str(result))
            return
        self._finish(Path(text).expanduser())

    def action_cancel(self) -> None:
        self._finish(None)

    def _finish(self, result: Path | None) -> None:
        """Dismiss once: a second Enter or an Esc right behind it arrives after the screen
        has left the stack, and dismissing again would pop the main screen."""
        if not self._done:
            self._done = True
            self.dismiss(result)

    def action_ignore(self) -> None:
        pass
