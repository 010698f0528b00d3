"""A labelled number Input that validates as it is typed and says why a value is refused.

Only a valid value leaves this widget (as ``NumberField.Accepted``); an invalid one shows its
reason in a red line under the field and never reaches the model. A valid value is sent when
the user presses Enter, leaves the field, or stops typing for ``SETTLE`` seconds — not at every
key, so typing "1e999" never hands the model the "1" on the way.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.timer import Timer
from textual.validation import ValidationResult, Validator
from textual.widget import Widget
from textual.widgets import Input, Label

from ffnn.core.fields import Setting

SETTLE = 0.6  # seconds without a key press after which a valid value is sent


class SettingRule(Validator):
    """A setting's own parser as an Input validator (the reason in a few words)."""

    def __init__(self, setting: Setting) -> None:
        super().__init__()
        self.setting = setting

    def validate(self, value: str) -> ValidationResult:
        reason = self.setting.why_not(value)
        return self.success() if reason is None else self.failure(reason, value)


class Settle:
    """When a typed value is reported: on Enter, on leaving the field, or ``SETTLE`` seconds
    after the last key — so the model never gets the "1" on the way to "1e999".

    The owner passes every change to ``typed`` (the text, or None when it is invalid) and
    calls ``commit`` on Enter and on blur; ``send`` gets each new valid text once.
    """

    def __init__(self, owner: Widget, sent: str, send: Callable[[str], None]) -> None:
        self.owner = owner
        self.sent = sent                    # the text whose value the model has
        self._send = send
        self._pending: str | None = None    # a valid text not sent yet
        self._timer: Timer | None = None

    def typed(self, text: str | None) -> None:
        self.cancel()
        if text is not None and text != self.sent:
            self._pending = text
            self._timer = self.owner.set_timer(SETTLE, self.commit)

    def commit(self) -> None:
        text = self._pending
        self.cancel()
        if text is not None:
            self.sent = text
            self._send(text)

    def cancel(self) -> None:
        self._pending = None
        if self._timer is not None:
            self._timer.stop()
            self._timer = None


def show_reason(label: Label, message: str) -> None:
    """Put ``message`` in a ``.field-error`` line, which shows only while there is one."""
    label.update(message)
    label.set_class(bool(message), "-shown")


class NumberEntry:
    """What NumberField and LayerRow share: one Input, a ``settle``, and a ``.field-error``
    line under the Input for the reason a value is refused. Enter, or leaving the Input,
    sends a pending valid value at once."""

    settle: Settle

    @property
    def error(self) -> str:
        """The reason shown under the field ("" when the value is fine)."""
        return str(self.query_one(".field-error", Label).content)

    def show_error(self, message: str) -> None:
        show_reason(self.query_one(".field-error", Label), message)
        self.query_one(Input).set_class(bool(message), "-refused")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.settle.commit()

    def on_input_blurred(self, event: Input.Blurred) -> None:
        event.stop()
        self.settle.commit()


class NumberField(NumberEntry, Vertical):
    """Caption and Input on one line, the reason for a refusal under them."""

    class Accepted(Message):
        """A valid value was typed."""

        def __init__(self, field: NumberField, value: int | float) -> None:
            super().__init__()
            self.field = field
            self.value = value

        @property
        def control(self) -> NumberField:
            return self.field

    def __init__(self, setting: Setting, value: int | float, *, caption: str | None = None,
                 tooltip: str | None = None) -> None:
        self.setting = setting
        self.input_id = setting.key.replace(".", "-").replace("_", "-")
        super().__init__(id=f"{self.input_id}-field", classes="field")
        self.caption = caption or setting.label
        self._initial = _format(value)
        self._tooltip = tooltip or f"{setting.rule.help} ({setting.allowed()})"
        self.settle = Settle(self, self._initial, self._accept)

    def compose(self) -> ComposeResult:
        with Horizontal(classes="field-row"):
            yield Label(self.caption, classes="field-caption")
            field = Input(self._initial, id=self.input_id, validators=[SettingRule(self.setting)],
                          compact=True, validate_on=["changed"], tooltip=self._tooltip)
            field.cursor_blink = cursor_blinks(self.app)
            yield field
        yield Label("", id=f"{self.input_id}-error", classes="field-error")

    @property
    def input(self) -> Input:
        return self.query_one(Input)

    def set_value(self, value: int | float) -> None:
        """Show ``value`` (a setting changed elsewhere) without reporting it back."""
        text = _format(value)
        self.settle.cancel()
        self.settle.sent = text
        with self.prevent(Input.Changed):
            if self.input.value != text:
                self.input.value = text
        self.show_error("")

    def submit_value(self, value: int | float) -> None:
        """Put ``value`` in the field and send it at once, as if typed and Enter pressed."""
        text = _format(value)
        if self.setting.why_not(text) is not None:
            return
        self.set_value(value)
        self._accept(text)

    def _accept(self, text: str) -> None:
        self.post_message(self.Accepted(self, self.setting.parse(text)))

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        reason = self.setting.why_not(event.value)
        # Say which value the model keeps, so a refused field never looks like it applied.
        self.show_error(f"{reason} · still {self.settle.sent}" if reason else "")
        self.settle.typed(None if reason else event.value)


def cursor_blinks(app) -> bool:
    """Whether Input cursors blink in this app (tests turn it off for stable screenshots)."""
    return bool(getattr(app, "input_cursor_blink", True))


def _format(value: int | float) -> str:
    if isinstance(value, int):
        return str(value)
    return f"{value:g}"
