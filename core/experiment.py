"""The full description of a run — data, network, training — shared by the app and the CLI,
and the files it lives in.

An experiment is three specs (``DataSpec``, ``NetSpec``, ``TrainConfig``). ``build_data`` and
``build_network`` turn it into arrays and a ``Network``; the output layer ("auto" by default)
is resolved from the problem: softmax + cross_entropy for k >= 2 classes, identity + mse for
regression (sigmoid + bce is the other classification choice: one unit for 2 classes).

On disk an experiment is ``name.toml`` (the specs, human-editable) with ``name.npz`` beside it
(weights, trainer/optimizer state, CSV standardisation) and ``name.history.csv`` (per-epoch
losses). A CSV's path is stored relative to the TOML file and read back relative to it.
Every write is atomic (temp file in the same directory + ``os.replace``); every read problem
is an ``ExperimentError`` with one line naming the file and the problem, and leaves
everything the caller holds untouched. ``.npz`` files are always read with
``allow_pickle=False``: a model file must never be able to run code.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import math
import os
import tempfile
import tomllib
import types
import typing
import zipfile
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

import numpy as np
import tomli_w

from ffnn.core import datasets, losses
from ffnn.core.activations import ACTIVATIONS, OUTPUT_ONLY
from ffnn.core.csvdata import TASKS, load_csv
from ffnn.core.network import INITS, Network
from ffnn.core.trainer import TrainConfig

FORMAT_VERSION = 1

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
        _check_choice("data.name", "dataset", self.name, (*datasets.NAMES, "csv"))
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
    def n_classes(self) -> int:
        """Classes a built-in dataset will have (xor is always 2); 1 for regression."""
        if self.name in datasets.REGRESSION:
            return 1
        return datasets.FIXED_CLASSES.get(self.name, self.classes)

    @property
    def regression(self) -> bool | None:
        """True/False when known without reading data; None for a csv with task auto."""
        if self.name == "csv":
            return None if self.task == "auto" else self.task == "regression"
        return self.name in datasets.REGRESSION


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


def resolve_output_activation(output: str, task: str, n_classes: int) -> str:
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


def _problem(target) -> tuple[str, int]:
    """(task, n_classes) from a Dataset, a class count, or "regression"."""
    if isinstance(target, Dataset):
        return target.task, target.n_classes
    if target == "regression":
        return "regression", 1
    if _is_int(target) and target >= 2:
        return "classification", int(target)
    raise ValueError(f"expected a Dataset, a class count >= 2 or 'regression' (got {target!r})")


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
        if dataset is not None:
            task, n_classes = dataset.task, dataset.n_classes
        else:
            regression = self.data.regression
            if regression is None:
                return
            task = "regression" if regression else "classification"
            n_classes = self.data.n_classes
        activation = resolve_output_activation(self.net.output, task, n_classes)
        check_loss(self.train.loss, activation, task)

    def resolve_output(self, problem) -> tuple[str, str]:
        """(output activation, loss) for a problem: a Dataset, a class count k >= 2, or
        "regression". The loss is ``train.loss`` when it fits that output, else its default."""
        task, n_classes = _problem(problem)
        activation = resolve_output_activation(self.net.output, task, n_classes)
        try:
            check_loss(self.train.loss, activation, task)
        except ValueError:
            return activation, default_loss(activation, task)
        return activation, self.train.loss

    def fitted_to(self, problem) -> Experiment:
        """A copy whose output and loss suit ``problem`` (for a front end after the user
        changes the dataset): an output that cannot fit becomes "auto", a loss that cannot
        train it becomes the output's default. ``self`` is not changed."""
        task, n_classes = _problem(problem)
        net = replace(self.net, hidden=list(self.net.hidden),
                      activations=list(self.net.activations))
        try:
            resolve_output_activation(net.output, task, n_classes)
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
    activation = resolve_output_activation(spec.output, dataset.task, dataset.n_classes)
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
    from ffnn.core.trainer import Trainer

    experiment.validate(dataset)
    if network is None:
        network = build_network(experiment.net, dataset)
    check_network_fits(network, dataset)
    return Trainer(
        network, dataset.X_train, dataset.y_train, replace(experiment.train),
        X_test=dataset.X_test if dataset.has_test else None,
        y_test=dataset.y_test if dataset.has_test else None,
    )


