"""The training session behind the app: one experiment, its data, network and trainer, and the
single ``Trainer.steps()`` generator the app advances a time slice per frame.

Pure Python (no Textual): the app's frame loop calls ``advance()`` and reads ``version`` /
``structure_version`` to decide which views need a redraw, so all of this is unit-testable.

Edits from the config panel arrive as ``edit(section, name, value)``. Learning rate, batch size,
L1/L2 and the optimizer change in place (the next step uses them); anything else rebuilds the
network (fresh weights from the seed) and trainer. A rebuild is transactional: everything new is
built and checked first, and only then swapped in, so an edit that cannot work leaves the
running model untouched and raises ``SessionError`` with a one-line reason.
"""

from __future__ import annotations

import math
import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from ffnn.core import (
    ExperimentError,
    LoadedExperiment,
    TrainingDiverged,
    load_experiment,
    metrics,
    save_experiment,
)
from ffnn.core.csvdata import CsvError, read_columns
from ffnn.core.experiment import (
    Dataset,
    Experiment,
    build_data,
    build_network,
    build_trainer,
    default_loss,
    restore_trainer,
)

# Steps per frame, slowest first; None = as many as fit in the frame's time slice.
SPEEDS: tuple[int | None, ...] = (1, 2, 5, 10, 20, 50, 100, 200, 500, None)
DEFAULT_SPEED = SPEEDS.index(10)

# Training settings the trainer reads at every step: changed in place, no reset.
LIVE_FIELDS = ("learning_rate", "batch_size", "l1", "l2")

# Playground's quick learning-rate values (the `<` / `>` keys walk this ladder).
LEARNING_RATES = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)

# How often advance() looks at the clock: about every CLOCK_CHECK seconds of training.
CLOCK_CHECK = 0.0005
RATE_WINDOW = 1.0  # seconds of history behind the steps/s figure

_LABELS = {"learning_rate": "learning rate", "batch_size": "batch size", "l1": "L1", "l2": "L2",
           "n_samples": "samples", "test_ratio": "test ratio", "hidden": "hidden layers"}


