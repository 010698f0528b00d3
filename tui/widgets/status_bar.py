"""One-line status bar: run state, progress, speed, losses and metric, and a short note."""

from __future__ import annotations

import math

from rich.style import Style
from rich.text import Text
from textual.widget import Widget

_RUNNING = Style(color="green", bold=True)
_PAUSED = Style(color="yellow", bold=True)
_LABEL = Style(dim=True)
_NOTE = Style(italic=True)

_METRIC_LABELS = {"accuracy": "acc", "r2": "R²"}


def format_number(value: object, digits: int = 4) -> str:
    """A compact number: "–" for nan or a missing value, "inf"/"-inf" as is."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "–"
    if math.isnan(number):
        return "–"
    if math.isinf(number):
        return "inf" if number > 0 else "-inf"
    # '#' keeps trailing zeros, so two losses side by side line up (0.2110, not 0.211)
    return f"{number:#.{digits}g}".rstrip(".")


def format_speed(value: object) -> str:
    """Whole numbers from 100 up (no exponent for a few thousand steps/s)."""
    text = format_number(value, 3)
    if text not in ("–", "inf", "-inf") and abs(float(value)) >= 100:  # type: ignore[arg-type]
        return f"{float(value):.0f}"  # type: ignore[arg-type]
    return text


def format_metric(value: object, metric_name: str) -> str:
    """Accuracy as a percentage, anything else (R²) as a plain number."""
    text = format_number(value, 3)
    if metric_name == "accuracy" and text not in ("–", "inf", "-inf"):
        return f"{float(value) * 100:.1f}%"  # type: ignore[arg-type]
    return text


def format_status(
    running: bool,
    epoch: int,
    step: int,
    steps_per_second: float,
    train_loss: object,
    test_loss: object,
    train_metric: object,
    test_metric: object,
    metric_name: str,
    note: str = "",
    width: int | None = None,
) -> Text:
    """The status line as styled text (pure function, so it is testable without an app).

    Within ``width`` columns the note stays whole and the figures before it are cut with an
    ellipsis: a note is the answer to what the user just did (at 80 columns it was cut to
    "one…" otherwise)."""
    text = Text(no_wrap=True, overflow="ellipsis")
    if running:
        text.append("▶ running", _RUNNING)
    else:
        text.append("⏸ paused", _PAUSED)

    def field(label: str, value: str) -> None:
        text.append("  ")
        text.append(label + " ", _LABEL)
        text.append(value)

    field("epoch", str(epoch))
    field("step", str(step))
    field("steps/s", format_speed(steps_per_second))
    field("loss", f"{format_number(train_loss)} / {format_number(test_loss)}")
    label = _METRIC_LABELS.get(metric_name, metric_name or "metric")
    field(label, f"{format_metric(train_metric, metric_name)} / "
                 f"{format_metric(test_metric, metric_name)}")
    if not note:
        return text
    tail = Text("  │ ", _LABEL)
    tail.append(note, _NOTE)
    if width is not None and text.cell_len + tail.cell_len > width:
        text.truncate(max(0, width - tail.cell_len), overflow="ellipsis")
    return text + tail


class StatusBar(Widget):
    """Shows what the session is doing; the app docks it at the bottom above the footer."""

    def __init__(self, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._content = format_status(False, 0, 0, float("nan"), None, None, None, None, "")
        self._args: tuple = ()
        self._kwargs: dict = {}

    def update_status(self, *args, **kwargs) -> None:
        """Show ``format_status(*args, **kwargs)`` (fitted to the bar's width when drawn)."""
        text = format_status(*args, **kwargs)
        # Skip the repaint when nothing visible changed (the app redraws the status often).
        if text.plain == self._content.plain and text.spans == self._content.spans:
            return
        self._content, self._args, self._kwargs = text, args, kwargs
        if self.is_mounted:
            self.refresh()

    def render(self) -> Text:
        if not self._args or self._content.cell_len <= self.size.width:
            return self._content
        return format_status(*self._args, **self._kwargs, width=self.size.width)

    @property
    def text(self) -> str:
        """The plain text currently shown (for tests and the app's screenshots)."""
        return self._content.plain
