"""The input plane as a character grid, coloured by the network's prediction.

Each character cell is a half block "▀": its foreground is the upper grid point and its
background the lower one, so a cols × rows cell area shows a cols × 2·rows prediction grid from
one vectorised forward pass (ffnn.core.metrics.decision_grid). Classification colours each point
by predicted class, faded toward the background as confidence drops; regression uses a
diverging scale. Training points (filled glyphs, one per class: ● ▲ ■ …) and test points (hollow:
○ △ □ …) are drawn on top. Without colour (NO_COLOR) each class region gets its own texture,
denser where the network is more confident. Colours, glyphs and textures: boundary_colours.py;
the colours themselves are component classes in widgets.tcss, so they follow the theme.

Rendering is Line API from a list of Strips built once per draw. Every cell is an integer code
whose Style is cached, so a frame creates no Style objects after the first few.

Bytes to the terminal (the app is used over SSH): a redraw refreshes only the cells that
changed, nothing at all when none did. Textual re-sends a refreshed line from the left edge of
the widget that owns it up to the refreshed region's end, so the widget is tiled into vertical
bands (child widgets that show their slice of the strips: the label margin, then BAND columns
each) and a change re-sends only its band's line up to the change. While the app trains
(``app.session.running``) the picture may lag the exact one a little: confidence shades have
hysteresis (boundary_colours.HYSTERESIS buckets), and a cell is refreshed only if the terminal
can show its change (a 256-colour terminal, the usual case over SSH, shows many shades as one).
A paused picture is exact: drawn again exactly SETTLE seconds after the last draw once
training has stopped.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from rich.console import COLOR_SYSTEMS
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget

from ffnn.core import datasets
from ffnn.core.metrics import decision_grid
from ffnn.tui.viewdata import PlaneData
from ffnn.tui.widgets.boundary_colours import (
    AXIS_COMPONENT,
    CLASS_COMPONENTS,
    COMPONENTS,
    GREY_INDEX,
    HALF_BLOCK,
    PALETTE,
    REGRESSION_OFFSET,
    SCALE_COMPONENTS,
    SCALE_DEFAULTS,
    TEST_GLYPH,
    TEST_GLYPHS,
    TRAIN_GLYPH,
    TRAIN_GLYPHS,
    BoundaryColours,
    ThemeColours,
    class_indices,
    diverging_indices,
    glyph,
    half_block_codes,
    point_codes,
    point_indices,
    regression_scale,
    texture_codes,
)
from ffnn.tui.widgets.colours import background_rgb

__all__ = ["HALF_BLOCK", "PALETTE", "TEST_GLYPH", "TEST_GLYPHS", "TRAIN_GLYPH", "TRAIN_GLYPHS",
           "DecisionBoundary", "regression_scale"]

BAND = 2  # plot columns per band (a refresh re-sends a band's line from its left edge)
SETTLE = 0.3  # seconds after the last draw with hysteresis: redraw exactly if paused by then
MIN_SIZE = 4  # below this in either direction nothing is drawn
AXES_MIN_WIDTH = 20  # room needed for a left margin with y labels and a bottom x axis line
AXES_MIN_HEIGHT = 6
DEFAULT_RANGE = datasets.RANGE  # until set_data gives the plane


def _axis_label(value: float) -> str:
    return f"{value:.3g}"


class BoundaryBand(Widget):
    """A vertical slice of the boundary: shows columns [x0, x1) of its owner's strips, so
    that a refresh of a few cells re-sends only this slice's line (see the module notes)."""

    DEFAULT_CSS = "BoundaryBand { height: 1fr; width: 1; }"

    def __init__(self, owner: DecisionBoundary) -> None:
        super().__init__()
        self.owner = owner
        self.x0, self.x1 = 0, 1

    def render_line(self, y: int) -> Strip:
        return self.owner.band_line(y, self.x0, self.x1)


