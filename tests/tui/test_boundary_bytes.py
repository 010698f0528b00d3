"""The boundary sends the terminal only what changed (issue 10, "Over SSH: bytes to the terminal").

Not timed: these check which refreshes a redraw asks Textual for. Byte counts at a real pty are
in tests/benchmarks/bench_bytes.py.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from rich.color import ColorSystem
from textual.app import App, ComposeResult
from textual.widget import Widget

import ffnn.tui.widgets.decision_boundary as decision_boundary_module
from ffnn.tui.viewdata import PlaneData
from ffnn.tui.widgets.boundary_colours import (
    HYSTERESIS,
    N_BUCKETS,
    BoundaryColours,
    ThemeColours,
    class_indices,
    half_block_codes,
)
from ffnn.tui.widgets.decision_boundary import BoundaryBand, DecisionBoundary

CSS = Path(decision_boundary_module.__file__).parent / "widgets.tcss"
SIZE = (60, 20)


class OneBoundary(App):
    CSS_PATH = str(CSS)

    def __init__(self, boundary: DecisionBoundary) -> None:
        super().__init__()
        self.boundary = boundary

    def compose(self) -> ComposeResult:
        yield self.boundary


class BoxNet:
    """Class 1 inside the box (x0, x1) × (y0, y1), class 0 outside; equally confident
    everywhere, so the only cells that differ between two boxes are the ones between them."""

    n_inputs = 2
    is_classifier = True
    dtype = np.float64

    def __init__(self, x0: float, x1: float, y0: float, y1: float) -> None:
        self.box = (x0, x1, y0, y1)

    def forward(self, X):
        x0, x1, y0, y1 = self.box
        inside = (X[:, 0] >= x0) & (X[:, 0] < x1) & (X[:, 1] >= y0) & (X[:, 1] < y1)
        p = np.where(inside, 0.95, 0.05)
        return np.stack([1.0 - p, p], axis=1)


def plane() -> PlaneData:
    X = np.array([[-4.0, 4.0], [4.0, -4.0]])
    return PlaneData(X, np.array([0, 1]), None, None, "classification", 2, (-6, 6), (-6, 6))


@pytest.fixture
def refreshes(monkeypatch):
    """Every refresh asked of the boundary or a band: (widget, regions); regions () = all."""
    calls: list[tuple[Widget, tuple]] = []
    for cls in (DecisionBoundary, BoundaryBand):
        original = cls.refresh

        def spy(self, *regions, _original=original, **kwargs):
            calls.append((self, regions))
            return _original(self, *regions, **kwargs)

        monkeypatch.setattr(cls, "refresh", spy)
    return calls


async def test_the_same_picture_again_refreshes_nothing(refreshes):
    boundary = DecisionBoundary()
    async with OneBoundary(boundary).run_test(size=SIZE) as pilot:
        boundary.set_data(plane(), BoxNet(-2, 2, -2, 2))
        await pilot.pause()
        before = list(boundary.lines)
        refreshes.clear()
        boundary.draw_model(BoxNet(-2, 2, -2, 2))  # a new object, the same picture
        boundary.draw_model(boundary._network)
        await pilot.pause()
        assert refreshes == []
        assert boundary.lines == before


async def test_a_small_change_refreshes_only_its_cells_in_their_bands(refreshes):
    boundary = DecisionBoundary()
    async with OneBoundary(boundary).run_test(size=SIZE) as pilot:
        boundary.set_data(plane(), BoxNet(-2, 2, -2, 2))
        await pilot.pause()
        margin, cols, rows = boundary._layout()
        old_codes = boundary._codes.copy()
        refreshes.clear()
        boundary.draw_model(BoxNet(-2, 3, -2, 2))  # the box grows to the right
        await pilot.pause()

        changed = np.zeros((len(boundary.lines), boundary.size.width), dtype=bool)
        changed[:rows, margin:margin + cols] = boundary._codes != old_codes
        assert 0 < changed.sum() < rows * cols // 4  # a small change, a few lines
        assert changed.any(axis=1).sum() < rows // 2

        # The widget itself is not refreshed; each band only on the lines it has changes on,
        # each from its left edge (Textual re-sends from there) to just past its last change.
        assert all(isinstance(widget, BoundaryBand) and regions for widget, regions in refreshes)
        asked = {}
        for band, regions in refreshes:
            for region in regions:
                assert region.x == 0 and region.height == 1
                asked[(band.x0, region.y)] = band.x0 + region.width
        expected = {}
        for band in boundary._bands:
            part = changed[:, band.x0:band.x1]
            for y in np.flatnonzero(part.any(axis=1)):
                expected[(band.x0, int(y))] = band.x0 + int(np.flatnonzero(part[y])[-1]) + 1
        assert asked == expected


async def test_bands_tile_the_widget_and_show_its_strips():
    boundary = DecisionBoundary()
    async with OneBoundary(boundary).run_test(size=SIZE) as pilot:
        boundary.set_data(plane(), BoxNet(-2, 2, -2, 2))
        await pilot.pause()
        bands = [band for band in boundary._bands if band.display]
        assert bands[0].x0 == 0 and bands[-1].x1 == boundary.size.width
        assert all(a.x1 == b.x0 for a, b in zip(bands, bands[1:], strict=False))
        assert all(band.region.x - boundary.content_region.x == band.x0 for band in bands)
        for y, line in enumerate(boundary.lines):
            assert "".join(band.render_line(y).text for band in bands).rstrip() == line.rstrip()


def test_codes_that_look_the_same_in_256_colours_become_one():
    colours = BoundaryColours()
    colours.update(ThemeColours(background=(0, 0, 0), foreground=(255, 255, 255)), False)
    # Two region shades that are distinct in truecolor but one 256-colour index.
    looks = [c.downgrade(ColorSystem.EIGHT_BIT).get_ansi_codes() for c in colours.region]
    first = next(i for i in range(len(looks)) if looks.count(looks[i]) > 1)
    second = looks.index(looks[first], first + 1)
    assert colours.region[first] != colours.region[second]
    region = np.array([[first, second], [first, second]])
    codes = half_block_codes(region)  # one row: (first over first), (second over second)
    assert codes[0, 0] != codes[0, 1]
    assert (colours.canonical(codes, ColorSystem.TRUECOLOR) == codes).all()
    merged = colours.canonical(codes, ColorSystem.EIGHT_BIT)
    assert merged[0, 0] == merged[0, 1]


def test_shades_have_hysteresis_but_labels_and_big_moves_do_not():
    k = 2  # confidence 0.5 … 1 is level 0 … N_BUCKETS
    def level_to_confidence(level):
        return 0.5 + level / N_BUCKETS * 0.5

    labels = np.zeros(4, dtype=np.int64)
    first = class_indices(labels, np.full(4, level_to_confidence(3.5)), k)
    assert (first == 3).all()
    nudged = level_to_confidence(np.array([4.0 + HYSTERESIS / 2, 3.0 - HYSTERESIS / 2,
                                           4.0 + HYSTERESIS * 1.5, 3.5]))
    again = class_indices(np.array([0, 0, 0, 1]), nudged, k, previous=first)
    assert again.tolist() == [3, 3, 4 + int(HYSTERESIS * 1.5), N_BUCKETS + 3]
    # Without the previous picture it is the exact bucket.
    exact = class_indices(np.array([0, 0, 0, 1]), nudged, k)
    assert exact.tolist()[:2] == [4, 2]


async def test_shades_lag_only_while_training_and_settle_when_paused(monkeypatch):
    monkeypatch.setattr(decision_boundary_module, "SETTLE", 0.05)
    boundary = DecisionBoundary()
    app = OneBoundary(boundary)
    app.session = SimpleNamespace(running=True)
    async with app.run_test(size=SIZE) as pilot:
        boundary.set_data(plane(), BoxNet(-2, 2, -2, 2))
        await pilot.pause()

        class Nudged(BoxNet):  # a little less confident: level 7.2 → 6.88, a bucket down
            def forward(self, X):
                q = np.where(super().forward(X)[:, 1] > 0.5, 0.93, 0.07)
                return np.stack([1.0 - q, q], axis=1)

        shown = boundary._last_region.copy()
        boundary.draw_model(Nudged(-2, 2, -2, 2))
        await pilot.pause()
        exact = class_indices(boundary.grid.labels, boundary.grid.confidence, 2)
        assert (exact != shown).all()  # every shade moved a bucket …
        assert (boundary._last_region == shown).all()  # … and none is shown yet
        assert boundary._lagging
        app.session.running = False
        await pilot.pause(0.2)
        assert not boundary._lagging
        assert (boundary._last_region == exact).all()


def test_status_bar_refreshes_up_to_its_last_change_only():
    from rich.text import Text

    from ffnn.tui.widgets.status_bar import _changed_end

    old = Text("epoch 12  loss 0.25  │ note")
    assert _changed_end(old, Text("epoch 13  loss 0.25  │ note"), 80) == len("epoch 13")
    assert _changed_end(old, Text("epoch 12  loss 0.26  │ note"), 80) == len("epoch 12  loss 0.26")
    assert _changed_end(old, Text("epoch 120  loss 0.25  │ note"), 80) is None  # shifted
    assert _changed_end(old, Text("epoch 13  loss 0.25  │ note"), 10) is None  # cut to fit
    styled = Text("epoch 13  loss 0.25  │ note")
    styled.stylize("bold", 0, 5)
    assert _changed_end(old, styled, 80) is None
