"""The loss plot over long runs: the incremental min/max summary, restarts, integer epoch ticks;
its colours (component classes, following the theme) and its markers (readable without colour)."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
from textual.app import App, ComposeResult

from ffnn.core import History
from ffnn.tui.widgets import loss_plot
from ffnn.tui.widgets.loss_plot import DEFAULT_COLOURS, LEGEND_GLYPHS, MARKERS, LossPlot
from ffnn.tui.widgets.plot_series import HistorySummary, MinMaxSummary, integer_ticks


def spiky_series(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A decaying noisy loss with a few large spikes, dips below zero and non-finite rows."""
    rng = np.random.default_rng(seed)
    x = np.arange(1, n + 1, dtype=np.float64)
    y = np.exp(-x / (n / 5)) + rng.random(n) * 0.05
    spikes = rng.choice(n, size=20, replace=False)
    y[spikes] += 10 + rng.random(20)
    y[rng.choice(n, size=20, replace=False)] = -rng.random(20)  # not drawn on the log scale
    y[rng.choice(n, size=50, replace=False)] = np.nan
    y[rng.choice(n, size=5, replace=False)] = np.inf
    return x, y, spikes


def direct_buckets(x: np.ndarray, y: np.ndarray, span: int, positive: bool = False):
    """The extremes of each region [b·span, (b+1)·span) computed from the whole series."""
    lo, lo_x, hi, hi_x = [], [], [], []
    for start in range(0, y.size, span):
        xs, ys = x[start:start + span], y[start:start + span]
        keep = np.isfinite(ys) & ((ys > 0) if positive else True)
        xs, ys = xs[keep], ys[keep]
        if ys.size == 0:
            lo.append(np.inf), lo_x.append(None), hi.append(-np.inf), hi_x.append(None)
            continue
        lo.append(ys.min()), lo_x.append(xs[np.argmin(ys)])
        hi.append(ys.max()), hi_x.append(xs[np.argmax(ys)])
    return np.array(lo), lo_x, np.array(hi), hi_x


def summary_state(summary: MinMaxSummary) -> list[np.ndarray]:
    return [summary.count, summary.span, summary.lo, summary.lo_x, summary.hi, summary.hi_x,
            summary.pos, summary.pos_x]


# -- MinMaxSummary ---------------------------------------------------------------------------


