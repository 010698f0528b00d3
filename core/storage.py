"""Experiments on disk: save and load.

A saved experiment is ``name.toml`` (the specs, human-editable) and, when it has a network,
two files beside it that its ``[model]`` table names: ``arrays = "name.<id>.npz"`` (weights,
trainer/optimizer state, CSV standardisation) and ``history = "name.<id>.history.csv"``
(per-epoch losses and metrics); ``<id>`` is 8 random hex digits, new for every save. A CSV's
path is stored relative to the TOML file and read back relative to it.

A save is all or nothing as a set: the arrays and history go to new names that nothing
refers to yet, are flushed to disk, and only then is the TOML renamed into place. That
rename is the commit point: before it the old TOML names the old files, which are
untouched; after it the new TOML names the new ones, complete. The files the old TOML
named are removed after the commit, with whatever an earlier killed save left (its temp
files, and arrays/history under this name that no TOML refers to). Saves into one folder
hold a lock on it, so one never removes the parts another has not committed yet; a load
whose TOML was replaced under it by such a save reads the new one (the last of its tries
waits for the lock, so saves racing in a loop cannot starve it).

Files of format 1 (``name.npz`` and ``name.history.csv`` beside ``name.toml``, not named in
it) still load, and a mix of two saves among them is refused (the epochs disagree); a save
with a network over one removes them, as a format-1 save overwrote them.

Every read problem is an ``ExperimentError`` with one line naming the file and the problem,
and leaves everything the caller holds untouched. ``.npz`` files are read with
``exports.read_weights_npz``: headers checked against the network before any data, and
``allow_pickle=False`` (a model file must never be able to run code).
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import tomli_w

from ffnn.core.data import Dataset
from ffnn.core.exports import (
    checked_weights,
    load_weights,
    npz_bytes,
    read_weights,
    read_weights_npz,
    set_weights,
    weights_arrays,
)
from ffnn.core.fields import SpecError, is_int
from ffnn.core.files import (
    PART_ENDINGS,
    ExperimentError,
    experiment_files,
    experiment_stem,
    experiment_toml,
    file_problem,
    locked_directory,
    relative_to,
    save_set,
    sibling_paths,
    tidy_path,
)
from ffnn.core.network import Network
from ffnn.core.serialisation import (
    coerce,
    experiment_from_dict,
    experiment_to_dict,
    history_csv_bytes,
    pack_state,
    read_history_csv,
    unpack_state,
)
from ffnn.core.specs import OUTPUT_ACTIVATIONS, Experiment, NetSpec, output_activation

FORMAT_VERSION = 2  # 2: [model] names its arrays and history files; 1: fixed names beside it


def _fail(path, problem: str) -> ExperimentError:
    return ExperimentError(f"{path}: {problem}")


# --- save --------------------------------------------------------------------------------


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
    "# `ffnn-tui train --config {name}`. Weights and history, if saved, are in the files\n"
    "# [model] names (arrays, history), beside this file.\n"
)


def _model_table(network: Network, trainer, dataset: Dataset | None):
    """([model] table, {part: bytes}) for a network and, if any, its trainer."""
    model: dict = {"layer_sizes": [int(n) for n in network.layer_sizes],
                   "activations": list(network.activations)}
    arrays = weights_arrays(network)
    arrays.update(_dataset_arrays(dataset))
    if dataset is not None:
        model["feature_names"] = list(dataset.feature_names)
        if dataset.class_names:
            model["class_names"] = list(dataset.class_names)
    parts: dict[str, bytes] = {}
    if trainer is not None:
        state: dict[str, np.ndarray] = {}
        structure = pack_state(trainer.state_dict(), state)
        arrays.update(state)
        arrays["trainer_state"] = np.array(json.dumps(structure))
        model["epochs_trained"] = int(trainer.epoch)
        model["steps_trained"] = int(trainer.step_count)
        parts["history"] = history_csv_bytes(trainer.history)
    return model, {"arrays": npz_bytes(arrays), **parts}


def save_experiment(path, experiment: Experiment, trainer=None, dataset: Dataset | None = None,
                    *, network: Network | None = None) -> Path:
    """Write ``path`` (.toml) and, when there is a network (``trainer.network`` or
    ``network``), the .npz with weights, trainer/optimizer state and CSV standardisation,
    plus (with a trainer) the history CSV, which the TOML names (see module doc). All or
    nothing: on failure ExperimentError, and the old files are untouched. Returns the TOML
    path."""
    toml_path = experiment_toml(path)
    if network is None and trainer is not None:
        network = trainer.network
    document: dict = {"format": 1, **experiment_to_dict(experiment)}
    if experiment.data.path:
        # A CSV path is stored relative to the TOML, so a folder of both can move as one.
        document["data"]["path"] = relative_to(experiment.data.path, toml_path.parent)
    model, parts = _model_table(network, trainer, dataset) if network else (None, {})
    header = HEADER_COMMENT.format(name=toml_path.name)

    def toml_bytes(names: dict[str, str]) -> bytes:
        if model is not None:  # format 1 readers could not find the named parts: say 2
            document["format"] = FORMAT_VERSION
            document["model"] = {**model, **names}
        return (header + "\n" + tomli_w.dumps(document)).encode()

    save_set(toml_path, parts, toml_bytes)
    return toml_path


# --- load --------------------------------------------------------------------------------


@dataclass
class LoadedExperiment:
    experiment: Experiment
    network: Network | None          # None when the file has no saved weights
    trainer_state: dict | None       # for Trainer.load_state_dict; None without one
    history: dict | None             # lists per HISTORY_KEYS + "metric_name"; None if absent
    dataset_meta: dict = field(default_factory=dict)  # feature_names, class_names, mean, std
    path: Path | None = None
    arrays_path: Path | None = None  # the .npz the network (and trainer state) came from


def _read_toml(path: Path) -> dict:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as error:
        raise _fail(path, file_problem(error, "an experiment file")) from None
    except UnicodeDecodeError:
        raise _fail(path, "not a UTF-8 text file") from None
    except tomllib.TOMLDecodeError as error:
        raise _fail(path, f"TOML syntax error: {str(error).splitlines()[0]}") from None


def _network_with(sizes, activations, spec: NetSpec, weights, biases) -> Network:
    network = Network(list(sizes), list(activations), init=spec.init, seed=spec.seed,
                      dtype=np.dtype(spec.dtype))
    return set_weights(network, weights, biases)


def _part_name(path, key: str, value) -> str:
    """A [model] arrays/history entry: a file name in the TOML's own folder, nothing more
    (a save removes the files a TOML named, so a path elsewhere must never be one)."""
    ending = PART_ENDINGS[key]
    if (not isinstance(value, str) or not value.endswith(ending) or value.startswith(".")
            or any(c in value for c in "/\\:\0")):
        raise _fail(path, f"[model] {key} must be the name of a {ending} file beside the "
                    f"TOML, got {value!r}")
    return value


def _check_model_section(path, model, experiment: Experiment) -> tuple[list[int], list[str]]:
    if not isinstance(model, dict):
        raise _fail(path, "wrong type for 'model': expected a table [model]")
    allowed = ("layer_sizes", "activations", "feature_names", "class_names", "epochs_trained",
               "steps_trained", *PART_ENDINGS)
    for key in model:
        if key not in allowed:
            raise _fail(path, f"unknown key '{key}' in [model] (allowed: {', '.join(allowed)})")
    for key in ("layer_sizes", "activations"):
        if key not in model:
            raise _fail(path, f"[model] is missing '{key}'")
    sizes = coerce("model", "layer_sizes", model["layer_sizes"], "sizes")
    activations = coerce("model", "activations", model["activations"], "names")
    for key in ("feature_names", "class_names"):
        if key in model:
            coerce("model", key, model[key], "names")
    for key in ("epochs_trained", "steps_trained"):
        if key in model:
            coerce("model", key, model[key], "int")
    for key in PART_ENDINGS:
        if key in model:
            _part_name(path, key, model[key])
    if "history" in model and "arrays" not in model:
        raise _fail(path, "[model] names a history but no arrays")
    if len(sizes) < 2 or any(n < 1 for n in sizes) or len(activations) != len(sizes) - 1:
        raise _fail(path, "[model] layer_sizes/activations do not describe a network")
    _check_against_net(path, "[model] ", sizes, activations, experiment.net)
    if activations[-1] not in OUTPUT_ACTIVATIONS:
        raise _fail(path, f"[model] output activation '{activations[-1]}' is not one of "
                    f"{', '.join(OUTPUT_ACTIVATIONS)}")
    return sizes, activations


def _check_against_net(path, source: str, sizes, activations, net: NetSpec) -> None:
    """The hidden layers ``source`` describes ([model], or the weights themselves) must be
    the ones [net] asks for."""
    if sizes[1:-1] != list(net.hidden):
        raise _fail(path, f"{source}layer sizes {sizes} disagree with [net] hidden "
                    f"{list(net.hidden)}")
    if activations[:-1] != list(net.activations):
        raise _fail(path, f"{source}activations {activations} disagree with [net] "
                    f"activations {list(net.activations)}")




def _infer_activations(path, arrays, experiment: Experiment, sizes: list[int]) -> list[str]:
    """Activations of a weights file: its own list, else the [net] spec's with the output
    resolved from the file's output width and the data spec's task."""
    if "activations" in arrays:
        if arrays["activations"].dtype.kind != "U" or len(arrays["activations"]) != len(sizes) - 1:
            raise _fail(path, "array 'activations' does not match the weight layers")
        return [str(a) for a in arrays["activations"]]
    task = experiment.data.known_task
    if task is None:
        raise _fail(path, "has no 'activations' array and the task is auto; cannot tell the "
                    "output activation")
    if task == "regression":
        output = "identity"
    elif sizes[-1] == 1:
        output = "sigmoid"
    else:
        output = output_activation(experiment.net.output, "classification")
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


def _read_history(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise _fail(path, file_problem(error, "a history CSV")) from None
    except UnicodeDecodeError:
        raise _fail(path, "not a UTF-8 text file") from None
    try:
        return read_history_csv(text, str(path))
    except ValueError as error:
        raise ExperimentError(str(error)) from None


def _read_specs(toml_path: Path) -> tuple[dict, Experiment, tuple | None]:
    """(TOML document, its experiment validated, (sizes, activations) of [model] or None)."""
    document = _read_toml(toml_path)
    allowed = ("format", "data", "net", "train", "model")
    for key in document:
        if key not in allowed:
            raise _fail(toml_path,
                        f"unknown key '{key}' at top level (allowed: {', '.join(allowed)})")
    version = document.get("format", FORMAT_VERSION)
    if not is_int(version) or version > FORMAT_VERSION:
        raise _fail(toml_path, f"format {version!r} is not supported (this version reads "
                    f"format {FORMAT_VERSION})")
    specs = {key: document[key] for key in ("data", "net", "train") if key in document}
    try:
        experiment = experiment_from_dict(specs)
        if experiment.data.path:  # stored relative to the TOML's folder
            experiment.data.path = tidy_path(toml_path.parent / experiment.data.path)
        experiment.validate()
        model = (_check_model_section(toml_path, document["model"], experiment)
                 if "model" in document else None)
    except ExperimentError:
        raise
    except SpecError as error:  # in a file, name the key as it is written there
        section, _, name = error.field.partition(".")
        reason = str(error).partition(": ")[2] or str(error)
        raise _fail(toml_path, f"{name} in [{section}]: {reason}") from None
    except ValueError as error:
        raise _fail(toml_path, str(error)) from None
    return document, experiment, model


def _part_paths(toml_path: Path, model: dict) -> tuple[Path, Path | None]:
    """(arrays .npz, history CSV or None) of a [model] table: the files it names, or format
    1's fixed names beside the TOML (its history only when there is one)."""
    if "arrays" in model:
        history = model.get("history")
        return (toml_path.with_name(model["arrays"]),
                toml_path.with_name(history) if history else None)
    stem = experiment_stem(toml_path)
    npz, history = (toml_path.with_name(stem + ending) for ending in PART_ENDINGS.values())
    return npz, history if history.exists() else None


