"""The full description of a run — data, network, training — shared by the app and the CLI.

An experiment is three specs (``DataSpec``, ``NetSpec``, ``TrainConfig``). ``build_data`` and
``build_network`` turn it into arrays and a ``Network``; the output layer ("auto" by default)
is resolved from the problem: softmax + cross_entropy for k >= 2 classes, identity + mse for
regression (sigmoid + bce is the other classification choice: one unit for 2 classes).

Reading this module top to bottom: the limits and choices a spec may take, the specs and
their validation, how the output layer and loss follow from the problem, ``Dataset`` and
``Experiment`` (with its plain-dict form, the body of an experiment file), and the builders
that turn an experiment into data, a network and a trainer. Files on disk are
``ffnn.core.storage``'s business.
"""

from __future__ import annotations

import copy
import math
import types
import typing
from dataclasses import dataclass, field, fields, replace

import numpy as np

from ffnn.core import datasets, losses
from ffnn.core.activations import ACTIVATIONS, OUTPUT_ONLY
from ffnn.core.csvdata import TASKS, load_csv
from ffnn.core.network import INITS, Network
from ffnn.core.trainer import TrainConfig, Trainer

MAX_HIDDEN_LAYERS = 8
MAX_NEURONS = 512
MIN_SAMPLES, MAX_SAMPLES = 10, 100_000
MAX_NOISE = 2.0
MIN_CLASSES, MAX_CLASSES = 2, 10            # built-in datasets; a CSV may have up to 50
MAX_TEST_RATIO = 0.9
MAX_SEED = 2**32 - 1
DTYPES = ("float32", "float64")
HIDDEN_ACTIVATIONS = tuple(name for name in ACTIVATIONS if name not in OUTPUT_ONLY)
OUTPUT_ACTIVATIONS = ("softmax", "sigmoid", "identity")
OUTPUT_CHOICES = ("auto", *OUTPUT_ACTIVATIONS)
DEFAULT_LOSS = {"softmax": "cross_entropy", "sigmoid": "bce", "identity": "mse"}


