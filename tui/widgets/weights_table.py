"""Every weight and bias of one layer, coloured by sign and size, with the last step's changes.

A Line API ScrollView (not a DataTable): only the lines in view are built, each from cached
Styles, so a large layer costs no more per frame than what fits on screen.

Layout (the first two lines and the row-label column stay put while the cells scroll):

    layer 1/3  (2×16, tanh)  max|w| 1.23
           o0     o1     o2  ...
    i0 +0.123 -0.456 +1.234
    i1 ...
    bias ...
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region, Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ffnn.tui.widgets.colours import blend

CELL_WIDTH = 7  # six characters of value plus one space
HEADER_LINES = 2  # title line + column-label line, both fixed while scrolling
N_LEVELS = 8  # colour intensity buckets by |w| / max|w|
CHANGED_FRACTION = 0.10  # the top 10% of |Δ| in the layer is highlighted

# Component classes (colours in widgets.tcss, so they follow the theme); the defaults apply
# where no stylesheet rule sets them. Sign is in the text too ("+" / "-"), and a changed cell is
# reversed and bold, so nothing is told by colour alone.
COMPONENTS = {
    "weights-table--negative": (235, 80, 80),
    "weights-table--positive": (70, 150, 255),
    "weights-table--zero": (110, 110, 110),  # the colour a value near zero fades to
}
_NONFINITE = Style(color="grey50", italic=True)
_TITLE = Style(bold=True)
_LABEL = Style(dim=True)
RGB = tuple[int, int, int]


def format_value(value: float) -> str:
    """Six characters at most: "+0.123", "-12.35", "+123.4", "+1.2e4", "nan", "-inf"."""
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "+inf" if value > 0 else "-inf"
    magnitude = abs(value)
    if magnitude < 9.9995:
        return f"{value:+.3f}"
    if magnitude < 99.995:
        return f"{value:+.2f}"
    if magnitude < 999.95:
        return f"{value:+.1f}"
    for decimals in (1, 0):
        mantissa, exponent = f"{value:+.{decimals}e}".split("e")
        text = f"{mantissa}e{int(exponent)}"
        if len(text) <= 6:
            break
    return text


def build_styles(negative: RGB = COMPONENTS["weights-table--negative"],
                 positive: RGB = COMPONENTS["weights-table--positive"],
                 zero: RGB = COMPONENTS["weights-table--zero"]) -> list[Style]:
    """Style table indexed by sign (0 neg, 1 pos) * 2N + changed * N + level; last is non-finite.

    Built once per theme: a frame never creates a Style.
    """
    styles = []
    for rgb in (negative, positive):
        for changed in (False, True):
            for level in range(N_LEVELS):
                colour = blend(zero, rgb, (level + 1) / N_LEVELS)
                if changed:
                    styles.append(Style(color=colour, bold=True, reverse=True))
                else:
                    styles.append(Style(color=colour))
    styles.append(_NONFINITE)
    return styles


_STYLES = build_styles()
_NONFINITE_INDEX = len(_STYLES) - 1


def style_indices(values: np.ndarray, changed: np.ndarray, max_abs: float) -> np.ndarray:
    """Vectorised: the _STYLES index of every value."""
    finite = np.isfinite(values)
    scale = max_abs if max_abs > 0 and math.isfinite(max_abs) else 1.0
    ratio = np.abs(np.where(finite, values, 0.0)) / scale
    level = np.clip((ratio * N_LEVELS).astype(np.int64), 0, N_LEVELS - 1)
    index = (values >= 0).astype(np.int64) * (2 * N_LEVELS) + changed * N_LEVELS + level
    return np.where(finite, index, _NONFINITE_INDEX)


def changed_mask(delta: np.ndarray | None, shape: tuple[int, ...]) -> np.ndarray:
    """True where |Δ| is in the top CHANGED_FRACTION of the layer's non-zero changes."""
    if delta is None or delta.shape != shape or delta.size == 0:
        return np.zeros(shape, dtype=bool)
    magnitude = np.abs(delta)
    magnitude = np.where(np.isfinite(magnitude), magnitude, 0.0)
    peak = magnitude.max()
    if peak <= 0:
        return np.zeros(shape, dtype=bool)
    threshold = np.quantile(magnitude, 1.0 - CHANGED_FRACTION)
    # Never flag changes that are negligible next to the largest one (e.g. all tiny but unequal).
    threshold = max(threshold, peak * 1e-3)
    return magnitude >= threshold


def _layer_block(weights: np.ndarray, biases: np.ndarray) -> np.ndarray:
    """Weights (n_in, n_out) with the bias appended as a last row: (n_in + 1, n_out)."""
    w = np.atleast_2d(np.asarray(weights, dtype=np.float64))
    b = np.asarray(biases, dtype=np.float64).reshape(1, -1)
    if b.shape[1] != w.shape[1]:
        b = np.full((1, w.shape[1]), np.nan)
    return np.concatenate([w, b], axis=0)


