"""The four display widgets, each mounted alone in a tiny app and read back line by line."""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from textual.app import App, ComposeResult
from textual.widget import Widget

import ffnn.tui.widgets.decision_boundary as decision_boundary_module
from ffnn.core import History, Network, TrainConfig, Trainer, datasets
from ffnn.tui.viewdata import PlaneData, StatusData
from ffnn.tui.widgets.boundary_colours import TEXTURES
from ffnn.tui.widgets.decision_boundary import (
    HALF_BLOCK,
    PALETTE,
    TEST_GLYPH,
    TEST_GLYPHS,
    TRAIN_GLYPH,
    TRAIN_GLYPHS,
    DecisionBoundary,
    regression_scale,
)
from ffnn.tui.widgets.loss_plot import LossPlot, downsample_minmax
from ffnn.tui.widgets.status_bar import StatusBar, format_status
from ffnn.tui.widgets.weights_table import WeightsTable, format_value

CSS = Path(decision_boundary_module.__file__).parent / "widgets.tcss"


def set_plane(boundary, X, y, X_test, y_test, task, n_classes, x_range, y_range, **more):
    boundary.set_data(PlaneData(X, y, X_test, y_test, task, n_classes, x_range, y_range,
                                **more))


def status(*args, note: str = "") -> StatusData:
    return StatusData(*args, note=note)


class OneWidget(App):
    """An app showing just the widget under test, with the widgets' stylesheet."""

    CSS_PATH = str(CSS)

    def __init__(self, widget: Widget) -> None:
        super().__init__()
        self.widget = widget

    def compose(self) -> ComposeResult:
        yield self.widget


def lines_of(widget: Widget) -> list[str]:
    return [widget.render_line(y).text for y in range(widget.size.height)]


# -- fakes standing in for ffnn.core objects ------------------------------------------------


class SignNet:
    """Class 1 right of x = 0, class 0 left of it; confident away from the line."""

    n_inputs = 2
    is_classifier = True
    dtype = np.float64

    def forward(self, X):
        p = 1.0 / (1.0 + np.exp(-3.0 * X[:, 0]))
        return np.stack([1.0 - p, p], axis=1)


class ManyClassNet:
    """Twelve vertical stripes, one class each."""

    n_inputs = 2
    is_classifier = True
    dtype = np.float64

    def forward(self, X):
        k = np.clip(((X[:, 0] + 6.0) / 12.0 * 12).astype(int), 0, 11)
        return np.eye(12)[k]


class LinearRegressionNet:
    n_inputs = 2
    is_classifier = False
    dtype = np.float64

    def forward(self, X):
        return X[:, :1].copy()


class NanNet:
    n_inputs = 2
    dtype = np.float64

    def __init__(self, is_classifier: bool) -> None:
        self.is_classifier = is_classifier

    def forward(self, X):
        return np.full((len(X), 2 if self.is_classifier else 1), np.nan)


def make_history(n: int, metric_name: str = "accuracy", test: bool = True) -> History:
    epochs = list(range(1, n + 1))
    train = [1.0 / e for e in epochs]
    return History(
        metric_name=metric_name,
        epoch=epochs,
        train_loss=train,
        test_loss=[v * 1.1 for v in train] if test else [math.nan] * n,
        train_metric=[1.0 - v / 2 for v in train],
        test_metric=[1.0 - v for v in train] if test else [math.nan] * n,
        learning_rate=[0.1] * n,
    )


# -- DecisionBoundary ---------------------------------------------------------------------

TRAIN_X = np.array([[-3.0, 3.0], [3.0, -3.0]])
TRAIN_Y = np.array([0, 1])
TEST_X = np.array([[4.5, 4.5]])
TEST_Y = np.array([1])


def plot_cell(boundary: DecisionBoundary, x: float, y: float) -> tuple[int, int]:
    """(line, column) of the character cell a data point falls in."""
    margin, cols, rows = boundary._layout()
    (x0, x1), (y0, y1) = boundary.x_range, boundary.y_range
    col = int((x - x0) / (x1 - x0) * cols)
    half = int((y1 - y) / (y1 - y0) * rows * 2)
    return half // 2, margin + col


def cell_style(boundary: DecisionBoundary, line: int, column: int):
    """The rich Style of one character cell of a drawn line."""
    position = 0
    for segment in boundary.render_line(line):
        if position <= column < position + len(segment.text):
            return segment.style
        position += len(segment.text)
    raise IndexError(column)