class SpecError(ValueError):
    """An invalid spec value. ``field`` is the dotted key ("net.hidden") so a front end can
    point at the widget or flag; the message is one line naming the field and what is allowed."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


class ExperimentError(ValueError):
    """An experiment file that cannot be read or written; one line naming the file."""


# --- small validators --------------------------------------------------------------------


def _is_int(value) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)


def _is_number(value) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_
    )


def _check_int(key: str, label: str, value, low: int, high: int, unit: str = "") -> None:
    if not _is_int(value) or not low <= value <= high:
        raise SpecError(key, f"{label}: must be a whole number {low}–{high}{unit} (got {value!r})")


def _check_choice(key: str, label: str, value, choices) -> None:
    if value not in choices:
        raise SpecError(key, f"{label}: must be one of {', '.join(choices)} (got {value!r})")


# --- the specs ---------------------------------------------------------------------------


DATASET_CHOICES = (*datasets.NAMES, "csv")  # "csv": your own file (DataSpec.path)


@dataclass
class DataSpec:
    name: str = "spirals"          # a datasets.NAMES entry, or "csv"
    n_samples: int = 400
    noise: float = 0.1
    classes: int = 3
    test_ratio: float = 0.2
    seed: int = 0
    path: str | None = None        # csv only
    target: str | None = None      # csv only: the column to predict
    task: str = "auto"             # csv only: "auto" | "classification" | "regression"

    def validate(self) -> None:
        _check_choice("data.name", "dataset", self.name, DATASET_CHOICES)
        _check_int("data.n_samples", "samples", self.n_samples, MIN_SAMPLES, MAX_SAMPLES)
        if not _is_number(self.noise) or not 0 <= self.noise <= MAX_NOISE:
            raise SpecError(
                "data.noise", f"noise: must be a number 0–{MAX_NOISE:g} (got {self.noise!r})"
            )
        _check_int("data.classes", "classes", self.classes, MIN_CLASSES, MAX_CLASSES)
        if not _is_number(self.test_ratio) or not 0 <= self.test_ratio <= MAX_TEST_RATIO:
            raise SpecError(
                "data.test_ratio",
                f"test ratio: must be a number 0–{MAX_TEST_RATIO:g} (got {self.test_ratio!r})",
            )
        _check_int("data.seed", "seed", self.seed, 0, MAX_SEED)
        _check_choice("data.task", "task", self.task, TASKS)
        if self.name == "csv":
            if not isinstance(self.path, str) or not self.path:
                raise SpecError("data.path", "data file: a CSV path is required for dataset csv")
            if not isinstance(self.target, str) or not self.target:
                raise SpecError(
                    "data.target", "target: the name of the column to predict is required for csv"
                )

    @property
    def known_task(self) -> str | None:
        """"regression" or "classification" when known without reading data; None for a csv
        with task auto."""
        if self.name == "csv":
            return None if self.task == "auto" else self.task
        return "regression" if self.name in datasets.REGRESSION else "classification"


@dataclass
class NetSpec:
    hidden: list[int] = field(default_factory=lambda: [8, 8])
    activations: list[str] = field(default_factory=lambda: ["tanh", "tanh"])  # one per hidden
    output: str = "auto"           # "auto" or softmax / sigmoid / identity
    init: str = "xavier"
    seed: int = 0
    dtype: str = "float64"

    def validate(self) -> None:
        if not isinstance(self.hidden, list | tuple) or len(self.hidden) > MAX_HIDDEN_LAYERS:
            raise SpecError(
                "net.hidden", f"hidden layers: 0–{MAX_HIDDEN_LAYERS} layers allowed"
                + (f" (got {len(self.hidden)})" if isinstance(self.hidden, list | tuple) else "")
            )
        for i, width in enumerate(self.hidden, start=1):
            if not _is_int(width) or not 1 <= width <= MAX_NEURONS:
                raise SpecError(
                    "net.hidden",
                    f"neurons: 1–{MAX_NEURONS} per layer (hidden layer {i} has {width!r})",
                )
        if not isinstance(self.activations, list | tuple) or len(self.activations) != len(
            self.hidden
        ):
            count = len(self.activations) if isinstance(self.activations, list | tuple) else "?"
            raise SpecError(
                "net.activations",
                f"activations: one per hidden layer ({len(self.hidden)} layers, {count} given)",
            )
        for name in self.activations:
            if name in OUTPUT_ONLY:
                raise SpecError(
                    "net.activations",
                    f"activation: {name} is allowed on the output layer only "
                    f"(hidden layers: {', '.join(HIDDEN_ACTIVATIONS)})",
                )
            _check_choice("net.activations", "activation", name, HIDDEN_ACTIVATIONS)
        _check_choice("net.output", "output", self.output, OUTPUT_CHOICES)
        _check_choice("net.init", "init", self.init, tuple(INITS))
        _check_int("net.seed", "seed", self.seed, 0, MAX_SEED)
        _check_choice("net.dtype", "dtype", self.dtype, DTYPES)


# --- output layer resolution --------------------------------------------------------------


def default_loss(output_activation: str, task: str = "classification") -> str:
    """The loss that pairs with an output activation: softmax->cross_entropy, sigmoid->bce,
    identity->mse."""
    if task == "regression":
        return "mse"
    return DEFAULT_LOSS[output_activation]


def resolve_output_activation(output: str, task: str) -> str:
    """The concrete output activation for a NetSpec.output value and a problem."""
    if task == "regression":
        if output not in ("auto", "identity"):
            raise SpecError(
                "net.output", f"output: {output} cannot fit a regression target (use auto or "
                "identity)"
            )
        return "identity"
    if output == "auto":
        return "softmax"
    if output not in ("softmax", "sigmoid"):
        raise SpecError(
            "net.output", f"output: {output} cannot classify (use auto, softmax or sigmoid)"
        )
    return output


def output_units(activation: str, task: str, n_classes: int) -> int:
    """Width of the output layer: 1 for regression and for 2-class sigmoid, else k."""
    if task == "regression" or (activation == "sigmoid" and n_classes == 2):
        return 1
    return n_classes


def check_loss(loss: str, activation: str, task: str) -> None:
    """SpecError unless ``loss`` can train this output layer for this task."""
    if task == "regression" and loss != "mse":
        raise SpecError("train.loss", f"loss: regression needs mse (got {loss!r})")
    try:
        losses.check_pair(loss, activation)
    except ValueError as error:
        raise SpecError("train.loss", f"loss: {error}") from None


# --- the data and the experiment --------------------------------------------------------


@dataclass
class Dataset:
    """What ``build_data`` returns. Features of a CSV are standardised with the training
    split's mean/std (kept here); built-in 2-D datasets are used as generated (mean/std None)
    so the decision plane stays in ``datasets.RANGE``."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray              # (0, n_features) when test_ratio is 0
    y_test: np.ndarray
    task: str                       # "classification" | "regression"
    n_classes: int                  # 1 for regression
    feature_names: list[str]
    class_names: list[str]          # [] for regression
    mean: np.ndarray | None = None
    std: np.ndarray | None = None
    name: str = ""
    target_name: str = "label"

    @property
    def n_features(self) -> int:
        return self.X_train.shape[1]

    @property
    def has_test(self) -> bool:
        return len(self.X_test) > 0

    def raw(self, X: np.ndarray) -> np.ndarray:
        """Features in the file's own units (undoes the standardisation)."""
        return X if self.mean is None else X * self.std + self.mean


