"""Load a user's CSV file as a feature matrix and a target vector.

The rules, so a user can predict what happens to their file:

- The first row is a header naming the columns; it is required (a first row that is all
  numbers is refused, because it is almost certainly data).
- Every column except the target is a feature and must hold finite numbers.
- A number the network computes with (every feature, and a regression target) must lie
  within ``±MAX_MAGNITUDE`` (1e100): the square of a larger one can overflow (1e155² is
  past float64's 1.8e308), so it is refused with its position rather than trained on. Within
  the bound a sum of squares is at most n · 1e200, finite for any file that fits in memory,
  so standardising the features never overflows.
- Empty cells and the usual markers (``NA``, ``N/A``, ``NaN``, ``null``, ``?``) are missing
  values; they are refused with their position, never guessed.
- The target column decides the task when ``task="auto"``:
  text values are class names (classification, classes in sorted order); integer values with
  at most ``MAX_CLASSES`` distinct values are class labels (classification, classes in numeric
  order); any other numbers (a fraction anywhere, or more than ``MAX_CLASSES`` distinct
  integers) are a regression target. ``task="classification"`` treats any target as class
  names; ``task="regression"`` requires numbers.
- Line numbers in messages are the file's own line numbers (the header is line 1).

Every problem raises ``CsvError`` with one line naming the file and the problem.

A file is first read by a fast parser (NumPy's C reader, whose tokenizer splits fields as the
csv module does); it only ever returns a result the exact row-by-row parser would return
too, and for anything it cannot vouch for (a problem, a blank-looking row, a number NumPy
spells differently from Python) it steps aside and the exact parser reads the file, so every
message above is the exact parser's.
"""

from __future__ import annotations

import csv
import math
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ffnn.core.files import file_problem

MAX_CLASSES = 50
MAX_MAGNITUDE = 1e100
TASKS = ("auto", "classification", "regression")
MISSING_MARKERS = frozenset({"", "na", "n/a", "nan", "null", "none", "?"})


class CsvError(ValueError):
    """A CSV file that cannot be used; the message is one line naming the file."""


@dataclass
class CsvData:
    X: np.ndarray                 # (n_samples, n_features) float64
    y: np.ndarray                 # int class indices (classification) or float64 targets
    feature_names: list[str]
    class_names: list[str]        # index i is the name of class i; [] for regression
    task: str                     # "classification" | "regression"
    target: str = ""
    path: str = ""
    n_classes: int = field(init=False)

    def __post_init__(self) -> None:
        self.n_classes = len(self.class_names) if self.task == "classification" else 1


def _parse_number(text: str) -> float | None:
    """The finite float a cell holds, or None when it is not a finite number."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _too_large(path: Path, line: int, column: str, cell: str) -> CsvError:
    return CsvError(
        f"{path}: line {line}, column '{column}': '{cell}' is too large "
        f"(numbers must lie within -{MAX_MAGNITUDE:g}..{MAX_MAGNITUDE:g}, so their squares "
        "stay finite)"
    )


def _is_missing(text: str) -> bool:
    return text.strip().lower() in MISSING_MARKERS


def _rows(path: Path):
    """(line number, cells) of each non-blank row, header first, read as they are asked for;
    any problem reading the file becomes a CsvError naming it."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            for cells in reader:
                if not cells or all(not cell.strip() for cell in cells):
                    continue  # blank lines carry no data
                yield reader.line_num, [cell.strip() for cell in cells]
    except OSError as error:
        raise CsvError(f"{path}: {file_problem(error, 'a CSV file')}") from None
    except UnicodeDecodeError:
        raise CsvError(f"{path}: not a UTF-8 text file") from None
    except csv.Error as error:
        raise CsvError(f"{path}: malformed CSV ({error})") from None


def read_columns(path: str | Path) -> list[str]:
    """The column names (the first non-blank row), read without the rest of the file: what
    a form offers as targets before the data is loaded."""
    path = Path(path)
    with closing(_rows(path)) as rows:
        first = next(rows, None)
    if first is None:
        raise CsvError(f"{path}: the file is empty")
    if len(first[1]) < 2:
        raise CsvError(f"{path}: only one column; need features and a target")
    return first[1]


def _check_header(path: Path, header: list[str]) -> None:
    if all(_parse_number(cell) is not None for cell in header):
        raise CsvError(
            f"{path}: no header row (the first row is all numbers; add a row of column names)"
        )
    seen: set[str] = set()
    for position, name in enumerate(header, start=1):
        if not name:
            raise CsvError(f"{path}: header column {position} has no name")
        if name in seen:
            raise CsvError(f"{path}: header names column '{name}' twice")
        seen.add(name)


