"""An experiment's contents as plain data: the TOML tables of its specs, the trainer state as
arrays plus a JSON structure, the history as CSV text. No files are opened here
(``ffnn.core.storage`` reads and writes them).

Types are checked against each setting's rule (``ffnn.core.fields``): a wrong type is a
ValueError naming the key and its section; ranges are the specs' ``validate()``'s business.
"""

from __future__ import annotations

import csv
import io
import math

import numpy as np

from ffnn.core.fields import is_int, is_number
from ffnn.core.specs import SECTIONS, SETTINGS, Experiment
from ffnn.core.trainer import History

# --- specs <-> TOML tables ---------------------------------------------------------------


def experiment_to_dict(experiment: Experiment) -> dict:
    """{"data": {...}, "net": {...}, "train": {...}}: None becomes an absent key, or "none"
    when the setting's default is not None (epochs = "none": train without end)."""
    document: dict = {}
    for section in SECTIONS:
        spec = getattr(experiment, section)
        table = {}
        for key, setting in SETTINGS.items():
            if not key.startswith(section + "."):
                continue
            value = getattr(spec, setting.name)
            if value is None:
                if setting.default is not None:
                    table[setting.name] = "none"
                continue
            if isinstance(value, np.generic):
                value = value.item()
            if isinstance(value, tuple):
                value = list(value)
            if isinstance(value, float) and not math.isfinite(value):
                value = repr(value)  # tomli_w writes nan/inf, but keep files obvious
            table[setting.name] = value
        document[section] = table
    return document


def experiment_from_dict(document: dict) -> Experiment:
    """An Experiment from tables like ``experiment_to_dict``'s; missing keys take defaults.
    Unknown keys and wrong types raise ValueError naming the key and its section. Values are
    not range-checked here: call ``validate()``."""
    if not isinstance(document, dict):
        raise ValueError("an experiment must be a table of [data], [net], [train]")
    for key in document:
        if key not in SECTIONS:
            raise ValueError(f"unknown key '{key}' at top level (allowed: data, net, train)")
    experiment = Experiment()
    for section, table in document.items():
        if not isinstance(table, dict):
            raise ValueError(f"wrong type for '{section}': expected a table [{section}]")
        spec = getattr(experiment, section)
        names = [key.split(".")[1] for key in SETTINGS if key.startswith(section + ".")]
        for name, value in table.items():
            if name not in names:
                raise ValueError(f"unknown key '{name}' in [{section}] "
                                 f"(allowed: {', '.join(names)})")
            setting = SETTINGS[f"{section}.{name}"]
            setattr(spec, name, coerce(section, name, value, setting.rule.kind,
                                       setting.rule.optional))
    return experiment


_WORDS = {"int": "an integer", "float": "a number", "choice": "a string", "text": "a string",
          "sizes": "an array of integers", "names": "an array of strings"}


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


def coerce(section: str, key: str, value, kind: str, optional: bool = False):
    """``value`` as a setting of ``kind`` (see fields.KINDS) or ValueError naming the key and
    the expected type."""
    expected = _WORDS[kind] + (' or "none"' if optional else "")
    if optional and isinstance(value, str) and value.lower() == "none" and kind != "text":
        return None
    ok = True
    if kind == "int":
        ok = is_int(value)
        value = int(value) if ok else value
    elif kind == "float":
        if isinstance(value, str) and value.lower() in ("nan", "inf", "-inf", "+inf"):
            return float(value)
        ok = is_number(value)
        value = float(value) if ok else value
    elif kind in ("choice", "text"):
        ok = isinstance(value, str)
    elif kind == "sizes":
        ok = isinstance(value, list) and all(is_int(v) for v in value)
        value = [int(v) for v in value] if ok else value
    else:  # names
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
    if not ok:
        raise ValueError(f"wrong type for '{key}' in [{section}]: expected {expected}, "
                         f"got {_describe(value)}")
    return value


# --- trainer state <-> arrays + JSON structure --------------------------------------------
# The state dict may nest dicts/lists; arrays and NumPy scalars go into the npz as
# "trainer.<n>", the structure (with Python ints/floats/strings inline) as a JSON string.


def pack_state(obj, arrays: dict[str, np.ndarray]):
    if isinstance(obj, np.ndarray | np.generic):
        key = f"trainer.{len(arrays)}"
        arrays[key] = np.array(obj)
        return {"$array" if isinstance(obj, np.ndarray) else "$scalar": key}
    if isinstance(obj, dict):
        if not all(isinstance(k, str) for k in obj):
            raise ValueError("trainer state has a non-string key; cannot save it")
        return {"$dict": {k: pack_state(v, arrays) for k, v in obj.items()}}
    if isinstance(obj, list | tuple):
        return {"$list" if isinstance(obj, list) else "$tuple":
                [pack_state(v, arrays) for v in obj]}
    if obj is None or isinstance(obj, bool | int | float | str):
        return obj
    raise ValueError(f"trainer state holds a {type(obj).__name__}; cannot save it")


def unpack_state(node, arrays: dict[str, np.ndarray]):
    if isinstance(node, dict):
        ((kind, value),) = node.items()
        if kind == "$array":
            return arrays[value]
        if kind == "$scalar":
            return arrays[value][()]
        if kind == "$dict":
            return {k: unpack_state(v, arrays) for k, v in value.items()}
        if kind == "$list":
            return [unpack_state(v, arrays) for v in value]
        if kind == "$tuple":
            return tuple(unpack_state(v, arrays) for v in value)
        raise ValueError(f"unknown node {kind}")
    return node


# --- history <-> CSV text -----------------------------------------------------------------

HISTORY_KEYS = History.COLUMNS  # epoch, train/test loss and metric, learning_rate


def history_csv_bytes(history) -> bytes:
    """Per-epoch losses and metrics (a History, or a dict of columns + "metric_name")."""
    data = history.as_dict() if hasattr(history, "as_dict") else dict(history or {})
    metric = getattr(history, "metric_name", None) or data.get("metric_name") or "metric"
    columns = [key for key in HISTORY_KEYS if key in data]
    header = [key.replace("_metric", f"_{metric}") for key in columns]
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    for row in zip(*(data[key] for key in columns), strict=True):
        writer.writerow([repr(float(v)) if is_number(v) and not is_int(v) else v for v in row])
    return text.getvalue().encode()


def read_history_csv(text: str, where: str) -> dict:
    """Columns of a history CSV (``where`` names it in errors) + "metric_name"."""
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as error:
        raise ValueError(f"{where}: not a readable history CSV ({error})") from None
    if not rows:
        raise ValueError(f"{where}: the history file is empty")
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
            raise ValueError(f"{where}: unknown history column '{name}'")
        keys.append(name)
    for key in keys:
        data[key] = []
    for line, row in enumerate(body, start=2):
        if len(row) != len(keys):
            raise ValueError(f"{where}: line {line} has {len(row)} fields, expected {len(keys)}")
        for key, cell in zip(keys, row, strict=True):
            try:
                data[key].append(int(cell) if key == "epoch" else float(cell))
            except ValueError:
                raise ValueError(f"{where}: line {line}, column '{key}': '{cell}' is not a "
                                 "number") from None
    return data
