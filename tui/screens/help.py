"""The help screen (`?`): every key, and what the views show."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ffnn.tui.bindings import help_rows
from ffnn.tui.screens.dismiss_once import DismissOnce

EXTRA_KEYS = (
    ("Tab / shift+Tab", "walk through the settings"),
    ("ctrl+p", "command palette: every action by name, plus the exports"),
)

NOTES = (
    "Settings: every field is checked as you type; a refused value shows why under it and "
    "never reaches the model. A valid value is applied on Enter, when you leave the field, or "
    "a moment after you stop typing. Learning rate, batch size, L1/L2 and the optimizer "
    "change live. Dataset, layers, activations, output, loss, init and seed rebuild the "
    "network from its seed (the status line says so).",
    "Decision boundary: the input plane coloured by predicted class (deeper = surer); each "
    "class has its own glyph, filled for training points and hollow for test points "
    "(● ▲ ■ … / ○ △ □ …; t hides the test points).",
    "Loss: train and test loss and accuracy (or R²) per epoch (l: log scale).",
    "Weights: the selected layer (w), inputs and bias by neurons; red negative, blue "
    "positive, brighter = larger; highlighted cells moved most in the last frame.",
    "With more than two features the boundary shows one pair (f / F: the next), the others "
    "held at their training mean. The confusion matrix counts the test samples (the training "
    "samples when there is no test set) by true class (rows) and predicted class (columns).",
    "Files: ctrl+s saves the experiment (TOML, with the weights, optimizer state and history "
    "beside it), ctrl+o reopens one: space then continues the same run. The command palette "
    "(ctrl+p) also exports the weights (.npz, JSON), the data and the history (CSV) and a "
    "screenshot (SVG). Your own data: type a CSV path under data file and press Enter.",
    "If training diverges it pauses with the last finite weights: lower the learning rate "
    "(<) and reset (r).",
    "Over a slow SSH link start the app with --max-fps N (e.g. 5): the views redraw at most "
    "N times a second while training, and training keeps its speed.",
)


class HelpScreen(DismissOnce, ModalScreen[None]):
    AUTO_FOCUS = "#help-body"  # so ↑/↓ and PageUp/PageDown scroll at once (the app focuses nothing)
    BINDINGS = [
        Binding("escape", "dismiss", "Close"),
        Binding("question_mark", "dismiss", "Close", show=False),
        Binding("q", "dismiss", "Close", show=False),
    ]

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold")
        table.add_column()
        for key, what in (*help_rows(), *EXTRA_KEYS):
            table.add_row(key, what)
        with VerticalScroll(id="help-body") as body:
            body.border_title = "ffnn-tui help — ↑↓ scroll · Esc closes"
            yield Static(table, id="help-keys")
            yield Static(Text("\n\n".join(NOTES)), id="help-notes")
