"""Fixed-size summaries of long per-epoch series, grown incrementally (no Textual).

A redraw of the loss plot must cost the same at epoch 1,000 and at epoch 1,000,000, so the plot
never converts a whole history. `MinMaxSummary` keeps, per bucket of `span` consecutive rows,
the smallest and largest finite value and the smallest finite positive value (the minimum a
log scale shows), each with its x. New rows go into the buckets they belong to; when the
buckets are full, neighbours merge pairwise and `span` doubles. The state therefore depends
only on the rows seen, not on how they were chunked: bucket b always covers rows
[b·span, (b+1)·span), and span is the smallest power of two with n_buckets·span ≥ rows.

`HistorySummary` keeps one MinMaxSummary per plotted column of a History and reads only the
rows added since the last call (`col[start:]`), so it works with Python lists and NumPy
columns alike. A different History object, or one that got shorter (any column) or whose last
seen row changed (cleared and refilled), starts the summary over.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

N_BUCKETS = 1024  # even; summaries hold at most this many buckets of each series
SERIES = ("train_loss", "test_loss", "train_metric", "test_metric")


class MinMaxSummary:
    """Per-bucket extremes of one series y(x), grown by extend()."""

    def __init__(self, n_buckets: int = N_BUCKETS) -> None:
        if n_buckets < 2 or n_buckets % 2:
            raise ValueError("n_buckets must be an even number ≥ 2")
        self.n_buckets = n_buckets
        self.clear()

    def clear(self) -> None:
        n = self.n_buckets
        self.count = 0  # rows seen (valid or not)
        self.span = 1  # rows per bucket
        # Missing entries hold the neutral value of their reduction: +inf for minima, -inf
        # for the maximum (then their x is meaningless).
        self.lo, self.lo_x = np.full(n, np.inf), np.zeros(n)
        self.hi, self.hi_x = np.full(n, -np.inf), np.zeros(n)
        self.pos, self.pos_x = np.full(n, np.inf), np.zeros(n)
        # The latest finite (and finite positive) row, so a curve ends at the newest epoch.
        self.last = self.last_pos = (math.nan, math.nan)

    @property
    def n_used(self) -> int:
        """Buckets holding rows (the last one may be partly filled)."""
        return -(-self.count // self.span)

    def extend(self, x: Any, y: Any) -> None:
        """Append rows (x[i], y[i]). Rows whose x or y is not finite count but are not kept."""
        x = np.asarray(x, dtype=np.float64).ravel()
        y = np.asarray(y, dtype=np.float64).ravel()
        if x.size != y.size:
            raise ValueError(f"x has {x.size} rows but y has {y.size}")
        m = y.size
        if m == 0:
            return
        while self.count + m > self.n_buckets * self.span:
            self._merge_pairs()
        span, first = self.span, self.count
        valid = np.isfinite(y) & np.isfinite(x)
        lo = np.where(valid, y, np.inf)
        hi = np.where(valid, y, -np.inf)
        pos = np.where(valid & (y > 0), y, np.inf)
        # Split the rows at bucket boundaries: a head that completes the current bucket, whole
        # buckets (reduced as rows of a 2-D view), and a tail that starts the next one.
        head = min(m, (-first) % span)
        whole = (m - head) // span * span
        parts = [(0, head, head), (head, head + whole, span), (head + whole, m, m - head - whole)]
        for start, stop, width in parts:
            if stop <= start:
                continue
            rows = (stop - start) // width
            bucket = (first + start) // span
            self._combine(slice(bucket, bucket + rows),
                          *_reduce(*(a[start:stop].reshape(rows, width) for a in (lo, hi, pos, x))))
        self.count += m
        for attr, keep in (("last", valid), ("last_pos", valid & (y > 0))):
            rows = np.flatnonzero(keep)
            if rows.size:
                setattr(self, attr, (float(x[rows[-1]]), float(y[rows[-1]])))

    def _combine(self, where: slice, lo, lo_x, hi, hi_x, pos, pos_x) -> None:
        """Fold newer extremes into buckets `where` (ties keep the earlier row)."""
        take = lo < self.lo[where]
        self.lo[where] = np.where(take, lo, self.lo[where])
        self.lo_x[where] = np.where(take, lo_x, self.lo_x[where])
        take = hi > self.hi[where]
        self.hi[where] = np.where(take, hi, self.hi[where])
        self.hi_x[where] = np.where(take, hi_x, self.hi_x[where])
        take = pos < self.pos[where]
        self.pos[where] = np.where(take, pos, self.pos[where])
        self.pos_x[where] = np.where(take, pos_x, self.pos_x[where])

    def _merge_pairs(self) -> None:
        half = self.n_buckets // 2
        for name, better in (("lo", np.less), ("hi", np.greater), ("pos", np.less)):
            values, xs = getattr(self, name), getattr(self, name + "_x")
            a, b = values[0::2], values[1::2]
            take = better(b, a)
            merged = np.where(take, b, a)
            merged_x = np.where(take, xs[1::2], xs[0::2])
            values[:half], xs[:half] = merged, merged_x
            values[half:] = np.inf if name != "hi" else -np.inf
            xs[half:] = 0.0
        self.span *= 2

    def buckets(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(lo_x, lo, hi_x, hi) of the used buckets; ±inf where a bucket has no finite row."""
        n = self.n_used
        return self.lo_x[:n], self.lo[:n], self.hi_x[:n], self.hi[:n]

    def points(self, log: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """The kept extremes as (x, y) in row order, each bucket's min and max once, then the
        latest row if it is neither.

        With `log`, y is log10 of the values: the smallest positive value and the maximum
        (when positive) of each bucket, which are the extremes of log10 over that bucket.
        """
        n = self.n_used
        if log:
            a, a_x, b, b_x = self.pos[:n], self.pos_x[:n], self.hi[:n], self.hi_x[:n]
            keep_a, keep_b = np.isfinite(a), np.isfinite(b) & (b > 0)
        else:
            a, a_x, b, b_x = self.lo[:n], self.lo_x[:n], self.hi[:n], self.hi_x[:n]
            keep_a, keep_b = np.isfinite(a), np.isfinite(b)
        keep_b &= ~(keep_a & (a == b) & (a_x == b_x))  # one row is both: draw it once
        b_first = b_x < a_x  # the maximum came first in its bucket
        x = np.stack([np.where(b_first, b_x, a_x), np.where(b_first, a_x, b_x)], axis=1)
        y = np.stack([np.where(b_first, b, a), np.where(b_first, a, b)], axis=1)
        keep = np.stack([np.where(b_first, keep_b, keep_a), np.where(b_first, keep_a, keep_b)],
                        axis=1)
        x, y = x[keep], y[keep]
        last_x, last_y = self.last_pos if log else self.last
        if math.isfinite(last_y) and not (x.size and x[-1] == last_x and y[-1] == last_y):
            x, y = np.append(x, last_x), np.append(y, last_y)
        if log:
            y = np.log10(y)
        return x, y


def _reduce(lo: np.ndarray, hi: np.ndarray, pos: np.ndarray, x: np.ndarray):
    """Per-row extremes of 2-D (buckets × rows) arrays: first row reaching each extreme."""
    index = np.arange(lo.shape[0])
    i_lo, i_hi, i_pos = lo.argmin(axis=1), hi.argmax(axis=1), pos.argmin(axis=1)
    return (lo[index, i_lo], x[index, i_lo], hi[index, i_hi], x[index, i_hi],
            pos[index, i_pos], x[index, i_pos])


def _length(values: Any) -> int:
    try:
        return len(values)
    except TypeError:
        return 0


def _tail(values: Any, start: int, stop: int) -> np.ndarray:
    try:
        return np.asarray(values[start:stop], dtype=np.float64).ravel()
    except (TypeError, ValueError):
        return np.full(stop - start, np.nan)


class HistorySummary:
    """MinMaxSummaries of the plotted columns of one History, read incrementally."""

    def __init__(self, n_buckets: int = N_BUCKETS) -> None:
        self.series = {name: MinMaxSummary(n_buckets) for name in SERIES}
        self.history: Any = None
        self.count = 0  # rows of train_loss summarised
        self.first_x = self.last_x = math.nan  # x of the first and last summarised row
        self._last_row: tuple[np.ndarray, np.ndarray] | None = None
        self.restarts = 0  # for tests: how often the summary started over

    def reset(self, history: Any = None) -> None:
        for summary in self.series.values():
            summary.clear()
        self.history = history
        self.count = 0
        self.first_x = self.last_x = math.nan
        self._last_row = None
        self.restarts += 1

    def complete(self, name: str) -> bool:
        """Whether column `name` is summarised up to the last train_loss row."""
        return self.count > 0 and self.series[name].count == self.count

    def update(self, history: Any) -> None:
        """Take in the rows `history` gained since the last call (or start over)."""
        n = _length(getattr(history, "train_loss", None))
        if (history is not self.history or n < self.count or not self._same_last_row(history)
                or any(_length(getattr(history, name, None)) < summary.count
                       for name, summary in self.series.items())):
            self.reset(history)
        if n == 0:
            return
        epochs = getattr(history, "epoch", None)
        own_x = _length(epochs) >= n
        x_from: dict[int, np.ndarray] = {}  # the epochs' tail, read once for all columns
        for name, summary in self.series.items():
            values = getattr(history, name, None)
            start = summary.count
            if _length(values) < n or start >= n:
                continue  # a column that lags behind is not drawn until it catches up
            if start not in x_from:
                x_from[start] = (_tail(epochs, start, n) if own_x
                                 else np.arange(start + 1, n + 1, dtype=np.float64))
            x = x_from[start]
            summary.extend(x, _tail(values, start, n))
            if name == "train_loss":
                if start == 0 and x.size:
                    self.first_x = float(x[0])
                self.last_x = float(x[-1])
        self.count = n
        # Copies: a NumPy column's slice is a view, which a refill would change under us.
        self._last_row = (_tail(epochs, n - 1, n).copy() if own_x else np.zeros(0),
                          _tail(getattr(history, "train_loss", None), n - 1, n).copy())

    def _same_last_row(self, history: Any) -> bool:
        """Whether the last row summarised is still there unchanged (catches a History that
        was cleared and refilled beyond its old length between two updates)."""
        if self._last_row is None or self.count == 0:
            return True
        n = self.count
        epochs = getattr(history, "epoch", None)
        epoch = _tail(epochs, n - 1, n) if _length(epochs) >= n else np.zeros(0)
        loss = _tail(getattr(history, "train_loss", None), n - 1, n)
        return (np.array_equal(epoch, self._last_row[0], equal_nan=True)
                and np.array_equal(loss, self._last_row[1], equal_nan=True))


def integer_ticks(lo: float, hi: float, max_ticks: int = 5) -> list[int]:
    """Whole-number tick positions within [lo, hi]: the multiples of the smallest "nice" step
    (1, 2 or 5 × 10^k) that gives at most `max_ticks` of them."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return []
    first, last = math.ceil(lo), math.floor(hi)
    if last < first:
        return []
    max_ticks = max(1, int(max_ticks))
    k = 0
    while True:
        for m in (1, 2, 5):
            step = m * 10**k
            ticks = range(-(-first // step) * step, last + 1, step)  # len() is O(1)
            if not ticks:  # the step outgrew a short range: its first number will do
                return [first]
            if len(ticks) <= max_ticks:
                return list(ticks)
        k += 1