def restore_trainer(trainer, loaded: LoadedExperiment) -> None:
    """Put a loaded run's trainer state and history into ``trainer`` (built on
    ``loaded.network``), so training continues exactly where the saved run stopped."""
    if loaded.trainer_state is not None:
        try:
            trainer.load_state_dict(loaded.trainer_state)
        except (ValueError, KeyError, TypeError) as error:
            where = loaded.path.with_suffix(".npz") if loaded.path else "saved state"
            raise ExperimentError(
                f"{where}: the saved trainer state does not fit this trainer ({error})"
            ) from None
    history = loaded.history
    if history is not None and hasattr(trainer.history, "COLUMNS"):
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


# --- atomic writes -----------------------------------------------------------------------


def _file_mode(path: Path) -> int:
    """The existing file's permissions, or what a plain open() would give (0666 - umask)."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _write_atomically(files: dict[Path, bytes]) -> None:
    """Write every file or none: all contents go to temp files in the target directories
    first, then each is moved into place with os.replace. Failure -> ExperimentError; temp
    files are removed and existing files keep their old bytes."""
    staged: list[tuple[str, Path]] = []
    current = None
    try:
        for path, content in files.items():
            current = path
            fd, tmp = tempfile.mkstemp(
                dir=path.parent if str(path.parent) else ".", prefix=f".{path.name}.",
                suffix=".tmp",
            )
            staged.append((tmp, path))
            os.chmod(tmp, _file_mode(path))  # mkstemp makes 0600; keep the usual permissions
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
        for tmp, path in staged:
            current = path
            os.replace(tmp, path)
    except OSError as error:
        reason = error.strerror or str(error) or type(error).__name__
        if isinstance(error, FileNotFoundError) and current is not None and not (
            current.parent.exists()
        ):
            reason = "directory does not exist"
        raise ExperimentError(f"{current}: cannot write ({reason})") from None
    finally:
        for tmp, _ in staged:
            if os.path.exists(tmp):
                try:
                    os.unlink(tmp)
                except OSError:
                    pass


def _npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    for key, array in arrays.items():
        if array.dtype.hasobject:
            raise ExperimentError(f"refusing to save object array '{key}' (it would be pickled)")
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _write_bytes(path, content: bytes) -> None:
    _write_atomically({Path(path): content})


# --- trainer state <-> npz arrays ---------------------------------------------------------
# The state dict may nest dicts/lists; arrays and NumPy scalars go into the npz as
# "trainer.<n>", the structure (with Python ints/floats/strings inline) as a JSON string.


def _pack_state(obj, arrays: dict[str, np.ndarray]):
    if isinstance(obj, np.ndarray | np.generic):
        key = f"trainer.{len(arrays)}"
        arrays[key] = np.array(obj)
        return {"$array" if isinstance(obj, np.ndarray) else "$scalar": key}
    if isinstance(obj, dict):
        if not all(isinstance(k, str) for k in obj):
            raise ExperimentError("trainer state has a non-string key; cannot save it")
        return {"$dict": {k: _pack_state(v, arrays) for k, v in obj.items()}}
    if isinstance(obj, list | tuple):
        return {"$list" if isinstance(obj, list) else "$tuple":
                [_pack_state(v, arrays) for v in obj]}
    if obj is None or isinstance(obj, bool | int | float | str):
        return obj
    raise ExperimentError(f"trainer state holds a {type(obj).__name__}; cannot save it")


def _unpack_state(node, arrays: dict[str, np.ndarray]):
    if isinstance(node, dict):
        ((kind, value),) = node.items()
        if kind == "$array":
            return arrays[value]
        if kind == "$scalar":
            return arrays[value][()]
        if kind == "$dict":
            return {k: _unpack_state(v, arrays) for k, v in value.items()}
        if kind == "$list":
            return [_unpack_state(v, arrays) for v in value]
        if kind == "$tuple":
            return tuple(_unpack_state(v, arrays) for v in value)
        raise ValueError(f"unknown node {kind}")
    return node


# --- history -----------------------------------------------------------------------------

HISTORY_KEYS = ("epoch", "train_loss", "test_loss", "train_metric", "test_metric",
                "learning_rate")


def _history_dict(history) -> dict:
    if history is None:
        return {}
    data = history.as_dict() if hasattr(history, "as_dict") else dict(history)
    if "metric_name" not in data and hasattr(history, "metric_name"):
        data["metric_name"] = history.metric_name
    return data


def _history_csv_bytes(history) -> bytes:
    data = _history_dict(history)
    metric = data.get("metric_name") or "metric"
    columns = [key for key in HISTORY_KEYS if key in data]
    header = [key.replace("_metric", f"_{metric}") for key in columns]
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    for row in zip(*(data[key] for key in columns), strict=True):
        writer.writerow([repr(float(v)) if _is_number(v) and not _is_int(v) else v for v in row])
    return text.getvalue().encode()


def _read_history_csv(path: Path) -> dict:
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
    except (UnicodeDecodeError, csv.Error) as error:
        raise ExperimentError(f"{path}: not a readable history CSV ({error})") from None
    if not rows:
        raise ExperimentError(f"{path}: the history file is empty")
    header, body = rows[0], rows[1:]
    data: dict = {"metric_name": None}
    keys = []
    for name in header:
        if name.startswith(("train_", "test_")) and name not in HISTORY_KEYS:
            prefix, metric = name.split("_", 1)
            if metric != "loss":
                data["metric_name"] = metric
                name = f"{prefix}_metric"
        if name not in HISTORY_KEYS:
            raise ExperimentError(f"{path}: unknown history column '{name}'")
        keys.append(name)
    for key in keys:
        data[key] = []
    for line, row in enumerate(body, start=2):
        if len(row) != len(keys):
            raise ExperimentError(f"{path}: line {line} has {len(row)} fields, expected "
                                  f"{len(keys)}")
        for key, cell in zip(keys, row, strict=True):
            try:
                data[key].append(int(cell) if key == "epoch" else float(cell))
            except ValueError:
                raise ExperimentError(
                    f"{path}: line {line}, column '{key}': '{cell}' is not a number"
                ) from None
    return data


# --- save / load -------------------------------------------------------------------------


def sibling_paths(path) -> tuple[Path, Path, Path]:
    """(toml, npz, history csv) for an experiment path (the suffix is replaced)."""
    path = Path(path)
    base = path.with_suffix("") if path.suffix.lower() in (".toml", ".npz") else path
    return (base.with_name(base.name + ".toml"), base.with_name(base.name + ".npz"),
            base.with_name(base.name + ".history.csv"))


def _weights_arrays(network: Network) -> dict[str, np.ndarray]:
    arrays = {}
    for i, (W, b) in enumerate(zip(network.weights, network.biases, strict=True)):
        arrays[f"W{i}"] = np.array(W)
        arrays[f"b{i}"] = np.array(b)
    arrays["layer_sizes"] = np.array(network.layer_sizes, dtype=np.int64)
    arrays["activations"] = np.array(list(network.activations), dtype=str)
    return arrays


def _dataset_arrays(dataset: Dataset | None) -> dict[str, np.ndarray]:
    if dataset is None:
        return {}
    arrays = {"feature_names": np.array(dataset.feature_names, dtype=str)}
    if dataset.class_names:
        arrays["class_names"] = np.array(dataset.class_names, dtype=str)
    if dataset.mean is not None:
        arrays["data_mean"] = np.array(dataset.mean, dtype=np.float64)
        arrays["data_std"] = np.array(dataset.std, dtype=np.float64)
    return arrays


HEADER_COMMENT = (
    "# ffnn-tui experiment. Edit freely; run with `ffnn-tui {name}` or\n"
    "# `ffnn-tui train --config {name}`. Weights, if saved, are in {stem}.npz beside this file.\n"
)


def _relative_to(path: str, directory: Path) -> str:
    try:
        return Path(os.path.relpath(Path(path).resolve(), directory.resolve())).as_posix()
    except ValueError:  # another drive on Windows
        return str(Path(path).resolve())


def save_experiment(path, experiment: Experiment, trainer=None, dataset: Dataset | None = None,
                    *, network: Network | None = None) -> Path:
    """Write ``path`` (.toml) and, when there is a network (``trainer.network`` or
    ``network``), ``<stem>.npz`` with weights, trainer/optimizer state and CSV
    standardisation, plus ``<stem>.history.csv``. All or nothing, each write atomic.
    Returns the TOML path."""
    toml_path, npz_path, history_path = sibling_paths(path)
    if network is None and trainer is not None:
        network = trainer.network
    document: dict = {"format": FORMAT_VERSION, **experiment.to_dict()}
    if experiment.data.path:
        # A CSV path is stored relative to the TOML, so a folder of both can move as one.
        document["data"]["path"] = _relative_to(experiment.data.path, toml_path.parent)
    files: dict[Path, bytes] = {}
    if network is not None:
        model: dict = {
            "layer_sizes": [int(n) for n in network.layer_sizes],
            "activations": list(network.activations),
        }
        arrays = _weights_arrays(network)
        arrays.update(_dataset_arrays(dataset))
        if dataset is not None:
            model["feature_names"] = list(dataset.feature_names)
            if dataset.class_names:
                model["class_names"] = list(dataset.class_names)
        if trainer is not None:
            state: dict[str, np.ndarray] = {}
            structure = _pack_state(trainer.state_dict(), state)
            arrays.update(state)
            arrays["trainer_state"] = np.array(json.dumps(structure))
            model["epochs_trained"] = int(trainer.epoch)
            model["steps_trained"] = int(trainer.step_count)
            files[history_path] = _history_csv_bytes(trainer.history)
        document["model"] = model
        files[npz_path] = _npz_bytes(arrays)
    header = HEADER_COMMENT.format(name=toml_path.name, stem=toml_path.stem)
    files = {toml_path: (header + "\n" + tomli_w.dumps(document)).encode(), **files}
    _write_atomically(files)
    return toml_path


@dataclass
class LoadedExperiment:
    experiment: Experiment
    network: Network | None          # None when the file has no saved weights
    trainer_state: dict | None       # for Trainer.load_state_dict; None without one
    history: dict | None             # lists per HISTORY_KEYS + "metric_name"; None if absent
    dataset_meta: dict = field(default_factory=dict)  # feature_names, class_names, mean, std
    path: Path | None = None


def _fail(path, problem: str) -> ExperimentError:
    return ExperimentError(f"{path}: {problem}")


def _read_toml(path: Path) -> dict:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise _fail(path, "file not found") from None
    except IsADirectoryError:
        raise _fail(path, "is a directory, not an experiment file") from None
    except PermissionError:
        raise _fail(path, "permission denied") from None
    except UnicodeDecodeError:
        raise _fail(path, "not a UTF-8 text file") from None
    except tomllib.TOMLDecodeError as error:
        raise _fail(path, f"TOML syntax error: {str(error).splitlines()[0]}") from None


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    """Every array in an .npz, read with allow_pickle=False; ExperimentError otherwise."""
    try:
        with path.open("rb") as handle:
            magic = handle.read(6)
        if magic[:1] == b"\x80" and magic[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
            raise _fail(path, "holds pickled data; refused (a model file must never be able "
                        "to run code)")
        if magic == b"\x93NUMPY":
            raise _fail(path, "holds a single .npy array, not an .npz archive")
        if magic[:2] != b"PK":
            raise _fail(path, "not a valid .npz file (not a zip archive)")
        archive = np.load(path, allow_pickle=False)
        with archive:
            arrays = {}
            for key in archive.files:
                try:
                    arrays[key] = archive[key]
                except ValueError as error:
                    if "allow_pickle" in str(error) or "Object arrays" in str(error):
                        raise _fail(
                            path, f"array '{key}' holds pickled objects; refused (a model file "
                            "must never be able to run code)"
                        ) from None
                    raise
            return arrays
    except ExperimentError:
        raise
    except FileNotFoundError:
        raise _fail(path, "file not found") from None
    except IsADirectoryError:
        raise _fail(path, "is a directory, not an .npz file") from None
    except PermissionError:
        raise _fail(path, "permission denied") from None
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError, TypeError,
            AttributeError) as error:
        detail = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise _fail(path, f"not a valid .npz file (truncated or corrupt: {detail})") from None


def _weights_from_arrays(path, arrays, sizes: list[int] | None):
    """(weights, biases) checked against ``sizes``; when None, against each other."""
    n_layers = 0
    while f"W{n_layers}" in arrays:
        n_layers += 1
    if n_layers == 0:
        raise _fail(path, "no weights in the file (expected arrays W0, b0, ...)")
    if sizes is None:
        for i in range(n_layers):
            if arrays[f"W{i}"].ndim != 2:
                raise _fail(path, f"array 'W{i}' has shape {arrays[f'W{i}'].shape}, not a matrix")
        sizes = [arrays["W0"].shape[0], *(arrays[f"W{i}"].shape[1] for i in range(n_layers))]
    if n_layers != len(sizes) - 1:
        raise _fail(path, f"has {n_layers} weight layers, the network has {len(sizes) - 1}")
    weights, biases = [], []
    for i in range(n_layers):
        if f"b{i}" not in arrays:
            raise _fail(path, f"array 'b{i}' is missing")
        W, b = arrays[f"W{i}"], arrays[f"b{i}"]
        for name, array, shape in ((f"W{i}", W, (sizes[i], sizes[i + 1])),
                                   (f"b{i}", b, (sizes[i + 1],))):
            if array.shape != shape:
                raise _fail(
                    path, f"array '{name}' has shape {array.shape}, the network needs {shape}"
                )
            if array.dtype.kind not in "fiu":
                raise _fail(path, f"array '{name}' is {array.dtype}, not numbers")
            if not np.all(np.isfinite(array)):
                raise _fail(path, f"array '{name}' holds non-finite values (nan or inf)")
        weights.append(W)
        biases.append(b)
    return weights, biases


def _network_with(sizes, activations, spec: NetSpec, weights, biases) -> Network:
    network = Network(list(sizes), list(activations), init=spec.init, seed=spec.seed,
                      dtype=np.dtype(spec.dtype))
    for i, (W, b) in enumerate(zip(weights, biases, strict=True)):
        network.weights[i][...] = W
        network.biases[i][...] = b
    return network


def _check_model_section(path, model, experiment: Experiment) -> tuple[list[int], list[str]]:
    if not isinstance(model, dict):
        raise _fail(path, "wrong type for 'model': expected a table [model]")
    allowed = ("layer_sizes", "activations", "feature_names", "class_names", "epochs_trained",
               "steps_trained")
    for key in model:
        if key not in allowed:
            raise _fail(path, f"unknown key '{key}' in [model] (allowed: {', '.join(allowed)})")
    for key in ("layer_sizes", "activations"):
        if key not in model:
            raise _fail(path, f"[model] is missing '{key}'")
    sizes = _coerce("model", "layer_sizes", model["layer_sizes"], list[int])
    activations = _coerce("model", "activations", model["activations"], list[str])
    for key in ("feature_names", "class_names"):
        if key in model:
            _coerce("model", key, model[key], list[str])
    if len(sizes) < 2 or any(n < 1 for n in sizes) or len(activations) != len(sizes) - 1:
        raise _fail(path, "[model] layer_sizes/activations do not describe a network")
    if sizes[1:-1] != list(experiment.net.hidden):
        raise _fail(
            path, f"[model] layer_sizes {sizes} disagree with [net] hidden "
            f"{list(experiment.net.hidden)}"
        )
    if activations[:-1] != list(experiment.net.activations):
        raise _fail(
            path, f"[model] activations {activations} disagree with [net] activations "
            f"{list(experiment.net.activations)}"
        )
    if activations[-1] not in OUTPUT_ACTIVATIONS:
        raise _fail(path, f"[model] output activation '{activations[-1]}' is not one of "
                    f"{', '.join(OUTPUT_ACTIVATIONS)}")
    return sizes, activations


def read_weights(path, sizes: list[int] | None = None):
    """(weights, biases, activations or None) from any .npz with W0, b0, ... arrays (an
    experiment's or a weights-only export); shapes checked against ``sizes`` when given."""
    path = Path(path)
    arrays = _read_npz(path)
    weights, biases = _weights_from_arrays(path, arrays, sizes)
    activations = [str(a) for a in arrays["activations"]] if "activations" in arrays else None
    return weights, biases, activations


def load_weights(path, network: Network) -> Network:
    """A copy of ``network`` with the weights from ``path`` (shape-checked); ``network`` is
    left unchanged."""
    weights, biases, _ = read_weights(path, list(network.layer_sizes))
    result = network.copy()
    for i, (W, b) in enumerate(zip(weights, biases, strict=True)):
        result.weights[i][...] = W
        result.biases[i][...] = b
    return result


def load_experiment(path, weights=None) -> LoadedExperiment:
    """Read an experiment (see module doc). ``weights`` names another .npz to take the
    weights from (shape-checked against the experiment's network); the trainer state and
    history are then not restored. Any problem -> ExperimentError, one line."""
    toml_path = Path(path)
    if toml_path.suffix.lower() == ".npz" or (
        toml_path.suffix.lower() != ".toml" and not toml_path.exists()
    ):
        toml_path = sibling_paths(path)[0]  # "run.npz" or "run" mean run.toml
    _, npz_path, history_path = sibling_paths(toml_path)
    document = _read_toml(toml_path)
    allowed = ("format", "data", "net", "train", "model")
    for key in document:
        if key not in allowed:
            raise _fail(toml_path,
                        f"unknown key '{key}' at top level (allowed: {', '.join(allowed)})")
    version = document.get("format", FORMAT_VERSION)
    if not _is_int(version) or version > FORMAT_VERSION:
        raise _fail(toml_path, f"format {version!r} is not supported (this version reads "
                    f"format {FORMAT_VERSION})")
    specs = {key: document[key] for key in ("data", "net", "train") if key in document}
    try:
        experiment = Experiment.from_dict(specs)
        if experiment.data.path and not Path(experiment.data.path).is_absolute():
            experiment.data.path = str(toml_path.parent / experiment.data.path)
        experiment.validate()
        model = (_check_model_section(toml_path, document["model"], experiment)
                 if "model" in document else None)
    except ExperimentError:
        raise
    except ValueError as error:
        raise _fail(toml_path, str(error)) from None

    network = trainer_state = history = None
    meta: dict = {}
    source = Path(weights) if weights is not None else (npz_path if model else None)
    if source is not None:
        arrays = _read_npz(source)
        if model is None:
            W, b = _weights_from_arrays(source, arrays, None)
            sizes = [W[0].shape[0], *(w.shape[1] for w in W)]
            activations = _infer_activations(source, arrays, experiment, sizes)
            if sizes[1:-1] != list(experiment.net.hidden):
                raise _fail(source, f"layer sizes {sizes} disagree with [net] hidden "
                            f"{list(experiment.net.hidden)} of {toml_path}")
            if activations[:-1] != list(experiment.net.activations):
                raise _fail(source, f"activations {activations} disagree with [net] "
                            f"activations {list(experiment.net.activations)} of {toml_path}")
        else:
            sizes, activations = model
            W, b = _weights_from_arrays(source, arrays, sizes)
        network = _network_with(sizes, activations, experiment.net, W, b)
        if weights is None:
            meta = _meta_from_arrays(source, arrays)
            if "trainer_state" in arrays:
                try:
                    structure = json.loads(str(arrays["trainer_state"][()]))
                    trainer_state = _unpack_state(structure, arrays)
                except (ValueError, KeyError, TypeError, AttributeError):
                    raise _fail(source, "trainer state is corrupt") from None
            if history_path.exists():
                try:
                    history = _read_history_csv(history_path)
                except OSError as error:
                    raise _fail(history_path, error.strerror or str(error)) from None
    return LoadedExperiment(experiment, network, trainer_state, history, meta, toml_path)


def _infer_activations(path, arrays, experiment: Experiment, sizes: list[int]) -> list[str]:
    """Activations of a weights file: its own list, else the [net] spec's with the output
    resolved from the file's output width and the data spec's task."""
    if "activations" in arrays:
        if arrays["activations"].dtype.kind != "U" or len(arrays["activations"]) != len(sizes) - 1:
            raise _fail(path, "array 'activations' does not match the weight layers")
        return [str(a) for a in arrays["activations"]]
    regression = experiment.data.regression
    n_out = sizes[-1]
    if regression is None:
        raise _fail(path, "has no 'activations' array and the task is auto; cannot tell the "
                    "output activation")
    if regression:
        output = "identity"
    elif n_out == 1:
        output = "sigmoid"
    else:
        output = resolve_output_activation(experiment.net.output, "classification", n_out)
    return [*experiment.net.activations, output]


def _meta_from_arrays(path, arrays) -> dict:
    meta: dict = {}
    for key in ("feature_names", "class_names"):
        if key in arrays:
            if arrays[key].dtype.kind != "U":
                raise _fail(path, f"array '{key}' is not text")
            meta[key] = [str(v) for v in arrays[key]]
    if "data_mean" in arrays:
        mean, std = arrays["data_mean"], arrays.get("data_std")
        if std is None or mean.shape != std.shape or mean.dtype.kind != "f":
            raise _fail(path, "standardisation arrays data_mean/data_std do not match")
        meta["mean"], meta["std"] = mean, std
    return meta


# --- exports -----------------------------------------------------------------------------


def export_weights_json(path, network: Network) -> None:
    """Shapes, activations and values of every layer as JSON."""
    document = {
        "layer_sizes": [int(n) for n in network.layer_sizes],
        "activations": list(network.activations),
        "layers": [
            {
                "index": i,
                "activation": network.activations[i],
                "shape": list(W.shape),
                "weights": np.asarray(W, dtype=np.float64).tolist(),
                "biases": np.asarray(b, dtype=np.float64).tolist(),
            }
            for i, (W, b) in enumerate(zip(network.weights, network.biases, strict=True))
        ],
    }
    _write_bytes(path, (json.dumps(document, indent=1) + "\n").encode())


def export_weights_npz(path, network: Network) -> None:
    """Weights only: W0, b0, ... plus layer_sizes and activations (loadable with --weights)."""
    _write_bytes(path, _npz_bytes(_weights_arrays(network)))


def export_dataset_csv(path, dataset: Dataset) -> None:
    """Train and test samples in the data's own units, with a ``split`` column; class
    targets are written by name, so the file loads back with ``--target``."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    target = dataset.target_name
    while target in dataset.feature_names or target == "split":
        target += "_"
    writer.writerow([*dataset.feature_names, target, "split"])
    for split, X, y in (("train", dataset.X_train, dataset.y_train),
                        ("test", dataset.X_test, dataset.y_test)):
        for row, label in zip(dataset.raw(X), y, strict=True):
            value = dataset.class_names[int(label)] if dataset.class_names else repr(float(label))
            writer.writerow([*(repr(float(v)) for v in row), value, split])
    _write_bytes(path, text.getvalue().encode())


def export_history_csv(path, history) -> None:
    """Per-epoch losses and metrics (History or dict of lists) as CSV."""
    _write_bytes(path, _history_csv_bytes(history))


__all__ = [
    "DataSpec", "NetSpec", "Experiment", "Dataset", "LoadedExperiment", "SpecError",
    "ExperimentError", "build_data", "build_network", "build_trainer", "default_loss",
    "resolve_output_activation", "output_units", "network_shape", "check_loss",
    "check_network_fits", "restore_trainer", "save_experiment", "load_experiment",
    "read_weights", "load_weights",
    "export_weights_json", "export_weights_npz", "export_dataset_csv", "export_history_csv",
    "sibling_paths",
]
