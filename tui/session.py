"""The run behind the app: one ``Experiment`` (the only copy of the settings), the ``Run``
assembled from it, and the single ``Trainer.steps()`` generator the app advances a time slice
per frame.

Pure Python (no Textual), so all of it is unit-tested with a fake clock. An edit arrives as a
whole new experiment (``apply``), diffed against the current one through the settings table:
live settings (``Rule.live``: learning rate, batch size, L1/L2, optimizer …) are set on the
trainer in place; any other change assembles a new run. Building is transactional: the new
run is made and checked first and only then swapped in, so an edit that cannot work leaves
the running model untouched and raises ``SessionError`` with a one-line reason.

The session never words anything for the screen: what happened comes back as typed values
(``Applied``, ``Finished``, ``Diverged``) and the app says it (``ffnn.tui.notes``).
"""

from __future__ import annotations

import math
import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ffnn.core import (
    SETTINGS,
    Experiment,
    ExperimentError,
    Run,
    TrainingDiverged,
    assemble,
    load_experiment,
    save_experiment,
)

# Steps per frame, slowest first; None = as many as fit in the frame's time slice.
SPEEDS: tuple[int | None, ...] = (1, 2, 5, 10, 20, 50, 100, 200, 500, None)
DEFAULT_SPEED = SPEEDS.index(10)

CLOCK_CHECK = 0.0005  # advance() looks at the clock about every CLOCK_CHECK s of training
RATE_WINDOW = 1.0     # seconds of history behind the steps/s figure


class SessionError(ValueError):
    """An edit or action that cannot be applied; the message is one line for the user."""


@dataclass(frozen=True)
class Applied:
    """What an edit did: nothing, changed ``keys`` live, or rebuilt (``data``: new data)."""

    kind: str                      # "none" | "live" | "rebuild"
    keys: tuple[str, ...] = ()
    data: bool = False


@dataclass(frozen=True)
class Finished:
    epoch: int
    early: bool                    # stopped early (no improvement for ``patience`` epochs)
    patience: int | None


@dataclass(frozen=True)
class Diverged:
    error: TrainingDiverged
    learning_rate: float           # the rate it diverged with


