"""Scores for predictions, and the decision grid the boundary view paints.

``confusion_matrix`` takes 1-D integer labels; a 2-D array with several columns (one-hot rows
or class probabilities) is turned into labels by argmax, and an (n, 1) column is flattened,
so a network's raw output can be passed straight in. (Accuracy and R² are the trainer's: it
counts them from arrays the step already has.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _as_labels(y) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim == 2:
        y = y[:, 0] if y.shape[1] == 1 else np.argmax(y, axis=1)
    if y.ndim != 1:
        raise ValueError(f"labels must be a 1-D array (got shape {y.shape})")
    return y


def _pair(y_true, y_pred, convert) -> tuple[np.ndarray, np.ndarray]:
    t, p = convert(y_true), convert(y_pred)
    if t.shape != p.shape:
        raise ValueError(f"y_true and y_pred shapes differ ({t.shape} vs {p.shape})")
    return t, p


def confusion_matrix(y_true, y_pred, n_classes: int | None = None) -> np.ndarray:
    """(k, k) int counts: row = true class, column = predicted class (scikit-learn's layout).

    k defaults to 1 + the largest label seen in either array.
    """
    t, p = _pair(y_true, y_pred, _as_labels)
    t, p = t.astype(np.int64), p.astype(np.int64)
    if n_classes is None:
        n_classes = int(max(t.max(initial=-1), p.max(initial=-1))) + 1
    if len(t) and (min(t.min(), p.min()) < 0 or max(t.max(), p.max()) >= n_classes):
        raise ValueError(f"labels must lie in [0, {n_classes})")
    counts = np.bincount(t * n_classes + p, minlength=n_classes * n_classes)
    return counts.reshape(n_classes, n_classes)


@dataclass
class DecisionGrid:
    """The network's answer at the centre of every cell of a rows × cols grid over a plane.

    Row 0 is the TOP of the plot (largest y), column 0 the left (smallest x), so the arrays
    can be painted in reading order.
    labels:     (rows, cols) int   predicted class (zeros for regression)
    confidence: (rows, cols) float in [0, 1]: probability of the predicted class (ones for
                regression)
    values:     (rows, cols) float regression prediction; for classifiers the same as confidence
    """

    labels: np.ndarray
    confidence: np.ndarray
    values: np.ndarray
    x_range: tuple[float, float]
    y_range: tuple[float, float]


def _check_range(arg: str, value) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        lo = hi = float("nan")
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(f"{arg} must be two finite numbers with low < high (got {value!r})")
    return lo, hi


def _cell_centres(lo: float, hi: float, count: int) -> np.ndarray:
    return lo + (np.arange(count) + 0.5) * ((hi - lo) / count)


def grid_inputs(
    n_inputs: int,
    x_range,
    y_range,
    cols: int,
    rows: int,
    features=(0, 1),
    fixed=None,
    dtype=np.float64,
) -> np.ndarray:
    """The (rows * cols, n_inputs) input matrix decision_grid feeds the network, in row-major
    order starting top-left; inputs other than ``features`` are held at ``fixed``."""
    x_lo, x_hi = _check_range("x_range", x_range)
    y_lo, y_hi = _check_range("y_range", y_range)
    if cols < 1 or rows < 1:
        raise ValueError(f"cols and rows must be >= 1 (got {cols} and {rows})")
    fx, fy = (int(f) for f in features)
    if fx == fy or not (0 <= fx < n_inputs and 0 <= fy < n_inputs):
        raise ValueError(
            f"features must be two different input indices below {n_inputs} (got {features!r})"
        )
    base = np.zeros(n_inputs) if fixed is None else np.asarray(fixed, dtype=np.float64)
    if base.shape != (n_inputs,):
        raise ValueError(f"fixed must have length {n_inputs} (got shape {base.shape})")

    inputs = np.empty((rows, cols, n_inputs), dtype=dtype)
    inputs[...] = base
    inputs[:, :, fx] = _cell_centres(x_lo, x_hi, cols)[None, :]
    inputs[:, :, fy] = _cell_centres(y_lo, y_hi, rows)[::-1, None]  # row 0 = largest y
    return inputs.reshape(rows * cols, n_inputs)


def decision_grid(
    network, x_range, y_range, cols: int, rows: int, features=(0, 1), fixed=None
) -> DecisionGrid:
    """Evaluate ``network`` at every cell centre with ONE forward pass (the UI calls this many
    times a second, so nothing here loops in Python).

    Classifiers: labels follow Network.predict (argmax, or p > 0.5 for a single sigmoid unit),
    confidence is the predicted class's probability (max(p, 1 - p) for one sigmoid unit).
    Regression (``network.is_classifier`` False): values = the first output, labels zeros,
    confidence ones. For networks with more than two inputs the others are held at ``fixed``
    (a vector of length n_inputs; default zeros — the mean after standardisation).
    """
    x_range, y_range = _check_range("x_range", x_range), _check_range("y_range", y_range)
    dtype = getattr(network, "dtype", np.float64)
    X = grid_inputs(network.n_inputs, x_range, y_range, cols, rows, features, fixed, dtype)
    out = np.asarray(network.forward(X), dtype=np.float64)
    shape = (rows, cols)

    if not network.is_classifier:
        return DecisionGrid(
            labels=np.zeros(shape, dtype=np.int64),
            confidence=np.ones(shape),
            values=out[:, 0].reshape(shape),
            x_range=x_range,
            y_range=y_range,
        )

    if out.shape[1] == 1:
        p = out[:, 0]
        labels = (p > 0.5).astype(np.int64)
        confidence = np.maximum(p, 1.0 - p)
    else:
        labels = np.argmax(out, axis=1)
        confidence = out.max(axis=1)
    # A blown-up network may emit nan; paint it as "no confidence" rather than break the view.
    confidence = np.clip(np.nan_to_num(confidence, nan=0.0), 0.0, 1.0).reshape(shape)
    return DecisionGrid(
        labels=labels.reshape(shape).astype(np.int64, copy=False),
        confidence=confidence,
        values=confidence,
        x_range=x_range,
        y_range=y_range,
    )
