"""Screenshots of the app paused after a fixed number of steps (pytest-textual-snapshot).

Deterministic by construction: fixed seeds, paused (steps/s shows "–"), no focused Input (no
cursor), no notifications. Update with `pytest tests/tui/test_snapshots.py --snapshot-update`
and look at the SVGs before committing them.
"""

from __future__ import annotations

from ffnn.core import DataSpec, Experiment, NetSpec, TrainConfig
from ffnn.tui.app import FfnnApp


def snapshot_app() -> FfnnApp:
    experiment = Experiment(
        DataSpec(name="spirals", n_samples=200, noise=0.1, classes=3, seed=0),
        NetSpec(hidden=[8, 8], activations=["tanh", "tanh"], seed=0),
        TrainConfig(learning_rate=0.3, batch_size=32, epochs=None, seed=0),
    )
    return FfnnApp(experiment=experiment, input_cursor_blink=False)


async def train_a_little(pilot) -> None:
    """Three epochs and two steps, all while paused."""
    await pilot.press("N", "N", "N", "n", "n")
    await pilot.pause()


def test_wide_layout(snap_compare):
    assert snap_compare(snapshot_app(), terminal_size=(120, 40), run_before=train_a_little)


def test_compact_layout(snap_compare):
    assert snap_compare(snapshot_app(), terminal_size=(80, 24), run_before=train_a_little)


def test_compact_layout_loss_tab(snap_compare):
    async def loss_tab(pilot) -> None:
        await train_a_little(pilot)
        await pilot.press("v")
        await pilot.pause()

    assert snap_compare(snapshot_app(), terminal_size=(80, 24), run_before=loss_tab)


def test_too_small(snap_compare):
    assert snap_compare(snapshot_app(), terminal_size=(50, 15))


def test_wide_layout_csv_with_four_features(snap_compare, monkeypatch):
    """Own data: the CSV fields filled, a pair of the four features, the confusion matrix."""
    from pathlib import Path

    from ffnn.tui.commands.launch import parse_app_args

    monkeypatch.chdir(Path(__file__).resolve().parents[2])  # the path shows as typed
    run = parse_app_args(["--data", "assets/flowers.csv", "--target", "species", "--lr", "0.3"])

    async def train_and_pick_a_pair(pilot) -> None:
        await train_a_little(pilot)
        await pilot.press("f", "f")
        await pilot.pause()

    assert snap_compare(FfnnApp(run=run, input_cursor_blink=False),
                        terminal_size=(120, 40), run_before=train_and_pick_a_pair)


def test_wide_layout_light_theme(snap_compare):
    """The views take their colours from the theme: a light theme lightens the boundary's
    background and darkens its points and the loss curves (the component classes in
    widgets.tcss); the panes' subtitles (the loss legend) stay readable."""
    async def light(pilot) -> None:
        await train_a_little(pilot)
        pilot.app.theme = "textual-light"
        await pilot.pause()

    assert snap_compare(snapshot_app(), terminal_size=(120, 40), run_before=light)


def test_wide_layout_no_color(snap_compare, monkeypatch):
    """NO_COLOR (App.__init__ reads it): the boundary draws one texture per class region
    (· ╱ ─ for the three spirals) and one glyph per class, and each loss curve has its own
    marker (⠒ ▄ + ×, named in the legend), so they read without colour."""
    monkeypatch.setenv("NO_COLOR", "1")
    app = snapshot_app()
    assert app.no_color
    assert snap_compare(app, terminal_size=(120, 40), run_before=train_a_little)
