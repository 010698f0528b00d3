"""Command line: ``ffnn-tui train ...`` trains headless; ``parse_app_args`` reads the app's
``ffnn-tui [experiment.toml] [flags]``.

Both modes share one set of experiment flags, one per DataSpec / NetSpec / TrainConfig field.
Every flag defaults to "not given" so a ``--config``/experiment file is the base and only the
flags typed on the command line override it. A bad value exits with status 2 and one line
naming the flag and what is allowed; training that diverges exits with status 1.
"""

from __future__ import annotations

import argparse
import json
import math
import signal
import sys
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ffnn.core import datasets, losses, optimizers
from ffnn.core.csvdata import TASKS
from ffnn.core.experiment import (
    DATASET_CHOICES,
    DTYPES,
    HIDDEN_ACTIVATIONS,
    MAX_SEED,
    OUTPUT_CHOICES,
    DataSpec,
    Experiment,
    ExperimentError,
    NetSpec,
    SpecError,
    build_data,
    build_network,
    build_trainer,
    check_loss,
    check_network_fits,
    resolve_output_activation,
    restore_trainer,
    task_of,
)
from ffnn.core.network import INITS
from ffnn.core.storage import (
    LoadedExperiment,
    export_dataset_csv,
    export_history_csv,
    export_weights_json,
    export_weights_npz,
    load_experiment,
    load_weights,
    save_experiment,
)
from ffnn.core.trainer import LR_SCHEDULES, MONITORS, TrainConfig, TrainingDiverged

PROG = "ffnn-tui"


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are exactly one line on stderr (no usage dump)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


# --- value parsers (argparse ``type=``): raise ArgumentTypeError with what is allowed ------


def _float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number (got {text!r})") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number (got {text!r})")
    return value


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number (got {text!r})") from None


def _optional_int(text: str) -> int | None:
    return None if text.strip().lower() in ("none", "inf", "forever") else _int(text)


def _message(error: ValueError, field_name: str) -> str:
    """A validator's message without its leading "field: " label (the flag names it)."""
    text = str(error)
    label, sep, rest = text.partition(": ")
    if sep and (isinstance(error, SpecError) or label == field_name):
        return rest
    return text


def _checked(section: type, field_name: str, parse):
    """A ``type=`` function: parse the text, then validate the value in a default spec, so
    the flag accepts exactly what the spec does and says so in the spec's words."""

    def convert(text: str):
        value = parse(text)
        try:
            section(**{field_name: value}).validate()
        except ValueError as error:
            raise argparse.ArgumentTypeError(_message(error, field_name)) from None
        return value

    convert.__name__ = field_name  # argparse shows it in "invalid <name> value" messages
    return convert


def _layers(text: str) -> list[int]:
    text = text.strip()
    if text.lower() in ("", "none", "[]"):
        return []
    try:
        sizes = [int(part) for part in text.replace(" ", "").split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated neuron counts like 16,16 or 'none' (got {text!r})"
        ) from None
    try:
        NetSpec(hidden=sizes, activations=["tanh"] * len(sizes)).validate()
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return sizes


def _activation(text: str) -> str:
    if text not in HIDDEN_ACTIVATIONS:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a hidden-layer activation; choose from "
            f"{', '.join(HIDDEN_ACTIVATIONS)}"
        )
    return text


def _activations(text: str) -> list[str]:
    return [_activation(part) for part in text.replace(" ", "").split(",") if part]


def _dest(flag: str) -> str:
    return flag.lstrip("-").replace("-", "_")


def _choice(flag: str):
    """A ``type=`` function accepting exactly the values ``_CHOICES[flag]`` lists."""
    choices = _CHOICES[flag]

    def convert(text: str) -> str:
        if text not in choices:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not allowed; choose from {', '.join(choices)}"
            )
        return text

    convert.__name__ = _dest(flag)
    return convert


def _data_field(field_name: str, parse):
    return _checked(DataSpec, field_name, parse)