def task_of(problem) -> str:
    """The task of a problem: a Dataset, "regression" / "classification", or a class count
    k >= 2 (classification)."""
    if isinstance(problem, Dataset):
        return problem.task
    if problem in ("regression", "classification"):
        return problem
    if _is_int(problem) and problem >= 2:
        return "classification"
    raise ValueError("expected a Dataset, 'regression', 'classification' or a class count "
                     f">= 2 (got {problem!r})")


@dataclass
class Experiment:
    data: DataSpec = field(default_factory=DataSpec)
    net: NetSpec = field(default_factory=NetSpec)
    train: TrainConfig = field(default_factory=TrainConfig)

    def validate(self, dataset: Dataset | None = None) -> None:
        """SpecError/ValueError (one line, naming the field) for the first invalid value.
        Output/loss compatibility is checked when the problem is known: from ``dataset``, or
        from the data spec when it tells (built-ins; csv with an explicit task)."""
        self.data.validate()
        self.net.validate()
        self.train.validate()
        task = dataset.task if dataset is not None else self.data.known_task
        if task is not None:
            check_loss(self.train.loss, resolve_output_activation(self.net.output, task), task)

    def resolve_output(self, problem) -> tuple[str, str]:
        """(output activation, loss) for a problem (see ``task_of``). The loss is
        ``train.loss`` when it fits that output, else its default."""
        task = task_of(problem)
        activation = resolve_output_activation(self.net.output, task)
        try:
            check_loss(self.train.loss, activation, task)
        except ValueError:
            return activation, default_loss(activation, task)
        return activation, self.train.loss

    def fitted_to(self, problem) -> Experiment:
        """A copy whose output and loss suit ``problem`` (for a front end after the user
        changes the dataset): an output that cannot fit becomes "auto", a loss that cannot
        train it becomes the output's default. ``self`` is not changed."""
        task = task_of(problem)
        net = replace(self.net, hidden=list(self.net.hidden),
                      activations=list(self.net.activations))
        try:
            resolve_output_activation(net.output, task)
        except ValueError:
            net.output = "auto"
        result = Experiment(replace(self.data), net, replace(self.train))
        result.train.loss = result.resolve_output(problem)[1]
        return result

    def copy(self) -> Experiment:
        return copy.deepcopy(self)

    def to_dict(self) -> dict:
        """Plain TOML-friendly dict: None becomes an absent key, or "none" when the field's
        default is not None (e.g. epochs = "none" means train without end)."""
        return {
            "data": _section_to_dict(self.data),
            "net": _section_to_dict(self.net),
            "train": _section_to_dict(self.train),
        }

    @classmethod
    def from_dict(cls, data: dict) -> Experiment:
        """Build from a dict like ``to_dict``'s; missing keys take defaults. Unknown keys and
        wrong types raise ValueError naming the key and its section. Values are not
        range-checked here: call ``validate()``."""
        if not isinstance(data, dict):
            raise ValueError("an experiment must be a table of [data], [net], [train]")
        unknown = [key for key in data if key not in ("data", "net", "train")]
        if unknown:
            raise ValueError(
                f"unknown key '{unknown[0]}' at top level (allowed: data, net, train)"
            )
        return cls(
            data=_section_from_dict(DataSpec, "data", data.get("data", {})),
            net=_section_from_dict(NetSpec, "net", data.get("net", {})),
            train=_section_from_dict(TrainConfig, "train", data.get("train", {})),
        )


