"""What a run is made of: ``DataSpec``, ``NetSpec`` and ``TrainConfig``, together an
``Experiment``.

Every field carries its rule (``ffnn.core.fields``): bounds, choices, label, help, flag and
whether the trainer reads it live. ``SETTINGS`` is the table of all of them by dotted key
("train.learning_rate"); validation, the command line, the TOML reader and the app's forms
all read it.

The output layer follows the problem: ``net.output = "auto"`` is softmax for classes and
identity for a regression; ``train.loss = "auto"`` is the loss that pairs with the output
(softmax → cross_entropy, sigmoid → bce, identity → mse), so the output delta is P − Y.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, fields, replace

from ffnn.core import datasets
from ffnn.core.activations import ACTIVATIONS, OUTPUT_ONLY
from ffnn.core.csvdata import TASKS
from ffnn.core.fields import Setting, SpecError, check_fields, rule, settings_of
from ffnn.core.losses import DEFAULT_LOSS, LOSSES, check_pair
from ffnn.core.network import INITS
from ffnn.core.optimizers import OPTIMIZERS

MAX_SEED = 2**32 - 1
DTYPES = ("float32", "float64")
HIDDEN_ACTIVATIONS = tuple(name for name in ACTIVATIONS if name not in OUTPUT_ONLY)
OUTPUT_ACTIVATIONS = ("softmax", "sigmoid", "identity")
DATASET_CHOICES = (*datasets.NAMES, "csv")  # "csv": your own file (DataSpec.path)
LR_SCHEDULES = ("constant", "step", "exponential")
MONITORS = ("test", "train")
TASK_KINDS = ("classification", "regression")


@dataclass
class DataSpec:
    name: str = rule("spirals", label="dataset", kind="choice", choices=DATASET_CHOICES,
                     flag="--dataset", metavar="NAME",
                     help="which problem to learn (csv: your own file, --data)")
    n_samples: int = rule(400, label="samples", kind="int", low=10, high=100_000,
                          flag="--samples", metavar="N", help="number of generated points")
    noise: float = rule(0.1, label="noise", kind="float", low=0.0, high=2.0, flag="--noise",
                        metavar="X", help="jitter of generated data (0 = clean)")
    classes: int = rule(3, label="classes", kind="int", low=2, high=10, flag="--classes",
                        metavar="K", help="classes of a generated set (xor is always 2)")
    test_ratio: float = rule(0.2, label="test ratio", kind="float", low=0.0, high=0.9,
                             flag="--test-ratio", metavar="R",
                             help="share of the samples held out for testing (0 = none)")
    seed: int = rule(0, label="data seed", kind="int", low=0, high=MAX_SEED,
                     flag="--data-seed", metavar="S", help="seed of data generation and split")
    path: str | None = rule(None, label="data file", kind="text", optional=True, flag="--data",
                            metavar="FILE.csv", help="train on a CSV file (header row required)")
    target: str | None = rule(None, label="target", kind="text", optional=True,
                              flag="--target", metavar="COLUMN", help="the CSV column to predict")
    task: str = rule("auto", label="task", kind="choice", choices=TASKS, flag="--task",
                     help="CSV task: auto (text or few integers = classes), classification, "
                          "regression")

    def validate(self) -> None:
        check_fields(self, "data")
        if self.name == "csv":
            if not self.path:
                raise SpecError("data.path", "data file: a CSV path is required for dataset csv")
            if not self.target:
                raise SpecError("data.target",
                                "target: the name of the column to predict is required for csv")

    @property
    def known_task(self) -> str | None:
        """"regression" or "classification" when known without reading data; None for a csv
        with task auto."""
        if self.name == "csv":
            return None if self.task == "auto" else self.task
        return "regression" if self.name in datasets.REGRESSION else "classification"


@dataclass
class NetSpec:
    hidden: list[int] = rule(factory=lambda: [8, 8], label="hidden layers", kind="sizes",
                             low=1, high=512, max_items=8, flag="--layers", metavar="N,N,...",
                             help="hidden layer sizes, e.g. 16,16 ('none' = no hidden layer)")
    activations: list[str] = rule(factory=lambda: ["tanh", "tanh"], label="activations",
                                  kind="names", choices=HIDDEN_ACTIVATIONS,
                                  flag="--activations", metavar="A,A,...",
                                  help="one activation per hidden layer, e.g. relu,tanh")
    output: str = rule("auto", label="output", kind="choice",
                       choices=("auto", *OUTPUT_ACTIVATIONS), flag="--output",
                       help="output activation (auto: softmax for classes, identity for "
                            "regression)")
    init: str = rule("xavier", label="init", kind="choice", choices=INITS, flag="--init",
                     help="how the initial weights are drawn")
    seed: int = rule(0, label="init seed", kind="int", low=0, high=MAX_SEED,
                     flag="--init-seed", metavar="S", help="seed of the initial weights")
    dtype: str = rule("float64", label="dtype", kind="choice", choices=DTYPES, flag="--dtype",
                      help="float precision (float32 is faster)")

    def validate(self) -> None:
        for name in self.activations if isinstance(self.activations, list | tuple) else ():
            if name in OUTPUT_ONLY:
                raise SpecError("net.activations",
                                f"activations: {name} is allowed on the output layer only "
                                f"(hidden layers: {', '.join(HIDDEN_ACTIVATIONS)})")
        check_fields(self, "net")
        if len(self.activations) != len(self.hidden):
            raise SpecError("net.activations",
                            f"activations: one per hidden layer ({len(self.hidden)} layers, "
                            f"{len(self.activations)} given)")


@dataclass
class TrainConfig:
    loss: str = rule("cross_entropy", label="loss", kind="choice", choices=("auto", *LOSSES),
                     flag="--loss", help="loss (auto: the one that pairs with the output)")
    optimizer: str = rule("sgd", label="optimizer", kind="choice", choices=tuple(OPTIMIZERS),
                          live=True, flag="--optimizer", help="update rule (torch.optim's)")
    learning_rate: float = rule(0.1, label="learning rate", kind="float", low=0.0, high=10.0,
                                low_open=True, live=True, flag="--lr", metavar="LR",
                                help="step size")
    batch_size: int = rule(32, label="batch size", kind="int", low=1, high=100_000, live=True,
                           flag="--batch-size", metavar="N", help="samples per update")
    epochs: int | None = rule(100, label="epochs", kind="int", low=1, optional=True, live=True,
                              flag="--epochs", metavar="N",
                              help="epochs to train ('none' = until stopped)")
    l2: float = rule(0.0, label="L2", kind="float", low=0.0, high=10.0, live=True, flag="--l2",
                     metavar="X", help="L2 penalty (l2/2)·Σ‖W‖²")
    l1: float = rule(0.0, label="L1", kind="float", low=0.0, high=10.0, live=True, flag="--l1",
                     metavar="X", help="L1 penalty l1·Σ|W|")
    seed: int = rule(0, label="shuffle seed", kind="int", low=0, high=MAX_SEED,
                     flag="--train-seed", metavar="S", help="seed of the mini-batch shuffles")
    lr_schedule: str = rule("constant", label="lr schedule", kind="choice",
                            choices=LR_SCHEDULES, live=True, flag="--lr-schedule",
                            help="learning-rate schedule")
    lr_decay: float = rule(0.5, label="lr decay", kind="float", low=0.0, high=1.0,
                           low_open=True, live=True, flag="--lr-decay", metavar="X",
                           help="schedule factor: step multiplies by it every --lr-step "
                                "epochs, exponential every epoch")
    lr_step_epochs: int = rule(10, label="lr step", kind="int", low=1, live=True,
                               flag="--lr-step", metavar="N",
                               help="epochs between step-schedule decays")
    early_stopping_patience: int | None = rule(None, label="patience", kind="int", low=1,
                                               optional=True, live=True, flag="--patience",
                                               metavar="N",
                                               help="stop after N epochs without improvement "
                                                    "('none' = never)")
    early_stopping_monitor: str = rule("test", label="monitor", kind="choice",
                                       choices=MONITORS, live=True, flag="--monitor",
                                       help="loss watched by early stopping (test falls back "
                                            "to train without a test set)")

    def validate(self) -> TrainConfig:
        """SpecError (a ValueError) with a one-line message naming the bad field; else self."""
        check_fields(self, "train")
        return self

    def to_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


SECTIONS = {"data": DataSpec, "net": NetSpec, "train": TrainConfig}
SETTINGS: dict[str, Setting] = {
    s.key: s for section, cls in SECTIONS.items() for s in settings_of(cls, section)}


# --- the output layer --------------------------------------------------------------------


def output_activation(output: str, task: str) -> str:
    """The concrete output activation of a ``net.output`` value for a task; SpecError when
    it cannot fit (identity cannot classify, softmax cannot fit a regression)."""
    if task == "regression":
        if output not in ("auto", "identity"):
            raise SpecError("net.output", f"output: {output} cannot fit a regression target "
                                          "(use auto or identity)")
        return "identity"
    if output == "auto":
        return "softmax"
    if output not in ("softmax", "sigmoid"):
        raise SpecError("net.output",
                        f"output: {output} cannot classify (use auto, softmax or sigmoid)")
    return output


def output_loss(loss: str, activation: str, task: str) -> str:
    """The concrete loss of a ``train.loss`` value for this output; SpecError when it cannot
    train it."""
    if loss == "auto":
        return DEFAULT_LOSS[activation]
    if task == "regression" and loss != "mse":
        raise SpecError("train.loss", f"loss: regression needs mse (got {loss!r})")
    try:
        check_pair(loss, activation)
    except ValueError as error:
        raise SpecError("train.loss", f"loss: {error}") from None
    return loss


def output_units(activation: str, task: str, n_classes: int) -> int:
    """Width of the output layer: 1 for regression and for a 2-class sigmoid, else k."""
    if task == "regression" or (activation == "sigmoid" and n_classes == 2):
        return 1
    return n_classes


# --- the experiment ----------------------------------------------------------------------


def _default_train() -> TrainConfig:
    return TrainConfig(loss="auto")


@dataclass
class Experiment:
    data: DataSpec = field(default_factory=DataSpec)
    net: NetSpec = field(default_factory=NetSpec)
    train: TrainConfig = field(default_factory=_default_train)

    def validate(self, task: str | None = None) -> None:
        """SpecError (one line, naming the field) for the first invalid value. The output and
        loss are checked against ``task`` (default: the data spec's, when it tells)."""
        self.data.validate()
        self.net.validate()
        self.train.validate()
        task = task or self.data.known_task
        if task is not None:
            self.output(task)

    def output(self, task: str) -> tuple[str, str]:
        """(output activation, loss), both concrete, for ``task``; SpecError if they do not
        fit it."""
        activation = output_activation(self.net.output, task)
        return activation, output_loss(self.train.loss, activation, task)

    def fitted_to(self, task: str) -> Experiment:
        """A copy whose output and loss suit ``task`` (after the data changed): an output or
        loss that cannot fit becomes "auto". ``self`` is not changed."""
        result = self.copy()
        try:
            activation = output_activation(result.net.output, task)
        except SpecError:
            result.net.output = "auto"
            activation = output_activation("auto", task)
        try:
            output_loss(result.train.loss, activation, task)
        except SpecError:
            result.train.loss = "auto"
        return result

    def get(self, key: str):
        section, name = key.split(".")
        return getattr(getattr(self, section), name)

    def with_values(self, **values) -> Experiment:
        """A copy with settings replaced by dotted key: ``with_values(**{"train.l2": 0.1})``."""
        result = self.copy()
        for key, value in values.items():
            if key not in SETTINGS:
                raise KeyError(f"unknown setting {key!r}")
            section, name = key.split(".")
            setattr(getattr(result, section), name, copy.deepcopy(value))
        return result

    def changed(self, other: Experiment) -> list[str]:
        """The keys of the settings whose values differ between ``self`` and ``other``."""
        return [key for key in SETTINGS if self.get(key) != other.get(key)]

    def copy(self) -> Experiment:
        return Experiment(replace(self.data), replace(self.net, hidden=list(self.net.hidden),
                                                      activations=list(self.net.activations)),
                          replace(self.train))


__all__ = ["DataSpec", "NetSpec", "TrainConfig", "Experiment", "SpecError", "SETTINGS",
           "output_activation", "output_loss", "output_units"]
