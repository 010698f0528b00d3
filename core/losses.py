"""Losses, with the output activation paired to its loss.

Definitions are PyTorch's defaults so results can be compared:

* ``mse``           mean over all elements of (Y - P)²
* ``bce``           mean over all elements of -[y log p + (1 - y) log(1 - p)]
* ``cross_entropy`` mean over samples of -Σ y log p   (Y one-hot, or integer labels)

A *head* computes, from the output layer's pre-activation ``Z``, the output ``P``, the
loss and (optionally) the output delta dL/dZ in one pass. Softmax + cross-entropy and
sigmoid + BCE are fused: their delta is simply (P - Y) / n, and their loss is computed
from the logits, so saturated outputs (logits of ±1000) give finite losses.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from . import activations

# Clipping used only by the reference functions below, which see probabilities, not logits.
_EPS = 1e-12


def mse(P, Y) -> float:
    P, Y = np.asarray(P), as_targets(Y, "mse", np.shape(P)[1])
    return float(np.mean((Y - P) ** 2))


def bce(P, Y) -> float:
    P = np.clip(np.asarray(P, dtype=np.float64), _EPS, 1 - _EPS)
    Y = as_targets(Y, "bce", P.shape[1])
    return float(np.mean(-(Y * np.log(P) + (1 - Y) * np.log1p(-P))))


def cross_entropy(P, Y) -> float:
    P = np.clip(np.asarray(P, dtype=np.float64), _EPS, 1.0)
    Y = as_targets(Y, "cross_entropy", P.shape[1])
    return float(-np.mean(np.sum(Y * np.log(P), axis=1)))


LOSSES = {"mse": mse, "bce": bce, "cross_entropy": cross_entropy}

#: loss name -> output activations it can be paired with (None: any).
COMPATIBLE_OUTPUTS = {"mse": None, "bce": {"sigmoid"}, "cross_entropy": {"softmax"}}


def check_pair(loss: str, output_activation: str) -> None:
    """Raise ValueError unless ``loss`` can train a network with this output activation."""
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; choose from {', '.join(LOSSES)}")
    allowed = COMPATIBLE_OUTPUTS[loss]
    if allowed is not None and output_activation not in allowed:
        raise ValueError(
            f"loss {loss!r} needs a {' or '.join(sorted(allowed))} output layer "
            f"(got {output_activation!r})"
        )


def as_targets(y, loss: str, n_out: int, dtype=np.float64):
    """Targets in the form the heads use: a float (n, n_out) matrix. Integer labels are
    one-hot encoded (for a single sigmoid/identity unit they are the target itself).

    One-hot even for cross-entropy: the picked log-probability is then one dot product and
    the delta one subtraction, where labels need fancy indexing (µs a step on small batches).
    """
    y = np.asarray(y)
    if y.ndim != 1:
        return y.astype(dtype, copy=False)
    if n_out == 1 and loss != "cross_entropy":
        return y.astype(dtype).reshape(-1, 1)
    labels = y.astype(np.intp)
    if not np.array_equal(labels, y) or labels.min(initial=0) < 0 or (
        labels.max(initial=0) >= n_out
    ):
        raise ValueError(f"labels must be integers in 0..{n_out - 1}")
    onehot = np.zeros((len(y), n_out), dtype=dtype)
    onehot[np.arange(len(y)), labels] = 1.0
    return onehot


# --- heads: (Z, T, P, delta, workspace) -> loss; P and delta may share a buffer ---


def softmax_cross_entropy(Z, T, P, delta, ws):
    """Fused softmax + cross-entropy. Writes P (or delta = (P - Y)/n when delta is given)."""
    n, ones = Z.shape[0], ws.ones_out
    # One global shift instead of a per-row max: row reductions over a narrow axis cost
    # tens of µs in NumPy, a full max ~1 µs. A row far below the global max could
    # underflow to all zeros; that case is detected and redone row by row.
    picked, s = _shifted_exp(Z, Z.max(), T, P, ones)
    if s.min() < 1e-290:
        picked, s = _shifted_exp(Z, Z.max(axis=1, keepdims=True), T, P, ones)
    # each row's log-partition counts as often as its targets sum to (1 if one-hot)
    loss = (np.log(s) @ (T @ ones) - picked) / n
    if delta is None:
        P /= s[:, None]
        return float(loss)
    # delta = (P - Y) / n
    np.divide(P, s[:, None], out=delta)
    delta -= T
    delta *= 1.0 / n
    return float(loss)


def _shifted_exp(Z, shift, T, P, ones):
    """P = exp(Z - shift); returns (Σ T·(Z - shift), the row sums of P)."""
    np.subtract(Z, shift, out=P)
    picked = np.vdot(P, T)
    np.exp(P, out=P)
    return picked, P @ ones


def is_onehot(T) -> bool:
    """Every row of ``T`` is one 1 and zeros (so every row sums to exactly 1)."""
    return bool(T.ndim == 2 and len(T) and np.all((T == 0) | (T == 1))
                and np.all(np.count_nonzero(T, axis=1) == 1))


def make_plan_head(loss: str, output_activation: str, ws, delta, onehot: bool):
    """``head(Z, T) -> loss`` for a step plan: writes the output delta into ``delta``.

    For softmax + cross-entropy, the calls of ``softmax_cross_entropy`` with ``delta`` as P
    and the workspace's buffers for the row sums and their logs; with one-hot targets the
    row sums of T are ones (``ws.ones_n``), not a product per step. Other heads as they are.
    """
    head = make_head(loss, output_activation)
    if head is not softmax_cross_entropy:
        return partial(_call_head, head, delta, ws)
    n, ones_out, weights = ws.n, ws.ones_out, ws.ones_n if onehot else None
    s, logs, s_col = ws.rowsum, ws.logsum, ws.rowsum[:, None]
    # 0-d arrays of the dtype, not scalars: a ufunc takes them ~0.3 µs faster, same result
    inv_n, top = np.array(1.0 / ws.n, dtype=delta.dtype), np.empty((), dtype=delta.dtype)
    as_float = delta.dtype == np.float64
    # the C functions behind np.dot / np.vdot (no __array_function__ dispatch), and the
    # reductions behind Z.max() / s.min() (no Python wrapper): same calls, less overhead
    dot = getattr(np.dot, "_implementation", np.dot)
    vdot = getattr(np.vdot, "_implementation", np.vdot)
    subtract, exp, log = np.subtract, np.exp, np.log
    amax, amin = np.maximum.reduce, np.minimum.reduce

    def softmax_cross_entropy_head(Z, T):
        subtract(Z, amax(Z, None, None, top), delta)
        picked = vdot(delta, T)
        exp(delta, delta)
        dot(delta, ones_out, s)
        if amin(s) < 1e-290:  # a row far below the global max: the row-by-row path
            return softmax_cross_entropy(Z, T, delta, delta, ws)
        log(s, logs)
        total = dot(logs, weights if onehot else T @ ones_out)
        np.divide(delta, s_col, delta)
        subtract(delta, T, delta)
        np.multiply(delta, inv_n, delta)
        if as_float:  # float64: Python float arithmetic is the same IEEE arithmetic, faster
            return (float(total) - float(picked)) / n
        return float((total - picked) / n)

    return softmax_cross_entropy_head


def _call_head(head, delta, ws, Z, T):
    return head(Z, T, delta, delta, ws)


def sigmoid_bce(Z, T, P, delta, ws):
    """Fused sigmoid + binary cross-entropy, computed from the logits."""
    # bce(z, y) = max(z, 0) - z*y + log(1 + exp(-|z|))
    soft = np.abs(Z)
    np.negative(soft, out=soft)
    np.exp(soft, out=soft)
    np.log1p(soft, out=soft)
    total = soft.sum() + np.maximum(Z, 0.0).sum() - np.vdot(Z, T)
    loss = total / Z.size
    activations.sigmoid(Z, P)
    if delta is not None:
        np.subtract(P, T, out=delta)
        delta *= 1.0 / Z.size
    return float(loss)


def make_mse_head(output_activation: str):
    """MSE head for any output activation (the delta goes through f')."""
    forward = activations.ACTIVATIONS[output_activation]

    def mse_head(Z, T, P, delta, ws):
        forward(Z, P)
        diff = P - T
        loss = np.vdot(diff, diff) / diff.size
        if delta is not None:
            diff *= 2.0 / diff.size  # dL/dP
            if output_activation == "softmax":
                # Jacobian-vector product of softmax: P * (g - Σ g·P)
                np.multiply(P, diff - (diff * P).sum(axis=1, keepdims=True), out=delta)
            else:
                activations.DERIVATIVES[output_activation](P, diff, np.empty_like(diff))
                np.copyto(delta, diff)
        return float(loss)

    return mse_head


def make_head(loss: str, output_activation: str):
    check_pair(loss, output_activation)
    if loss == "cross_entropy":
        return softmax_cross_entropy
    if loss == "bce":
        return sigmoid_bce
    return make_mse_head(output_activation)


#: The loss each output activation pairs with (what loss = "auto" means): its output delta
#: is then simply (P - Y) / n.
DEFAULT_LOSS = {"softmax": "cross_entropy", "sigmoid": "bce", "identity": "mse"}
