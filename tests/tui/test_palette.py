"""The command palette under fast keys. Textual 8.2.8's own palette crashes on two bursts a
terminal delivers easily (ctrl+p then PageDown at once; Enter twice on a command); the app's
palette must survive both, training must go on, and the command must run once.

``burst`` queues the keys in one go, as they arrive from a terminal: ``pilot.press`` waits
for each key to be handled, which hides both races."""

from __future__ import annotations

import pytest
from textual import events
from textual.app import App, ScreenStackError

from ffnn.core import DataSpec, Experiment, NetSpec, TrainConfig
from ffnn.tui.app import FfnnApp
from ffnn.tui.screens.main import MainScreen
from ffnn.tui.screens.palette import GuardedCommandPalette


async def burst(pilot, *keys: str) -> None:
    for key in keys:  # one character is typed text; anything longer is a key's name
        name = {" ": "space"}.get(key, key)
        pilot.app.post_message(events.Key(name, key if len(key) == 1 else None))
    await pilot.pause(0.4)


def make_app() -> FfnnApp:
    experiment = Experiment(DataSpec(name="spirals", n_samples=200, classes=3),
                            NetSpec(hidden=[8, 8], activations=["tanh", "tanh"]),
                            TrainConfig(epochs=None))
    return FfnnApp(experiment, input_cursor_blink=False)


@pytest.mark.parametrize("page", ["pagedown", "pageup"])
async def test_bare_textual_palette_crashes_on_a_page_key_burst(page):
    """Why the guard exists (if this starts passing, Textual fixed it)."""
    with pytest.raises(KeyError):
        async with App().run_test(size=(80, 24)) as pilot:
            await burst(pilot, "ctrl+p", page)


async def test_bare_textual_palette_crashes_on_enter_twice():
    with pytest.raises(ScreenStackError):
        async with App().run_test(size=(80, 24)) as pilot:
            await pilot.press("ctrl+p")
            await pilot.pause(0.3)
            await burst(pilot, "enter", "enter")


@pytest.mark.parametrize("keys", [("ctrl+p", "pagedown"), ("ctrl+p", "pageup"),
                                  ("ctrl+p", "pagedown", "pagedown", "pageup", "escape")])
async def test_page_keys_at_once_after_ctrl_p_keep_training(keys):
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("space")
        await burst(pilot, *keys)
        assert app.session.running
        steps = app.session.trainer.step_count
        await pilot.pause(0.3)
        assert app.session.trainer.step_count > steps  # still training
        if keys[-1] != "escape":
            assert isinstance(app.screen, GuardedCommandPalette)
            await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_enter_twice_on_a_command_runs_it_once():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause(0.3)
        await burst(pilot, *"add hidden", "enter", "enter")
        assert isinstance(app.screen, MainScreen)
        assert app.session.network.layer_sizes == [2, 8, 8, 8, 3]  # once, not twice
        await pilot.press("n")
        assert app.session.trainer.step_count == 1
