"""Activation functions and their derivatives, chosen from a table by name.

Every function writes into ``out`` (which may be ``Z`` itself) so the training loop
allocates nothing. Derivatives are expressed through the layer's *output* ``A``
(tanh' = 1 - A², sigmoid' = A(1 - A), …), so the backward pass never needs ``Z``.
``inplace_derivative(A, delta, tmp)`` multiplies ``delta`` by f'(A) in place.

The exp-based forms clamp their argument first (one cheap pass, cheaper than an
``np.errstate`` block), so exp never overflows and no warning reaches the terminal.
"""

from __future__ import annotations

from functools import partial

import numpy as np

LEAKY_SLOPE = 0.01
ELU_ALPHA = 1.0

def identity(Z, out):
    if out is not Z:
        np.copyto(out, Z)
    return out


def sigmoid(Z, out):
    # 1 / (1 + exp(-z)); -z is clamped so exp cannot overflow (sigmoid(-700) ~ 1e-304).
    np.negative(Z, out=out)
    np.minimum(out, 700.0, out=out)
    np.exp(out, out=out)
    out += 1.0
    np.reciprocal(out, out=out)
    return out


def tanh(Z, out):
    # np.tanh, not 2 / (1 + exp(-2z)) - 1: measured with one BLAS thread on this project's
    # machines (AVX-512), np.tanh is 1.6-1.8x faster than the exp form on 2k-65k float64
    # elements and 2.7-8x below that (3-11x in float32), so the exp form never pays.
    return np.tanh(Z, out=out)


def relu(Z, out):
    return np.maximum(Z, 0.0, out=out)


def leaky_relu(Z, out):
    # max(z, slope*z) is z for z > 0 and slope*z otherwise.
    scaled = np.multiply(Z, LEAKY_SLOPE, out=None if out is Z else out)
    return np.maximum(Z, scaled, out=out)


def elu(Z, out):
    # elu(z) = max(z, 0) + alpha * (exp(min(z, 0)) - 1): no branch, no overflow.
    neg = np.minimum(Z, 0.0)
    np.expm1(neg, out=neg)
    if ELU_ALPHA != 1.0:
        neg *= ELU_ALPHA
    np.maximum(Z, 0.0, out=out)
    out += neg
    return out


def softmax(Z, out):
    """Row-wise softmax, stable for logits of any size."""
    np.subtract(Z, Z.max(axis=1, keepdims=True), out=out)
    np.exp(out, out=out)
    out /= out.sum(axis=1, keepdims=True)
    return out


ACTIVATIONS = {
    "identity": identity,
    "sigmoid": sigmoid,
    "tanh": tanh,
    "relu": relu,
    "leaky_relu": leaky_relu,
    "elu": elu,
    "softmax": softmax,
}

#: Activations allowed only on the output layer.
OUTPUT_ONLY = {"softmax"}


def _identity_derivative(A, delta, tmp):
    return delta


def _sigmoid_derivative(A, delta, tmp):
    np.subtract(1.0, A, out=tmp)
    tmp *= A
    delta *= tmp
    return delta


def _tanh_derivative(A, delta, tmp):
    np.multiply(A, A, out=tmp)
    np.subtract(1.0, tmp, out=tmp)
    delta *= tmp
    return delta


def _relu_derivative(A, delta, tmp):
    np.greater(A, 0.0, out=tmp)
    delta *= tmp
    return delta


def _leaky_relu_derivative(A, delta, tmp):
    # f' = 1 where A > 0 else slope: slope + (1 - slope) * [A > 0].
    np.greater(A, 0.0, out=tmp)
    tmp *= 1.0 - LEAKY_SLOPE
    tmp += LEAKY_SLOPE
    delta *= tmp
    return delta


def _elu_derivative(A, delta, tmp):
    # f' = 1 where z > 0, else alpha*exp(z) = A + alpha; min(A + alpha, 1) covers both.
    np.add(A, ELU_ALPHA, out=tmp)
    np.minimum(tmp, 1.0, out=tmp)
    delta *= tmp
    return delta


DERIVATIVES = {
    "identity": _identity_derivative,
    "sigmoid": _sigmoid_derivative,
    "tanh": _tanh_derivative,
    "relu": _relu_derivative,
    "leaky_relu": _leaky_relu_derivative,
    "elu": _elu_derivative,
}


def _constant(value, like):
    """``value`` as a 0-d array of ``like``'s dtype: a ufunc takes it ~0.3 µs faster than a
    Python scalar, with the same result (a Python float is cast to the array's dtype too)."""
    return np.array(value, dtype=like.dtype)


def bind(name: str, Z, out):
    """``ACTIVATIONS[name](Z, out)`` as a call with no arguments (for a step plan)."""
    if name == "tanh":
        return partial(np.tanh, Z, out)
    if name == "relu":
        return partial(np.maximum, Z, _constant(0.0, Z), out=out)
    return partial(ACTIVATIONS[name], Z, out)


def bind_derivative(name: str, A, delta, tmp) -> list:
    """``DERIVATIVES[name](A, delta, tmp)`` as a list of calls with no arguments."""
    if name == "identity":
        return []
    if name == "tanh":
        return [partial(np.multiply, A, A, tmp), partial(np.subtract, _constant(1.0, A), tmp, tmp),
                partial(np.multiply, delta, tmp, delta)]
    if name == "relu":
        return [partial(np.greater, A, _constant(0.0, A), tmp),
                partial(np.multiply, delta, tmp, delta)]
    return [partial(DERIVATIVES[name], A, delta, tmp)]


def check_name(name: str, *, output: bool) -> str:
    """Return ``name`` if it is a valid activation for this position, else raise ValueError."""
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose from {', '.join(ACTIVATIONS)}")
    if name in OUTPUT_ONLY and not output:
        raise ValueError(f"activation {name!r} is allowed on the output layer only")
    return name
