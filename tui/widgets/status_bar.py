"""One-line status bar: run state, progress, speed, losses and metric, and a short note."""

from __future__ import annotations

import math
from typing import NamedTuple

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.geometry import Region
from textual.widget import Widget

from ffnn.tui.viewdata import StatusData


class StatusStyles(NamedTuple):
    """The styles of the status line's parts. The bar reads the colours from its component
    classes (status-bar--running, status-bar--paused in widgets.tcss), so they follow the theme;
    the run state is also in the text ("▶ running" / "⏸ paused"), not in the colour alone."""

    running: Style = Style(color="green", bold=True)
    paused: Style = Style(color="yellow", bold=True)
    label: Style = Style(dim=True)
    note: Style = Style(italic=True)


DEFAULT_STYLES = StatusStyles()

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


def format_status(data: StatusData, width: int | None = None,
                  styles: StatusStyles = DEFAULT_STYLES) -> Text:
    """The status line as styled text (pure function, so it is testable without an app).

    Within ``width`` columns the note stays whole and the figures before it are cut with an
    ellipsis: a note is the answer to what the user just did (at 80 columns it was cut to
    "one…" otherwise)."""
    text = Text(no_wrap=True, overflow="ellipsis")
    if data.running:
        text.append("▶ running", styles.running)
    else:
        text.append("⏸ paused", styles.paused)

    def field(label: str, value: str) -> None:
        text.append("  ")
        text.append(label + " ", styles.label)
        text.append(value)

    metric = data.metric_name
    field("epoch", str(data.epoch))
    field("step", str(data.step))
    field("steps/s", format_speed(data.steps_per_second))
    field("loss", f"{format_number(data.train_loss)} / {format_number(data.test_loss)}")
    field(_METRIC_LABELS.get(metric, metric or "metric"),
          f"{format_metric(data.train_metric, metric)} / {format_metric(data.test_metric, metric)}")
    if not data.note:
        return text
    tail = Text("  │ ", styles.label)
    tail.append(data.note, styles.note)
    if width is not None and text.cell_len + tail.cell_len > width:
        text.truncate(max(0, width - tail.cell_len), overflow="ellipsis")
    return text + tail


IDLE = StatusData(False, 0, 0, math.nan, math.nan, math.nan, math.nan, math.nan, "accuracy")


class StatusBar(Widget):
    """Shows what the session is doing; the app docks it at the bottom above the footer."""

    COMPONENT_CLASSES = frozenset({"status-bar--running", "status-bar--paused"})

    def __init__(self, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._data = IDLE
        self._content = format_status(IDLE)
        self._styles: StatusStyles | None = None  # from the component classes, once mounted

    def _status_styles(self) -> StatusStyles:
        """The default styles with the component classes' colours (re-read after a theme)."""
        if not self.is_mounted:
            return DEFAULT_STYLES
        if self._styles is None:
            def coloured(name: str, default: Style) -> Style:
                if not self.get_component_styles(name).has_rule("color"):
                    return default
                return default + Style(color=self.get_component_rich_style(name).color)

            self._styles = DEFAULT_STYLES._replace(
                running=coloured("status-bar--running", DEFAULT_STYLES.running),
                paused=coloured("status-bar--paused", DEFAULT_STYLES.paused))
        return self._styles

    def notify_style_update(self) -> None:
        super().notify_style_update()
        if hasattr(self, "_data"):  # (also called while the widget is being constructed)
            self._styles = None
            self._content = format_status(self._data, styles=self._status_styles())

    def update_status(self, data: StatusData) -> None:
        """Show ``data`` (fitted to the bar's width when drawn)."""
        text = format_status(data, styles=self._status_styles())
        # Skip the repaint when nothing visible changed (the app redraws the status often).
        if text.plain == self._content.plain and text.spans == self._content.spans:
            return
        old, self._content, self._data = self._content, text, data
        if self.is_mounted:
            end = _changed_end(old, text, self.size.width)
            if end is None:
                self.refresh()
            else:  # only up to the last changed cell (fewer bytes over a slow link)
                self.refresh(Region(0, 0, end, 1))

    def render(self) -> Text:
        if self._content.cell_len <= self.size.width:
            return self._content
        return format_status(self._data, width=self.size.width, styles=self._status_styles())

    @property
    def text(self) -> str:
        """The plain text currently shown (for tests and the app's screenshots)."""
        return self._content.plain


def _changed_end(old: Text, new: Text, width: int) -> int | None:
    """One past the last cell where ``new`` differs from ``old`` when both are shown whole with
    the same styling positions (the usual redraw: numbers of the same widths); None if the
    whole line must be refreshed."""
    if old.spans != new.spans or max(old.cell_len, new.cell_len) > width:
        return None
    a, b = old.plain, new.plain
    if len(a) != len(b) or old.cell_len != new.cell_len:
        return None
    last = max(i for i in range(len(a)) if a[i] != b[i])
    return cell_len(b[: last + 1])
