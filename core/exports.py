"""One-file exports: weights (.npz, JSON), the data (CSV), the history (CSV), any text
(the app's SVG screenshots). Each is written atomically.

The weights .npz is also read back here (``--weights``, and the arrays of a saved
experiment): its headers are checked against the network before any data is read.
"""

from __future__ import annotations

import csv
import io
import json
import math
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.lib import format as npy_format

from ffnn.core.data import Dataset
from ffnn.core.files import ExperimentError, file_problem, write_bytes
from ffnn.core.network import Network
from ffnn.core.serialisation import history_csv_bytes


def _fail(path, problem: str) -> ExperimentError:
    return ExperimentError(f"{path}: {problem}")


# --- weights .npz: written, and read back without trusting it ------------------------------

# Numbers, booleans and text only: an object array would need pickle, and other kinds
# (void, datetime, complex) are nothing an experiment holds.
NPZ_KINDS = "fiubU"
NPZ_MAX_BYTES = 2**31          # no network this app trains needs 2 GiB of arrays
NPZ_MAX_RATIO = 100            # float weights barely compress; 100× smaller is a zip bomb
NPZ_SMALL = 1 << 20            # ... unless the member is small anyway (zeros compress well)


@dataclass(frozen=True)
class NpyHeader:
    """What an .npz member says it holds, read before its data."""
    shape: tuple[int, ...]
    dtype: np.dtype
    nbytes: int                  # the data's size the header declares

    @property
    def ndim(self) -> int:
        return len(self.shape)


def _header_of(path, key: str, member, info: zipfile.ZipInfo, archive_size: int) -> NpyHeader:
    """The member's .npy header, checked against the zip's own sizes before any data is
    read: numpy allocates the whole declared array first, so a header that lies (shape
    10¹² in 32 bytes) would otherwise be a MemoryError."""
    name = f"array '{key}'"
    if info.compress_size > archive_size:
        raise _fail(path, f"{name} claims more bytes than the file has (truncated or corrupt)")
    if info.compress_type == zipfile.ZIP_STORED and info.file_size != info.compress_size:
        raise _fail(path, f"{name} has inconsistent sizes in the archive (corrupt)")
    if info.file_size > max(NPZ_SMALL, NPZ_MAX_RATIO * info.compress_size):
        raise _fail(path, f"{name} unpacks {info.file_size:,} bytes from "
                    f"{info.compress_size:,}; refused (a zip bomb?)")
    version = npy_format.read_magic(member)
    if version == (1, 0):
        shape, _, dtype = npy_format.read_array_header_1_0(member)
    elif version == (2, 0):
        shape, _, dtype = npy_format.read_array_header_2_0(member)
    else:
        raise _fail(path, f"{name} uses .npy format {version[0]}.{version[1]}, not supported")
    if any(n < 0 for n in shape):
        raise _fail(path, f"{name} declares shape {shape}, not a shape")
    if dtype.hasobject:
        raise _fail(path, f"{name} holds pickled objects; refused (a model file must never "
                    "be able to run code)")
    if dtype.kind not in NPZ_KINDS or dtype.fields is not None or dtype.subdtype is not None:
        raise _fail(path, f"{name} has dtype {dtype}, not numbers or text")
    nbytes = math.prod(shape) * dtype.itemsize
    stored = info.file_size - member.tell()
    if nbytes != stored:
        raise _fail(path, f"{name} declares shape {shape} of {dtype} ({nbytes:,} bytes) but "
                    f"holds {max(stored, 0):,} bytes")
    return NpyHeader(tuple(shape), dtype, nbytes)