def _target_classes(path: Path, target: str, values: list[str], integers: list[float] | None):
    """(y as class indices, class names) for a classification target: ``integers`` (the
    values when every one is a whole number, else None) are labels in numeric order;
    anything else is a class name, in sorted order."""
    if integers is not None:
        distinct = sorted(set(integers))
        names = [str(int(value)) for value in distinct]
        index = {value: i for i, value in enumerate(distinct)}
        y = np.array([index[value] for value in integers], dtype=np.int64)
    else:
        names = sorted(set(values))
        index = {name: i for i, name in enumerate(names)}
        y = np.array([index[value] for value in values], dtype=np.int64)
    if len(names) < 2:
        raise CsvError(
            f"{path}: target column '{target}' has a single class ('{names[0]}'); "
            "classification needs at least 2"
        )
    if len(names) > MAX_CLASSES:
        raise CsvError(
            f"{path}: target column '{target}' has {len(names)} classes; "
            f"at most {MAX_CLASSES} are allowed"
        )
    return y, names


def load_csv(path: str | Path, target: str, task: str = "auto") -> CsvData:
    """Read ``path`` and predict column ``target`` from all other columns (see module doc)."""
    path = Path(path)
    if task not in TASKS:
        raise CsvError(f"{path}: task must be one of {', '.join(TASKS)} (got '{task}')")
    data = _load_fast(path, target, task)
    return data if data is not None else _load_exact(path, target, task)


def _load_exact(path: Path, target: str, task: str) -> CsvData:
    """The reference parser: row by row through the csv module, every rule checked cell by
    cell, so each problem is reported at its own line and column."""
    rows = list(_rows(path))
    if not rows:
        raise CsvError(f"{path}: the file is empty")
    header = rows[0][1]
    _check_header(path, header)
    if target not in header:
        raise CsvError(
            f"{path}: no column named '{target}' (columns: {', '.join(header)})"
        )
    if len(header) < 2:
        raise CsvError(f"{path}: only the target column '{target}'; need at least one feature")
    data_rows = rows[1:]
    if not data_rows:
        raise CsvError(f"{path}: header only, no data rows")
    X, target_values = _exact_features(path, header, header.index(target), data_rows)
    lines = [line for line, _ in data_rows]
    y, class_names, task = _exact_target(path, target, task, lines, target_values)
    feature_names = [name for name in header if name != target]
    return CsvData(X, y, feature_names, class_names, task, target=target, path=str(path))


def _exact_features(path: Path, header: list[str], target_at: int,
                    data_rows: list) -> tuple[np.ndarray, list[str]]:
    """The feature matrix, checked cell by cell, and the target column's raw cells."""
    X = np.empty((len(data_rows), len(header) - 1), dtype=np.float64)
    target_values: list[str] = []
    for row_index, (line, cells) in enumerate(data_rows):
        if len(cells) != len(header):
            raise CsvError(
                f"{path}: line {line} has {len(cells)} fields, the header has {len(header)}"
            )
        column = 0
        for i, cell in enumerate(cells):
            if _is_missing(cell):
                raise CsvError(f"{path}: missing value at line {line}, column '{header[i]}'")
            if i == target_at:
                target_values.append(cell)
                continue
            value = _parse_number(cell)
            if value is None:
                raise CsvError(
                    f"{path}: line {line}, column '{header[i]}': '{cell}' is not a finite number "
                    "(feature columns must be numeric)"
                )
            if abs(value) > MAX_MAGNITUDE:
                raise _too_large(path, line, header[i], cell)
            X[row_index, column] = value
            column += 1
    return X, target_values


def _exact_target(path: Path, target: str, task: str, lines: list[int],
                  target_values: list[str]) -> tuple[np.ndarray, list[str], str]:
    """The target as class indices or numbers, its class names, and the task it decides."""
    parsed = [_parse_number(value) for value in target_values]
    numbers = None if any(value is None for value in parsed) else parsed
    integers = numbers if numbers is not None and all(v == int(v) for v in numbers) else None
    if task == "auto":
        if numbers is None or (integers is not None and len(set(integers)) <= MAX_CLASSES):
            task = "classification"
        else:
            task = "regression"
    if task != "regression":
        y, class_names = _target_classes(path, target, target_values, integers)
        return y, class_names, task
    if numbers is None:
        line, value = next((line, value) for line, value, number
                           in zip(lines, target_values, parsed, strict=True) if number is None)
        raise CsvError(
            f"{path}: target column '{target}' is not numeric (line {line}: '{value}'); "
            "regression needs numbers"
        )
    for line, value, number in zip(lines, target_values, numbers, strict=True):
        if abs(number) > MAX_MAGNITUDE:
            raise _too_large(path, line, target, value)
    return np.array(numbers, dtype=np.float64), [], task


# --------------------------------------------------------------------------- the fast path


class _Decline(Exception):
    """The fast path cannot vouch for this file; the exact parser reads it (and words any
    problem)."""


def _load_fast(path: Path, target: str, task: str) -> CsvData | None:
    """What ``_load_exact`` would return, read by NumPy's C parser; None whenever the file has
    a problem or anything the fast path does not model, so the exact parser decides."""
    try:
        return _fast(path, target, task, text_target=False)
    except (_Decline, ValueError, csv.Error, OSError):  # CsvError, UnicodeError are ValueErrors
        return None


def _first_row(handle) -> list[str] | None:
    """The header, as ``_rows`` reads it, leaving ``handle`` just after its last line."""
    for cells in csv.reader(iter(handle.readline, "")):  # readline: no read-ahead
        if cells and any(cell.strip() for cell in cells):
            return [cell.strip() for cell in cells]
    return None