def _train_field(field_name: str, parse):
    return _checked(TrainConfig, field_name, parse)


def _seed(text: str) -> int:
    value = _int(text)
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"must be a whole number 0–{MAX_SEED} (got {text!r})")
    return value


@dataclass(frozen=True)
class Flag:
    flag: str
    section: str | None      # "data" | "net" | "train" | None (handled specially)
    field: str
    type: object
    help: str
    metavar: str | None = None


_CHOICES = {
    "--dataset": DATASET_CHOICES, "--task": TASKS,
    "--output": OUTPUT_CHOICES, "--init": INITS, "--dtype": DTYPES,
    "--loss": tuple(losses.LOSSES), "--optimizer": tuple(optimizers.OPTIMIZERS),
    "--lr-schedule": LR_SCHEDULES, "--monitor": MONITORS,
}

EXPERIMENT_FLAGS = (
    Flag("--dataset", "data", "name", _choice("--dataset"),
         f"built-in dataset: {', '.join(datasets.NAMES)} (csv: use --data)", "NAME"),
    Flag("--samples", "data", "n_samples", _data_field("n_samples", _int),
         "number of generated samples", "N"),
    Flag("--noise", "data", "noise", _data_field("noise", _float),
         "noise of generated data (0 = clean)", "X"),
    Flag("--classes", "data", "classes", _data_field("classes", _int),
         "classes of a generated classification set (xor is always 2)", "K"),
    Flag("--test-ratio", "data", "test_ratio", _data_field("test_ratio", _float),
         "share of samples held out for testing (0 = none)", "R"),
    Flag("--data-seed", "data", "seed", _seed, "seed of data generation and split", "S"),
    Flag("--data", "data", "path", str, "train on a CSV file (header row required)", "FILE.csv"),
    Flag("--target", "data", "target", str, "CSV column to predict", "COLUMN"),
    Flag("--task", "data", "task", _choice("--task"),
         "CSV task: auto (text or few integers = classes), classification, regression"),
    Flag("--layers", "net", "hidden", _layers,
         "hidden layer sizes, e.g. 16,16 ('none' = no hidden layer)", "N,N,..."),
    Flag("--activation", None, "activation", _activation,
         f"activation of every hidden layer: {', '.join(HIDDEN_ACTIVATIONS)}", "NAME"),
    Flag("--activations", "net", "activations", _activations,
         "one activation per hidden layer, e.g. relu,tanh", "A,A,..."),
    Flag("--output", "net", "output", _choice("--output"),
         "output activation (auto: softmax for classes, identity for regression)"),
    Flag("--init", "net", "init", _choice("--init"), "weight initialisation"),
    Flag("--init-seed", "net", "seed", _seed, "seed of the initial weights", "S"),
    Flag("--dtype", "net", "dtype", _choice("--dtype"), "float precision"),
    Flag("--loss", "train", "loss", _choice("--loss"),
         "loss (default: the one matching the output activation)"),
    Flag("--optimizer", "train", "optimizer", _choice("--optimizer"), "optimizer"),
    Flag("--lr", "train", "learning_rate", _train_field("learning_rate", _float),
         "learning rate", "LR"),
    Flag("--batch-size", "train", "batch_size", _train_field("batch_size", _int),
         "mini-batch size", "N"),
    Flag("--epochs", "train", "epochs", _train_field("epochs", _optional_int),
         "total epochs to train ('none' = until stopped)", "N"),
    Flag("--l2", "train", "l2", _train_field("l2", _float), "L2 penalty (l2/2)·Σ‖W‖²", "X"),
    Flag("--l1", "train", "l1", _train_field("l1", _float), "L1 penalty l1·Σ|W|", "X"),
    Flag("--train-seed", "train", "seed", _seed, "seed of the mini-batch shuffles", "S"),
    Flag("--lr-schedule", "train", "lr_schedule", _choice("--lr-schedule"),
         "learning-rate schedule"),
    Flag("--lr-decay", "train", "lr_decay", _train_field("lr_decay", _float),
         "schedule factor in (0, 1]: step multiplies by it every --lr-step epochs, "
         "exponential every epoch", "X"),
    Flag("--lr-step", "train", "lr_step_epochs", _train_field("lr_step_epochs", _int),
         "epochs between step-schedule decays", "N"),
    Flag("--patience", "train", "early_stopping_patience",
         _train_field("early_stopping_patience", _optional_int),
         "stop after N epochs without improvement ('none' = never)", "N"),
    Flag("--monitor", "train", "early_stopping_monitor", _choice("--monitor"),
         "loss watched by early stopping"),
)

