"""The hidden layers of the network: add, remove, and set each one's neurons and activation.

It reports the whole stack (``LayerEditor.Changed``) whenever every row is valid; a row with an
invalid neuron count shows why and holds the stack back until it is fixed.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Button, Input, Label

from ffnn.core import SETTINGS
from ffnn.tui.widgets.layer_row import LayerRow
from ffnn.tui.widgets.number_field import show_reason

DEFAULT_LAYER = (8, "tanh")
MAX_HIDDEN_LAYERS = SETTINGS["net.hidden"].rule.max_items


class LayerEditor(Vertical):
    class Changed(Message):
        """A new valid stack of hidden layers."""

        def __init__(self, editor: LayerEditor, sizes: list[int], activations: list[str]):
            super().__init__()
            self.editor = editor
            self.sizes = sizes
            self.activations = activations
            self.shown = editor.shown

        @property
        def stale(self) -> bool:
            """Made before the editor was shown another stack (a `+` key, a loaded file): it
            would undo that change, so it is dropped."""
            return self.shown != self.editor.shown

        @property
        def control(self) -> LayerEditor:
            return self.editor

    def __init__(self, sizes: list[int], activations: list[str], *, id: str | None = None):
        super().__init__(id=id)
        self.sizes = list(sizes)
        self.activations = list(activations)
        self.shown = 0  # counts the stacks set_layers() has shown (see Changed.stale)

    def compose(self) -> ComposeResult:
        for i, (size, activation) in enumerate(zip(self.sizes, self.activations, strict=True)):
            yield LayerRow(i, size, activation)
        if not self.sizes:
            yield Label("no hidden layers (a linear model)", classes="hint")
        yield Button("+ layer", id="add-layer", compact=True,
                     disabled=len(self.sizes) >= MAX_HIDDEN_LAYERS,
                     tooltip=f"add a hidden layer (at most {MAX_HIDDEN_LAYERS}); key +")
        yield Label("", id="layers-error", classes="field-error")

    # --- public ---------------------------------------------------------------------------
    async def set_layers(self, sizes: list[int], activations: list[str]) -> None:
        """Show a stack decided elsewhere (a loaded experiment); does not report back."""
        if list(sizes) == self.sizes and list(activations) == self.activations:
            return
        self.sizes, self.activations = list(sizes), list(activations)
        self.shown += 1
        await self.recompose()

    async def add_layer(self, focus: bool = False) -> bool:
        """Append a layer like the last one. False (and a message) at the maximum."""
        if len(self.sizes) >= MAX_HIDDEN_LAYERS:
            self.show_error(f"at most {MAX_HIDDEN_LAYERS} hidden layers")
            return False
        last_size = self.sizes[-1] if self.sizes else DEFAULT_LAYER[0]
        last_activation = self.activations[-1] if self.activations else DEFAULT_LAYER[1]
        self.sizes.append(last_size)
        self.activations.append(last_activation)
        await self._changed_structure(focus_row=len(self.sizes) - 1 if focus else None)
        return True

    async def remove_layer(self, index: int | None = None, focus: bool = False) -> bool:
        """Remove layer ``index`` (default: the last). False when there is none."""
        if not self.sizes:
            self.show_error("no hidden layer to remove")
            return False
        index = len(self.sizes) - 1 if index is None else index
        del self.sizes[index]
        del self.activations[index]
        await self._changed_structure(focus_add=focus)
        return True

    def show_error(self, message: str) -> None:
        show_reason(self.query_one("#layers-error", Label), message)

    # --- events ---------------------------------------------------------------------------
    async def _changed_structure(self, focus_row: int | None = None,
                                 focus_add: bool = False) -> None:
        await self.recompose()
        if focus_row is not None:
            self.query_one(f"#layer-{focus_row}-size", Input).focus()
        elif focus_add:
            self.query_one("#add-layer", Button).focus()
        self._report()

    def _report(self) -> None:
        self.show_error("")
        self.post_message(self.Changed(self, list(self.sizes), list(self.activations)))

    def _stale(self, row: LayerRow) -> bool:
        """A row's message that arrives after the stack was recomposed without that row."""
        return not row.is_attached or row.index >= len(self.sizes)

    def on_layer_row_changed(self, event: LayerRow.Changed) -> None:
        event.stop()
        if self._stale(event.row):
            return
        self.sizes[event.row.index] = event.neurons
        self.activations[event.row.index] = event.activation
        self._report()

    async def on_layer_row_remove_requested(self, event: LayerRow.RemoveRequested) -> None:
        event.stop()
        if self._stale(event.row):
            return
        await self.remove_layer(event.row.index, focus=True)

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "add-layer":
            event.stop()
            await self.add_layer(focus=True)