@pytest.mark.parametrize("n", [200, 1024, 1025, 2048, 100_000])
def test_summary_equals_a_direct_min_max_downsample(n):
    x, y, spikes = spiky_series(n)
    summary = MinMaxSummary(1024)
    summary.extend(x, y)
    span = summary.span
    assert span == max(1, 2 ** math.ceil(math.log2(n / 1024)))  # the smallest that fits
    assert summary.n_used == -(-n // span) <= 1024
    lo_x, lo, hi_x, hi = summary.buckets()
    want_lo, want_lo_x, want_hi, want_hi_x = direct_buckets(x, y, span)
    np.testing.assert_array_equal(lo, want_lo)
    np.testing.assert_array_equal(hi, want_hi)
    has = np.isfinite(want_lo)
    np.testing.assert_array_equal(lo_x[has], np.array(want_lo_x, dtype=object)[has].astype(float))
    np.testing.assert_array_equal(hi_x[has], np.array(want_hi_x, dtype=object)[has].astype(float))

    px, py = summary.points()
    assert np.all(np.diff(px) >= 0)  # in epoch order
    finite = np.isfinite(y)
    assert py.min() == y[finite].min() and py.max() == y[finite].max()
    for i in spikes:
        if np.isfinite(y[i]) and y[i] == want_hi[i // span]:
            assert x[i] in px  # a spike is its bucket's maximum: it is drawn
    # The log scale: log10 of each region's smallest positive value and maximum.
    want_pos, _, want_hi_pos, _ = direct_buckets(x, y, span, positive=True)
    lx, ly = summary.points(log=True)
    want = np.log10(np.concatenate([want_pos[np.isfinite(want_pos)],
                                    want_hi_pos[np.isfinite(want_hi_pos)]]))
    last_positive = y[np.isfinite(y) & (y > 0)][-1]
    assert set(want.tolist()) <= set(ly.tolist())
    assert set(ly.tolist()) - set(want.tolist()) <= {math.log10(last_positive)}
    assert np.all(np.isfinite(ly))
    # Both curves end at the newest finite row, extreme or not.
    assert px[-1] == x[np.isfinite(y)][-1] and lx[-1] == x[np.isfinite(y) & (y > 0)][-1]


def test_summary_of_short_series_is_the_series_itself():
    summary = MinMaxSummary(8)
    summary.extend([1, 2, 3, 4], [3.0, np.nan, 1.0, 2.0])
    x, y = summary.points()
    assert x.tolist() == [1, 3, 4] and y.tolist() == [3.0, 1.0, 2.0]
    summary.extend([5], [np.nan])
    assert summary.count == 5 and summary.points()[0].tolist() == [1, 3, 4]


def test_all_nan_series_has_no_points():
    summary = MinMaxSummary(16)
    summary.extend(np.arange(100), np.full(100, np.nan))  # e.g. test loss without a test set
    assert summary.points()[0].size == 0 and summary.points(log=True)[0].size == 0


def test_many_small_appends_equal_one_big_append():
    x, y, _ = spiky_series(50_000, seed=1)
    whole = MinMaxSummary(1024)
    whole.extend(x, y)
    rng = np.random.default_rng(2)
    chunked = MinMaxSummary(1024)
    start = 0
    while start < y.size:
        size = int(rng.choice([1, 3, 10, 10, 10, 127, 1000, 4096]))
        chunked.extend(x[start:start + size], y[start:start + size])
        start += size
    for a, b in zip(summary_state(whole), summary_state(chunked), strict=True):
        np.testing.assert_array_equal(a, b)
    for log in (False, True):
        for a, b in zip(whole.points(log), chunked.points(log), strict=True):
            np.testing.assert_array_equal(a, b)


def test_summary_size_stays_fixed():
    summary = MinMaxSummary(64)
    for _ in range(1000):
        summary.extend(np.arange(10.0), np.arange(10.0))
        assert summary.n_used <= 64 and summary.lo.size == 64
    assert summary.count == 10_000 and summary.span == 256


# -- HistorySummary: what is read, and when it starts over ----------------------------------


class CountingList(list):
    """A list column that records the start of every slice taken from it."""

    def __init__(self, *args):
        super().__init__(*args)
        self.starts: list[int] = []

    def __getitem__(self, index):
        if isinstance(index, slice):
            self.starts.append(index.start or 0)
        return super().__getitem__(index)


class ArrayHistory:
    """A History whose columns are NumPy views of preallocated arrays."""

    COLUMNS = ("epoch", "train_loss", "test_loss", "train_metric", "test_metric")

    def __init__(self, capacity: int, metric_name: str = "accuracy"):
        self.metric_name = metric_name
        self._data = {name: np.zeros(capacity) for name in self.COLUMNS}
        self._n = 0

    def __len__(self) -> int:
        return self._n

    def __getattr__(self, name):
        if name in ArrayHistory.COLUMNS:
            return self._data[name][:self._n]
        raise AttributeError(name)

    def append(self, **row) -> None:
        for name in self.COLUMNS:
            self._data[name][self._n] = row[name]
        self._n += 1

    def clear(self) -> None:
        self._n = 0


def grow(history, n: int, offset: float = 0.0, test: bool = True) -> None:
    for _ in range(n):
        e = len(history) + 1
        history.append(epoch=e, train_loss=1.0 / e + offset,
                       test_loss=1.1 / e + offset if test else math.nan,
                       train_metric=1 - 0.5 / e, test_metric=1 - 1.0 / e if test else math.nan,
                       learning_rate=0.1)


class CountingHistory:
    """A history whose columns record every slice taken from them."""

    COLUMNS = History.COLUMNS
    metric_name = "accuracy"

    def __init__(self) -> None:
        for name in self.COLUMNS:
            setattr(self, name, CountingList())

    def __len__(self) -> int:
        return len(self.epoch)

    def append(self, **row) -> None:
        for name in self.COLUMNS:
            getattr(self, name).append(row[name])


def test_history_summary_reads_only_new_rows():
    history = CountingHistory()
    summary = HistorySummary(64)
    grow(history, 1000)
    summary.update(history)
    grow(history, 10)
    history.train_loss.starts.clear(), history.test_metric.starts.clear()
    summary.update(history)
    assert summary.count == 1010 and summary.restarts == 1
    assert min(history.train_loss.starts) >= 999 and min(history.test_metric.starts) >= 1000
    summary.update(history)  # nothing new: the last-row check only
    assert summary.count == 1010 and summary.restarts == 1


@pytest.mark.parametrize("make", [History, lambda: ArrayHistory(5000)])
def test_history_summary_starts_over_when_the_history_is_replaced(make):
    history = make()
    grow(history, 3000)
    summary = HistorySummary(64)
    summary.update(history)
    assert summary.restarts == 1 and summary.count == 3000
    assert summary.first_x == 1 and summary.last_x == 3000

    grow(history, 10)
    summary.update(history)
    assert summary.restarts == 1 and summary.count == 3010

    other = make()  # a new, shorter history (reset / rebuild / open a file)
    grow(other, 5, offset=1.0)
    summary.update(other)
    assert summary.restarts == 2 and summary.count == 5
    assert summary.series["train_loss"].points()[1].max() == 2.0

    # The same object, cleared and refilled with fewer rows.
    clear(history)
    grow(history, 20, offset=2.0)
    summary.update(history)
    assert summary.restarts == 3 and summary.count == 20 and summary.last_x == 20
    assert summary.series["train_loss"].points()[1].min() > 2.0

    # Cleared and refilled beyond the old length between two updates: the last seen row
    # changed.
    clear(history)
    grow(history, 30, offset=3.0)
    summary.update(history)
    assert summary.restarts == 4 and summary.count == 30
    assert summary.series["train_loss"].points()[1].min() > 3.0


def clear(history) -> None:
    if isinstance(history, History):
        history.load({name: [] for name in History.COLUMNS})
    else:
        history.clear()


def test_history_summary_without_a_test_set_and_with_a_lagging_column():
    history = CountingHistory()  # list columns: one can lag behind the others
    grow(history, 50, test=False)
    summary = HistorySummary(16)
    summary.update(history)
    assert summary.complete("test_loss") and summary.series["test_loss"].points()[0].size == 0
    history.test_metric.pop()  # a column got shorter: start over
    summary.update(history)
    assert summary.restarts == 2
    assert not summary.complete("test_metric") and summary.complete("train_metric")
    history.test_metric.append(math.nan)  # a column that lagged behind is drawn once it caught up
    summary.update(history)
    assert summary.restarts == 2 and summary.complete("test_metric")
    summary.update(None)
    assert summary.count == 0 and not summary.complete("train_loss")


# -- integer epoch ticks ---------------------------------------------------------------------


@pytest.mark.parametrize("last", [1, 7, 30, 1000, 10**6])
@pytest.mark.parametrize("max_ticks", [1, 3, 5])
def test_ticks_are_nice_whole_numbers(last, max_ticks):
    ticks = integer_ticks(1, last, max_ticks)
    assert 1 <= len(ticks) <= max_ticks
    assert all(isinstance(t, int) and 1 <= t <= last for t in ticks)
    if len(ticks) > 1:
        steps = set(np.diff(ticks).tolist())
        assert len(steps) == 1
        step = steps.pop()
        mantissa = step / 10 ** math.floor(math.log10(step))
        assert mantissa in (1, 2, 5) and all(t % step == 0 for t in ticks)


def test_ticks_examples():
    assert integer_ticks(1, 1) == [1]
    assert integer_ticks(1, 7, 5) == [2, 4, 6]
    assert integer_ticks(1, 30, 5) == [10, 20, 30]
    assert integer_ticks(1, 1000, 5) == [200, 400, 600, 800, 1000]
    assert integer_ticks(1, 10**6, 5) == [200_000, 400_000, 600_000, 800_000, 1_000_000]
    assert integer_ticks(1, 3, 5) == [1, 2, 3]
    assert integer_ticks(6, 9, 1) == [6]  # no multiple of 5 in range: the first epoch
    assert integer_ticks(0.5, 0.7) == [] and integer_ticks(math.nan, 3) == []


# -- the widget ------------------------------------------------------------------------------


class OneWidget(App):
    def __init__(self, widget) -> None:
        super().__init__()
        self.widget = widget

    def compose(self) -> ComposeResult:
        yield self.widget


def x_labels(plot: LossPlot) -> list[str]:
    """The words of the line under the plot's x axis (the line after the └…┘ axis line)."""
    lines = plot.render().plain.splitlines()
    axis = next(i for i, line in enumerate(lines) if "└" in line)
    return lines[axis + 1].split()


@pytest.mark.parametrize("epochs", [1, 7, 30, 1000, 10**6])
async def test_plot_labels_epochs_with_integers(epochs):
    history = ArrayHistory(epochs)
    for name in ArrayHistory.COLUMNS:
        history._data[name][:] = np.arange(1, epochs + 1) if name == "epoch" else 0.5
    history._n = epochs
    plot = LossPlot()
    async with OneWidget(plot).run_test(size=(80, 20)) as pilot:
        plot.update_history(history)
        await pilot.pause()
        labels = x_labels(plot)
        assert labels and all(re.fullmatch(r"\d+", label) for label in labels), labels
        assert [int(label) for label in labels] == plot.last_xticks
        assert all(1 <= t <= epochs for t in plot.last_xticks)


async def test_plot_follows_a_long_run_and_renders_after_reset():
    history = ArrayHistory(300_000)
    grow(history, 100)
    plot = LossPlot()
    async with OneWidget(plot).run_test(size=(70, 18)) as pilot:
        plot.update_history(history)
        await pilot.pause()
        for name in ArrayHistory.COLUMNS:  # 199,900 more epochs, read in one go
            history._data[name][100:200_000] = 0.5
        history._data["train_loss"][100:200_000] = np.linspace(0.5, 0.001, 199_900)
        history._data["train_loss"][123_456] = 50.0  # one spike
        history._data["epoch"][100:200_000] = np.arange(101, 200_001)
        history._n = 200_000
        plot.update_history(history)
        await pilot.pause()
        xs, ys = plot.last_series["train loss"]
        assert len(xs) <= 2 * 70 and max(ys) == 50.0 and 123_457 in xs
        assert min(ys) == pytest.approx(0.001) and xs[-1] == 200_000
        assert plot.summary.restarts == 1
        assert plot.last_xticks[-1] == 200_000

        plot.update_history(History())  # reset: a new, empty history
        await pilot.pause()
        assert plot.last_series == {} and "no epochs yet" in plot.last_title
        assert plot.last_xticks == []

        fresh = History()
        grow(fresh, 7)
        plot.update_history(fresh)
        plot.log_scale = True
        await pilot.pause()
        assert max(plot.last_series["train loss"][0]) == 7
        assert plot.last_series["train loss"][1][0] == pytest.approx(0.0)  # log10(1/1)
        assert "log10 loss" in plot.render().plain
        assert x_labels(plot) == ["2", "4", "6"]
        assert plot.summary.restarts == 3


# -- colours and markers ---------------------------------------------------------------------

WIDGETS_TCSS = Path(loss_plot.__file__).with_name("widgets.tcss")
LIGHT = {"train loss": (0x3D, 0x80, 0xA5), "test loss": (0xA1, 0x6F, 0x00),
         "train metric": (0x00, 0x8B, 0x65), "test metric": (0xA9, 0x64, 0x8B)}


class StyledApp(OneWidget):
    """The widget with the app's widget stylesheet (the component classes' colours), in a
    border (the legend is its subtitle)."""

    CSS_PATH = WIDGETS_TCSS
    CSS = "LossPlot { border: round $panel; }"


def separate_curves(epochs: int = 30) -> History:
    """Four flat curves, each in its own rows: test loss on top, train loss at the bottom (left
    axis), train accuracy 0.75 and test accuracy 0.3 (right axis, 0-1) between them."""
    history = History()
    for e in range(1, epochs + 1):
        history.append(epoch=e, train_loss=0.2, test_loss=0.8 if e > 1 else 0.2,
                       train_metric=0.75, test_metric=0.3, learning_rate=0.1)
    return history


def is_braille(char: str) -> bool:
    return 0x2801 <= ord(char) <= 0x28FF


HALF_BLOCKS = set("▘▝▀▖▌▞▛▗▚▐▜▄▙▟█")


def glyph_colours(plot: LossPlot) -> dict[str, set[tuple[int, int, int]]]:
    """The colours plotext drew each kind of marker in: "braille", "blocks", "+", "×"."""
    text = plot.render()
    found: dict[str, set[tuple[int, int, int]]] = {}
    for span in text.spans:
        colour = getattr(span.style, "color", None)
        if colour is None:
            continue
        for char in text.plain[span.start:span.end]:
            kind = ("braille" if is_braille(char) else "blocks" if char in HALF_BLOCKS
                    else char if char in "+×" else None)
            if kind:
                found.setdefault(kind, set()).add(tuple(colour.get_truecolor()))
    return found


async def test_series_colours_come_from_the_stylesheet_and_follow_the_theme():
    plot = LossPlot()
    app = StyledApp(plot)
    async with app.run_test(size=(70, 20)) as pilot:
        app.theme = "textual-dark"
        plot.update_history(separate_curves())
        await pilot.pause()
        assert plot.series_colours() == DEFAULT_COLOURS  # widgets.tcss: the Okabe-Ito colours
        assert plot.last_colours["train loss"] == DEFAULT_COLOURS["train loss"]
        assert plot.last_colours["test accuracy"] == DEFAULT_COLOURS["test metric"]
        assert glyph_colours(plot) == {"braille": {DEFAULT_COLOURS["train loss"]},
                                       "blocks": {DEFAULT_COLOURS["train metric"]},
                                       "+": {DEFAULT_COLOURS["test loss"]},
                                       "×": {DEFAULT_COLOURS["test metric"]}}
        assert "[#56B4E9]⠒loss" in plot.border_subtitle  # the legend: the same colours

        app.theme = "textual-light"  # no new history: the theme alone redraws the curves
        await pilot.pause()
        await pilot.pause()
        assert plot.series_colours() == LIGHT
        assert glyph_colours(plot) == {"braille": {LIGHT["train loss"]},
                                       "blocks": {LIGHT["train metric"]},
                                       "+": {LIGHT["test loss"]}, "×": {LIGHT["test metric"]}}
        assert "[#3D80A5]⠒loss" in plot.border_subtitle
        assert "[#A9648B]×acc" in plot.border_subtitle

        app.theme = "textual-dark"
        await pilot.pause()
        await pilot.pause()
        assert plot.last_colours["train loss"] == DEFAULT_COLOURS["train loss"]


async def test_without_the_stylesheet_the_default_colours():
    plot = LossPlot()
    async with OneWidget(plot).run_test(size=(70, 20)) as pilot:
        plot.update_history(separate_curves())
        await pilot.pause()
        assert plot.series_colours() == DEFAULT_COLOURS
        assert glyph_colours(plot)["braille"] == {DEFAULT_COLOURS["train loss"]}


def test_each_curve_has_its_own_marker_and_legend_glyph():
    assert len(set(MARKERS.values())) == len(set(LEGEND_GLYPHS.values())) == 4
    legend = loss_plot.legend("loss", "accuracy")
    for glyph in LEGEND_GLYPHS.values():
        assert glyph in legend
    assert legend.count("[#") == 4  # each entry coloured too


async def test_without_colour_the_curves_differ_by_marker(monkeypatch):
    """NO_COLOR (read by App.__init__): nothing on screen is coloured, and each curve is still
    drawn with its own marker, in its own rows, and the legend names the markers."""
    monkeypatch.setenv("NO_COLOR", "1")
    plot = LossPlot()
    app = StyledApp(plot)
    assert app.no_color
    async with app.run_test(size=(70, 20)) as pilot:
        plot.update_history(separate_curves())
        await pilot.pause()
        rows = plot.render().plain.splitlines()

        def rows_with(test) -> set[int]:
            return {i for i, row in enumerate(rows) if sum(map(test, row)) >= 10}

        train_loss = rows_with(is_braille)
        train_metric = rows_with(lambda c: c in HALF_BLOCKS)
        test_loss = rows_with(lambda c: c == "+")
        test_metric = rows_with(lambda c: c == "×")
        assert train_loss and train_metric and test_loss and test_metric, rows
        # From the top: test loss, train accuracy (0.75), test accuracy (0.3), train loss.
        assert max(test_loss) < min(train_metric)
        assert max(train_metric) < min(test_metric) and max(test_metric) < min(train_loss)

        screen = app.export_screenshot()
        assert "⠒loss" in screen and "▄acc" in screen and "+loss" in screen and "×acc" in screen
        for colour in DEFAULT_COLOURS.values():  # no series colour reaches the screen
            assert "#{:02x}{:02x}{:02x}".format(*colour) not in screen.lower()