# Which flag to blame for a validation error, by the spec field it names.
FLAG_FOR_FIELD = {f"{f.section}.{f.field}": f.flag for f in EXPERIMENT_FLAGS if f.section}
FLAG_FOR_FIELD.update({"data.seed": "--seed", "net.seed": "--seed", "train.seed": "--seed"})


def _flag_for_error(error: ValueError) -> str | None:
    if isinstance(error, SpecError):
        return FLAG_FOR_FIELD.get(error.field)
    name = str(error).split(":", 1)[0]  # TrainConfig.validate(): "field: message"
    return FLAG_FOR_FIELD.get(f"train.{name}")


def add_experiment_arguments(parser: argparse.ArgumentParser) -> None:
    for title, section in (("data", "data"), ("network", "net"), ("training", "train")):
        group = parser.add_argument_group(title)
        for flag in EXPERIMENT_FLAGS:
            if flag.section == section or (flag.section is None and section == "net"):
                choices = _CHOICES.get(flag.flag)
                metavar = "{" + ",".join(choices) + "}" if choices else flag.metavar
                group.add_argument(flag.flag, dest=_dest(flag.flag), type=flag.type,
                                   default=argparse.SUPPRESS, help=flag.help, metavar=metavar)
    parser.add_argument("--seed", type=_seed, default=argparse.SUPPRESS, metavar="S",
                        help="one seed for data, initial weights and shuffles (the specific "
                             "--*-seed flags override it)")
    parser.add_argument("--weights", metavar="FILE.npz", default=argparse.SUPPRESS,
                        help="start from the weights in this .npz (shapes must match)")


# --- flags -> experiment -------------------------------------------------------------------


def _given(args: argparse.Namespace, flag: str) -> bool:
    return hasattr(args, _dest(flag))


def _get(args: argparse.Namespace, flag: str):
    return getattr(args, _dest(flag))


def apply_flags(base: Experiment, args: argparse.Namespace) -> Experiment:
    """A copy of ``base`` with every flag given in ``args`` applied (``base`` unchanged)."""
    experiment = base.copy()
    sections = {"data": experiment.data, "net": experiment.net, "train": experiment.train}
    if _given(args, "--seed"):
        for section in sections.values():
            section.seed = args.seed
    for flag in EXPERIMENT_FLAGS:
        if flag.section and _given(args, flag.flag):
            setattr(sections[flag.section], flag.field, _get(args, flag.flag))
    data, net = experiment.data, experiment.net
    if _given(args, "--data"):
        data.name = "csv"
    elif _given(args, "--dataset") and data.name != "csv":
        data.path = data.target = None
    if not _given(args, "--activations"):
        if _given(args, "--activation"):
            net.activations = [args.activation] * len(net.hidden)
        elif _given(args, "--layers") and len(net.activations) != len(net.hidden):
            first = net.activations[0] if net.activations else "tanh"
            net.activations = [first] * len(net.hidden)
    return experiment


def _settle_output(experiment: Experiment, problem, args) -> None:
    """Resolve the output layer and (when --loss was not given) pick the loss that fits it.
    Raises SpecError naming net.output / train.loss."""
    if problem is None:
        return
    if _given(args, "--loss"):
        task = task_of(problem)
        activation = resolve_output_activation(experiment.net.output, task)
        check_loss(experiment.train.loss, activation, task)
    else:
        experiment.train.loss = experiment.resolve_output(problem)[1]