async def test_boundary_shows_two_classes_left_and_right_with_points():
    boundary = DecisionBoundary()
    async with OneWidget(boundary).run_test(size=(60, 20)) as pilot:
        set_plane(boundary, TRAIN_X, TRAIN_Y, TEST_X, TEST_Y, "classification", 2,
                          (-6.0, 6.0), (-6.0, 6.0))
        boundary.draw_model(SignNet())
        await pilot.pause()
        margin, cols, rows = boundary._layout()
        assert boundary.grid.labels.shape == (rows * 2, cols)  # two grid rows per line
        lines = lines_of(boundary)
        assert len(lines) == 20
        # Half blocks fill the plane; the axis labels show the ranges.
        assert lines[1][margin:].count(HALF_BLOCK) == cols
        assert lines[0].lstrip().startswith("6")
        assert lines[rows - 1].lstrip().startswith("-6")
        assert lines[-1].split()[0] == "-6" and lines[-1].split()[-1] == "6"
        # Left and right edges of a row are painted in different class colours.
        left = cell_style(boundary, 1, margin)
        right = cell_style(boundary, 1, margin + cols - 1)
        assert left.color != right.color and left.bgcolor != right.bgcolor
        # Confident region colours lean toward their class colour (Okabe–Ito orange, sky blue).
        lr, lg, lb = left.color.triplet
        rr, rg, rb = right.color.triplet
        assert lr > lb and rb > rr
        # Points sit in the character cells their coordinates map to, each class its own glyph:
        # filled for training points, hollow for test points.
        for (x, y), glyph in [(TRAIN_X[0], TRAIN_GLYPHS[0]), (TRAIN_X[1], TRAIN_GLYPHS[1]),
                              (TEST_X[0], TEST_GLYPHS[1])]:
            line, column = plot_cell(boundary, x, y)
            assert lines[line][column] == glyph
        assert sum(line.count(TRAIN_GLYPHS[0]) + line.count(TRAIN_GLYPHS[1])
                   for line in lines) == 2
        # A point is drawn in a brighter variant of its class colour than the region under it.
        line, column = plot_cell(boundary, *TRAIN_X[0])
        point_style = cell_style(boundary, line, column)
        region_style = cell_style(boundary, line, margin)
        assert sum(point_style.color.triplet) > sum(region_style.color.triplet)

        boundary.show_test = False
        await pilot.pause()
        lines = lines_of(boundary)
        assert not any(TEST_GLYPHS[1] in line for line in lines)
        assert sum(line.count(TRAIN_GLYPHS[0]) + line.count(TRAIN_GLYPHS[1])
                   for line in lines) == 2


async def test_boundary_reuses_cached_styles_between_draws():
    boundary = DecisionBoundary()
    async with OneWidget(boundary).run_test(size=(40, 12)) as pilot:
        set_plane(boundary, TRAIN_X, TRAIN_Y, None, None, "classification", 2, (-6, 6), (-6, 6))
        boundary.draw_model(SignNet())
        await pilot.pause()
        first = [segment.style for segment in boundary.render_line(2)]
        cached = len(boundary._colours.styles)
        boundary.draw_model(SignNet())
        second = [segment.style for segment in boundary.render_line(2)]
        assert len(boundary._colours.styles) == cached
        assert all(a is b for a, b in zip(first, second, strict=True))


async def test_boundary_twelve_classes_get_distinct_colours_and_glyphs():
    """Nine colours (Okabe–Ito, grey, foreground) and ten glyphs: the first nine regions differ
    in colour, and every class's points differ in colour or glyph."""
    boundary = DecisionBoundary()
    X = np.stack([np.linspace(-5.5, 5.5, 12), np.zeros(12)], axis=1)
    async with OneWidget(boundary).run_test(size=(80, 10)) as pilot:
        set_plane(boundary, X, np.arange(12), None, None, "classification", 12, (-6, 6), (-6, 6))
        boundary.draw_model(ManyClassNet())
        await pilot.pause()
        margin, cols, _ = boundary._layout()
        colours = [cell_style(boundary, 1, margin + int((k + 0.5) * cols / 12)).color
                   for k in range(12)]
        assert len(set(colours[:9])) == 9 and len(PALETTE) == 9
        points = []
        for k, (x, y) in enumerate(X):
            line, column = plot_cell(boundary, x, y)
            points.append((lines_of(boundary)[line][column],
                           cell_style(boundary, line, column).color))
            assert points[-1][0] == TRAIN_GLYPHS[k % len(TRAIN_GLYPHS)]
        assert len(set(points)) == 12