class _TargetCodes(dict):
    """The target column's converter is this dict's ``__getitem__``: raw cell -> the code of
    its stripped text, so a cell seen before costs one lookup in C. ``names`` maps each
    distinct stripped cell to its code, in order of appearance. A missing marker, more than
    MAX_CLASSES distinct cells or an unlikely number of spellings of them (' a', 'a ') is left
    to the exact parser."""

    MAX_SPELLINGS = 1000

    def __init__(self) -> None:
        super().__init__()
        self.names: dict[str, int] = {}

    def __missing__(self, cell: str) -> int:
        key = cell.strip()
        code = self.names.get(key)
        if code is None:
            if _is_missing(key) or len(self.names) >= MAX_CLASSES:
                raise _Decline
            code = self.names[key] = len(self.names)
        if len(self) >= self.MAX_SPELLINGS:
            raise _Decline
        self[cell] = code
        return code


def _read_table(path: Path, target: str, text_target: bool):
    """(header, all cells as a float64 table, target names) read by ``np.loadtxt``; with
    ``text_target`` the target column holds the codes of the distinct cells in ``names``."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        header = _first_row(handle)
        if header is None:
            raise _Decline
        try:
            _check_header(path, header)
        except CsvError:
            raise _Decline from None
        if target not in header or len(header) < 2:
            raise _Decline
        start = handle.tell()
        # np.loadtxt skips empty lines and warns when nothing is left: find a data line first.
        if not any(line.strip("\r\n") for line in iter(handle.readline, "")):
            raise _Decline
        handle.seek(start)
        codes = _TargetCodes()
        converters = {header.index(target): codes.__getitem__} if text_target else None
        table = np.loadtxt(handle, dtype=np.float64, delimiter=",", comments=None,
                           quotechar='"', ndmin=2, converters=converters)
    if table.shape[1] != len(header):  # every row has the same count; is it the header's?
        raise _Decline
    return header, table, codes.names


def _within_bound(values: np.ndarray) -> bool:
    return bool(np.isfinite(values).all()) and max(-values.min(), values.max()) <= MAX_MAGNITUDE


def _fast(path: Path, target: str, task: str, text_target: bool) -> CsvData:
    try:
        header, table, target_codes = _read_table(path, target, text_target)
    except ValueError as error:
        if text_target or isinstance(error, UnicodeError):
            raise
        # Some cell is not a number to NumPy: a text target (or a problem, met again there).
        return _fast(path, target, task, text_target=True)
    target_at = header.index(target)
    X = np.empty((len(table), len(header) - 1))  # C-ordered, as _load_exact builds it
    X[:, :target_at] = table[:, :target_at]  # (np.delete is several times slower)
    X[:, target_at:] = table[:, target_at + 1:]
    column = table[:, target_at].copy()
    del table
    if not _within_bound(X):
        raise _Decline
    feature_names = [name for name in header if name != target]
    if text_target:
        y, class_names, task = _text_target(target_codes, column.astype(np.int64), task)
    else:
        if not np.isfinite(column).all():
            raise _Decline  # 'inf' is a class name to the exact parser
        integral = bool(np.all(column == np.trunc(column)))
        if task == "classification" and not integral:
            return _fast(path, target, task, text_target=True)  # names are the cells' text
        distinct = np.unique(column) if integral and task != "regression" else None
        if task == "auto":
            classify = integral and len(distinct) <= MAX_CLASSES
            task = "classification" if classify else "regression"
        if task == "classification":
            class_names = [str(int(value)) for value in distinct.tolist()]
            y = np.searchsorted(distinct, column).astype(np.int64, copy=False)
        else:
            y, class_names = column, []
    if task == "regression" and not _within_bound(y):
        raise _Decline
    if task == "classification" and not 2 <= len(class_names) <= MAX_CLASSES:
        raise _Decline
    return CsvData(X, y, feature_names, class_names, task, target=target, path=str(path))


def _text_target(codes: dict[str, int], y_codes: np.ndarray, task: str):
    """(y, class names, task) from the distinct target cells, by the exact parser's rules."""
    cells = list(codes)  # in code order
    parsed = [_parse_number(cell) for cell in cells]
    numbers = None if any(value is None for value in parsed) else parsed
    integers = numbers if numbers is not None and all(v == int(v) for v in numbers) else None
    if task == "auto":
        if numbers is None or (integers is not None and len(set(integers)) <= MAX_CLASSES):
            task = "classification"
        else:
            task = "regression"
    if task == "regression":
        if numbers is None:
            raise _Decline
        return np.array(numbers, dtype=np.float64)[y_codes], [], task
    if integers is not None:
        distinct = sorted(set(integers))
        names = [str(int(value)) for value in distinct]
        index = {value: i for i, value in enumerate(distinct)}
        lookup = [index[value] for value in integers]
    else:
        names = sorted(cells)
        index = {name: i for i, name in enumerate(names)}
        lookup = [index[cell] for cell in cells]
    return np.array(lookup, dtype=np.int64)[y_codes], names, task