def _npz_magic(path: Path) -> None:
    """Refuse what is not a zip before zipfile or numpy see it, with the reason."""
    with path.open("rb") as handle:
        magic = handle.read(6)
    if magic[:1] == b"\x80" and magic[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        raise _fail(path, "holds pickled data; refused (a model file must never be able to "
                    "run code)")
    if magic == b"\x93NUMPY":
        raise _fail(path, "holds a single .npy array, not an .npz archive")
    if magic[:2] != b"PK":
        raise _fail(path, "not a valid .npz file (not a zip archive)")


def _members(path, archive: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    members: dict[str, zipfile.ZipInfo] = {}
    for info in archive.infolist():
        if not info.filename.endswith(".npy"):
            raise _fail(path, f"holds '{info.filename}', which is not an .npy array")
        key = info.filename[:-4]
        if key in members:
            raise _fail(path, f"array '{key}' appears twice")
        members[key] = info
    return members


def read_npz(path, check: Callable[[dict[str, NpyHeader]], None] | None = None
             ) -> dict[str, np.ndarray]:
    """Every array in an .npz. The headers of all members are read and checked first (dtype
    numbers or text, declared size = stored size, no zip bomb, 2 GiB at most in all), then
    ``check(headers)`` may refuse them (against the network they must fit) — all before any
    data is read. Always ``allow_pickle=False``. Any problem -> ExperimentError, one line."""
    path = Path(path)
    try:
        _npz_magic(path)
        archive_size = path.stat().st_size
        with zipfile.ZipFile(path) as archive:
            members = _members(path, archive)
            headers = {}
            for key, info in members.items():
                with archive.open(info) as member:
                    headers[key] = _header_of(path, key, member, info, archive_size)
            total = sum(header.nbytes for header in headers.values())
            if total > NPZ_MAX_BYTES:
                raise _fail(path, f"holds {total:,} bytes of arrays; refused (at most "
                            f"{NPZ_MAX_BYTES:,})")
            if check is not None:
                check(headers)
            arrays = {}
            for key, info in members.items():
                with archive.open(info) as member:
                    arrays[key] = npy_format.read_array(member, allow_pickle=False)
            return arrays
    except ExperimentError:
        raise
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError, TypeError,
            AttributeError, NotImplementedError, RuntimeError) as error:
        if isinstance(error, OSError) and error.errno is not None:  # the file system's, not
            raise _fail(path, file_problem(error, "an .npz file")) from None  # the archive's
        detail = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise _fail(path, f"not a valid .npz file (truncated or corrupt: {detail})") from None


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    for key, array in arrays.items():
        if array.dtype.hasobject:
            raise ExperimentError(f"refusing to save object array '{key}' (it would be pickled)")
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def weights_arrays(network: Network) -> dict[str, np.ndarray]:
    arrays = {}
    for i, (W, b) in enumerate(zip(network.weights, network.biases, strict=True)):
        arrays[f"W{i}"] = np.array(W)
        arrays[f"b{i}"] = np.array(b)
    arrays["layer_sizes"] = np.array(network.layer_sizes, dtype=np.int64)
    arrays["activations"] = np.array(list(network.activations), dtype=str)
    return arrays


def _layer_sizes(path, headers: dict[str, NpyHeader], sizes: list[int] | None) -> list[int]:
    """The layer sizes the W0, b0, ... headers describe, checked against ``sizes`` when
    given (else against each other), before any data is read."""
    n_layers = 0
    while f"W{n_layers}" in headers:
        n_layers += 1
    if n_layers == 0:
        raise _fail(path, "no weights in the file (expected arrays W0, b0, ...)")
    if sizes is None:
        for i in range(n_layers):
            if headers[f"W{i}"].ndim != 2:
                raise _fail(path, f"array 'W{i}' has shape {headers[f'W{i}'].shape}, not a "
                            "matrix")
        sizes = [headers["W0"].shape[0], *(headers[f"W{i}"].shape[1] for i in range(n_layers))]
    if n_layers != len(sizes) - 1:
        raise _fail(path, f"has {n_layers} weight layers, the network has {len(sizes) - 1}")
    for i in range(n_layers):
        if f"b{i}" not in headers:
            raise _fail(path, f"array 'b{i}' is missing")
        for name, shape in ((f"W{i}", (sizes[i], sizes[i + 1])), (f"b{i}", (sizes[i + 1],))):
            if headers[name].shape != shape:
                raise _fail(path, f"array '{name}' has shape {headers[name].shape}, the "
                            f"network needs {shape}")
            if headers[name].dtype.kind not in "fiu":
                raise _fail(path, f"array '{name}' is {headers[name].dtype}, not numbers")
    return list(sizes)


NPZ_SLACK = 16 << 20  # names, trainer-state JSON, standardisation: small beside any weights


def _check_size(path, headers: dict[str, NpyHeader], sizes: list[int]) -> None:
    """An experiment's arrays are its weights, at most two optimizer buffers of the same
    shapes, and a little text: more than four float64 copies of the parameters is not a
    file this network wrote (a zip bomb, or a header that lies)."""
    n_params = sum(a * b + b for a, b in zip(sizes, sizes[1:], strict=False))
    budget = NPZ_SLACK + 4 * 8 * n_params
    total = sum(header.nbytes for header in headers.values())
    if total > budget:
        biggest = max(headers, key=lambda key: headers[key].nbytes)
        raise _fail(path, f"holds {total:,} bytes of arrays (array '{biggest}' "
                    f"{headers[biggest].nbytes:,}), more than a network of {n_params:,} "
                    "parameters needs; refused")


def read_weights_npz(path, sizes: list[int] | None) -> tuple[dict[str, np.ndarray], list[int]]:
    """(arrays, layer sizes) of a weights .npz whose headers fit ``sizes`` (or each other)."""
    found: list[int] = []

    def check(headers: dict[str, NpyHeader]) -> None:
        found.extend(_layer_sizes(path, headers, sizes))
        _check_size(path, headers, found)

    arrays = read_npz(path, check)
    return arrays, found


def checked_weights(path, arrays, sizes: list[int]):
    """(weights, biases) from arrays ``read_weights_npz`` has checked the shapes of; their
    values must be finite."""
    weights = [arrays[f"W{i}"] for i in range(len(sizes) - 1)]
    biases = [arrays[f"b{i}"] for i in range(len(sizes) - 1)]
    for i, (W, b) in enumerate(zip(weights, biases, strict=True)):
        for name, array in ((f"W{i}", W), (f"b{i}", b)):
            if not np.all(np.isfinite(array)):
                raise _fail(path, f"array '{name}' holds non-finite values (nan or inf)")
    return weights, biases


def set_weights(network: Network, weights, biases) -> Network:
    """Copy shape-checked arrays into ``network``'s own buffers (cast to its dtype)."""
    for i, (W, b) in enumerate(zip(weights, biases, strict=True)):
        network.weights[i][...] = W
        network.biases[i][...] = b
    return network


def read_weights(path, sizes: list[int] | None = None):
    """(weights, biases, activations or None) from any .npz with W0, b0, ... arrays (an
    experiment's or a weights-only export); shapes checked against ``sizes`` when given,
    from the headers, before any data is read."""
    path = Path(path)
    arrays, sizes = read_weights_npz(path, sizes)
    weights, biases = checked_weights(path, arrays, sizes)
    activations = None
    if "activations" in arrays and arrays["activations"].dtype.kind == "U":
        activations = [str(a) for a in arrays["activations"]]
    return weights, biases, activations


def load_weights(path, network: Network) -> Network:
    """A copy of ``network`` with the weights from ``path`` (shape-checked); ``network`` is
    left unchanged."""
    weights, biases, _ = read_weights(path, list(network.layer_sizes))
    return set_weights(network.copy(), weights, biases)


# --- exports ---------------------------------------------------------------------------


def write_text(path, text: str) -> None:
    """Write a text file atomically (the app's SVG screenshots); ExperimentError on failure."""
    write_bytes(path, text.encode("utf-8"))


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
    write_bytes(path, (json.dumps(document, indent=1) + "\n").encode())


def export_weights_npz(path, network: Network) -> None:
    """Weights only: W0, b0, ... plus layer_sizes and activations (loadable with --weights)."""
    write_bytes(path, npz_bytes(weights_arrays(network)))


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
    write_bytes(path, text.getvalue().encode())


def export_history_csv(path, history) -> None:
    """Per-epoch losses and metrics (History or dict of lists) as CSV."""
    write_bytes(path, history_csv_bytes(history))
