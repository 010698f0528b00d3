"""Train/test loss per epoch (left axis) and accuracy or R² (right axis), drawn by plotext.

A redraw costs the same whatever the length of the history: the widget keeps a fixed-size
min/max summary of every curve that takes in only the epochs added since the last redraw
(plot_series.HistorySummary), and reduces that summary to the plot's width, keeping each
bucket's minimum and maximum so spikes stay visible. The log scale plots log10 of the loss on a
linear axis (plotext's own log axis breaks on repaint). Epoch ticks are whole numbers.

Colour is never the only thing telling the curves apart: each has its own plotext marker
(braille and half-block lines for the train curves, rows of "+" and "×" for the test curves),
shown in the legend too, so they read under NO_COLOR. The colours are component classes
(widgets.tcss: ``loss-plot--train-loss`` …), read again when the theme changes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from rich.text import Text
from textual.app import RenderResult
from textual.reactive import reactive
from textual_plotext import PlotextPlot

from ffnn.tui.widgets.plot_series import HistorySummary, integer_ticks

MIN_WIDTH, MIN_HEIGHT = 12, 5  # below this plotext cannot fit its axes: draw nothing
AXES_WIDTH = 16  # columns plotext spends on the two y-axis tick labels (approximate)
MAX_X_TICKS = 5  # plotext's own default count

RGB = tuple[int, int, int]
SERIES = ("train loss", "test loss", "train metric", "test metric")
# The component class of each series, and its default colour (widgets.tcss sets the same on
# dark themes, darker shades on light ones): Okabe–Ito, distinct under the common colour-vision
# deficiencies.
COMPONENTS = {series: f"loss-plot--{series.replace(' ', '-')}" for series in SERIES}
DEFAULT_COLOURS: dict[str, RGB] = {
    "train loss": (0x56, 0xB4, 0xE9),  # sky blue
    "test loss": (0xE6, 0x9F, 0x00),  # orange
    "train metric": (0x00, 0x9E, 0x73),  # bluish green
    "test metric": (0xCC, 0x79, 0xA7),  # reddish purple
}
# The plotext marker of each series, and the glyph the legend shows for it: the train curves are
# fine lines (braille dots, half blocks), the test curves rows of characters.
MARKERS = {"train loss": "braille", "train metric": "hd", "test loss": "+", "test metric": "×"}
LEGEND_GLYPHS = {"train loss": "⠒", "train metric": "▄", "test loss": "+", "test metric": "×"}
METRIC_LABELS = {"accuracy": "accuracy", "r2": "R²"}


def downsample_minmax(x: Any, y: Any, n_buckets: int) -> tuple[np.ndarray, np.ndarray]:
    """Reduce (x, y) to at most 2·n_buckets + 1 points, keeping the min and max of each bucket.

    Non-finite y values are dropped first. Buckets are contiguous runs of samples of (almost)
    equal length; within each the min and max points are kept in their original order (once if
    they are the same point), and the last point is kept too, so a curve reaches the newest
    epoch. Short inputs are returned unchanged (as arrays).
    """
    x = np.asarray(x, dtype=np.float64).ravel()
    y = np.asarray(y, dtype=np.float64).ravel()
    n = min(x.size, y.size)
    x, y = x[:n], y[:n]
    keep = np.isfinite(y) & np.isfinite(x)
    x, y = x[keep], y[keep]
    n_buckets = max(1, int(n_buckets))
    if y.size <= 2 * n_buckets:
        return x, y
    edges = np.linspace(0, y.size, n_buckets + 1).astype(np.int64)
    starts = edges[:-1]
    # Per-bucket argmin / argmax without a Python loop over samples: reduceat gives the
    # extreme values, then the first index reaching them within the bucket is located.
    bucket = np.repeat(np.arange(n_buckets), np.diff(edges))
    low = np.minimum.reduceat(y, starts)
    high = np.maximum.reduceat(y, starts)
    index = np.arange(y.size)
    first_low = np.full(n_buckets, y.size)
    first_high = np.full(n_buckets, y.size)
    np.minimum.at(first_low, bucket[y == low[bucket]], index[y == low[bucket]])
    np.minimum.at(first_high, bucket[y == high[bucket]], index[y == high[bucket]])
    chosen = np.unique(np.concatenate([first_low, first_high, [y.size - 1]]))
    return x[chosen], y[chosen]


def legend(loss_label: str, metric_label: str, colours: dict[str, RGB] | None = None) -> str:
    """Content markup naming the four curves by marker and colour, short enough for a 40-column
    pane: "train ⠒loss ▄acc · test +loss ×acc"."""
    colours = DEFAULT_COLOURS if colours is None else colours
    metric = "acc" if metric_label == "accuracy" else metric_label
    loss = "log loss" if loss_label.startswith("log") else "loss"

    def entry(series: str, name: str) -> str:
        colour = "#{:02X}{:02X}{:02X}".format(*colours[series])
        return f"[{colour}]{LEGEND_GLYPHS[series]}{name}[/]"

    return (f"train {entry('train loss', loss)} {entry('train metric', metric)} · "
            f"test {entry('test loss', loss)} {entry('test metric', metric)}")


class LossPlot(PlotextPlot):
    """The training curves of a History (ffnn.core), redrawn on update_history()."""

    COMPONENT_CLASSES = frozenset(COMPONENTS.values())

    log_scale: reactive[bool] = reactive(False)

    def __init__(self, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._history: Any = None
        self.summary = HistorySummary()  # what has been read of self._history so far
        # What was last handed to plotext, by series name: (x, y) lists. Kept for tests.
        self.last_series: dict[str, tuple[list[float], list[float]]] = {}
        self.last_title = ""
        self.last_xticks: list[int] = []  # the epoch ticks last set
        self._subtitle = ""
        self._colours: dict[str, RGB] | None = None  # the component classes' colours
        self.last_colours: dict[str, RGB] = {}  # by series label, as last handed to plotext

    def update_history(self, history: Any) -> None:
        """Plot `history` (columns .epoch .train_loss .test_loss .train_metric .test_metric,
        Python lists or NumPy arrays). Only the rows added since the last redraw are read; a
        different (or shorter, or cleared and refilled) history is read from the start."""
        self._history = history
        if self.is_mounted and self.size.width and self.size.height:
            self._replot()  # otherwise drawn on mount / resize

    def watch_log_scale(self, _old: bool, _new: bool) -> None:
        if self.is_mounted:
            self._replot()

    def on_mount(self) -> None:
        # (PlotextPlot's own on_mount handler runs too: Textual dispatches along the MRO; it
        # subscribes to the theme signal for the plot's background.)
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)
        self._replot()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._colours = None  # the component classes may have changed too: read them again

    def _theme_changed(self, _theme: object) -> None:
        """A new theme (ctrl+p → theme): the series colours are read again and the curves
        redrawn (the signal comes after the stylesheet has been refreshed)."""
        self._colours = None
        if self.size.width and self.size.height:
            self._replot()

    def series_colours(self) -> dict[str, RGB]:
        """The component classes' colours by series (widgets.tcss), the defaults without a
        stylesheet rule (the widget used without widgets.tcss)."""
        if self._colours is None:
            colours = {}
            for series, name in COMPONENTS.items():
                colour = self.get_component_rich_style(name).color
                if colour is None or not self.get_component_styles(name).has_rule("color"):
                    colours[series] = DEFAULT_COLOURS[series]
                else:
                    colours[series] = tuple(colour.get_truecolor())
            self._colours = colours
        return self._colours

    def on_resize(self) -> None:
        # The bucket count depends on the width.
        if self.size.width and self.size.height:
            self._replot()

    def render(self) -> RenderResult:
        if self.size.width < MIN_WIDTH or self.size.height < MIN_HEIGHT:
            return Text("")
        return super().render()

    def _replot(self) -> None:
        plt = self.plt
        plt.clear_data()
        self.last_series = {}
        self.last_colours = {}
        colours = self.series_colours()
        history = self._history
        summary = self.summary
        summary.update(history)
        metric_name = str(getattr(history, "metric_name", "") or "accuracy")
        metric_label = METRIC_LABELS.get(metric_name, metric_name)
        n = summary.count
        n_buckets = max(1, self.size.width - AXES_WIDTH)

        loss_label = "log10 loss" if self.log_scale else "loss"
        self.last_title = f"{loss_label} / {metric_label}" if n else f"{loss_label} — no epochs yet"
        plt.title(self.last_title)
        plt.xlabel("epoch")
        plt.ylabel(loss_label, yside="left")
        plt.ylabel(metric_label, yside="right")
        if metric_name == "accuracy":
            plt.ylim(0.0, 1.0, yside="right")  # a fixed scale, so progress reads as height
        self._set_epoch_axis(summary.first_x, summary.last_x, n_buckets)

        # Test curves first, so the train curves (drawn later) stay visible where they cross.
        curves = [
            ("test loss", "test_loss", "left", "test loss"),
            (f"test {metric_label}", "test_metric", "right", "test metric"),
            ("train loss", "train_loss", "left", "train loss"),
            (f"train {metric_label}", "train_metric", "right", "train metric"),
        ]
        for label, column, side, series in curves:
            if not summary.complete(column):
                continue
            x, y = summary.series[column].points(log=side == "left" and self.log_scale)
            x, y = downsample_minmax(x, y, n_buckets)
            if y.size == 0:  # e.g. no test set: all nan
                continue
            xs, ys = x.tolist(), y.tolist()
            self.last_series[label] = (xs, ys)
            self.last_colours[label] = colours[series]
            plt.plot(xs, ys, color=colours[series], marker=MARKERS[series], yside=side)
        # The legend goes in the border: inside the plot it would hide the first epochs, where
        # the loss starts high on the left and accuracy ends high on the right.
        subtitle = legend(loss_label, metric_label, colours) if self.last_series else ""
        if subtitle != self._subtitle:  # Textual parses the markup on every assignment
            self._subtitle = self.border_subtitle = subtitle
        self.refresh()

    def _set_epoch_axis(self, first: float, last: float, width: int) -> None:
        """x range of the whole history, ticks at whole epochs ("nice" steps), integer labels."""
        plt = self.plt
        if not (np.isfinite(first) and np.isfinite(last)):
            plt.xlim(None, None)
            plt.xticks([], [])  # (plotext cannot reset to its own ticks: xticks(None) fails)
            self.last_xticks = []
            return
        lo, hi = min(first, last), max(first, last)
        if hi > lo:
            plt.xlim(lo, hi)
        else:  # one epoch: centred
            plt.xlim(lo - 1, hi + 1)
        label_width = len(str(int(max(abs(lo), abs(hi))))) + 1  # a sign, digits
        ticks = integer_ticks(lo, hi, min(MAX_X_TICKS, max(1, width // (label_width + 3))))
        plt.xticks(ticks, [str(t) for t in ticks])
        self.last_xticks = ticks