# --- dict <-> dataclass with type checks -------------------------------------------------


def _defaults(cls) -> dict:
    instance = cls()
    return {f.name: getattr(instance, f.name) for f in fields(cls)}


def _section_to_dict(section) -> dict:
    defaults = _defaults(type(section))
    out = {}
    for f in fields(section):
        value = getattr(section, f.name)
        if value is None:
            if defaults[f.name] is not None:
                out[f.name] = "none"
            continue
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, tuple):
            value = list(value)
        if isinstance(value, float) and not math.isfinite(value):
            value = repr(value)  # tomli_w writes nan/inf, but keep files obvious
        out[f.name] = value
    return out


def _hints(cls) -> dict:
    try:
        return typing.get_type_hints(cls)
    except Exception:  # noqa: BLE001 - unresolvable annotations: fall back to default's type
        return {name: type(value) for name, value in _defaults(cls).items() if value is not None}


_TYPE_WORDS = {int: "an integer", float: "a number", str: "a string", bool: "true or false"}


def _describe(value) -> str:
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, str):
        return f"string {value!r}"
    if isinstance(value, int):
        return f"integer {value}"
    if isinstance(value, float):
        return f"number {value!r}"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


def _coerce(section: str, key: str, value, hint):
    """``value`` converted to ``hint`` or ValueError naming the key and the expected type."""

    def wrong(expected: str) -> ValueError:
        return ValueError(
            f"wrong type for '{key}' in [{section}]: expected {expected}, got {_describe(value)}"
        )

    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        if len(options) == 1:
            inner = options[0]
            if isinstance(value, str) and value.lower() == "none" and inner is not str:
                return None
            try:
                return _coerce(section, key, value, inner)
            except ValueError:
                word = _TYPE_WORDS.get(inner, getattr(inner, "__name__", str(inner)))
                raise wrong(f"{word} or \"none\"") from None
        return value
    if origin is list:
        (item_hint,) = typing.get_args(hint) or (typing.Any,)
        word = _TYPE_WORDS.get(item_hint, "values")
        if not isinstance(value, list):
            raise wrong(f"an array of {word.removeprefix('an ').removeprefix('a ')}s")
        try:
            return [_coerce(section, key, item, item_hint) for item in value]
        except ValueError:
            raise wrong(f"an array of {word.removeprefix('an ').removeprefix('a ')}s") from None
    if hint is bool:
        if not isinstance(value, bool):
            raise wrong("true or false")
        return value
    if hint is int:
        if not _is_int(value):
            raise wrong("an integer")
        return int(value)
    if hint is float:
        if isinstance(value, str) and value.lower() in ("nan", "inf", "-inf", "+inf"):
            return float(value)
        if not _is_number(value):
            raise wrong("a number")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise wrong("a string")
        return value
    return value


def _section_from_dict(cls, section: str, data) -> typing.Any:
    if not isinstance(data, dict):
        raise ValueError(f"wrong type for '{section}': expected a table [{section}]")
    hints = _hints(cls)
    names = [f.name for f in fields(cls) if f.init]
    kwargs = {}
    for key, value in data.items():
        if key not in names:
            raise ValueError(
                f"unknown key '{key}' in [{section}] (allowed: {', '.join(names)})"
            )
        kwargs[key] = _coerce(section, key, value, hints.get(key, typing.Any))
    return cls(**kwargs)


# --- building ----------------------------------------------------------------------------