def _check_agree(toml_path: Path, model: dict, npz: Path, state, history, history_path):
    """The TOML, the arrays and the history must come from one save: a mix (format 1's
    files after a killed save) is refused, not loaded with the wrong epochs."""
    epochs = model.get("epochs_trained")
    if epochs is None:
        return
    if state is not None and is_int(state.get("epoch")) and int(state["epoch"]) != epochs:
        raise _fail(npz, f"holds the trainer state of epoch {int(state['epoch'])}, but "
                    f"{toml_path.name} says epoch {epochs} (files of two different saves)")
    last = history["epoch"][-1] if history and history.get("epoch") else 0
    if history is not None and last != epochs:
        raise _fail(history_path, f"ends at epoch {last}, but {toml_path.name} says epoch "
                    f"{epochs} (files of two different saves)")


def _trainer_state(source: Path, arrays) -> dict | None:
    if "trainer_state" not in arrays:
        return None
    try:
        structure = json.loads(str(arrays["trainer_state"][()]))
        return unpack_state(structure, arrays)
    except (ValueError, KeyError, TypeError, AttributeError, IndexError):
        raise _fail(source, "trainer state is corrupt") from None


def _load(toml_path: Path, weights) -> LoadedExperiment:
    document, experiment, model = _read_specs(toml_path)
    loaded = LoadedExperiment(experiment, None, None, None, {}, toml_path)
    if model is None and weights is None:
        return loaded
    npz_path, history_path = (_part_paths(toml_path, document["model"]) if model
                              else (None, None))
    source = Path(weights) if weights is not None else npz_path
    arrays, sizes = read_weights_npz(source, model[0] if model else None)
    W, b = checked_weights(source, arrays, sizes)
    if model is None:
        activations = _infer_activations(source, arrays, experiment, sizes)
        _check_against_net(source, "", sizes, activations, experiment.net)
    else:
        activations = model[1]
    loaded.network = _network_with(sizes, activations, experiment.net, W, b)
    loaded.arrays_path = source
    if weights is None:
        loaded.dataset_meta = _meta_from_arrays(source, arrays)
        loaded.trainer_state = _trainer_state(source, arrays)
        if history_path is not None:
            loaded.history = _read_history(history_path)
        _check_agree(toml_path, document["model"], source, loaded.trainer_state,
                     loaded.history, history_path)
    return loaded


