"""One hidden layer in the layer editor: its neuron count, its activation, a remove button."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.validation import ValidationResult, Validator
from textual.widgets import Button, Input, Label, Select

from ffnn.core import SETTINGS
from ffnn.tui.widgets.number_field import NumberEntry, Settle, cursor_blinks

HIDDEN = SETTINGS["net.hidden"]
ACTIVATIONS = SETTINGS["net.activations"].rule.choices


class Neurons(Validator):
    """One layer's neuron count, by the hidden-layers rule."""

    @staticmethod
    def why_not(text: str) -> str | None:
        if "," in text:
            return "one number per layer"
        reason = HIDDEN.why_not(text)
        return reason and reason.replace("whole numbers", "a whole number")

    @staticmethod
    def parse(text: str) -> int:
        return HIDDEN.parse(text)[0]

    def validate(self, value: str) -> ValidationResult:
        reason = self.why_not(value)
        return self.success() if reason is None else self.failure(reason, value)


NEURONS = Neurons()


class LayerRow(NumberEntry, Vertical):
    """Row ``index`` (0-based) of the hidden layers."""

    class Changed(Message):
        """The row's (valid, committed) neuron count or its activation changed."""

        def __init__(self, row: LayerRow, neurons: int, activation: str) -> None:
            super().__init__()
            self.row = row
            self.neurons = neurons
            self.activation = activation

    class RemoveRequested(Message):
        def __init__(self, row: LayerRow) -> None:
            super().__init__()
            self.row = row

    def __init__(self, index: int, neurons: int, activation: str) -> None:
        super().__init__(id=f"layer-{index}", classes="layer-row")
        self.index = index
        self.neurons = neurons
        self.activation = activation
        self.settle = Settle(self, str(neurons), self._accept)

    def compose(self) -> ComposeResult:
        i = self.index
        with Horizontal(classes="field-row"):
            yield Label(f"layer {i + 1}", classes="field-caption")
            size = Input(str(self.neurons), id=f"layer-{i}-size", validators=[NEURONS],
                         compact=True, validate_on=["changed"],
                         tooltip=f"neurons in hidden layer {i + 1} "
                                 f"({HIDDEN.allowed().replace('a whole number ', '')})")
            size.cursor_blink = cursor_blinks(self.app)
            yield size
            yield Select([(name, name) for name in ACTIVATIONS], value=self.activation,
                         allow_blank=False, compact=True, id=f"layer-{i}-activation",
                         tooltip=f"activation of hidden layer {i + 1}")
            yield Button("✕", id=f"layer-{i}-remove", compact=True,
                         tooltip=f"remove hidden layer {i + 1}")
        yield Label("", id=f"layer-{i}-error", classes="field-error")

    def on_input_changed(self, event: Input.Changed) -> None:
        """Validate at once; report after the typing settles (see Settle)."""
        event.stop()
        reason = NEURONS.why_not(event.value)
        self.show_error(f"{reason} · still {self.neurons}" if reason else "")
        self.settle.typed(None if reason else event.value)

    def _accept(self, text: str) -> None:
        neurons = NEURONS.parse(text)
        if neurons != self.neurons:
            self.neurons = neurons
            self.post_message(self.Changed(self, self.neurons, self.activation))

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        if event.value is Select.NULL:
            return
        self.activation = str(event.value)
        self.post_message(self.Changed(self, self.neurons, self.activation))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.RemoveRequested(self))