def _fail(parser: argparse.ArgumentParser, error: Exception, flag: str | None = None):
    """Exit 2 with one line blaming ``flag`` (or the flag the error's field maps to)."""
    flag = flag or (_flag_for_error(error) if isinstance(error, ValueError) else None)
    if not flag:
        parser.error(str(error))
    label, sep, rest = str(error).partition(": ")
    field = getattr(error, "field", "").rpartition(".")[2]
    if sep and label in (flag.lstrip("-"), field, field.replace("_", " ")):
        parser.error(f"argument {flag}: {rest}")  # the flag already names what is wrong
    parser.error(f"argument {flag}: {error}")


def _validate(parser, experiment: Experiment, args) -> None:
    try:
        experiment.data.validate()
        experiment.net.validate()
        experiment.train.validate()
        _settle_output(experiment, experiment.data.known_task, args)
    except ValueError as error:
        _fail(parser, error)


def _load_base(parser, path, flag) -> LoadedExperiment:
    try:
        return load_experiment(path)
    except ExperimentError as error:
        _fail(parser, error, flag)


def _same_shape(a: Experiment, b: Experiment) -> bool:
    """Would both experiments build the same network on the same data?"""
    return a.data == b.data and replace(a.net, seed=0) == replace(b.net, seed=0)


def _keep_compatible(loaded: LoadedExperiment, experiment: Experiment) -> LoadedExperiment:
    """The parts of ``loaded`` that still apply to ``experiment`` after flags changed it."""
    if loaded.network is None:
        return replace(loaded, experiment=experiment)
    if not _same_shape(loaded.experiment, experiment):
        return replace(loaded, experiment=experiment, network=None, trainer_state=None,
                       history=None)
    if loaded.experiment.train.optimizer != experiment.train.optimizer:
        return replace(loaded, experiment=experiment, trainer_state=None)
    return replace(loaded, experiment=experiment)


def build_app_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog=PROG,
        usage=f"{PROG} [experiment.toml] [flags]   |   {PROG} train [flags]",
        description="Build, train and watch a from-scratch NumPy neural network.",
        epilog=(
            "modes:\n"
            f"  {PROG} [experiment.toml] [flags]   interactive terminal app\n"
            f"  {PROG} train [flags]               headless training "
            f"(see `{PROG} train --help`)\n\n"
            "examples:\n"
            f"  {PROG} --dataset spirals --classes 4 --layers 16,16 --activation tanh\n"
            f"  {PROG} --data assets/flowers.csv --target species\n"
            f"  {PROG} saved.toml --lr 0.01"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("experiment", nargs="?", metavar="experiment.toml",
                        help="open a saved experiment (weights too, if saved)")
    add_experiment_arguments(parser)
    return parser


def parse_app_args(argv=None) -> tuple[Experiment, LoadedExperiment | None]:
    """(experiment, loaded or None) for ``ffnn-tui [experiment.toml] [flags]``. Exits 2 with
    one line on a bad flag or file. ``loaded`` keeps the saved weights/trainer state only
    while they still fit the experiment after the flags. Without a file the defaults are
    ``Experiment()``'s except epochs = None (the app trains until paused)."""
    parser = build_app_parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else list(argv))
    loaded = None
    base = Experiment()
    base.train.epochs = None  # interactive: train until paused, unless --epochs or a file says
    if args.experiment is not None:
        loaded = _load_base(parser, args.experiment, None)
        base = loaded.experiment
    experiment = apply_flags(base, args)
    _validate(parser, experiment, args)
    if loaded is not None:
        loaded = _keep_compatible(loaded, experiment)
    if _given(args, "--weights"):
        try:
            dataset = build_data(experiment.data)
            _settle_output(experiment, dataset, args)
            network = build_network(experiment.net, dataset)
            network = load_weights(args.weights, network)
        except ExperimentError as error:
            _fail(parser, error, "--weights")
        except ValueError as error:
            _fail(parser, error, "--data" if experiment.data.name == "csv" else None)
        loaded = LoadedExperiment(experiment, network, None, None, {}, None)
    return experiment, loaded


