"""Gradient check: compare back-propagation with finite differences, layer by layer.

For every weight and bias ``w`` the numerical derivative is the central difference
    n = (L(w + eps) - L(w - eps)) / (2 eps)
and it is compared with the analytic derivative ``a`` from ``network.loss_and_gradients`` by
the symmetric relative error
    |a - n| / max(|a| + |n|, TINY)        TINY = 1e-12
which is 0 for a perfect match, 1 when one side is zero and the other is not (or when they have
opposite signs), and does not blow up where both are 0 (e.g. a dead ReLU).

Reading the numbers (float64, eps=1e-6): the central difference has a round-off error of
about 1e-10 in absolute terms, so a correct gradient scores ~1e-8..1e-7 where gradients are
large and up to ~1e-5 on entries as small as 1e-5; a wrong one scores 1e-3 or more. Run it on
a float64 network: in float32 the finite differences themselves are too noisy to judge.
"""

from __future__ import annotations

import numpy as np

TINY = 1e-12


def relative_error(analytic, numeric) -> np.ndarray:
    """Element-wise |a - n| / max(|a| + |n|, TINY)."""
    a, n = np.asarray(analytic, dtype=np.float64), np.asarray(numeric, dtype=np.float64)
    return np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), TINY)


def _loss_function(network, X, Y, loss: str, l2: float, l1: float):
    """The loss at the network's current parameters, as cheaply as the network allows."""
    loss_only = getattr(network, "loss", None)
    if callable(loss_only):
        return lambda: float(loss_only(X, Y, loss=loss, l2=l2, l1=l1))
    return lambda: float(network.loss_and_gradients(X, Y, loss=loss, l2=l2, l1=l1)[0])


def numerical_gradient(param: np.ndarray, loss_at, eps: float) -> np.ndarray:
    """Central differences of ``loss_at()`` with respect to each entry of ``param``.

    ``param`` is perturbed in place, one entry at a time, and every entry is put back to its
    original bits afterwards — even if the loss raises.
    """
    grad = np.zeros(param.shape, dtype=np.float64)
    for index in np.ndindex(param.shape):
        original = param[index].copy()
        try:
            param[index] = original + eps
            plus = loss_at()
            param[index] = original - eps
            minus = loss_at()
        finally:
            param[index] = original
        grad[index] = (plus - minus) / (2.0 * eps)
    return grad


def check(network, X, Y, loss: str, l2: float = 0.0, l1: float = 0.0, eps: float = 1e-6):
    """Worst relative error between analytic and numerical gradients, one float per layer.

    Entry i covers both ``weights[i]`` and ``biases[i]``. The network's parameters are
    exactly what they were when this returns. Costs 2 loss evaluations per parameter.
    """
    if not eps > 0:
        raise ValueError(f"eps must be > 0 (got {eps})")
    _, dW, db = network.loss_and_gradients(X, Y, loss=loss, l2=l2, l1=l1)
    loss_at = _loss_function(network, X, Y, loss, l2, l1)
    worst = []
    for i in range(len(network.weights)):
        errors = [
            relative_error(analytic, numerical_gradient(param, loss_at, eps))
            for param, analytic in ((network.weights[i], dW[i]), (network.biases[i], db[i]))
        ]
        worst.append(float(max(e.max(initial=0.0) for e in errors)))
    return worst
