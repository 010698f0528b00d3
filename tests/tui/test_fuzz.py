"""Seeded random use of the whole app: every key of the bindings table, typing into forms,
Tab / shift+Tab / Enter / Esc, arrows, PageUp / PageDown, the command palette, the save and
open prompts, resizes from 40×12 to 250×70 — in bursts with no pause (as a terminal delivers
keys) and spaced. Any exception fails the test; the seeds are fixed so a failure replays:

    pytest tests/tui/test_fuzz.py -k 3 -x
"""

from __future__ import annotations

import random

import pytest
from textual import events

from ffnn.core import DataSpec, Experiment, NetSpec, TrainConfig
from ffnn.tui.app import FfnnApp
from ffnn.tui.bindings import KEYS
from ffnn.tui.screens.main import MainScreen
from ffnn.tui.widgets.number_field import SETTLE

SEEDS = (1, 2, 3)
EVENTS = 500
# Every key of the main screen but quit (the run would end there), and what the dialogs use.
APP_KEYS = [k.key for k in KEYS if k.action != "quit"]
MOVES = ["tab", "shift+tab", "enter", "escape", "up", "down", "left", "right", "pageup",
         "pagedown", "home", "end", "backspace", "delete"]
TEXT = list("0123456789.-e,abcxyz_ /") + ["space"]
OPENERS = ["ctrl+p", "ctrl+s", "ctrl+o", "question_mark"]


class FuzzedApp(FfnnApp):
    """The app, except that quitting (typed letters can pick "Quit" in the palette) is
    counted rather than done, so the run goes on."""

    quits = 0

    async def action_quit(self) -> None:
        self.quits += 1


def fuzz_app() -> FfnnApp:
    experiment = Experiment(DataSpec(name="spirals", n_samples=200, classes=3, seed=0),
                            NetSpec(hidden=[6, 6], activations=["tanh", "tanh"], seed=0),
                            TrainConfig(epochs=None, seed=0))
    return FuzzedApp(experiment, input_cursor_blink=False)


def key_event(key: str) -> events.Key:
    char = " " if key == "space" else key if len(key) == 1 else None
    return events.Key(key, char)


def next_keys(rng: random.Random) -> list[str]:
    """One burst: a few keys of one kind or a mix."""
    kind = rng.random()
    if kind < 0.35:
        pool = APP_KEYS
    elif kind < 0.6:
        pool = MOVES
    elif kind < 0.85:
        pool = TEXT
    else:
        pool = OPENERS + MOVES
    return [rng.choice(pool) for _ in range(rng.randint(1, 6))]


async def drive(pilot, rng: random.Random, n_events: int) -> None:
    """Keys are posted as a terminal delivers them; a pause is a short sleep, never Pilot's
    wait for an idle CPU (training keeps the CPU busy, so that wait takes up to a second).
    The app must still run after every burst: the failure names the last events."""
    done, recent = 0, []
    while done < n_events:
        if rng.random() < 0.04:
            size = (rng.randint(40, 250), rng.randint(12, 70))
            recent.append(f"resize {size}")
            await pilot.resize_terminal(*size)
            done += 1
        else:
            keys = next_keys(rng)
            spaced = rng.random() < 0.5  # else a burst: queued together, none handled between
            recent.append(f"{'spaced' if spaced else 'burst'} {keys} on "
                          f"{type(pilot.app.screen).__name__}")
            for key in keys:
                pilot.app.post_message(key_event(key))
                if spaced:
                    await pilot.pause(rng.choice((0.0, 0.005, 0.02)))
            await pilot.pause(0.005)
            done += len(keys)
        assert pilot.app.is_running and pilot.app.screen_stack, recent[-12:]


async def settled(pilot) -> None:
    """Wait until what the fuzz left queued (a field's settle timer, a rebuild) has landed:
    the experiment and the network stay the same for longer than a settle."""
    app = pilot.app
    for _ in range(40):
        before = (app.session.experiment, app.session.structure_version)
        await pilot.pause(SETTLE + 0.1)
        if (app.session.experiment, app.session.structure_version) == before:
            return


@pytest.mark.parametrize("seed", SEEDS)
async def test_random_use_never_crashes(seed, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the save prompt writes here
    app = fuzz_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await drive(pilot, random.Random(seed), EVENTS)
        app.session.pause()
        await pilot.pause(0.1)  # let what the fuzz queued land
        assert app.is_running
        # Still usable: back to the main screen, the settings follow an edit, one step trains.
        for _ in range(6):
            if isinstance(app.screen, MainScreen):
                break
            await pilot.press("escape")
            await pilot.pause(0.05)
        assert isinstance(app.screen, MainScreen)
        app.screen.set_focus(None)  # a field left sends its value: let that and any settle land
        await settled(pilot)
        # (The fuzz may have pushed the learning rate to 10 and diverged: start sanely.)
        await app.apply(app.session.experiment.with_values(**{"train.learning_rate": 0.01}))
        await pilot.press("r", "n")
        await settled(pilot)
        assert app.session.experiment.train.learning_rate == 0.01
        assert app.session.trainer.step_count == 1, (app.note, app.session.experiment,
                                                     app.session.finished, app.focused)