class ThreeStripesNet:
    """Class 0 left, 1 in the middle, 2 right; confident in the middle of each stripe."""

    n_inputs = 2
    is_classifier = True
    dtype = np.float64

    def forward(self, X):
        centres = np.array([-4.0, 0.0, 4.0])
        logits = -np.abs(X[:, :1] - centres[None, :])
        p = np.exp(logits * 2.0)
        return p / p.sum(axis=1, keepdims=True)


STRIPES_X = np.array([[-4.0, 3.0], [0.0, 3.0], [4.0, 3.0]])
STRIPES_TEST_X = np.array([[-4.0, -3.0], [0.0, -3.0], [4.0, -3.0]])


def brightness(colour) -> float:
    r, g, b = colour.triplet
    return 0.299 * r + 0.587 * g + 0.114 * b


async def test_boundary_follows_the_theme():
    """Colours come from the component classes on the theme's background: switching to a light
    theme lightens the regions' background and darkens the points (still the class hues)."""
    boundary = DecisionBoundary()
    app = OneWidget(boundary)
    async with app.run_test(size=(60, 16)) as pilot:
        set_plane(boundary, STRIPES_X, np.arange(3), None, None, "classification", 3,
                  (-6, 6), (-6, 6))
        boundary.draw_model(ThreeStripesNet())
        await pilot.pause()
        margin, cols, _ = boundary._layout()

        def colours():
            region = [cell_style(boundary, 5, margin + int(f * cols)).bgcolor
                      for f in (1 / 6, 1 / 2, 5 / 6)]
            points = [cell_style(boundary, *plot_cell(boundary, *xy)).color for xy in STRIPES_X]
            return region, points

        dark_region, dark_points = colours()
        assert app.current_theme.dark
        app.theme = "textual-light"
        await pilot.pause()
        await pilot.pause()
        light_region, light_points = colours()
        assert not app.current_theme.dark
        for dark, light in zip(dark_region, light_region, strict=True):
            assert brightness(light) > brightness(dark) + 40
        for dark, light in zip(dark_points, light_points, strict=True):
            assert brightness(light) < brightness(dark)
        # Still orange, sky blue, bluish green: the hue is the class's.
        orange, sky, green = (p.triplet for p in light_points)
        assert orange.red > orange.blue and sky.blue > sky.red and green.green > green.red


class RedClassZero(App):
    CSS_PATH = str(CSS)
    CSS = "DecisionBoundary > .decision-boundary--class-0 { color: #FF0000; }"

    def compose(self) -> ComposeResult:
        yield DecisionBoundary()


async def test_boundary_class_colours_come_from_the_stylesheet():
    app = RedClassZero()
    async with app.run_test(size=(60, 16)) as pilot:
        boundary = app.query_one(DecisionBoundary)
        set_plane(boundary, STRIPES_X, np.arange(3), None, None, "classification", 3,
                  (-6, 6), (-6, 6))
        boundary.draw_model(ThreeStripesNet())
        await pilot.pause()
        point = cell_style(boundary, *plot_cell(boundary, *STRIPES_X[0])).color.triplet
        assert point.green == point.blue and point.red > point.green  # red, lightened


async def test_boundary_without_colour_draws_a_texture_per_class(monkeypatch):
    """NO_COLOR (read by App.__init__): each class region has its own texture, denser where
    the network is confident; the points keep their glyphs."""
    monkeypatch.setenv("NO_COLOR", "1")
    boundary = DecisionBoundary()
    app = OneWidget(boundary)
    assert app.no_color
    async with app.run_test(size=(60, 20)) as pilot:
        set_plane(boundary, STRIPES_X, np.arange(3), STRIPES_TEST_X, np.arange(3),
                  "classification", 3, (-6, 6), (-6, 6))
        boundary.draw_model(ThreeStripesNet())
        await pilot.pause()
        margin, cols, rows = boundary._layout()
        lines = lines_of(boundary)
        assert not any(HALF_BLOCK in line for line in lines)
        plot = [line[margin:margin + cols] for line in lines[:rows]]

        def texture(start: float, stop: float) -> set[str]:
            cells = {c for line in plot for c in line[int(start * cols):int(stop * cols)]}
            return cells - set(TRAIN_GLYPHS) - set(TEST_GLYPHS) - {" "}

        left, middle, right = texture(0, 0.1), texture(0.45, 0.55), texture(0.9, 1)
        assert (left, middle, right) == ({TEXTURES[0]}, {TEXTURES[1]}, {TEXTURES[2]})
        # Confident (in the middle of a stripe) is denser than near a boundary (x = ±2).
        def density(fraction: float) -> float:
            column = int(fraction * cols)
            return sum(line[column] != " " for line in plot) / rows

        near = [density(f + d) for f in (1 / 3, 2 / 3) for d in (-0.01, 0.0, 0.01)]
        assert density(0.5) == 1.0 and max(near) < 0.75
        for k, (xy, test_xy) in enumerate(zip(STRIPES_X, STRIPES_TEST_X, strict=True)):
            line, column = plot_cell(boundary, *xy)
            assert lines[line][column] == TRAIN_GLYPHS[k]
            line, column = plot_cell(boundary, *test_xy)
            assert lines[line][column] == TEST_GLYPHS[k]