# --- headless training ---------------------------------------------------------------------


def build_train_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog=f"{PROG} train",
        usage=f"{PROG} train [--config FILE.toml] [flags]",
        description="Train headless and print progress; the same flags as the app.",
        epilog=(
            "examples:\n"
            f"  {PROG} train --dataset spirals --classes 4 --layers 16,16 --activation tanh "
            "--optimizer adam --lr 0.01 --epochs 200\n"
            f"  {PROG} train --data assets/flowers.csv --target species --json\n"
            f"  {PROG} train --config run.toml --epochs 400 --save run.toml\n\n"
            "exit status: 0 done, 1 training diverged or a file could not be written, "
            "2 bad flag or input file"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--config", metavar="FILE.toml", default=argparse.SUPPRESS,
                        help="start from an experiment file (flags override it; its weights "
                             "and trainer state are resumed when the network is unchanged)")
    add_experiment_arguments(parser)
    out = parser.add_argument_group("output")
    out.add_argument("--json", action="store_true",
                     help="print one JSON object per epoch on stdout instead of progress")
    out.add_argument("--quiet", "-q", action="store_true", help="no progress lines")
    out.add_argument("--every", type=_positive_int, metavar="N", default=None,
                     help="progress line every N epochs when stderr is not a terminal")
    out.add_argument("--save", metavar="FILE.toml", help="save the experiment (+ .npz, history)")
    out.add_argument("--export-weights-json", metavar="FILE.json", help="write weights as JSON")
    out.add_argument("--export-weights-npz", metavar="FILE.npz",
                     help="write weights only as .npz")
    out.add_argument("--export-dataset", metavar="FILE.csv",
                     help="write the train/test samples as CSV")
    out.add_argument("--export-history", metavar="FILE.csv",
                     help="write per-epoch losses and metrics as CSV")
    out.add_argument("--export-screenshot", metavar="FILE.svg",
                     help="write an SVG of the app showing the trained network (120×40)")
    return parser


def _positive_int(text: str) -> int:
    value = _int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number ≥ 1 (got {text!r})")
    return value


OUTPUT_FLAGS = ("--save", "--export-weights-json", "--export-weights-npz", "--export-dataset",
                "--export-history", "--export-screenshot")


def _check_output_dirs(parser, args) -> None:
    """Fail before training, not after, when an output's directory does not exist."""
    for flag in OUTPUT_FLAGS:
        path = getattr(args, _dest(flag))
        if path is not None and not Path(path).resolve().parent.is_dir():
            parser.error(f"argument {flag}: directory of {path} does not exist")


def _fmt(value: float, digits: int = 4) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else (
        f"{value:.{digits}f}")


def _metric_text(name: str, value: float) -> str:
    if value is None or math.isnan(value):
        return f"{name} n/a"
    return f"accuracy {value:.1%}" if name == "accuracy" else f"R² {value:.4f}"