class SessionError(ValueError):
    """An edit or action that cannot be applied; the message is one line for the user.
    ``field`` is the spec key it concerns ("data.classes"), when known."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def csv_columns(path: str | Path) -> list[str]:
    """The column names of a CSV file, to choose the target from. SessionError, one line
    naming the file, when it cannot be read."""
    try:
        return read_columns(path)
    except CsvError as error:
        raise SessionError(str(error), "data.path") from None


def experiment_files(path: str | Path) -> list[Path]:
    """The TOML and .npz files saving to ``path`` writes (as save_experiment names them:
    "run", "run.toml" and "run.npz" all mean run.toml + run.npz)."""
    path = Path(path).expanduser()
    base = path.with_suffix("") if path.suffix.lower() in (".toml", ".npz") else path
    return [base.with_name(base.name + ".toml"), base.with_name(base.name + ".npz")]


def shape_text(network) -> str:
    """"2-8-8-3 tanh,tanh,softmax" — how the status line names a network."""
    sizes = "-".join(str(k) for k in network.layer_sizes)
    return f"{sizes} {','.join(network.activations)}"


class Session:
    """Owns the experiment and the one step generator; the app drives it frame by frame."""

    def __init__(self, experiment: Experiment | None = None,
                 loaded: LoadedExperiment | None = None, *,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        self.clock = clock
        if loaded is not None and experiment is None:
            experiment = loaded.experiment
        if experiment is None:
            experiment = Experiment()
            experiment.train.epochs = None  # interactive: train until paused
        experiment = experiment.copy()
        self.dataset: Dataset | None = None
        self.running = False
        self.speed_index = DEFAULT_SPEED
        self.finished = False            # the generator ended (epochs reached / early stop)
        self.diverged: TrainingDiverged | None = None
        self.messages: list[str] = []    # for the app to notify(); see pop_messages()
        self.version = 0                 # bumps whenever parameters may have changed
        self.structure_version = 0       # bumps when data/network/trainer are replaced
        self.previous_params: list[np.ndarray] | None = None
        self._steps = None
        self._rate_samples: deque[tuple[float, int]] = deque()
        self._step_time = 1e-4           # EMA of seconds per step (sets the clock-check stride)
        try:
            dataset = build_data(experiment.data)
            # The experiment's output/loss may not fit the data (e.g. a CSV's task): fit them.
            experiment = experiment.fitted_to(dataset)
            network = loaded.network if loaded is not None else None
            trainer = build_trainer(experiment, dataset, network)
            if loaded is not None and network is not None:
                restore_trainer(trainer, loaded)
        except ValueError as error:
            raise SessionError(str(error), getattr(error, "field", None)) from None
        self.loss_auto = experiment.train.loss == default_loss(
            trainer.network.output_activation, dataset.task)
        # The file this run was opened from or last saved to (the default for the next save).
        self.path: Path | None = loaded.path if loaded is not None else None
        self._install(experiment, dataset, trainer)

    # --- files -----------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | Path, **kwargs) -> Session:
        """A session for a saved experiment: the same network, optimizer state and history,
        so training continues where the saved run stopped. SessionError (one line) if the
        files cannot be read or no longer fit together."""
        try:
            loaded = load_experiment(Path(path).expanduser())
        except ExperimentError as error:
            raise SessionError(str(error)) from None
        return cls(loaded.experiment, loaded, **kwargs)

    def save(self, path: str | Path) -> Path:
        """Write the experiment, weights, trainer state and history (atomically, all or
        nothing); returns the TOML path. SessionError (one line) if it cannot be written."""
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

    # --- what the confusion view reads ------------------------------------------------------
    def confusion(self) -> tuple[np.ndarray, str] | None:
        """(counts, split) of the current network: rows true class, columns predicted, on the
        test set ("test") or the training set when there is none ("train"). None for a
        regression."""
        dataset = self.dataset
        if dataset.task != "classification":
            return None
        if dataset.has_test:
            X, y, split = dataset.X_test, dataset.y_test, "test"
        else:
            X, y, split = dataset.X_train, dataset.y_train, "train"
        with np.errstate(all="ignore"):  # a diverged network predicts class 0 on nan
            predicted = self.network.predict(X)
        return metrics.confusion_matrix(y, predicted, dataset.n_classes), split

    # --- what the views read ------------------------------------------------------------
    @property
    def network(self):
        return self.trainer.network

    @property
    def steps_per_frame(self) -> int | None:
        return SPEEDS[self.speed_index]

    @property
    def speed_text(self) -> str:
        k = self.steps_per_frame
        return "max speed" if k is None else f"{k}/frame"

    @property
    def steps_per_second(self) -> float:
        """Measured over the last second of running; nan while paused."""
        samples = self._rate_samples
        if not self.running or len(samples) < 2:
            return math.nan
        (t0, s0), (t1, s1) = samples[0], samples[-1]
        return (s1 - s0) / (t1 - t0) if t1 > t0 else math.nan

    def scores(self) -> dict:
        """Latest per-epoch train/test loss and metric (nan before the first epoch)."""
        last = self.trainer.history.last()
        if last is None:
            return {"train_loss": math.nan, "test_loss": math.nan,
                    "train_metric": math.nan, "test_metric": math.nan}
        return last

    def previous_weights(self):
        """(weights, biases) as they were before the latest advance, or (None, None)."""
        if self.previous_params is None:
            return None, None
        return [p[:-1] for p in self.previous_params], [p[-1] for p in self.previous_params]

    def pop_messages(self) -> list[str]:
        messages, self.messages = self.messages, []
        return messages

    # --- play / pause / speed -----------------------------------------------------------
    def _train_on(self) -> None:
        """Asked to train after the end (epochs reached, stopped early, diverged): carry on,
        without an end, from where the trainer is."""
        config = self.trainer.config
        if config.epochs is not None and self.trainer.epoch >= config.epochs:
            self.finished = True  # e.g. a loaded run that had reached its epochs
        if self.finished:
            config.epochs = None
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
        if self.running:
            self.pause()
        else:
            self.play()
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
        updates done. Divergence and the end of training pause the session and leave a
        message in ``messages``."""
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
        if trainer.stopped_early:
            self.messages.append(
                f"Stopped early at epoch {trainer.epoch}: no improvement for "
                f"{trainer.config.early_stopping_patience} epochs. Space trains on.")
        else:
            self.messages.append(f"Finished {trainer.epoch} epochs. Space trains on.")

    def _diverge(self, error: TrainingDiverged) -> None:
        self.diverged = error
        self.running = False
        self._steps = None
        self.version += 1  # the trainer restored the last finite parameters
        lr = self.trainer.config.learning_rate
        lower = max((v for v in LEARNING_RATES if v < lr), default=lr / 10)
        cause = str(error).split("; try a lower learning rate")[0]
        self.messages.append(
            f"{cause[:1].upper()}{cause[1:]}. Paused with the last finite weights: lower the "
            f"learning rate (now {lr:g}; `<` makes it {lower:g}) and press r to reset.")

    # --- reset / rebuild ----------------------------------------------------------------
    def reset(self, new_seed: bool = False) -> str:
        """Fresh initial weights from the seed (`r`), or from a new random seed (`R`)."""
        experiment = self.experiment.copy()
        if new_seed:
            seed = random.randrange(1, 100_000)
            while seed == experiment.net.seed:
                seed = random.randrange(1, 100_000)
            experiment.net.seed = seed
            experiment.train.seed = seed
        self._rebuild(experiment, self.dataset)
        return (f"new seed {experiment.net.seed}: fresh weights" if new_seed
                else f"reset to the initial weights of seed {experiment.net.seed}")

    def regenerate(self) -> str:
        """New data from the next data seed (the Regenerate button)."""
        experiment = self.experiment.copy()
        experiment.data.seed = (experiment.data.seed + 1) % (2**32)
        self._rebuild(experiment, None)
        return f"new {experiment.data.name} data (data seed {experiment.data.seed}), weights reset"

    def edit(self, section: str, name: str, value) -> str:
        """Apply one validated form value. Returns a short note of what happened; raises
        SessionError (nothing changed) if the value cannot work with the rest."""
        if self._current(section, name) == value:
            return ""  # forms re-send values on mount and when retyped: nothing to do
        if section == "train" and name in LIVE_FIELDS:
            return self._set_live(name, value)
        if section == "data" and name == "csv":
            return self.use_csv(*value)
        if section == "train" and name == "optimizer":
            self.trainer.set_optimizer(value)
            self.experiment.train.optimizer = value
            return f"optimizer {value} (live; its state starts fresh)"
        experiment = self.experiment.copy()
        dataset = self.dataset
        loss_auto = self.loss_auto
        if section == "data":
            setattr(experiment.data, name, value)
            if name == "name" and value != "csv":
                experiment.data.path = experiment.data.target = None  # the file is left
            dataset = None
        elif section == "net" and name == "hidden":
            sizes, activations = value
            experiment.net.hidden, experiment.net.activations = list(sizes), list(activations)
        elif section == "net" and name == "seed":
            experiment.net.seed = value
            experiment.train.seed = value
        elif section == "net":
            setattr(experiment.net, name, value)
        elif section == "train" and name == "loss":
            if value != "auto":
                experiment.train.loss = value
            loss_auto = value == "auto"
        else:
            raise SessionError(f"unknown setting {section}.{name}")
        self._rebuild(experiment, dataset, loss_auto)
        label = _LABELS.get(name, name)
        if section == "data":
            return f"new data ({label}), rebuilt {shape_text(self.network)}"
        return f"rebuilt {shape_text(self.network)} ({label} changed)"

    def use_csv(self, path: str, target: str) -> str:
        """Train on a CSV file, predicting column ``target``: new data, rebuilt network.
        SessionError (nothing changed) naming the problem, e.g. load_csv's one line."""
        path, target = str(path).strip(), str(target).strip()
        if not path:
            raise SessionError("data file: enter the path of a CSV file", "data.path")
        if not target:
            raise SessionError("target: choose the column to predict", "data.target")
        data = self.experiment.data
        if (data.name, data.path, data.target) == ("csv", path, target):
            return ""
        experiment = self.experiment.copy()
        experiment.data.name, experiment.data.path, experiment.data.target = "csv", path, target
        try:
            self._rebuild(experiment, None)
        except SessionError as error:
            raise SessionError(str(error), error.field or "data.path") from None
        dataset = self.dataset
        kind = f"{dataset.n_classes} classes" if dataset.task == "classification" \
            else "regression"
        return (f"{Path(path).name}: {len(dataset.X_train) + len(dataset.X_test)} samples, "
                f"{dataset.n_features} features, {target} ({kind}); rebuilt "
                f"{shape_text(self.network)}")

    def _current(self, section: str, name: str):
        """The value a form field shows for (section, name) in the running session."""
        if section == "train" and name in LIVE_FIELDS:
            return getattr(self.trainer.config, name)
        if section == "train" and name == "loss":
            return "auto" if self.loss_auto else self.trainer.config.loss
        if section == "net" and name == "hidden":
            return (list(self.experiment.net.hidden), list(self.experiment.net.activations))
        spec = {"data": self.experiment.data, "net": self.experiment.net,
                "train": self.experiment.train}.get(section)
        return getattr(spec, name, None)

    def _set_live(self, name: str, value) -> str:
        config = replace(self.trainer.config, **{name: value})
        try:
            config.validate()
        except ValueError as error:
            raise SessionError(str(error), f"train.{name}") from None
        setattr(self.trainer.config, name, value)
        setattr(self.experiment.train, name, value)
        note = f"{_LABELS[name]} {value:g}"
        if name == "batch_size" and value > len(self.dataset.X_train):
            note += f" (full batch: {len(self.dataset.X_train)} samples)"
        return note + " (live)"

    def _rebuild(self, experiment: Experiment, dataset: Dataset | None,
                 loss_auto: bool | None = None) -> None:
        """Build data (if None), network and trainer for ``experiment``; swap them in only if
        everything worked."""
        try:
            if dataset is None:
                dataset = build_data(experiment.data)
            if loss_auto is None:
                loss_auto = self.loss_auto
            if self.dataset is None or dataset.task != self.dataset.task:
                experiment = experiment.fitted_to(dataset)  # output/loss that suit the task
                loss_auto = True
            activation, _ = experiment.resolve_output(dataset)
            if loss_auto:
                experiment.train.loss = default_loss(activation, dataset.task)
            network = build_network(experiment.net, dataset)
            trainer = build_trainer(experiment, dataset, network)
            with np.errstate(all="ignore"):
                network.forward(dataset.X_train[:2])
        except (ValueError, TypeError, KeyError) as error:
            raise SessionError(str(error), getattr(error, "field", None)) from None
        self.loss_auto = loss_auto
        self._install(experiment, dataset, trainer)

    def _install(self, experiment: Experiment, dataset: Dataset, trainer) -> None:
        self.experiment = experiment
        self.dataset = dataset
        self.trainer = trainer
        self._steps = None
        self.finished = False
        self.diverged = None
        self.previous_params = None
        self._rate_samples.clear()
        self.version += 1
        self.structure_version += 1