def build_data(spec: DataSpec) -> Dataset:
    """Generate or load the data and split it (stratified for classification, seeded).
    Raises SpecError for an invalid spec and CsvError (a ValueError) for a bad CSV file."""
    spec.validate()
    if spec.name == "csv":
        loaded = load_csv(spec.path, spec.target, spec.task)
        X, y = loaded.X, loaded.y
        task, class_names = loaded.task, loaded.class_names
        feature_names, target_name = loaded.feature_names, loaded.target
    else:
        # A dataset whose pattern fixes the class count (xor) ignores spec.classes, so a
        # front end can switch datasets without first fixing the class count.
        X, y = datasets.make(
            spec.name, n_samples=spec.n_samples, noise=spec.noise, seed=spec.seed,
            classes=datasets.FIXED_CLASSES.get(spec.name, spec.classes),
        )
        task = "regression" if spec.name in datasets.REGRESSION else "classification"
        n = int(y.max()) + 1 if task == "classification" else 0
        class_names = [str(i) for i in range(n)]
        feature_names, target_name = ["x1", "x2"][: X.shape[1]], "label"
        if task == "regression":
            target_name = "target"
    classification = task == "classification"
    X_train, y_train, X_test, y_test = datasets.split(
        X, y, test_ratio=float(spec.test_ratio), seed=spec.seed, stratify=classification
    )
    mean = std = None
    if spec.name == "csv":
        X_train, X_test, mean, std = datasets.standardize(X_train, X_test)
    return Dataset(
        X_train=X_train, y_train=y_train, X_test=X_test, y_test=y_test, task=task,
        n_classes=len(class_names) if classification else 1,
        feature_names=feature_names, class_names=class_names if classification else [],
        mean=mean, std=std, name=spec.name, target_name=target_name,
    )


def network_shape(spec: NetSpec, dataset: Dataset) -> tuple[list[int], list[str]]:
    """(layer_sizes, activations) of the network ``spec`` describes for ``dataset``."""
    activation = resolve_output_activation(spec.output, dataset.task)
    n_out = output_units(activation, dataset.task, dataset.n_classes)
    sizes = [dataset.n_features, *spec.hidden, n_out]
    return sizes, [*spec.activations, activation]


def build_network(spec: NetSpec, dataset: Dataset) -> Network:
    """A fresh Network for ``dataset`` with the output activation resolved."""
    spec.validate()
    sizes, activations = network_shape(spec, dataset)
    return Network(sizes, activations, init=spec.init, seed=spec.seed, dtype=np.dtype(spec.dtype))


def build_trainer(experiment: Experiment, dataset: Dataset, network: Network | None = None):
    """A Trainer for the experiment on ``dataset`` (validates everything first)."""
    experiment.validate(dataset)
    if network is None:
        network = build_network(experiment.net, dataset)
    check_network_fits(network, dataset)
    return Trainer(
        network, dataset.X_train, dataset.y_train, replace(experiment.train),
        X_test=dataset.X_test if dataset.has_test else None,
        y_test=dataset.y_test if dataset.has_test else None,
    )


def restore_trainer(trainer, loaded) -> None:
    """Put a loaded run's trainer state and history into ``trainer`` (built on
    ``loaded.network``), so training continues exactly where the saved run stopped.
    ``loaded`` is a ``storage.LoadedExperiment`` (anything with its ``trainer_state``,
    ``history`` and ``path``)."""
    if loaded.trainer_state is not None:
        try:
            trainer.load_state_dict(loaded.trainer_state)
        except (ValueError, KeyError, TypeError) as error:
            where = loaded.path.with_suffix(".npz") if loaded.path else "saved state"
            raise ExperimentError(
                f"{where}: the saved trainer state does not fit this trainer ({error})"
            ) from None
    history = loaded.history
    if history is not None:
        for key in trainer.history.COLUMNS:
            if key in history:
                setattr(trainer.history, key, list(history[key]))
        if history.get("metric_name"):
            trainer.history.metric_name = history["metric_name"]


def check_network_fits(network: Network, dataset: Dataset) -> None:
    """ValueError unless the network's input/output widths fit the dataset."""
    if network.n_inputs != dataset.n_features:
        raise ValueError(
            f"the network takes {network.n_inputs} inputs but the data has "
            f"{dataset.n_features} features"
        )
    activation = network.activations[-1]
    if dataset.task == "regression" and activation != "identity":
        raise ValueError("the network's output is a classifier but the data is a regression")
    if dataset.task == "classification":
        if activation == "identity":
            raise ValueError("the network's output is a regression but the data has classes")
        expected = output_units(activation, dataset.task, dataset.n_classes)
        if network.n_outputs != expected:
            raise ValueError(
                f"the network has {network.n_outputs} outputs but the data's "
                f"{dataset.n_classes} classes need {expected}"
            )



__all__ = [
    "DataSpec", "NetSpec", "Experiment", "Dataset", "SpecError", "ExperimentError",
    "build_data", "build_network", "build_trainer", "default_loss",
    "resolve_output_activation", "output_units", "task_of", "network_shape",
    "check_loss", "check_network_fits", "restore_trainer",
]