class DecisionBoundary(Widget):
    """Predicted class (or value) over the input plane with the data points on top."""

    DEFAULT_CSS = "DecisionBoundary { layout: horizontal; overflow: hidden hidden; }"
    COMPONENT_CLASSES = COMPONENTS
    show_test: reactive[bool] = reactive(True)

    def __init__(self, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._network: Any = None
        self._points: list[tuple[np.ndarray, np.ndarray]] = [(np.zeros((0, 2)), np.zeros(0))] * 2
        self._has_data = False
        self.data_task = "classification"
        self.n_classes = 2
        self.x_range: tuple[float, float] = DEFAULT_RANGE
        self.y_range: tuple[float, float] = DEFAULT_RANGE
        self._shown_x, self._shown_y = self.x_range, self.y_range  # as the axis labels read
        self.features: tuple[int, int] = (0, 1)
        self.fixed: np.ndarray | None = None
        self.feature_names: list[str] | None = None
        self._centre, self._scale = 0.0, 1.0
        self.grid: Any = None  # the last DecisionGrid drawn (for tests and the app)
        self.error: str = ""  # why the last draw failed, if it did
        self._strips: list[Strip] = []
        # The plot's cell codes as the terminal shows them (BoundaryColours.canonical), to find
        # what changed between draws.
        self._codes: np.ndarray | None = None
        self._drawn_key: tuple = ()  # what else the strips depend on (size, margin)
        self._labels: list[str] = []  # the left labels the strips show
        self._bands: list[BoundaryBand] = []  # the slices on screen (see BAND)
        self._band_edges: list[int] = []
        self._last_region: np.ndarray | None = None  # region indices drawn last (hysteresis)
        self._lagging = False  # the picture may lag the exact one (drawn while training)
        self._settle_timer: Any = None
        self._pending = False  # a draw was asked for while hidden / zero-sized
        # Colour tables and the Style cache, rebuilt only when the theme or background changes.
        self._colours = BoundaryColours()
        self._theme: ThemeColours | None = None  # read from the styles; None after a change
        self._axis_style = Style(dim=True)

    # -- public API ---------------------------------------------------------------------------

    def set_data(self, plane: PlaneData, network: Any = None) -> None:
        """The plane to draw (ranges, shown features) and the points to overlay; with
        ``network`` (the one for this plane: after a rebuild the old one must not be drawn
        on the new plane) the boundary is drawn at once."""
        self.data_task = plane.task
        self.n_classes = int(plane.n_classes) if plane.n_classes else 1
        self.x_range = _sane_range(plane.x_range)
        self.y_range = _sane_range(plane.y_range)
        ux, uy = plane.units or ((0.0, 1.0), (0.0, 1.0))
        self._shown_x = tuple(v * ux[1] + ux[0] for v in self.x_range)
        self._shown_y = tuple(v * uy[1] + uy[0] for v in self.y_range)
        self.features = (int(plane.features[0]), int(plane.features[1]))
        self.fixed = None if plane.fixed is None else np.asarray(plane.fixed, dtype=np.float64)
        self.feature_names = list(plane.feature_names)
        self._points = [_as_points(plane.X_train, plane.y_train, self.features),
                        _as_points(plane.X_test, plane.y_test, self.features)]
        self._has_data = any(len(y) for _, y in self._points)
        self._last_region = None  # a new plane: shades start afresh
        if plane.task == "regression":
            self._centre, self._scale = regression_scale([y for _, y in self._points])
        if network is not None:
            self._network = network
        if self._network is not None:
            self.draw_model(self._network)  # the plane changed: a fresh pass is needed
        else:
            self._rebuild()

    def draw_model(self, network: Any) -> None:
        """One decision_grid() pass at the widget's current size, then refresh (only what
        changed)."""
        self._network = network
        if not self._visible():
            self._pending = True
            return
        self._pending = False
        self._compute_grid()
        self._rebuild()

    # -- layout --------------------------------------------------------------------------------

    def _visible(self) -> bool:
        return self.is_mounted and self.size.width > 0 and self.size.height > 0

    def _layout(self) -> tuple[int, int, int]:
        """(left margin width, plot columns, plot rows) for the current size."""
        width, height = self.size.width, self.size.height
        if width < MIN_SIZE or height < MIN_SIZE:
            return 0, 0, 0
        if width >= AXES_MIN_WIDTH and height >= AXES_MIN_HEIGHT:
            # Room for the tick labels and, up to 8 columns, the y feature's longest word.
            words = _words(self._names()[1])
            widest = max([len(_axis_label(v)) for v in self._shown_y] + [len(w) for w in words])
            margin = min(8, 1 + widest)
            return margin, width - margin, height - 1
        return 0, width, height

    # -- drawing -------------------------------------------------------------------------------

    def _compute_grid(self) -> None:
        _, cols, rows = self._layout()
        self.grid = None
        self.error = ""
        if cols == 0 or self._network is None:
            return
        try:
            self.grid = decision_grid(self._network, self.x_range, self.y_range, cols, rows * 2,
                                      features=self.features, fixed=self.fixed)
        except Exception as error:  # a render must never take the app down
            self.error = f"cannot draw: {error}"
            self.log.error("decision_grid failed", error)

    def _read_theme(self) -> ThemeColours:
        """The colours of the component classes (widgets.tcss), on the current background."""
        base = self.visual_style.rich_style
        foreground = base.color.get_truecolor() if base.color else (220, 220, 220)

        def colour(name: str, default: tuple[int, int, int]) -> tuple[int, int, int]:
            if not self.get_component_styles(name).has_rule("color"):
                return default  # no stylesheet rule (the widget used without widgets.tcss)
            rich = self.get_component_rich_style(name).color
            return tuple(rich.get_truecolor()) if rich is not None else default

        axis = self.get_component_rich_style(AXIS_COMPONENT).color  # (partial: no $text-muted)
        self._axis_style = base + Style(color=axis)
        return ThemeColours(
            background=background_rgb(self), foreground=tuple(foreground),
            classes=tuple(colour(n, d) for n, d in zip(CLASS_COMPONENTS, PALETTE, strict=True)),
            scale=tuple(colour(n, d) for n, d in zip(SCALE_COMPONENTS, SCALE_DEFAULTS,
                                                     strict=True)))

    def _ensure_colours(self) -> None:
        if self._theme is None or self._theme.background != background_rgb(self):
            self._theme = self._read_theme()
        self._colours.update(self._theme, self._no_color())

    def _no_color(self) -> bool:
        return bool(getattr(self.app, "no_color", False))

    def _region_indices(self) -> np.ndarray:
        grid = self.grid
        # The network decides how to read the grid (it may be drawn before set_data is called).
        if not getattr(self._network, "is_classifier", True):
            centre, scale = self._centre, self._scale
            if self.data_task != "regression" or not self._has_data:
                centre, scale = regression_scale([grid.values])
            shade = diverging_indices(grid.values, centre, scale)
            return np.where(shade >= 0, REGRESSION_OFFSET + shade, GREY_INDEX)
        n_outputs = getattr(self._network, "n_outputs", 2)
        k = max(self.n_classes, n_outputs if isinstance(n_outputs, int) else 2)
        region = class_indices(grid.labels, grid.confidence, k,
                               self._last_region if self._lagging else None)
        self._last_region = region
        return region

    def _training(self) -> bool:
        """Whether the app is training (then shades have hysteresis)."""
        return bool(getattr(getattr(self.app, "session", None), "running", False))

    def _settle(self) -> None:
        """Training stopped with a lagging picture on screen: draw it exactly."""
        self._settle_timer = None
        if self._lagging and not self._training():
            self._rebuild()  # (from the grid already computed: the network has not moved)

    def _cell_codes(self, cols: int, rows: int) -> np.ndarray:
        """(rows, cols) int cell codes (see boundary_colours): the regions, points on top."""
        region = self._region_indices()
        if region.shape != (rows * 2, cols):  # resized since the pass: wait for the next one
            raise ValueError("grid size mismatch")
        plain = self._no_color()  # no colour: textures, and points on the plain background
        textured = plain and getattr(self._network, "is_classifier", True)
        codes = texture_codes(region) if textured else half_block_codes(region)
        (x0, x1), (y0, y1) = self.x_range, self.y_range
        kinds = [0, 1] if self.show_test else [0]
        for kind in kinds:  # test points last, so they win a shared cell
            X, y = self._points[kind]
            if not len(y):
                continue
            with np.errstate(invalid="ignore", over="ignore"):
                col = np.floor((X[:, 0] - x0) / (x1 - x0) * cols)
                half = np.floor((y1 - X[:, 1]) / (y1 - y0) * rows * 2)
            inside = (np.isfinite(col) & np.isfinite(half) & (col >= 0) & (col < cols)
                      & (half >= 0) & (half < rows * 2))
            col = col[inside].astype(np.int64)
            half = half[inside].astype(np.int64)
            under = region[half, col]  # the region colour the glyph sits on
            point = point_indices(y[inside], self.data_task == "regression", self._centre,
                                  self._scale)
            codes[half // 2, col] = point_codes(point, kind, under, plain)
        return codes

    def _rebuild(self) -> None:
        """Turn the current grid and points into one Strip per line, then refresh."""
        if not self._visible():
            return
        # While training the picture may lag a little (shade hysteresis; cells whose change the
        # terminal cannot show are not refreshed); once paused it settles to the exact one.
        self._lagging = self._training()
        if self._lagging:
            if self._settle_timer is not None:
                self._settle_timer.stop()
            self._settle_timer = self.set_timer(SETTLE, self._settle)
        width, height = self.size.width, self.size.height
        margin, cols, rows = self._layout()
        base = self.visual_style.rich_style
        if cols == 0:
            self._publish([], None)
            return
        self._ensure_colours()
        hint = self.error or ("no network yet" if self._network is None else "")
        if self.grid is not None and not self.error:
            try:
                codes = self._cell_codes(cols, rows)
            except ValueError:  # grid is stale (size changed): recompute once
                self._compute_grid()
                codes = self._cell_codes(cols, rows) if self.grid is not None else None
        else:
            codes = None
        if codes is None:
            self._publish(_hint_strips(hint or "no data", width, height, base), None)
            return
        # While training, what the terminal will see decides what changed; when paused every
        # exact change is refreshed (so a screenshot, made from the exact styles, is exact).
        system = COLOR_SYSTEMS.get(self.app.console.color_system) if self._lagging else None
        looks = self._colours.canonical(codes, system)
        labels = self._left_labels(rows, margin - 1) if margin else None
        label_style = self._axis_style
        old_labels, self._labels = self._labels, labels or []
        strips = []
        for row, segments in enumerate(self._row_segments(codes)):
            if labels is not None:
                segments.insert(0, Segment(labels[row].rjust(margin - 1)[: margin - 1] + " ",
                                           label_style))
            strips.append(Strip(segments, width))
        if margin:
            strips.append(self._x_axis(margin, cols, label_style))
        self._publish(strips, looks, margin, old_labels)

    def _publish(self, strips: list[Strip], codes: np.ndarray | None, margin: int = 0,
                 old_labels: list[str] | None = None) -> None:
        """Show ``strips``, refreshing only the cells that differ from the ones shown before
        (in each band, a line up to its last changed cell); nothing if nothing differs."""
        old, old_codes = self._strips, self._codes
        width = self.size.width
        key = (self.size, margin, len(strips))
        self._strips, self._codes = strips, codes
        if (codes is None or old_codes is None or old_codes.shape != codes.shape
                or key != self._drawn_key):
            self._drawn_key = key
            self._arrange_bands(margin if codes is not None else 0, width)
            self.refresh()
            for band in self._bands:
                band.refresh()
            return
        rows, cols = codes.shape
        changed = np.zeros((len(strips), width), dtype=bool)  # per screen cell of the widget
        changed[:rows, margin:margin + cols] = codes != old_codes
        for y in range(rows, len(strips)):  # the x axis
            if strips[y] != old[y]:
                changed[y] = True
            else:
                strips[y] = old[y]  # keep the Strip (and the text it has rendered)
        old_labels = old_labels or []
        for y, label in enumerate(self._labels):
            if y >= len(old_labels) or old_labels[y] != label:
                changed[y, :margin] = True
        for band in self._bands:
            part = changed[:, band.x0:band.x1]
            lines = np.flatnonzero(part.any(axis=1))
            if not len(lines):
                continue
            ends = part.shape[1] - np.argmax(part[lines, ::-1], axis=1)  # past the last change
            band.refresh(*(Region(0, int(y), int(end), 1)
                           for y, end in zip(lines, ends, strict=True)))

    def _arrange_bands(self, margin: int, width: int) -> None:
        """Tile the width: the label margin, then BAND columns each."""
        edges = [0, *([margin] if margin else []), *range(margin + BAND, width, BAND), width]
        edges = sorted(set(e for e in edges if 0 <= e <= width))
        if edges == self._band_edges:
            return
        self._band_edges = edges
        spans = list(zip(edges, edges[1:], strict=False))
        if len(self._bands) < len(spans):
            new = [BoundaryBand(self) for _ in range(len(spans) - len(self._bands))]
            self._bands.extend(new)
            self.mount(*new)
        for index, band in enumerate(self._bands):
            if index < len(spans):
                band.x0, band.x1 = spans[index]
                band.styles.width = band.x1 - band.x0
                band.display = True
            else:
                band.display = False

    def band_line(self, y: int, x0: int, x1: int) -> Strip:
        """Columns [x0, x1) of line ``y`` (for the bands)."""
        return self.render_line(y).crop_extend(x0, x1, self.visual_style.rich_style)

    def _row_segments(self, codes: np.ndarray) -> list[list[Segment]]:
        """Run-length encode every row of cell codes into Segments (runs found in one pass)."""
        rows, cols = codes.shape
        starts = np.ones((rows, cols), dtype=bool)
        starts[:, 1:] = codes[:, 1:] != codes[:, :-1]
        flat_starts = np.flatnonzero(starts)
        ends = np.append(flat_starts[1:], rows * cols)
        ends = np.minimum(ends, (flat_starts // cols + 1) * cols)  # a run never crosses a row
        run_rows = (flat_starts // cols).tolist()
        run_codes = codes.ravel()[flat_starts].tolist()
        lengths = (ends - flat_starts).tolist()
        lines: list[list[Segment]] = [[] for _ in range(rows)]
        style = self._colours.style
        for row, code, length in zip(run_rows, run_codes, lengths, strict=True):
            lines[row].append(Segment(glyph(code) * length, style(code)))
        return lines

    def _names(self) -> tuple[str, str]:
        names = self.feature_names or []
        fx, fy = self.features
        return (names[fx] if fx < len(names) else f"x{fx}",
                names[fy] if fy < len(names) else f"x{fy}")

    def _left_labels(self, rows: int, width: int = 8) -> list[str]:
        """Tick labels at the ends, the y feature's name in the middle: one word per line
        ("petal" / "width"), so two names that share a first word stay distinct."""
        labels = [""] * rows
        name_lines = _words(self._names()[1], width) if rows > 2 else []
        name_lines = name_lines[: max(0, rows - 2)]
        start = max(1, rows // 2 - len(name_lines) // 2)
        for offset, line in enumerate(name_lines):
            if start + offset < rows - 1:
                labels[start + offset] = line
        labels[0] = _axis_label(self._shown_y[1])
        labels[-1] = _axis_label(self._shown_y[0])
        return labels

    def _x_axis(self, margin: int, cols: int, style: Style) -> Strip:
        low, high = _axis_label(self._shown_x[0]), _axis_label(self._shown_x[1])
        name = self._names()[0]
        if self.data_task == "regression":
            name += f"  (colour: {_axis_label(self._centre - self._scale)}…" \
                    f"{_axis_label(self._centre + self._scale)})"
        inner = max(0, cols - len(low) - len(high))
        line = (" " * margin + low + name[:inner].center(inner) + high).ljust(margin + cols)
        return Strip([Segment(line[: margin + cols], style)], margin + cols)

    # -- Textual hooks ---------------------------------------------------------------------------

    def watch_show_test(self, _old: bool, _new: bool) -> None:
        self._rebuild()

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)
        self._catch_up()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._theme = None  # the component classes may have changed too: read them again

    def _theme_changed(self, _theme: object) -> None:
        """A new theme (ctrl+p → theme): recolour the strips from the grid already computed."""
        self._theme = None
        self._rebuild()

    def on_resize(self) -> None:
        self._catch_up(resized=True)

    def _catch_up(self, resized: bool = False) -> None:
        if not self._visible():
            return
        if self._network is not None and (resized or self._pending):
            self.draw_model(self._network)
        else:
            self._rebuild()

    def render_line(self, y: int) -> Strip:
        if 0 <= y < len(self._strips):
            return self._strips[y]
        return Strip.blank(self.size.width, self.visual_style.rich_style)

    @property
    def lines(self) -> list[str]:
        """The plain text of every drawn line (for tests)."""
        return [strip.text for strip in self._strips]


def _words(name: str, width: int = 8) -> list[str]:
    """A feature name split into lines of at most ``width``: at "_", "-", "." and spaces
    first, then cut."""
    parts = [w for w in name.replace("_", " ").replace("-", " ").replace(".", " ").split()]
    if not parts:
        return [name[:width]] if name else []
    lines = []
    for part in parts:
        lines.extend(part[i:i + width] for i in range(0, len(part), max(1, width)))
    return lines


def _sane_range(bounds: tuple[float, float]) -> tuple[float, float]:
    """A finite, increasing (low, high); falls back to the default box."""
    try:
        low, high = float(bounds[0]), float(bounds[1])
    except (TypeError, ValueError, IndexError):
        return DEFAULT_RANGE
    if not (math.isfinite(low) and math.isfinite(high)):
        return DEFAULT_RANGE
    if high < low:
        low, high = high, low
    if high - low < 1e-12:
        low, high = low - 0.5, high + 0.5
    return low, high


def _as_points(
    X: np.ndarray | None, y: np.ndarray | None, features: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """The (n, 2) shown coordinates and the labels/targets; empty if missing or malformed."""
    empty = np.zeros((0, 2)), np.zeros(0)
    if X is None or y is None:
        return empty
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y).ravel()
    if X.ndim != 2 or X.shape[0] != y.shape[0] or max(features) >= X.shape[1] or min(features) < 0:
        return empty
    return X[:, list(features)], y


def _hint_strips(hint: str, width: int, height: int, base: Style) -> list[Strip]:
    strips = [Strip.blank(width, base) for _ in range(height)]
    strips[height // 2] = Strip([Segment(hint[:width].center(width), base + Style(dim=True))],
                                width)
    return strips
