"""The per-epoch record of a run, in preallocated NumPy columns (48 bytes an epoch, grown by
1.25× so the spare capacity stays under 64 bytes an epoch, even at 10⁶ epochs)."""

from __future__ import annotations

import numpy as np


class _Column:
    """A History column attribute: reads give a read-only view of the filled rows; an
    assignment of as many values as there are rows replaces the column."""

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    def __get__(self, history, owner=None) -> np.ndarray:
        return self if history is None else history._column(self.name)

    def __set__(self, history, values) -> None:
        history._set_column(self.name, values)


class History:
    """Per-epoch record. Test values are nan without a test set.

    Train values are those of the epoch's mini-batches as they were trained on (mean batch
    loss, fraction of training samples classified right, R² of the batch predictions), the
    way Keras and scikit-learn report them: free to compute, where an exact pass over the
    training set after every epoch would cost about a third of the training time.
    Test values come from a full pass over the test set after the epoch.

    The columns live in preallocated NumPy arrays (int64 epochs, float64 values: 48 bytes a
    row) that grow by a quarter when full, so an append is amortised O(1) and the capacity
    never exceeds 1.25 × the rows + ``MIN_CAPACITY``: at most 60 bytes an epoch for long
    runs. Each column attribute (``history.train_loss`` …) is a read-only view of the
    filled part; a view taken earlier keeps the rows it had (appends never change it).
    """

    COLUMNS = ("epoch", "train_loss", "test_loss", "train_metric", "test_metric", "learning_rate")
    DTYPES = {name: np.dtype(np.int64 if name == "epoch" else np.float64) for name in COLUMNS}
    MIN_CAPACITY = 64
    epoch = _Column()  # 1-based epoch numbers (int64)
    train_loss = _Column()
    test_loss = _Column()
    train_metric = _Column()
    test_metric = _Column()
    learning_rate = _Column()  # the rate the epoch was trained with
    GROWTH = 1.25  # not 2: the ×2 slack of doubling would cost up to 96 bytes an epoch

    def __init__(self, metric_name: str = "accuracy", **columns):
        self.metric_name = metric_name  # "accuracy" for classification, "r2" for regression
        self._n = 0
        self._data = {name: np.empty(self.MIN_CAPACITY, dtype)
                      for name, dtype in self.DTYPES.items()}
        unknown = set(columns) - set(self.COLUMNS)
        if unknown:
            raise TypeError(f"History() got unknown columns: {', '.join(sorted(unknown))}")
        if columns:
            self.load(columns)

    def __len__(self) -> int:
        return self._n

    def __repr__(self) -> str:
        return f"History(metric_name={self.metric_name!r}, {self._n} epochs)"

    @property
    def capacity(self) -> int:
        """Rows the columns have room for before they grow."""
        return len(self._data["epoch"])

    @property
    def nbytes(self) -> int:
        """Bytes the columns hold allocated (capacity, not just the filled rows)."""
        return sum(column.nbytes for column in self._data.values())

    def _column(self, name: str) -> np.ndarray:
        view = self._data[name][:self._n]
        view.flags.writeable = False
        return view

    def _set_column(self, name: str, values) -> None:
        values = np.asarray(values, dtype=self.DTYPES[name])
        if values.shape != (self._n,):
            raise ValueError(f"history.{name} needs {self._n} values, got shape {values.shape} "
                             "(History.load replaces all columns)")
        column = np.empty(self.capacity, self.DTYPES[name])  # earlier views keep the old values
        column[:self._n] = values
        self._data[name] = column

    def append(self, **row) -> None:
        """Add one epoch: a value for every name in COLUMNS (other keys are ignored)."""
        n, data = self._n, self._data
        if n == len(data["epoch"]):
            self._resize(int(n * self.GROWTH) + self.MIN_CAPACITY)
        for name, column in data.items():  # a missing or bad value: the row is not counted
            column[n] = row[name]
        self._n = n + 1

    def _resize(self, capacity: int) -> None:
        for name, column in self._data.items():
            grown = np.empty(capacity, column.dtype)
            grown[:self._n] = column[:self._n]
            self._data[name] = grown

    def load(self, columns: dict) -> None:
        """Replace the contents with ``columns`` (name -> sequence, equal lengths, as
        ``read_history_csv`` returns them; "metric_name" is taken too, other keys ignored).
        A column that is absent is filled with nan (epochs with 1, 2, …)."""
        given = {name: np.asarray(columns[name], dtype=self.DTYPES[name]).ravel()
                 for name in self.COLUMNS if name in columns}
        lengths = {len(values) for values in given.values()}
        if len(lengths) > 1:
            raise ValueError("history columns of different lengths: " + ", ".join(
                f"{name} {len(values)}" for name, values in given.items()))
        n = lengths.pop() if lengths else 0
        capacity = max(self.MIN_CAPACITY, int(n * self.GROWTH) + self.MIN_CAPACITY)
        data = {}
        for name, dtype in self.DTYPES.items():
            column = np.empty(capacity, dtype)
            if name in given:
                column[:n] = given[name]
            elif name == "epoch":
                column[:n] = np.arange(1, n + 1)
            else:
                column[:n] = np.nan
            data[name] = column
        self._data, self._n = data, n
        if columns.get("metric_name"):
            self.metric_name = columns["metric_name"]

    def as_dict(self) -> dict[str, list]:
        """The columns as lists of Python ints (epoch) and floats, as the serialiser writes them."""
        return {name: self._data[name][:self._n].tolist() for name in self.COLUMNS}

    def last(self) -> dict | None:
        if not self._n:
            return None
        return {name: self._data[name][self._n - 1].item() for name in self.COLUMNS}
