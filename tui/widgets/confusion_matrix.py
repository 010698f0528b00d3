"""How the network classifies the held-out samples: a confusion matrix of counts.

Rows are the true classes, columns the predicted ones (ffnn.core.metrics.confusion_matrix's
layout). A cell's background deepens with its share of the row: green on the diagonal (right),
red off it (which class is mistaken for which). Class names label the rows; the columns take
them too when they fit, else the class numbers (the rows then show "0 name").

The app computes the counts (Session.confusion) at most once per epoch while training; this
widget only lays them out for its width.
"""

from __future__ import annotations

import numpy as np
from rich.style import Style
from rich.text import Text
from textual.app import RenderResult
from textual.widget import Widget

from ffnn.tui.widgets.colours import background_rgb, blend

_GOOD = (60, 180, 75)
_BAD = (230, 25, 75)
_MAX_SHARE = 0.75          # background share of the colour for a cell holding its whole row
_MAX_LABEL = 14            # row labels longer than this are cut
_DIM = Style(dim=True)
_BOLD = Style(bold=True)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


class ConfusionMatrix(Widget):
    """Counts of (true class, predicted class) on one split of the data."""

    def __init__(self, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._counts: np.ndarray | None = None
        self._names: list[str] = []
        self._split = ""
        self._hint = "no classes to show"

    # --- public API ---------------------------------------------------------------------------
    def update_matrix(self, counts: np.ndarray, class_names: list[str], split: str) -> None:
        """Show ``counts`` (k × k) for the ``split`` ("test" or "train") of the data."""
        self._counts = np.asarray(counts, dtype=np.int64)
        k = self._counts.shape[0]
        names = list(class_names)[:k]
        self._names = names + [str(i) for i in range(len(names), k)]
        self._split = split
        self.refresh()

    def clear(self, hint: str) -> None:
        """No matrix (a regression, no data): show ``hint`` instead."""
        self._counts = None
        self._hint = hint
        self.refresh()

    @property
    def counts(self) -> np.ndarray | None:
        return self._counts

    @property
    def split(self) -> str:
        return self._split

    @property
    def lines(self) -> list[str]:
        """The plain text of every line (for tests)."""
        return self._text(max(self.size.width, 1)).plain.splitlines()

    # --- drawing --------------------------------------------------------------------------
    def render(self) -> RenderResult:
        return self._text(self.size.width)

    def _text(self, width: int) -> Text:
        text = Text(no_wrap=True, overflow="crop")
        counts = self._counts
        if counts is None or counts.size == 0:
            text.append(self._hint, _DIM)
            return text
        k = counts.shape[0]
        total = int(counts.sum())
        correct = int(np.trace(counts))
        digits = max(len(str(int(counts.max()))), 1)
        label_width = min(_MAX_LABEL, max(len(name) for name in self._names))
        # Columns named when the names fit (cut to at most 8), else numbered.
        name_cell = max(digits, min(8, max(len(name) for name in self._names))) + 1
        named = label_width + 1 + k * name_cell <= width
        if named:
            cell = name_cell
            headers = [_cut(name, cell - 1) for name in self._names]
            labels = [_cut(name, label_width) for name in self._names]
        else:
            cell = max(digits, len(str(k - 1))) + 1
            headers = [str(i) for i in range(k)]
            labels = [_cut(f"{i} {name}", label_width) for i, name in enumerate(self._names)]
        label_width = max(label_width, len("true\\pred"))

        accuracy = correct / total if total else float("nan")
        text.append(f"{self._split} set", _BOLD)
        text.append(f" · {total} samples · accuracy ", _DIM)
        text.append(f"{accuracy:.1%}\n" if total else "–\n")
        text.append("true\\pred".ljust(label_width) + " ", _DIM)
        for header in headers:
            text.append(header.rjust(cell), _BOLD)
        text.append("\n")
        base = background_rgb(self)
        for i in range(k):
            row_total = int(counts[i].sum())
            text.append(labels[i].ljust(label_width) + " ", _BOLD)
            for j in range(k):
                value = int(counts[i, j])
                text.append(" " * (cell - digits))
                share = value / row_total if row_total else 0.0
                if value == 0:
                    style = _DIM
                else:
                    colour = _GOOD if i == j else _BAD
                    style = Style(bgcolor=blend(base, colour, 0.15 + share * (_MAX_SHARE - 0.15)),
                                  bold=i == j)
                text.append(str(value).rjust(digits), style)
            if i < k - 1:
                text.append("\n")
        return text
