"""Experiments on disk: save and load.

A saved experiment is up to three files side by side: ``name.toml`` (the specs, human-editable,
with a ``[model]`` table naming the network's layer sizes and activations when weights were
saved), ``name.npz`` (weights, trainer/optimizer state, CSV standardisation) and
``name.history.csv`` (per-epoch losses and metrics). A CSV's path is stored relative to the
TOML file and read back relative to it.

A save writes all its files or none (``files.write_atomically``). Every read problem is an
``ExperimentError`` with one line naming the file and the problem, and leaves everything the
caller holds untouched. ``.npz`` files are always read with ``allow_pickle=False``: a model
file must never be able to run code.
"""

from __future__ import annotations

import io
import json
import tomllib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import tomli_w

from ffnn.core.data import Dataset
from ffnn.core.fields import SpecError, is_int
from ffnn.core.files import (
    ExperimentError,
    file_problem,
    relative_to,
    tidy_path,
    write_atomically,
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

FORMAT_VERSION = 1


def _fail(path, problem: str) -> ExperimentError:
    return ExperimentError(f"{path}: {problem}")


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    for key, array in arrays.items():
        if array.dtype.hasobject:
            raise ExperimentError(f"refusing to save object array '{key}' (it would be pickled)")
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()



# --- save --------------------------------------------------------------------------------


def sibling_paths(path) -> tuple[Path, Path, Path]:
    """(toml, npz, history csv) for an experiment path (the suffix is replaced)."""
    path = Path(path)
    base = path.with_suffix("") if path.suffix.lower() in (".toml", ".npz") else path
    return (base.with_name(base.name + ".toml"), base.with_name(base.name + ".npz"),
            base.with_name(base.name + ".history.csv"))


def weights_arrays(network: Network) -> dict[str, np.ndarray]:
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


def save_experiment(path, experiment: Experiment, trainer=None, dataset: Dataset | None = None,
                    *, network: Network | None = None) -> Path:
    """Write ``path`` (.toml) and, when there is a network (``trainer.network`` or
    ``network``), ``<stem>.npz`` with weights, trainer/optimizer state and CSV
    standardisation, plus ``<stem>.history.csv``. All or nothing, each write atomic.
    Returns the TOML path."""
    toml_path, npz_path, history_path = sibling_paths(path)
    if network is None and trainer is not None:
        network = trainer.network
    document: dict = {"format": FORMAT_VERSION, **experiment_to_dict(experiment)}
    if experiment.data.path:
        # A CSV path is stored relative to the TOML, so a folder of both can move as one.
        document["data"]["path"] = relative_to(experiment.data.path, toml_path.parent)
    files: dict[Path, bytes] = {}
    if network is not None:
        model: dict = {
            "layer_sizes": [int(n) for n in network.layer_sizes],
            "activations": list(network.activations),
        }
        arrays = weights_arrays(network)
        arrays.update(_dataset_arrays(dataset))
        if dataset is not None:
            model["feature_names"] = list(dataset.feature_names)
            if dataset.class_names:
                model["class_names"] = list(dataset.class_names)
        if trainer is not None:
            state: dict[str, np.ndarray] = {}
            structure = pack_state(trainer.state_dict(), state)
            arrays.update(state)
            arrays["trainer_state"] = np.array(json.dumps(structure))
            model["epochs_trained"] = int(trainer.epoch)
            model["steps_trained"] = int(trainer.step_count)
            files[history_path] = history_csv_bytes(trainer.history)
        document["model"] = model
        files[npz_path] = npz_bytes(arrays)
    header = HEADER_COMMENT.format(name=toml_path.name, stem=toml_path.stem)
    files = {toml_path: (header + "\n" + tomli_w.dumps(document)).encode(), **files}
    write_atomically(files)
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
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError, TypeError,
            AttributeError) as error:
        if isinstance(error, OSError) and error.errno is not None:  # the file system's, not
            raise _fail(path, file_problem(error, "an .npz file")) from None  # the archive's
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


def _set_weights(network: Network, weights, biases) -> Network:
    """Copy shape-checked arrays into ``network``'s own buffers (cast to its dtype)."""
    for i, (W, b) in enumerate(zip(weights, biases, strict=True)):
        network.weights[i][...] = W
        network.biases[i][...] = b
    return network


def _network_with(sizes, activations, spec: NetSpec, weights, biases) -> Network:
    network = Network(list(sizes), list(activations), init=spec.init, seed=spec.seed,
                      dtype=np.dtype(spec.dtype))
    return _set_weights(network, weights, biases)


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
    sizes = coerce("model", "layer_sizes", model["layer_sizes"], "sizes")
    activations = coerce("model", "activations", model["activations"], "names")
    for key in ("feature_names", "class_names"):
        if key in model:
            coerce("model", key, model[key], "names")
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
    return _set_weights(network.copy(), weights, biases)


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

    network = trainer_state = history = None
    meta: dict = {}
    source = Path(weights) if weights is not None else (npz_path if model else None)
    if source is not None:
        arrays = _read_npz(source)
        if model is None:
            W, b = _weights_from_arrays(source, arrays, None)
            sizes = [W[0].shape[0], *(w.shape[1] for w in W)]
            activations = _infer_activations(source, arrays, experiment, sizes)
            _check_against_net(source, "", sizes, activations, experiment.net)
        else:
            sizes, activations = model
            W, b = _weights_from_arrays(source, arrays, sizes)
        network = _network_with(sizes, activations, experiment.net, W, b)
        if weights is None:
            meta = _meta_from_arrays(source, arrays)
            if "trainer_state" in arrays:
                try:
                    structure = json.loads(str(arrays["trainer_state"][()]))
                    trainer_state = unpack_state(structure, arrays)
                except (ValueError, KeyError, TypeError, AttributeError):
                    raise _fail(source, "trainer state is corrupt") from None
            if history_path.exists():
                history = _read_history(history_path)
    return LoadedExperiment(experiment, network, trainer_state, history, meta, toml_path)


__all__ = ["ExperimentError", "LoadedExperiment", "sibling_paths", "save_experiment",
           "load_experiment", "read_weights", "load_weights", "tidy_path"]