async def test_boundary_regression_uses_diverging_scale():
    boundary = DecisionBoundary()
    X = np.array([[-5.0, 0.0], [5.0, 0.0]])
    async with OneWidget(boundary).run_test(size=(50, 12)) as pilot:
        set_plane(boundary, X, np.array([-5.0, 5.0]), None, None, "regression", 1, (-6, 6), (-6, 6))
        boundary.draw_model(LinearRegressionNet())
        await pilot.pause()
        margin, cols, rows = boundary._layout()
        left = cell_style(boundary, 0, margin).color.triplet
        middle = cell_style(boundary, 0, margin + cols // 2).color.triplet
        right = cell_style(boundary, 0, margin + cols - 1).color.triplet
        assert left.blue > left.red  # negative: blue
        assert right.red > right.blue  # positive: red
        assert min(middle) > max(min(left), min(right))  # near zero: pale
        line, column = plot_cell(boundary, -5.0, 0.0)
        point = cell_style(boundary, line, column).color.triplet
        assert lines_of(boundary)[line][column] == TRAIN_GLYPH and point.blue > point.red
        assert TRAIN_GLYPH == TRAIN_GLYPHS[0] and TEST_GLYPH == TEST_GLYPHS[0]


async def test_boundary_reads_a_regression_network_drawn_before_set_data():
    boundary = DecisionBoundary()
    async with OneWidget(boundary).run_test(size=(50, 12)) as pilot:
        boundary.draw_model(LinearRegressionNet())
        await pilot.pause()
        margin, cols, _ = boundary._layout()
        left = cell_style(boundary, 0, margin).color.triplet
        right = cell_style(boundary, 0, margin + cols - 1).color.triplet
        assert left.blue > left.red and right.red > right.blue


def test_regression_scale_centres_on_zero_or_mid_range():
    assert regression_scale([np.array([-2.0, 1.0])]) == (0.0, 2.0)
    assert regression_scale([np.array([2.0, 4.0]), np.array([6.0])]) == (4.0, 2.0)
    assert regression_scale([np.array([np.nan])]) == (0.0, 1.0)


async def test_boundary_hint_without_network_and_tiny_sizes():
    boundary = DecisionBoundary()
    async with OneWidget(boundary).run_test(size=(40, 10)) as pilot:
        await pilot.pause()
        assert any("no network yet" in line for line in lines_of(boundary))
        set_plane(boundary, TRAIN_X, TRAIN_Y, TEST_X, TEST_Y, "classification", 2, (-6, 6), (-6, 6))
        await pilot.pause()
        assert any("no network yet" in line for line in lines_of(boundary))
        boundary.draw_model(SignNet())
        for size in [(1, 1), (3, 10), (10, 3), (4, 4), (19, 5), (20, 6)]:
            await pilot.resize_terminal(*size)
            await pilot.pause()
            boundary.draw_model(SignNet())
            lines = lines_of(boundary)
            if min(size) < 4:
                assert "".join(lines).strip() == ""
            else:
                assert HALF_BLOCK in "".join(lines)


async def test_boundary_survives_nan_networks_and_odd_data():
    boundary = DecisionBoundary()
    async with OneWidget(boundary).run_test(size=(30, 8)) as pilot:
        odd_X = np.array([[np.nan, 0.0], [np.inf, 1.0], [100.0, 100.0], [0.0, 0.0]])
        set_plane(boundary, odd_X, np.array([0, 1, 1, 5]), np.zeros((0, 2)), np.zeros(0),
                          "classification", 2, (0.0, 0.0), (np.nan, 1.0))
        boundary.draw_model(NanNet(is_classifier=True))
        await pilot.pause()
        assert HALF_BLOCK in "".join(lines_of(boundary))
        set_plane(boundary, odd_X, np.array([np.nan, np.inf, 1.0, 2.0]), None, None,
                          "regression", 1, (-6, 6), (-6, 6))
        boundary.draw_model(NanNet(is_classifier=False))
        await pilot.pause()
        margin, _, _ = boundary._layout()
        grey = cell_style(boundary, 1, margin).color.triplet
        assert grey.red == grey.green == grey.blue
        # A network the grid cannot be drawn for (one input) shows why instead of crashing.
        one_input = SimpleNamespace(n_inputs=1, is_classifier=True,
                                    forward=lambda X: np.ones((len(X), 2)) / 2)
        boundary.draw_model(one_input)
        await pilot.pause()
        assert any("cannot draw" in line for line in lines_of(boundary))


def test_boundary_calls_are_noops_when_not_mounted():
    boundary = DecisionBoundary()
    set_plane(boundary, TRAIN_X, TRAIN_Y, TEST_X, TEST_Y, "classification", 2, (-6, 6), (-6, 6))
    boundary.draw_model(SignNet())
    boundary.show_test = False
    assert boundary.grid is None


class AllWidgets(App):
    CSS_PATH = str(CSS)

    def compose(self) -> ComposeResult:
        yield DecisionBoundary()
        yield LossPlot()
        yield WeightsTable()
        yield StatusBar()


async def test_widgets_follow_a_real_training_run():
    X, y = datasets.make("spirals", n_samples=200, noise=0.1, seed=0, classes=3)
    X_train, y_train, X_test, y_test = datasets.split(X, y, test_ratio=0.2, seed=0)
    net = Network([2, 8, 3], ["tanh", "softmax"], seed=0)
    trainer = Trainer(net, X_train, y_train, TrainConfig(epochs=3, batch_size=32),
                      X_test=X_test, y_test=y_test)
    app = AllWidgets()
    async with app.run_test(size=(80, 60)) as pilot:
        boundary, plot = app.query_one(DecisionBoundary), app.query_one(LossPlot)
        table, bar = app.query_one(WeightsTable), app.query_one(StatusBar)
        set_plane(boundary, X_train, y_train, X_test, y_test, "classification", 3,
                  datasets.RANGE, datasets.RANGE)
        previous = ([w.copy() for w in net.weights], [b.copy() for b in net.biases])
        steps = list(trainer.steps())
        boundary.draw_model(net)
        plot.update_history(trainer.history)
        table.update_weights(net.weights, net.biases, *previous, activations=net.activations)
        history = trainer.history
        bar.update_status(status(False, trainer.epoch, steps[-1].step, 100.0,
                                 history.train_loss[-1], history.test_loss[-1],
                                 history.train_metric[-1], history.test_metric[-1],
                                 history.metric_name))
        await pilot.pause()
        assert boundary.grid is not None and not boundary.error
        text = "".join(lines_of(boundary))
        assert HALF_BLOCK in text and TRAIN_GLYPH in text and TEST_GLYPH in text
        assert len(plot.last_series["train loss"][0]) == 3
        assert lines_of(table)[0].startswith("layer 1/2  (2×8, tanh)")
        assert table.changed.any()
        assert f"epoch {trainer.epoch}" in bar.text


# -- WeightsTable --------------------------------------------------------------------------


def layers(seed: int = 0):
    rng = np.random.default_rng(seed)
    weights = [rng.normal(size=(3, 4)), rng.normal(size=(4, 2))]
    biases = [rng.normal(size=4), rng.normal(size=2)]
    return weights, biases


def test_format_value_is_compact():
    assert format_value(0.1234) == "+0.123"
    assert format_value(-0.1234) == "-0.123"
    assert format_value(12.345) == "+12.35"  # rounded half to even on the binary value
    assert format_value(-123.45) == "-123.5"
    assert format_value(12345.0) == "+1.2e4"
    assert format_value(-3e200) == "-3e200"
    assert format_value(math.nan) == "nan"
    assert format_value(math.inf) == "+inf"
    assert format_value(-math.inf) == "-inf"
    assert all(len(format_value(v)) <= 6 for v in [9.9996, 99.996, 999.96, -1e300, 1e-300])


async def test_weights_table_shows_every_weight_and_bias():
    weights, biases = layers()
    table = WeightsTable()
    async with OneWidget(table).run_test(size=(60, 12)) as pilot:
        table.update_weights(weights, biases, activations=["tanh", "softmax"])
        await pilot.pause()
        lines = lines_of(table)
        assert lines[0].startswith("layer 1/2  (3×4, tanh)")
        assert lines[1].split() == ["o0", "o1", "o2", "o3"]
        rows = [line.split() for line in lines[2:] if line.strip()]
        assert [row[0] for row in rows] == ["i0", "i1", "i2", "bias"]
        for i, row in enumerate(rows):
            expected = weights[0][i] if i < 3 else biases[0]
            assert row[1:] == [format_value(v) for v in expected]
        table.next_layer()
        await pilot.pause()
        lines = lines_of(table)
        assert lines[0].startswith("layer 2/2  (4×2, softmax)")
        assert [line.split()[0] for line in lines[2:] if line.strip()] == [
            "i0", "i1", "i2", "i3", "bias"]
        table.next_layer()  # wraps around
        assert table.layer_index == 0
        table.previous_layer()
        assert table.layer_index == 1


def value_styles(table: WeightsTable, line: int) -> list:
    """Styles of the value cells of one line (ignores label and spacing segments)."""
    return [segment.style for segment in table.render_line(line)
            if segment.text.strip() and segment.text.strip()[0] in "+-n"]


async def test_weights_table_marks_biggest_change_and_colours_by_sign():
    weights = [np.array([[0.5, -0.5], [0.25, -0.25]])]
    biases = [np.array([0.0, 0.1])]
    previous_weights = [w.copy() for w in weights]
    previous_biases = [b.copy() for b in biases]
    previous_weights[0][1, 0] -= 0.2  # the one big change
    previous_weights[0][0, 1] += 0.001
    table = WeightsTable()
    async with OneWidget(table).run_test(size=(40, 8)) as pilot:
        table.update_weights(weights, biases, previous_weights, previous_biases)
        await pilot.pause()
        assert table.changed.tolist() == [[False, False], [True, False], [False, False]]
        row0, row1 = value_styles(table, 2), value_styles(table, 3)
        assert row1[0].reverse and row1[0].bold
        assert not any(style.reverse for style in row0 + row1[1:])
        # Positive blue, negative red; bigger magnitude, stronger colour.
        assert row0[0].color.triplet.blue > row0[0].color.triplet.red
        assert row0[1].color.triplet.red > row0[1].color.triplet.blue
        assert row0[0].color.triplet.blue > row1[0].color.triplet.blue or row1[0].reverse
        # Styles come from one shared table: an update makes no new Style objects.
        before = {id(style) for style in row0}
        table.update_weights(weights, biases)
        await pilot.pause()
        assert {id(style) for style in value_styles(table, 2)} == before
        assert not table.changed.any()


class GreenPositives(App):
    CSS_PATH = str(CSS)
    CSS = "WeightsTable > .weights-table--positive { color: #00FF00; }"

    def compose(self) -> ComposeResult:
        yield WeightsTable()


async def test_weights_table_colours_come_from_the_stylesheet_and_theme():
    app = GreenPositives()
    async with app.run_test(size=(40, 8)) as pilot:
        table = app.query_one(WeightsTable)
        table.update_weights([np.array([[1.0, -1.0]])], [np.array([0.5, -0.5])])
        await pilot.pause()
        positive, negative = value_styles(table, 2)
        assert positive.color.triplet.green > 200 > positive.color.triplet.red
        assert negative.color.triplet.red > negative.color.triplet.blue  # the default
        dark_background = positive.bgcolor.triplet
        app.theme = "textual-light"
        await pilot.pause()
        positive, _ = value_styles(table, 2)
        assert sum(positive.bgcolor.triplet) > sum(dark_background) + 300
        assert positive.color.triplet.green > 200 > positive.color.triplet.red


async def test_weights_table_scrolls_a_big_layer():
    rng = np.random.default_rng(1)
    weights, biases = [rng.normal(size=(40, 30))], [rng.normal(size=30)]
    table = WeightsTable()
    async with OneWidget(table).run_test(size=(50, 12)) as pilot:
        table.update_weights(weights, biases)
        await pilot.pause()
        assert table.virtual_size.height == 2 + 41
        table.scroll_to(y=10, animate=False)
        await pilot.pause()
        lines = lines_of(table)
        assert lines[0].startswith("layer 1/1")  # the title stays
        assert lines[2].split()[0] == "i10"
        assert lines[2].split()[1] == format_value(weights[0][10, 0])
        table.scroll_end(animate=False)
        await pilot.pause()
        assert any(line.startswith("bias") for line in lines_of(table))
        table.scroll_to(x=7 * 5, animate=False)
        await pilot.pause()
        lines = lines_of(table)
        assert lines[1].split()[0] == "o5"


async def test_weights_table_survives_odd_input_and_tiny_size():
    table = WeightsTable()
    async with OneWidget(table).run_test(size=(40, 8)) as pilot:
        await pilot.pause()
        assert "no network yet" in lines_of(table)[0]
        table.update_weights([np.array([[np.nan, np.inf], [-np.inf, 1.0]])],
                             [np.array([0.0, np.nan])],
                             [np.array([[0.0, 0.0], [0.0, np.nan]])], [np.zeros(3)])
        await pilot.pause()
        text = "\n".join(lines_of(table))
        assert "nan" in text and "+inf" in text and "-inf" in text
        table.update_weights([np.zeros((0, 3))], [np.zeros(3)])
        table.update_weights([], [])
        await pilot.pause()
        assert "no network yet" in lines_of(table)[0]
        table.update_weights(*layers())
        await pilot.resize_terminal(1, 1)
        await pilot.pause()
        table.update_weights(*layers())
        table.next_layer()
        lines_of(table)


def test_weights_table_update_is_noop_when_not_mounted():
    table = WeightsTable()
    table.update_weights(*layers())
    table.next_layer()
    assert table.values.size == 0


# -- LossPlot ------------------------------------------------------------------------------


def test_downsample_keeps_min_and_max_of_every_bucket():
    rng = np.random.default_rng(0)
    y = rng.normal(size=1000)
    x = np.arange(1000.0)
    xs, ys = downsample_minmax(x, y, 10)
    assert len(xs) <= 21 and np.all(np.diff(xs) > 0) and xs[-1] == 999  # the last one too
    for bucket in np.array_split(np.arange(1000), 10):
        assert y[bucket].min() in ys and y[bucket].max() in ys
        assert x[bucket[np.argmin(y[bucket])]] in xs
    assert ys.min() == y.min() and ys.max() == y.max()


def test_downsample_short_constant_and_nan_input():
    xs, ys = downsample_minmax([1, 2, 3], [3.0, 1.0, 2.0], 10)
    assert xs.tolist() == [1, 2, 3] and ys.tolist() == [3.0, 1.0, 2.0]
    xs, ys = downsample_minmax(range(100), [1.0] * 100, 5)
    assert xs.tolist() == [0, 20, 40, 60, 80, 99]  # min = max: the first, and the last point
    assert set(ys.tolist()) == {1.0}
    xs, ys = downsample_minmax([0, 1, 2, 3], [np.nan, 1.0, np.inf, 2.0], 1)
    assert xs.tolist() == [1, 3]
    assert downsample_minmax([], [], 3)[0].size == 0
    assert downsample_minmax([0], [1.0], 0)[1].tolist() == [1.0]


async def test_loss_plot_draws_losses_and_metric():
    plot = LossPlot()
    async with OneWidget(plot).run_test(size=(60, 16)) as pilot:
        history = make_history(500)
        plot.update_history(history)
        await pilot.pause()
        assert set(plot.last_series) == {"train loss", "test loss", "train accuracy",
                                         "test accuracy"}
        xs, ys = plot.last_series["train loss"]
        assert len(xs) <= 2 * 60  # downsampled to the width
        assert min(ys) == min(history.train_loss) and max(ys) == max(history.train_loss)
        assert "loss / accuracy" in plot_text(plot)
        # The legend is in the border, so no curve hides under it.
        assert "test accuracy" not in plot_text(plot)
        assert "⠒loss" in plot.border_subtitle and "▄acc" in plot.border_subtitle

        plot.log_scale = True
        await pilot.pause()
        xs, ys = plot.last_series["train loss"]
        assert ys[0] == pytest.approx(math.log10(history.train_loss[0]))
        assert ys[-1] == pytest.approx(math.log10(history.train_loss[-1]))
        # The metric is not a loss: it keeps its linear scale.
        assert max(plot.last_series["train accuracy"][1]) <= 1.0
        assert "log10 loss" in plot_text(plot)


def app_text(app: App) -> str:
    return app.export_screenshot()


def plot_text(plot: LossPlot) -> str:
    """What plotext drew, as plain text."""
    return plot.render().plain


async def test_loss_plot_with_zero_one_and_odd_epochs():
    plot = LossPlot()
    async with OneWidget(plot).run_test(size=(50, 14)) as pilot:
        plot.update_history(None)
        await pilot.pause()
        assert "no epochs yet" in plot.last_title and plot.last_series == {}
        plot.update_history(make_history(0))
        await pilot.pause()
        assert plot.last_series == {}
        plot.update_history(make_history(1, "r2", test=False))
        await pilot.pause()
        assert set(plot.last_series) == {"train loss", "train R²"}
        history = make_history(5)
        history.train_loss = [1.0, math.nan, math.inf, 0.0, -1.0]
        plot.log_scale = True
        plot.update_history(history)
        await pilot.pause()
        assert plot.last_series["train loss"] == ([1.0], [0.0])
        plot.log_scale = False
        await pilot.pause()
        assert plot.last_series["train loss"] == ([1.0, 4.0, 5.0], [1.0, 0.0, -1.0])
        for size in [(1, 1), (5, 3), (12, 5)]:
            await pilot.resize_terminal(*size)
            plot.update_history(make_history(30))
            await pilot.pause()
            app_text(pilot.app)


def test_loss_plot_update_is_noop_when_not_mounted():
    plot = LossPlot()
    plot.update_history(make_history(3))
    assert plot.last_series == {}


# -- StatusBar -----------------------------------------------------------------------------


def test_format_status_fields():
    text = format_status(status(True, 12, 3400, 1234.4, 0.123456, math.nan, 0.95, 0.931,
                                "accuracy", note="rebuilt network")).plain
    assert text.startswith("▶ running")
    for part in ["epoch 12", "step 3400", "steps/s 1234", "loss 0.1235 / –",
                 "acc 95.0% / 93.1%", "rebuilt network"]:
        assert part in text
    text = format_status(status(False, 0, 0, 0.0, math.inf, None, math.nan, -0.5, "r2")).plain
    assert text.startswith("⏸ paused")
    assert "loss inf / –" in text and "R² – / -0.5" in text


def test_format_status_keeps_the_note_whole_in_a_narrow_line():
    args = (False, 1, 10, math.nan, 1.059, 0.9382, 0.425, 0.525, "accuracy")
    text = format_status(status(*args, note="10/frame │ one step"), width=60).plain
    assert len(text) == 60
    assert text.endswith("│ 10/frame │ one step") and "…" in text
    assert text.startswith("⏸ paused  epoch 1")
    wide = format_status(status(*args, note="10/frame │ one step"), width=200).plain
    assert "…" not in wide and "acc 42.5% / 52.5%" in wide


async def test_status_bar_fits_its_note_to_the_width():
    bar = StatusBar()
    async with OneWidget(bar).run_test(size=(60, 3)) as pilot:
        bar.update_status(status(False, 1, 10, math.nan, 1.059, 0.9382, 0.425, 0.525,
                                 "accuracy", note="10/frame │ reset to the initial weights"))
        await pilot.pause()
        assert "reset to the initial weights" in app_text(pilot.app).replace("&#160;", " ")


async def test_status_bar_shows_status_and_survives_tiny_size():
    bar = StatusBar()
    async with OneWidget(bar).run_test(size=(120, 3)) as pilot:
        bar.update_status(status(True, 7, 250, 99.0, 0.5, 0.6, 0.9, 0.8, "accuracy",
                                 note="hello"))
        await pilot.pause()
        assert bar.size.height == 1
        screen = app_text(pilot.app)
        assert "epoch 7" in bar.text and "0.5000 / 0.6000" in bar.text and "hello" in bar.text
        assert "epoch" in screen
        await pilot.resize_terminal(1, 1)
        bar.update_status(status(False, 1, 1, math.nan, math.nan, math.inf, -math.inf, math.nan,
                                 "r2"))
        await pilot.pause()
        app_text(pilot.app)


def test_status_bar_update_when_not_mounted():
    bar = StatusBar()
    bar.update_status(status(False, 1, 2, 3.0, 0.1, 0.2, 0.3, 0.4, "accuracy"))
    assert "epoch 1" in bar.text


class MagentaPaused(App):
    CSS_PATH = str(CSS)
    CSS = "StatusBar > .status-bar--paused { color: #FF00FF; }"

    def compose(self) -> ComposeResult:
        yield StatusBar()


async def test_status_bar_colours_come_from_the_stylesheet():
    app = MagentaPaused()
    async with app.run_test(size=(80, 3)) as pilot:
        bar = app.query_one(StatusBar)
        bar.update_status(status(False, 1, 2, 3.0, 0.1, 0.2, 0.3, 0.4, "accuracy"))
        await pilot.pause()
        paused = bar.render().spans[0].style
        assert paused.color.triplet == (255, 0, 255) and paused.bold
        bar.update_status(status(True, 1, 2, 3.0, 0.1, 0.2, 0.3, 0.4, "accuracy"))
        assert bar.render().spans[0].style.color.number == 2  # ansi_green, as "green" was
