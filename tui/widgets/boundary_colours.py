"""Colours, point glyphs and region textures of the decision boundary (decision_boundary.py).

The colours come from the widget's component classes (``decision-boundary--class-0`` … ``-8``,
``--low`` / ``--middle`` / ``--high`` for regression, ``--unknown`` for nan; see widgets.tcss), so
they follow the theme and a stylesheet can change them. The default class colours are the
Okabe–Ito palette, which stays distinct under the common colour-vision deficiencies.

Colour is never the only carrier: each class has its own point glyph (filled for training points,
hollow for test points), and without colour (NO_COLOR) a class region is drawn as its own texture
(dots, hatching, grid …) that thins out where the network is less confident.

Every cell of the plot is one integer code; a style and a glyph are looked up per code, so a frame
creates no Style objects after the first few. Code ranges:

    [0, _POINT_BASE)                   half-block region cell: top * N_REGION + bottom
    [_POINT_BASE, _TEXTURE_BASE)       point on a half block: (kind * N_POINT + point) * N_REGION
                                       + the region index under it
    [_TEXTURE_BASE, _TEXTURE_POINT)    texture cell (no colour): region index * 2 + shown
    [_TEXTURE_POINT, ...)              point on the plain background: kind * N_POINT + point
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rich.color import Color as RichColor
from rich.color import ColorSystem
from rich.style import Style

HALF_BLOCK = "▀"
# One glyph per class, filled for training points and hollow for test points. Ten glyphs against
# nine colours: (colour, glyph) pairs repeat only after lcm(9, 10) = 90 classes.
TRAIN_GLYPHS = "●▲■◆★▼✚✖◀▶"
TEST_GLYPHS = "○△□◇☆▽+×◁▷"
TRAIN_GLYPH, TEST_GLYPH = TRAIN_GLYPHS[0], TEST_GLYPHS[0]  # regression, and class 0
# Region textures without colour, one per class colour: dots, hatching, lines, grid.
TEXTURES = "·╱─╲│┼╳~:"
# 4×4 ordered dither: a texture cell is drawn where its threshold is below the confidence level.
_BAYER = np.array([[0, 8, 2, 10], [12, 4, 14, 6], [3, 11, 1, 9], [15, 7, 13, 5]])

# The defaults of the class component classes (widgets.tcss sets the same): Okabe–Ito.
OKABE_ITO: tuple[tuple[int, int, int], ...] = (
    (230, 159, 0),  # orange
    (86, 180, 233),  # sky blue
    (0, 158, 115),  # bluish green
    (240, 228, 66),  # yellow
    (0, 114, 178),  # blue
    (213, 94, 0),  # vermillion
    (204, 121, 167),  # reddish purple
    (153, 153, 153),  # grey
    (0, 0, 0),  # black (the stylesheet uses the theme's foreground, so it shows on dark themes)
)
PALETTE = OKABE_ITO
N_CLASS_COLOURS = len(PALETTE)
CLASS_COMPONENTS = tuple(f"decision-boundary--class-{i}" for i in range(N_CLASS_COLOURS))
SCALE_COMPONENTS = ("decision-boundary--low", "decision-boundary--middle",
                    "decision-boundary--high", "decision-boundary--unknown")
SCALE_DEFAULTS = ((59, 76, 192), (235, 235, 235), (180, 4, 38), (128, 128, 128))
AXIS_COMPONENT = "decision-boundary--axis"
COMPONENTS = frozenset((*CLASS_COMPONENTS, *SCALE_COMPONENTS, AXIS_COMPONENT))

N_BUCKETS = 8  # confidence shades per class
REGION_MIN, REGION_MAX = 0.15, 0.70  # share of class colour at lowest / highest confidence
TEXTURE_MIN, TEXTURE_MAX = 0.35, 0.75  # share of the foreground in a texture, likewise
N_DIVERGING = 17  # regression shades, odd so the middle is exactly the middle colour
REGRESSION_REGION = 0.65  # share of the diverging colour in the regression background
POINT_SHIFT = 0.35  # points: this much lighter (dark background) or darker than their class
# Hysteresis of the confidence shades, in buckets: while a point keeps its class, its shade
# changes only once the confidence leaves its bucket by this much (so a confidence hovering at
# a bucket edge does not repaint the cell on every redraw). A shown shade is at most this far
# from the exact one.
HYSTERESIS = 0.5

# Index layout of the region colour table: class × bucket, diverging shades, unknown.
N_CLASS_REGION = N_CLASS_COLOURS * N_BUCKETS
REGRESSION_OFFSET = N_CLASS_REGION
GREY_INDEX = REGRESSION_OFFSET + N_DIVERGING
N_REGION = GREY_INDEX + 1
# Index layout of the point table: class identities (colour and glyph), diverging, unknown.
N_POINT_CLASSES = math.lcm(N_CLASS_COLOURS, len(TRAIN_GLYPHS))
POINT_REGRESSION_OFFSET = N_POINT_CLASSES
POINT_GREY = POINT_REGRESSION_OFFSET + N_DIVERGING
N_POINT = POINT_GREY + 1
_POINT_BASE = N_REGION * N_REGION
_TEXTURE_BASE = _POINT_BASE + 2 * N_POINT * N_REGION
_TEXTURE_POINT = _TEXTURE_BASE + 2 * N_REGION

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class ThemeColours:
    """What the boundary's colours are made from, read from the widget's styles."""

    background: RGB
    foreground: RGB
    classes: tuple[RGB, ...] = OKABE_ITO
    scale: tuple[RGB, ...] = SCALE_DEFAULTS  # low, middle, high, unknown


def diverging_rgb(low: Sequence[float] = SCALE_DEFAULTS[0],
                  middle: Sequence[float] = SCALE_DEFAULTS[1],
                  high: Sequence[float] = SCALE_DEFAULTS[2]) -> np.ndarray:
    """(N_DIVERGING, 3) low → middle → high."""
    low_, mid, high_ = (np.asarray(c, dtype=np.float64) for c in (low, middle, high))
    t = np.linspace(-1.0, 1.0, N_DIVERGING)[:, None]
    return np.where(t < 0, mid + (low_ - mid) * -t, mid + (high_ - mid) * t)


def _blend(base: np.ndarray, colour: np.ndarray, share: np.ndarray | float) -> np.ndarray:
    return base + (colour - base) * share


def _rich(colours: np.ndarray) -> list[RichColor]:
    return [RichColor.from_rgb(*c) for c in np.rint(np.clip(colours, 0, 255)).astype(int)]


def class_indices(labels: np.ndarray, confidence: np.ndarray, n_classes: int,
                  previous: np.ndarray | None = None) -> np.ndarray:
    """Region-table index per grid point: class colour × confidence bucket (grey if not finite).

    Confidence is rescaled from [1/k, 1] (chance … certain) to [0, 1] before bucketing so that
    the shading uses the whole range whatever the number of classes. With ``previous`` (the
    indices drawn last, same shape) a point that keeps its colour keeps its shade unless its
    confidence moved more than HYSTERESIS buckets outside that shade's bucket.
    """
    k = max(int(n_classes), 2)
    finite = np.isfinite(confidence)
    chance = 1.0 / k
    level = (np.where(finite, confidence, 0.0) - chance) / (1.0 - chance) * N_BUCKETS
    bucket = np.clip(level.astype(np.int64), 0, N_BUCKETS - 1)
    label = np.asarray(labels).astype(np.int64, copy=False) % N_CLASS_COLOURS
    index = np.where(finite, label * N_BUCKETS + bucket, GREY_INDEX)
    if previous is None or previous.shape != index.shape:
        return index
    shown = previous % N_BUCKETS
    keep = ((previous < N_CLASS_REGION) & (previous // N_BUCKETS == label) & finite
            & (level >= shown - HYSTERESIS) & (level < shown + 1 + HYSTERESIS))
    return np.where(keep, previous, index)


def diverging_indices(values: np.ndarray, centre: float, scale: float) -> np.ndarray:
    """Shade index in 0..N_DIVERGING-1 of each value, -1 for nan/inf."""
    values = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(values)
    scale = scale if scale > 0 and math.isfinite(scale) else 1.0
    u = np.clip((np.where(finite, values, centre) - centre) / scale, -1.0, 1.0)
    index = np.rint((u + 1.0) / 2.0 * (N_DIVERGING - 1)).astype(np.int64)
    return np.where(finite, index, -1)


def regression_scale(targets: Sequence[np.ndarray]) -> tuple[float, float]:
    """Centre and half-width of the colour scale: around 0 if the targets straddle 0, else mid."""
    finite = [t[np.isfinite(t)] for t in (np.asarray(x, dtype=np.float64).ravel()
                                          for x in targets if x is not None)]
    finite = [t for t in finite if t.size]
    if not finite:
        return 0.0, 1.0
    low = min(float(t.min()) for t in finite)
    high = max(float(t.max()) for t in finite)
    if low < 0.0 < high:
        return 0.0, max(-low, high)
    centre = (low + high) / 2.0
    return centre, max((high - low) / 2.0, 1e-12)


def point_indices(values: np.ndarray, regression: bool, centre: float,
                  scale: float) -> np.ndarray:
    """Point-table index of each point: its class identity (colour and glyph) or its shade."""
    if regression:
        shade = diverging_indices(values, centre, scale)
        return np.where(shade >= 0, POINT_REGRESSION_OFFSET + shade, POINT_GREY)
    labels = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(labels)
    return np.where(finite, np.where(finite, labels, 0).astype(np.int64) % N_POINT_CLASSES,
                    POINT_GREY)


def half_block_codes(region: np.ndarray) -> np.ndarray:
    """(rows, cols) cell codes from a (2·rows, cols) region-index grid: two points per cell."""
    return region[0::2] * N_REGION + region[1::2]


def texture_codes(region: np.ndarray) -> np.ndarray:
    """(rows, cols) cell codes without colour: the upper point's class texture, drawn in a share
    of the cells that grows with the confidence (ordered dither)."""
    top = region[0::2]
    rows, cols = top.shape
    threshold = np.tile(_BAYER, (-(-rows // 4), -(-cols // 4)))[:rows, :cols]
    level = (top % N_BUCKETS + 1) * (16 // N_BUCKETS)
    shown = (top >= N_CLASS_REGION) | (threshold < level)  # regression / unknown: always
    return _TEXTURE_BASE + top * 2 + shown


def point_codes(point: np.ndarray, kind: int, under: np.ndarray, textured: bool) -> np.ndarray:
    """Cell codes of points of one kind (0 train, 1 test) over the region indices ``under``."""
    if textured:
        return _TEXTURE_POINT + kind * N_POINT + point
    return _POINT_BASE + (kind * N_POINT + point) * N_REGION + under


def glyph(code: int) -> str:
    """The character of a cell code."""
    if code < _POINT_BASE:
        return HALF_BLOCK
    if code < _TEXTURE_BASE:
        kind, point = divmod((code - _POINT_BASE) // N_REGION, N_POINT)
    elif code < _TEXTURE_POINT:
        index, shown = divmod(code - _TEXTURE_BASE, 2)
        if not shown or index >= N_CLASS_REGION:
            return " "
        return TEXTURES[index // N_BUCKETS]
    else:
        kind, point = divmod(code - _TEXTURE_POINT, N_POINT)
    glyphs = TEST_GLYPHS if kind else TRAIN_GLYPHS
    return glyphs[point % len(glyphs)] if point < N_POINT_CLASSES else glyphs[0]


class BoundaryColours:
    """The colour tables built from a ThemeColours, and the Style of every cell code (cached).

    With ``no_color`` the tables hold greys only: a texture's brightness follows the confidence,
    regression uses a dark-to-light ramp (the blue and red ends are the same grey once the
    terminal drops colour) and points take the foreground.
    """

    def __init__(self) -> None:
        self.key: tuple[ThemeColours, bool] | None = None
        self.region: list[RichColor] = []
        self.points: list[RichColor] = []
        self.background = RichColor.default()
        self.styles: dict[int, Style] = {}
        # Codes that look the same on the terminal (after the colour system's downgrade) share
        # one representative code, so a change that cannot be seen is no change. Keyed per
        # colour system; cleared with the tables.
        self._representative: dict[tuple[ColorSystem, int], int] = {}
        self._by_look: dict[tuple, int] = {}

    def update(self, theme: ThemeColours, no_color: bool) -> bool:
        """Rebuild the tables if the theme changed; True if it did."""
        if (theme, no_color) == self.key:
            return False
        self.key = (theme, no_color)
        bg = np.array(theme.background, dtype=np.float64)
        fg = np.array(theme.foreground, dtype=np.float64)
        low, middle, high, unknown = (np.array(c, dtype=np.float64) for c in theme.scale)
        classes = np.array(theme.classes, dtype=np.float64)
        if no_color:
            shares = np.linspace(TEXTURE_MIN, TEXTURE_MAX, N_BUCKETS)
            textures = np.tile(_blend(bg, fg, shares[:, None]), (N_CLASS_COLOURS, 1))
            ramp = diverging_rgb(np.full(3, 20.0), np.full(3, 128.0), np.full(3, 235.0))
            region = np.concatenate([textures, ramp, unknown[None]])
            points = np.tile(fg, (N_POINT, 1))
        else:
            shares = np.linspace(REGION_MIN, REGION_MAX, N_BUCKETS)
            tinted = _blend(bg, classes[:, None, :], shares[None, :, None]).reshape(-1, 3)
            diverging = diverging_rgb(low, middle, high)
            region = np.concatenate([tinted, _blend(bg, diverging, REGRESSION_REGION),
                                     unknown[None]])
            dark = float(bg @ np.array([0.299, 0.587, 0.114])) < 128
            target = np.full(3, 255.0) if dark else np.zeros(3)
            class_points = _blend(classes, target, POINT_SHIFT)
            identities = class_points[np.arange(N_POINT_CLASSES) % N_CLASS_COLOURS]
            points = np.concatenate([identities, diverging, unknown[None]])
        self.region, self.points = _rich(region), _rich(points)
        self.background = _rich(bg[None])[0]
        self.styles.clear()
        self._representative.clear()
        self._by_look.clear()
        return True

    def canonical(self, codes: np.ndarray, system: ColorSystem | None) -> np.ndarray:
        """``codes`` with every code replaced by the representative of the codes that render
        the same under ``system`` (None or truecolor: unchanged, every colour is its own)."""
        if system is None or system == ColorSystem.TRUECOLOR:
            return codes
        unique, inverse = np.unique(codes, return_inverse=True)
        table = np.array([self._represent(int(code), system) for code in unique.tolist()],
                         dtype=codes.dtype)
        return table[inverse].reshape(codes.shape)

    def _represent(self, code: int, system: ColorSystem) -> int:
        key = (system, code)
        found = self._representative.get(key)
        if found is None:
            style = self.style(code)
            look = (system, glyph(code), style.bold,
                    None if style.color is None else style.color.downgrade(system)
                    .get_ansi_codes(),
                    None if style.bgcolor is None else style.bgcolor.downgrade(system)
                    .get_ansi_codes(False))
            found = self._representative[key] = self._by_look.setdefault(look, code)
        return found

    def style(self, code: int) -> Style:
        style = self.styles.get(code)
        if style is None:
            style = self.styles[code] = self._make_style(code)
        return style

    def _make_style(self, code: int) -> Style:
        region, points = self.region, self.points
        if code < _POINT_BASE:
            top, bottom = divmod(code, N_REGION)
            return Style(color=region[top], bgcolor=region[bottom])
        if code < _TEXTURE_BASE:
            rest, under = divmod(code - _POINT_BASE, N_REGION)
            return Style(color=points[rest % N_POINT], bgcolor=region[under], bold=True)
        if code < _TEXTURE_POINT:
            index = (code - _TEXTURE_BASE) // 2
            if index >= N_CLASS_REGION:  # regression shade or unknown: a solid cell
                return Style(color=region[index], bgcolor=region[index])
            return Style(color=region[index], bgcolor=self.background)
        point = (code - _TEXTURE_POINT) % N_POINT
        return Style(color=points[point], bgcolor=self.background, bold=True)