class WeightsTable(ScrollView, can_focus=True):
    """The selected layer's weights (rows = inputs + bias, columns = output neurons).

    Focusable so the arrow / page keys scroll it; the app binds the keys that change layer.
    """

    COMPONENT_CLASSES = frozenset(COMPONENTS)
    # Named layer_index, not layer: Widget.layer is the CSS layer name the compositor arranges by.
    layer_index: reactive[int] = reactive(0)

    def __init__(self, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._weights: Sequence[np.ndarray] = ()
        self._biases: Sequence[np.ndarray] = ()
        self._previous_weights: Sequence[np.ndarray] | None = None
        self._previous_biases: Sequence[np.ndarray] | None = None
        self._activations: Sequence[str] | None = None
        self._dirty = False
        # Prepared view of the selected layer (a copy: the network keeps training in place).
        self._values = np.zeros((0, 0))
        self._style_index = np.zeros((0, 0), dtype=np.int64)
        self._changed = np.zeros((0, 0), dtype=bool)
        self._title = "no network yet"
        self._label_width = 5
        self._row_cache: dict[tuple[int, int, int], Strip] = {}
        self._column_strip = Strip([])
        self._column_text = ""
        # Style table combined with the widget's base style (see _base_styles).
        self._base: tuple[Style, tuple[RGB, ...]] | None = None
        self._colours: tuple[RGB, ...] | None = None  # the component classes' colours
        self._combined: list[Style] = []
        self._title_style = self._label_style = Style()
        # The view lines as last refreshed, and what they depend on besides the data: a redraw
        # refreshes only the lines that differ (blank and unchanged lines are not re-sent).
        self._shown: list[Strip] = []
        self._shown_key: tuple = ()

    # -- public API ---------------------------------------------------------------------------

    @property
    def n_layers(self) -> int:
        return len(self._weights)

    def update_weights(
        self,
        weights: Sequence[np.ndarray],
        biases: Sequence[np.ndarray],
        previous_weights: Sequence[np.ndarray] | None = None,
        previous_biases: Sequence[np.ndarray] | None = None,
        activations: Sequence[str] | None = None,
    ) -> None:
        """Show the layers' current values; cells that moved most since `previous_*` stand out.

        Only references are kept here; the selected layer is copied and styled when the widget
        is on screen (so this is a cheap no-op while hidden or zero-sized).
        """
        self._weights = list(weights) if weights is not None else []
        self._biases = list(biases) if biases is not None else []
        self._previous_weights = previous_weights
        self._previous_biases = previous_biases
        if activations is not None:
            self._activations = list(activations)
        self._dirty = True
        if self.n_layers and self.layer_index >= self.n_layers:
            self.layer_index = self.n_layers - 1  # the watcher prepares
            return
        self._prepare_if_visible()

    def next_layer(self) -> None:
        if self.n_layers:
            self.layer_index = (self.layer_index + 1) % self.n_layers

    def previous_layer(self) -> None:
        if self.n_layers:
            self.layer_index = (self.layer_index - 1) % self.n_layers

    @property
    def values(self) -> np.ndarray:
        """The shown block: weights (n_in, n_out) with the bias row appended (for tests)."""
        return self._values

    @property
    def changed(self) -> np.ndarray:
        """Boolean mask over `values` of the highlighted (most changed) cells."""
        return self._changed

    # -- reactive / events -------------------------------------------------------------------

    def validate_layer_index(self, layer: int) -> int:
        if self.n_layers == 0:
            return 0
        return max(0, min(int(layer), self.n_layers - 1))

    def watch_layer_index(self, _old: int, _new: int) -> None:
        self._dirty = True
        if self.is_mounted:
            self.scroll_to(0, 0, animate=False)
        self._prepare_if_visible()

    def on_mount(self) -> None:
        # (ScrollView's own on_mount handler also runs: Textual dispatches along the MRO.)
        self._prepare_if_visible()

    def on_resize(self) -> None:
        self._prepare_if_visible()

    # -- preparation -------------------------------------------------------------------------

    def _prepare_if_visible(self) -> None:
        if not self._dirty or not self.is_mounted or self.size.width == 0 or self.size.height == 0:
            return
        self._dirty = False
        self._prepare()
        self._refresh_changed_lines()

    def _refresh_changed_lines(self) -> None:
        """Refresh only the view lines whose strips differ from the ones refreshed last; all of
        them after a scroll, resize or theme change."""
        view = self.scrollable_content_region
        lines = [self.render_line(y) for y in range(view.height)]
        key = (self.scroll_offset, self.size, view.size, self._base)
        old, self._shown = self._shown, lines
        if key != self._shown_key or len(old) != len(lines):
            self._shown_key = key
            self.refresh()
            return
        regions = [Region(0, y, view.width, 1)
                   for y, (new, before) in enumerate(zip(lines, old, strict=True))
                   if new != before]
        if regions:
            self.refresh(*regions)

    def _prepare(self) -> None:
        self._row_cache.clear()
        n = self.n_layers
        if n == 0 or len(self._biases) != n:
            self._values = np.zeros((0, 0))
            self._style_index = np.zeros((0, 0), dtype=np.int64)
            self._changed = np.zeros((0, 0), dtype=bool)
            self._title = "no network yet"
            self._column_text = ""
            self._column_strip = Strip([])
            self.virtual_size = Size(len(self._title), 1)
            return
        i = self.layer_index
        block = _layer_block(self._weights[i], self._biases[i])
        delta = None
        pw, pb = self._previous_weights, self._previous_biases
        if pw is not None and pb is not None and len(pw) == n and len(pb) == n:
            try:
                delta = block - _layer_block(pw[i], pb[i])
            except ValueError:  # shapes differ (network rebuilt): nothing "changed"
                delta = None
        finite = block[np.isfinite(block)]
        max_abs = float(np.abs(finite).max()) if finite.size else 0.0
        self._values = block
        self._changed = changed_mask(delta, block.shape)
        self._style_index = style_indices(block, self._changed, max_abs)

        n_in, n_out = block.shape[0] - 1, block.shape[1]
        activation = ""
        if self._activations is not None and i < len(self._activations):
            activation = f", {self._activations[i]}"
        self._title = (f"layer {i + 1}/{n}  ({n_in}×{n_out}{activation})  "
                       f"max|w| {format_value(max_abs).lstrip('+')}")
        self._label_width = max(len("bias"), len(f"i{n_in - 1}")) + 1
        self._column_text = "".join(f"o{j}".rjust(CELL_WIDTH - 1) + " " for j in range(n_out))
        self._base_styles()
        self._column_strip = Strip([Segment(self._column_text, self._label_style)],
                                   len(self._column_text))
        # One cell's slack so that, with the snap to whole cells, the last column fits in view.
        width = self._label_width + n_out * CELL_WIDTH + CELL_WIDTH - 1
        self.virtual_size = Size(max(width, len(self._title)), HEADER_LINES + n_in + 1)

    def _theme_colours(self) -> tuple[RGB, ...]:
        """The component classes' colours, read again after every style update (a theme)."""
        if self._colours is None:
            colours = []
            for name, default in COMPONENTS.items():
                colour = self.get_component_rich_style(name).color
                if colour is None or not self.get_component_styles(name).has_rule("color"):
                    colours.append(default)  # no stylesheet rule (used without widgets.tcss)
                else:
                    colours.append(tuple(colour.get_truecolor()))
            self._colours = tuple(colours)
        return self._colours

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._colours = None

    def _base_styles(self) -> Style:
        """The widget's base style (theme colours), with the style table combined onto it.

        Segments of a Line API widget get no background from the widget, so every style is
        based on the widget's own; the combination is redone only when the theme changes.
        """
        base = self.visual_style.rich_style  # cached by Textual (rich_style is not)
        key = (base, self._theme_colours())
        if key != self._base:
            self._base = key
            self._combined = [base + style for style in build_styles(*key[1])]
            self._title_style = base + _TITLE
            self._label_style = base + _LABEL
            self._row_cache.clear()
            self._column_strip = Strip([Segment(self._column_text, self._label_style)],
                                       len(self._column_text))
        return base

    def _row_strip(self, row: int, first: int, count: int) -> Strip:
        """Cells first..first+count-1 of one data row (no label); cached until the next update.

        Only the cells in view are formatted, so a wide layer costs what the screen shows.
        """
        key = (row, first, count)
        strip = self._row_cache.get(key)
        if strip is None:
            if len(self._row_cache) > 512:  # scrolled around a lot: start over
                self._row_cache.clear()
            styles = self._combined
            space = Segment(" ", self.visual_style.rich_style)
            segments = []
            stop = first + count
            for value, index in zip(self._values[row, first:stop].tolist(),
                                    self._style_index[row, first:stop].tolist(), strict=True):
                segments.append(Segment(format_value(value).rjust(CELL_WIDTH - 1), styles[index]))
                segments.append(space)
            strip = Strip(segments, len(segments) // 2 * CELL_WIDTH)
            self._row_cache[key] = strip
        return strip

    # -- Line API ----------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        # The view without its scrollbars (self.size includes them).
        width = self.scrollable_content_region.width
        if width <= 0:
            return Strip([])
        base = self._base_styles()
        scroll_x, scroll_y = self.scroll_offset
        scroll_x -= scroll_x % CELL_WIDTH  # whole cells only: no half-cut numbers on the left
        if y == 0:
            title = Strip([Segment(self._title, self._title_style)], len(self._title))
            return title.crop_extend(0, width, base)
        if self._values.size == 0:
            return Strip.blank(width, base)
        label_width = min(self._label_width, width)
        cells_width = width - label_width
        if y == 1:
            label = Segment(" " * label_width, base)
            cells = self._column_strip.crop_extend(scroll_x, scroll_x + cells_width, base)
        else:
            row = y - HEADER_LINES + scroll_y
            if not 0 <= row < self._values.shape[0]:
                return Strip.blank(width, base)
            name = "bias" if row == self._values.shape[0] - 1 else f"i{row}"
            label = Segment(name.ljust(label_width)[:label_width], self._label_style)
            first = scroll_x // CELL_WIDTH
            cells = self._row_strip(row, first, -(-cells_width // CELL_WIDTH))
            cells = cells.crop_extend(0, cells_width, base)
        return Strip([label, *cells], width)