class Session:
    """Owns the experiment, its run and the one step generator; the app drives it."""

    def __init__(self, run: Run, *, clock: Callable[[], float] = time.perf_counter) -> None:
        self.clock = clock
        self.run = run
        self.path: Path | None = run.path   # opened from or last saved to
        self.running = False
        self.speed_index = DEFAULT_SPEED
        self.finished = False            # the generator ended (epochs reached / early stop)
        self.diverged: Diverged | None = None
        self.events: list[Finished | Diverged] = []   # for the app to tell; pop_events()
        self.version = 0                 # bumps whenever parameters may have changed
        self.structure_version = 0       # bumps when data/network/trainer are replaced
        self.previous_params: list[np.ndarray] | None = None
        self._steps = None
        self._rate_samples: deque[tuple[float, int]] = deque()
        self._step_time = 1e-4           # EMA of seconds per step (sets the clock-check stride)

    # --- files -----------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | Path, **kwargs) -> Session:
        """A session for a saved experiment: the same network, optimizer state and history,
        so training continues where the saved run stopped. SessionError (one line) if the
        files cannot be read or no longer fit together."""
        try:
            loaded = load_experiment(Path(path).expanduser())
            run = assemble(loaded.experiment, loaded)
        except ValueError as error:
            raise SessionError(str(error)) from None
        return cls(run, **kwargs)

    def save(self, path: str | Path) -> Path:
        """Write the experiment, weights, trainer state and history; returns the TOML path.
        SessionError (one line) if it cannot be written."""
        try:
            saved = save_experiment(Path(path).expanduser(), self.experiment, self.trainer,
                                    self.dataset)
        except (ExperimentError, OSError) as error:
            raise SessionError(str(error)) from None
        self.path = saved
        return saved

    def data_name(self) -> str:
        """"spirals", or the CSV file's stem ("flowers")."""
        data = self.experiment.data
        return Path(data.path).stem if data.name == "csv" and data.path else data.name

    def default_name(self) -> str:
        """"spirals-2-8-8-3" — the data and the network's shape, for file names."""
        return f"{self.data_name()}-{'-'.join(str(k) for k in self.network.layer_sizes)}"

    # --- what the views read ------------------------------------------------------------
    @property
    def experiment(self) -> Experiment:
        return self.run.experiment

    @property
    def dataset(self):
        return self.run.dataset

    @property
    def network(self):
        return self.run.network

    @property
    def trainer(self):
        return self.run.trainer

    @property
    def steps_per_frame(self) -> int | None:
        return SPEEDS[self.speed_index]

    @property
    def steps_per_second(self) -> float:
        """Measured over the last second of running; nan while paused."""
        samples = self._rate_samples
        if not self.running or len(samples) < 2:
            return math.nan
        (t0, s0), (t1, s1) = samples[0], samples[-1]
        return (s1 - s0) / (t1 - t0) if t1 > t0 else math.nan

    def pop_events(self) -> list[Finished | Diverged]:
        events, self.events = self.events, []
        return events

    # --- play / pause / speed -----------------------------------------------------------
    def _train_on(self) -> None:
        """Asked to train after the end (epochs reached, stopped early, diverged): carry on,
        without an end, from where the trainer is."""
        config = self.trainer.config
        if config.epochs is not None and self.trainer.epoch >= config.epochs:
            self.finished = True  # e.g. a loaded run that had reached its epochs
        if self.finished:
            config.epochs = self.experiment.train.epochs = None
            self.trainer.stopped_early = False
            self.finished = False
            self._steps = None
        if self.diverged is not None:
            self.diverged = None
            self._steps = None  # the old generator died with the exception

    def play(self) -> None:
        self._train_on()
        self.running = True
        self._rate_samples.clear()

    def pause(self) -> None:
        self.running = False
        self._rate_samples.clear()

    def toggle(self) -> bool:
        self.pause() if self.running else self.play()
        return self.running

    def faster(self) -> None:
        self.speed_index = min(self.speed_index + 1, len(SPEEDS) - 1)

    def slower(self) -> None:
        self.speed_index = max(self.speed_index - 1, 0)

    # --- stepping ------------------------------------------------------------------------
    def advance(self, budget: float, max_steps: int | None = None, *,
                snapshot: bool = False, until_epoch_end: bool = False) -> int:
        """Pull up to ``max_steps`` updates (None: no limit) until ``budget`` seconds are
        spent, or until an epoch ends when ``until_epoch_end``. Returns the number of
        updates done. Divergence and the end of training pause the session and leave an
        event in ``events``. ``snapshot`` keeps the parameters as they were before."""
        if self.finished or self.diverged is not None:
            if self.running:
                self.pause()
            return 0
        if self._steps is None:
            self._steps = self.trainer.steps()
        if snapshot:
            self.previous_params = [p.copy() for p in self.network.params]
        clock = self.clock
        start = clock()
        deadline = start + budget
        stride = max(1, min(64, int(CLOCK_CHECK / self._step_time)))
        done = 0
        generator = self._steps
        try:
            # Overflow on the way to a divergence is reported by TrainingDiverged, not warnings.
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                while max_steps is None or done < max_steps:
                    step = next(generator)
                    done += 1
                    if until_epoch_end and step.epoch_end:
                        break
                    if done % stride == 0 and clock() >= deadline:
                        break
        except StopIteration:
            self._finish()
        except TrainingDiverged as error:
            self._diverge(error)
        end = clock()
        if done:
            self.version += 1
            self._step_time = 0.8 * self._step_time + 0.2 * max((end - start) / done, 1e-7)
        if self.running:
            samples = self._rate_samples
            samples.append((end, self.trainer.step_count))
            while len(samples) > 2 and end - samples[0][0] > RATE_WINDOW:
                samples.popleft()
        return done

    def step(self) -> int:
        """Exactly one mini-batch update (the `n` key)."""
        self._train_on()
        return self.advance(math.inf, 1, snapshot=True)

    def step_epoch(self) -> int:
        """Updates until the current epoch ends (the `N` key)."""
        self._train_on()
        return self.advance(math.inf, None, snapshot=True, until_epoch_end=True)

    def _finish(self) -> None:
        self.finished = True
        self.running = False
        trainer = self.trainer
        self.events.append(Finished(trainer.epoch, trainer.stopped_early,
                                    trainer.config.early_stopping_patience))

    def _diverge(self, error: TrainingDiverged) -> None:
        self.diverged = Diverged(error, self.trainer.config.learning_rate)
        self.running = False
        self._steps = None
        self.version += 1  # the trainer restored the last finite parameters
        self.events.append(self.diverged)

    # --- edits -------------------------------------------------------------------------
    def apply(self, experiment: Experiment) -> Applied:
        """Make ``experiment`` the session's: live settings change in place, anything else
        assembles a new run. SessionError (nothing changed) if it cannot work."""
        changed = tuple(self.experiment.changed(experiment))
        if not changed:
            return Applied("none")
        if all(SETTINGS[key].live for key in changed):
            self._apply_live(experiment, changed)
            return Applied("live", changed)
        data = any(key.startswith("data.") for key in changed)
        self._install(self._assemble(experiment, keep_data=not data))
        return Applied("rebuild", changed, data)

    def _apply_live(self, experiment: Experiment, changed: tuple[str, ...]) -> None:
        try:
            experiment.train.validate()
        except ValueError as error:
            raise SessionError(str(error)) from None
        experiment = experiment.copy()
        trainer = self.trainer
        for key in changed:
            name = key.split(".")[1]
            if name == "optimizer":
                trainer.set_optimizer(experiment.train.optimizer)  # its state starts fresh
            else:
                setattr(trainer.config, name, getattr(experiment.train, name))
        self.run.experiment = experiment
        if "train.epochs" in changed and self.finished:
            self.finished = trainer.config.epochs is not None and trainer.epoch >= \
                trainer.config.epochs
            self._steps = None

    def _assemble(self, experiment: Experiment, keep_data: bool) -> Run:
        """A new run for ``experiment`` (the current data when ``keep_data``; then an output
        or loss that cannot fit is refused rather than fitted)."""
        try:
            run = assemble(experiment.copy(), dataset=self.dataset if keep_data else None,
                           fit=not keep_data)
        except (ValueError, TypeError, KeyError) as error:
            raise SessionError(str(error)) from None
        run.path = self.path
        return run

    def reset(self, new_seed: bool = False) -> int:
        """Fresh initial weights from the seed (`r`), or from a new random seed (`R`);
        returns the seed."""
        seed = self.experiment.net.seed
        if new_seed:
            while seed == self.experiment.net.seed:
                seed = random.randrange(1, 100_000)
        experiment = self.experiment.with_values(**{"net.seed": seed, "train.seed": seed})
        self._install(self._assemble(experiment, keep_data=True))
        return seed

    def regenerate(self) -> int:
        """New data from the next data seed (the Regenerate button); returns that seed."""
        seed = (self.experiment.data.seed + 1) % (SETTINGS["data.seed"].rule.high + 1)
        self._install(self._assemble(self.experiment.with_values(**{"data.seed": seed}),
                                     keep_data=False))
        return seed

    def _install(self, run: Run) -> None:
        self.run = run
        self._steps = None
        self.finished = False
        self.diverged = None
        self.previous_params = None
        self._rate_samples.clear()
        self.version += 1
        self.structure_version += 1