def _json_value(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class Progress:
    """Per-epoch reporting: JSON lines on stdout, or a progress line on stderr (\\r updates
    on a terminal, at most 10 a second; plain lines every N epochs otherwise)."""

    def __init__(self, trainer, *, json_lines: bool, quiet: bool, every: int | None,
                 stdout, stderr):
        self.trainer, self.json_lines, self.quiet = trainer, json_lines, quiet
        self.stdout, self.stderr = stdout, stderr
        self.tty = bool(getattr(stderr, "isatty", lambda: False)())
        epochs = trainer.config.epochs
        self.every = every or (max(1, (epochs - trainer.epoch) // 10) if epochs else 10)
        self.last_draw = 0.0
        self.shown_epoch: int | None = None  # epoch of the progress line last shown

    def epoch(self) -> None:
        """Report the epoch that just ended."""
        row = self.trainer.history.last()
        if row is None:
            return
        if self.json_lines:
            print(json.dumps(self._record(row)), file=self.stdout, flush=True)
        elif not self.quiet:
            now = time.perf_counter()
            due = now - self.last_draw >= 0.1 if self.tty else row["epoch"] % self.every == 0
            if due:
                self._show(row)
                self.last_draw = now

    def finish(self) -> None:
        """Show the last epoch if it was not shown, and end a \\r-updated line."""
        row = self.trainer.history.last()
        if self.json_lines or self.quiet or row is None:
            return
        if row["epoch"] != self.shown_epoch:
            self._show(row)
        if self.tty and self.shown_epoch is not None:
            self.stderr.write("\n")
            self.stderr.flush()

    def _record(self, row) -> dict:
        metric = self.trainer.history.metric_name
        record = {
            "epoch": row["epoch"], "train_loss": row["train_loss"],
            "test_loss": row["test_loss"], f"train_{metric}": row["train_metric"],
            f"test_{metric}": row["test_metric"], "learning_rate": row["learning_rate"],
        }
        return {key: _json_value(value) for key, value in record.items()}

    def _show(self, row) -> None:
        metric = self.trainer.history.metric_name
        epochs = self.trainer.config.epochs
        text = (f"epoch {row['epoch']}{f'/{epochs}' if epochs else ''}  "
                f"loss {_fmt(row['train_loss'])}  {_metric_text(metric, row['train_metric'])}")
        if not math.isnan(row["test_loss"]):
            text += (f"  test loss {_fmt(row['test_loss'])}  "
                     f"{_metric_text(metric, row['test_metric'])}")
        if self.tty:
            self.stderr.write(f"\r\x1b[2K{text}")
        else:
            self.stderr.write(text + "\n")
        self.stderr.flush()
        self.shown_epoch = row["epoch"]


class _StopOnInterrupt:
    """Ctrl-C asks the loop to stop *between* two updates, so the state that gets saved and
    summarised is never half-updated; a second Ctrl-C stops at once."""

    def __init__(self):
        self.requested = False
        self._previous = None

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
        return False


def _summary(trainer, epochs_run: int, steps_run: int, seconds: float, note: str) -> str:
    scores = trainer.evaluate()
    metric = trainer.history.metric_name
    rate = steps_run / seconds if seconds > 0 else 0.0
    if steps_run == 0:
        headline = (f"nothing to train: already at epoch {trainer.epoch} of "
                    f"{trainer.config.epochs} (raise --epochs to continue)")
    else:
        headline = (f"{note}{epochs_run} epochs ({steps_run} steps) in {seconds:.2f} s, "
                    f"{rate:,.0f} steps/s; epoch {trainer.epoch} reached")
    lines = [
        headline,
        f"train: loss {_fmt(scores['train_loss'])}  {_metric_text(metric, scores['train_metric'])}",
    ]
    if not math.isnan(scores["test_loss"]):
        lines.append(f"test:  loss {_fmt(scores['test_loss'])}  "
                     f"{_metric_text(metric, scores['test_metric'])}")
    return "\n".join(lines)


def _prepare(parser, args):
    """(experiment, dataset, trainer) from the flags; exits 2 on any bad input."""
    loaded = _load_base(parser, args.config, "--config") if _given(args, "--config") else None
    base = loaded.experiment if loaded else Experiment()
    experiment = apply_flags(base, args)
    _validate(parser, experiment, args)
    try:
        dataset = build_data(experiment.data)
    except ValueError as error:
        _fail(parser, error, "--data" if experiment.data.name == "csv" else None)
    try:
        _settle_output(experiment, dataset, args)
    except ValueError as error:
        _fail(parser, error)
    network = None
    resume = loaded is not None and loaded.network is not None
    if resume:
        loaded = _keep_compatible(loaded, experiment)
        network = loaded.network
        if network is None:
            print("note: the network or data changed; starting from fresh weights",
                  file=sys.stderr)
        else:
            try:
                check_network_fits(network, dataset)
            except ValueError as error:
                _fail(parser, ValueError(f"{args.config}: saved network does not fit: {error}"),
                      "--config")
    if _given(args, "--weights"):
        try:
            base_net = network if network is not None else build_network(experiment.net, dataset)
            network = load_weights(args.weights, base_net)
        except ValueError as error:
            _fail(parser, error, "--weights")
        loaded = None  # fresh trainer state for weights from elsewhere
    try:
        trainer = build_trainer(experiment, dataset, network)
        if loaded is not None and loaded.network is not None:
            restore_trainer(trainer, loaded)
    except ExperimentError as error:
        _fail(parser, error, "--config")
    except ValueError as error:
        _fail(parser, error)
    return experiment, dataset, trainer


def _export(args, experiment, dataset, trainer, screenshot) -> None:
    if args.save:
        save_experiment(args.save, experiment, trainer, dataset)
    if args.export_weights_json:
        export_weights_json(args.export_weights_json, trainer.network)
    if args.export_weights_npz:
        export_weights_npz(args.export_weights_npz, trainer.network)
    if args.export_dataset:
        export_dataset_csv(args.export_dataset, dataset)
    if args.export_history:
        export_history_csv(args.export_history, trainer.history)
    if args.export_screenshot:
        screenshot(args.export_screenshot, experiment, dataset, trainer)


def train_main(argv=None, *, stdout=None, stderr=None, screenshot=None) -> int:
    """``ffnn-tui train [flags]``; returns the exit status (argparse errors raise SystemExit).

    ``screenshot(path, experiment, dataset, trainer)`` writes ``--export-screenshot``: the
    app draws it, and this module never imports the app, so the console script passes it in.
    """
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    parser = build_train_parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else list(argv))
    _check_output_dirs(parser, args)
    if args.export_screenshot and screenshot is None:
        parser.error("argument --export-screenshot: needs the app; run it as "
                     f"'{PROG} train'")
    experiment, dataset, trainer = _prepare(parser, args)
    progress = Progress(trainer, json_lines=args.json, quiet=args.quiet, every=args.every,
                        stdout=stdout, stderr=stderr)
    start_epoch, start_steps = trainer.epoch, trainer.step_count
    started = time.perf_counter()
    status, note = 0, "trained "
    try:
        # Divergence is detected and reported by the trainer; NumPy's overflow warnings on
        # the way there would only clutter the terminal.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"), \
                _StopOnInterrupt() as interrupt:
            for step in trainer.steps():
                if step.epoch_end:
                    progress.epoch()
                if interrupt.requested:
                    status, note = 130, "interrupted after "
                    break
    except TrainingDiverged as error:
        progress.finish()
        print(f"{PROG} train: {error}", file=stderr)
        return 1
    seconds = time.perf_counter() - started
    if trainer.epoch > start_epoch:
        progress.finish()
    if trainer.stopped_early:
        note = "stopped early (no improvement) after "
    print(_summary(trainer, trainer.epoch - start_epoch, trainer.step_count - start_steps,
                   seconds, note), file=stderr if args.json else stdout)
    try:
        _export(args, experiment, dataset, trainer, screenshot)
    except ExperimentError as error:
        print(f"{PROG} train: error: {error}", file=stderr)
        return 1
    return status


def main(argv=None) -> int:
    """``python -m ffnn.core.cli train [flags]`` (the console script is ffnn.tui.cli)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] != ["train"]:
        print(f"usage: {PROG} train [flags]  (see {PROG} train --help)", file=sys.stderr)
        return 2
    return train_main(argv[1:])


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["EXPERIMENT_FLAGS", "FLAG_FOR_FIELD", "apply_flags", "build_app_parser",
           "build_train_parser", "parse_app_args", "train_main", "main"]