LOAD_ATTEMPTS = 10  # reads of a TOML that other saves keep replacing, before giving up


def _stamp(path: Path) -> bytes | None:
    """The TOML's bytes: every save names new array and history files, so a save in between
    always changes them (a stat can repeat: inode numbers are reused and mtimes are coarse)."""
    try:
        return path.read_bytes()
    except OSError:
        return None


def load_experiment(path, weights=None) -> LoadedExperiment:
    """Read an experiment (see module doc). ``weights`` names another .npz to take the
    weights from (shape-checked against the experiment's network); the trainer state and
    history are then not restored. Any problem -> ExperimentError, one line."""
    toml_path = Path(path)
    if toml_path.suffix.lower() == ".npz" or (
        toml_path.suffix.lower() != ".toml" and not toml_path.exists()
    ):
        toml_path = experiment_toml(path)  # "run.npz" or "run" mean run.toml
    for _ in range(LOAD_ATTEMPTS - 1):
        stamp = _stamp(toml_path)
        try:
            return _load(toml_path, weights)
        except ExperimentError:
            # A save in another process may have committed a new TOML and removed the files
            # the one read here named: read again. The same TOML -> the error is real.
            if _stamp(toml_path) == stamp:
                raise
    # Saves that keep racing this read (two processes saving in a loop) would starve it:
    # the last read waits for the folder's save lock, so no save runs under it.
    with locked_directory(toml_path.parent):
        return _load(toml_path, weights)


__all__ = ["ExperimentError", "LoadedExperiment", "experiment_files", "sibling_paths",
           "save_experiment", "load_experiment", "read_weights", "load_weights", "tidy_path",
           "npz_bytes", "weights_arrays"]
