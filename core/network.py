"""A feedforward network written from scratch in NumPy.

Conventions: a row is a sample and ``Z = A @ W + b``. Each layer's weights and bias live
in one array ``params[i]`` of shape (n_in + 1, n_out) whose last row is the bias, and all
of them are views into one flat buffer (gradients likewise), so an optimizer updates the
whole network in a few NumPy calls: for the small networks this tool trains, NumPy *call
count*, not arithmetic, dominates a step. The network's input carries a trailing column
of ones (added once per data set), which folds the first layer's bias into its product.
Hidden activations stay plain contiguous arrays: writing them into a ones-augmented
buffer would make every elementwise pass strided, several times slower on narrow layers.
``weights[i]`` and ``biases[i]`` are views into ``params[i]``: writable in place.

Scratch buffers are kept per batch size (a ``_Workspace``), so a training step
allocates almost nothing. The training step itself is a *plan* (``Network.plan``), also
kept per batch size: every view it needs (weights, their transposes, bias and gradient
rows, buffers) is taken once, so a step is a flat sequence of NumPy calls with no Python
layers in between. It makes the calls ``forward_augmented`` → head → ``backward`` make, in
the same order on the same operands, so its results are the same to the last bit
(tests/core/test_bit_identical.py); change the maths in both places.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from . import activations as act
from . import losses

INITS = ("normal", "uniform", "xavier", "he")

MAX_LAYER_SIZE = 4096

# np.dot without its __array_function__ dispatcher (~0.3-0.6 µs a call on small arrays): the
# same C function, for the step plan's plain ndarrays.
_dot = getattr(np.dot, "_implementation", np.dot)


def _views(flat, shapes):
    views, start = [], 0
    for a, b in shapes:
        views.append(flat[start : start + a * b].reshape(a, b))
        start += a * b
    return views


class _Workspace:
    """Buffers for a forward/backward pass over ``n`` samples."""

    def __init__(self, net: Network, n: int):
        dt = net.dtype
        sizes = net.layer_sizes
        self.n = n
        self.z = [np.empty((n, k), dtype=dt) for k in sizes[1:]]
        self.hidden = [np.empty((n, k), dtype=dt) for k in sizes[1:-1]]  # activations
        self.out = np.empty((n, sizes[-1]), dtype=dt)
        self.delta = [np.empty((n, k), dtype=dt) for k in sizes[1:]]
        self.ones_out = np.ones(sizes[-1], dtype=dt)
        self.ones_n = np.ones(n, dtype=dt)
        self.rowsum = np.empty(n, dtype=dt)  # softmax denominators
        self.logsum = np.empty(n, dtype=dt)


def _make_plan(net: Network, n: int, loss: str, onehot: bool):
    """One training step over ``n`` samples: ``plan(Xa, T, Z, l1, l2) -> data loss``.

    Makes the calls of ``forward_augmented`` → head → ``backward`` (np.dot, which calls the
    same BLAS routine as np.matmul with identical results, ~0.35 µs a call cheaper), in the
    same order on the same operands, with every view taken here once. ``Z`` (n, n_out) is
    where the output pre-activation goes: the workspace's, or rows of an epoch-long buffer
    the caller keeps to count the epoch's accuracy in one pass. ``onehot`` says every row
    of every ``T`` holds one 1 and zeros (targets made from labels), so the row sums of
    ``T`` the loss weighs each log-partition with are ones, known in advance.
    """
    ws = net.workspace(n)
    dot, add = _dot, np.add
    last = net.n_layers - 1
    P0, G0 = net.params[0], net.grads[0]
    deltas, z, hidden = ws.delta, ws.z, ws.hidden
    delta0 = deltas[0]
    forward_calls, backward_calls = [], []
    for i in range(1, last + 1):
        forward_calls.append(act.bind(net.activations[i - 1], z[i - 1], hidden[i - 1]))
        if i < last:
            forward_calls.append(partial(dot, hidden[i - 1], net.weights[i], z[i]))
            forward_calls.append(partial(add, z[i], net.biases[i], z[i]))
    for i in range(last, 0, -1):
        A, g, D = hidden[i - 1], net.grads[i], deltas[i]
        backward_calls.append(partial(dot, A.T, D, g[:-1]))
        backward_calls.append(partial(dot, ws.ones_n, D, g[-1]))
        backward_calls.append(partial(dot, D, net.weights[i].T, deltas[i - 1]))
        backward_calls += act.bind_derivative(net.activations[i - 1], A, deltas[i - 1],
                                              z[i - 1])
    A_last = hidden[-1] if last else None
    W_last, b_last = net.weights[last], net.biases[last]
    head = losses.make_plan_head(loss, net.output_activation, ws, deltas[-1], onehot)
    pairs = [(net.grads[i][:-1], net.weights[i]) for i in range(last, -1, -1)]
    scratch = [np.empty_like(w) for _, w in pairs]

    def regularise(l1, l2):  # backward's `g[:-1] += l2 * W; g[:-1] += l1 * sign(W)`
        for (g, W), tmp in zip(pairs, scratch, strict=True):
            if l2:
                g += np.multiply(l2, W, out=tmp)
            if l1:
                g += np.multiply(l1, np.sign(W, out=tmp), out=tmp)

    transposed = [None, None]  # the last Xa and Xa.T: a full batch is the same array each step

    def plan(Xa, T, Z, l1=0.0, l2=0.0):
        if Xa is not transposed[0]:
            transposed[:] = Xa, Xa.T
        if last:
            dot(Xa, P0, z[0])
            for call in forward_calls:
                call()
            dot(A_last, W_last, Z)
            add(Z, b_last, Z)
        else:
            dot(Xa, P0, Z)
        value = head(Z, T)
        for call in backward_calls:
            call()
        dot(transposed[1], delta0, G0)
        if l1 or l2:
            regularise(l1, l2)
        return value

    plan.z_out = z[-1]
    return plan


class Network:
    def __init__(self, layer_sizes, activations, init="xavier", seed=0, dtype=np.float64):
        layer_sizes = [int(k) for k in layer_sizes]
        activations = list(activations)
        if len(layer_sizes) < 2:
            raise ValueError("layer_sizes needs at least an input and an output size")
        if any(k < 1 or k > MAX_LAYER_SIZE for k in layer_sizes):
            raise ValueError(f"every layer size must be between 1 and {MAX_LAYER_SIZE}")
        if len(activations) != len(layer_sizes) - 1:
            raise ValueError(
                f"need one activation per weight layer: {len(layer_sizes) - 1}, "
                f"got {len(activations)}"
            )
        for i, name in enumerate(activations):
            act.check_name(name, output=i == len(activations) - 1)
        if init not in INITS:
            raise ValueError(f"unknown init {init!r}; choose from {', '.join(INITS)}")
        dtype = np.dtype(dtype)
        if dtype not in (np.float32, np.float64):
            raise ValueError("dtype must be float32 or float64")
        self.layer_sizes = layer_sizes
        self.activations = activations
        self.init = init
        self.seed = seed
        self.dtype = dtype
        # All parameters live in one flat buffer (and all gradients in another), so the
        # optimizer updates the whole network in a handful of NumPy calls, not per layer.
        shapes = [(n_in + 1, n_out) for n_in, n_out in zip(layer_sizes, layer_sizes[1:],
                                                           strict=False)]
        total = sum(a * b for a, b in shapes)
        self.flat_params = np.zeros(total, dtype=dtype)
        self.flat_grads = np.zeros(total, dtype=dtype)
        self.params = _views(self.flat_params, shapes)
        self.grads = _views(self.flat_grads, shapes)
        self.weights = [p[:-1] for p in self.params]
        self.biases = [p[-1] for p in self.params]
        self._forwards = [act.ACTIVATIONS[name] for name in activations]
        self._derivatives = [act.DERIVATIVES.get(name) for name in activations[:-1]]
        self._workspaces: dict[int, _Workspace] = {}
        self._plans: dict[tuple, object] = {}
        self._heads: dict[str, object] = {}
        self.reinitialize(seed)

    # --- shape --------------------------------------------------------------------------
    @property
    def n_inputs(self) -> int:
        return self.layer_sizes[0]

    @property
    def n_outputs(self) -> int:
        return self.layer_sizes[-1]

    @property
    def n_layers(self) -> int:
        """Number of weight layers."""
        return len(self.params)

    @property
    def output_activation(self) -> str:
        return self.activations[-1]

    @property
    def is_classifier(self) -> bool:
        return self.output_activation != "identity"

    def __repr__(self) -> str:
        return (
            f"Network({self.layer_sizes}, {self.activations}, init={self.init!r}, "
            f"seed={self.seed}, dtype={self.dtype.name})"
        )

    # --- parameters ---------------------------------------------------------------------
    def reinitialize(self, seed=None) -> None:
        """Draw fresh parameters in place from the init scheme (same seed, same values)."""
        if seed is not None:
            self.seed = seed
        rng = np.random.default_rng(self.seed)
        for p in self.params:
            fan_in, fan_out = p.shape[0] - 1, p.shape[1]
            shape = (fan_in, fan_out)
            if self.init == "normal":
                w, b = rng.standard_normal(shape), 0.0
            elif self.init == "uniform":
                w = rng.uniform(-0.5, 0.5, shape)
                b = rng.uniform(-0.5, 0.5, fan_out)
            elif self.init == "xavier":
                limit = np.sqrt(6.0 / (fan_in + fan_out))
                w, b = rng.uniform(-limit, limit, shape), 0.0
            else:  # he
                w, b = rng.standard_normal(shape) * np.sqrt(2.0 / fan_in), 0.0
            p[:-1] = w
            p[-1] = b

    def get_params(self) -> list[np.ndarray]:
        """Copies of the parameter arrays (weights with the bias as last row)."""
        return [p.copy() for p in self.params]

    def set_params(self, params) -> None:
        """Copy values into the network's arrays in place (shapes must match)."""
        params = list(params)
        if len(params) != len(self.params):
            raise ValueError(f"expected {len(self.params)} parameter arrays, got {len(params)}")
        for i, (dst, src) in enumerate(zip(self.params, params, strict=True)):
            src = np.asarray(src)
            if src.shape != dst.shape:
                raise ValueError(f"layer {i}: shape {src.shape} does not match {dst.shape}")
            np.copyto(dst, src)

    def copy(self) -> Network:
        twin = Network(self.layer_sizes, self.activations, self.init, self.seed, self.dtype)
        twin.set_params(self.params)
        return twin

    # --- passes -------------------------------------------------------------------------
    def workspace(self, n: int) -> _Workspace:
        ws = self._workspaces.get(n)
        if ws is None:
            if len(self._workspaces) > 8:  # many odd sizes (e.g. a resizing grid): start over
                self._workspaces.clear()
            ws = self._workspaces[n] = _Workspace(self, n)
        return ws

    def plan(self, n: int, loss: str, onehot: bool = False):
        """The training step over ``n`` samples (see ``_make_plan``), made once and kept."""
        key = (n, loss, onehot)
        plan = self._plans.get(key)
        if plan is None:
            if len(self._plans) > 8:  # as for workspaces
                self._plans.clear()
            plan = self._plans[key] = _make_plan(self, n, loss, onehot)
        return plan

    def augment(self, X) -> np.ndarray:
        """``X`` with a trailing ones column, in the network's dtype."""
        X = np.asarray(X, dtype=self.dtype)
        if X.ndim != 2 or X.shape[1] != self.n_inputs:
            raise ValueError(f"X must have shape (n_samples, {self.n_inputs}), got {X.shape}")
        Xa = np.ones((X.shape[0], X.shape[1] + 1), dtype=self.dtype)
        Xa[:, :-1] = X
        return Xa

    def forward_augmented(self, Xa, ws: _Workspace) -> np.ndarray:
        """Forward pass of augmented inputs; returns the output pre-activation ``Z``.

        Hidden activations are left in ``ws.hidden``; the output activation is applied
        by the caller (a loss head, or ``forward``).
        """
        Z = np.dot(Xa, self.params[0], out=ws.z[0])
        for i in range(1, len(self.params)):
            A = self._forwards[i - 1](Z, ws.hidden[i - 1])
            Z = np.dot(A, self.weights[i], out=ws.z[i])
            Z += self.biases[i]
        return Z

    def backward(self, Xa, ws: _Workspace, delta, l1=0.0, l2=0.0) -> list[np.ndarray]:
        """Back-propagate the output delta dL/dZ; fills and returns ``self.grads``."""
        for i in range(len(self.params) - 1, -1, -1):
            g = self.grads[i]
            if i == 0:
                np.dot(Xa.T, delta, out=g)
            else:
                A = ws.hidden[i - 1]
                np.dot(A.T, delta, out=g[:-1])
                np.dot(ws.ones_n, delta, out=g[-1])
                prev = ws.delta[i - 1]
                np.dot(delta, self.weights[i].T, out=prev)
                self._derivatives[i - 1](A, prev, ws.z[i - 1])
                delta = prev
            if l2:
                g[:-1] += l2 * self.weights[i]
            if l1:
                g[:-1] += l1 * np.sign(self.weights[i])
        return self.grads

    def head(self, loss: str):
        h = self._heads.get(loss)
        if h is None:
            h = self._heads[loss] = losses.make_head(loss, self.output_activation)
        return h

    def penalty(self, l1=0.0, l2=0.0) -> float:
        """The regularisation term added to the loss: (l2/2)·Σ‖W‖² + l1·Σ|W| (weights only)."""
        total = 0.0
        if l2:
            total += 0.5 * l2 * sum(float(np.vdot(w, w)) for w in self.weights)
        if l1:
            total += l1 * sum(float(np.abs(w).sum()) for w in self.weights)
        return total

    def step_gradients(self, Xa, T, loss: str, l1=0.0, l2=0.0):
        """Data loss (no penalty) and gradients of a batch of augmented inputs.

        The gradients land in ``self.grads`` / ``self.flat_grads`` and are overwritten by
        the next call: this is the trainer's hot path. The regularisation *gradient* is
        included; add ``penalty(l1, l2)`` to the returned loss for the reported value.
        ``self.last_logits`` holds the batch's output pre-activation afterwards.
        """
        plan = self.plan(Xa.shape[0], loss)
        Z = plan.z_out
        value = plan(Xa, T, Z, l1, l2)
        self.last_logits = Z
        return value, self.grads

    def labels_from_logits(self, Z) -> np.ndarray:
        """Predicted classes from output pre-activations (argmax, or f(z) > 0.5 for one unit)."""
        if Z.shape[1] > 1:
            return Z.argmax(axis=1)
        return self._forwards[-1](Z, self.workspace(len(Z)).out)[:, 0] > 0.5

    def forward(self, X) -> np.ndarray:
        """Network output for ``X`` (n_samples, n_inputs), output activation applied."""
        Xa = self.augment(X)
        ws = self.workspace(Xa.shape[0])
        Z = self.forward_augmented(Xa, ws)
        return self._forwards[-1](Z, np.empty_like(Z))

    def predict(self, X) -> np.ndarray:
        """Class labels (argmax; p > 0.5 for one sigmoid unit), or values for regression."""
        P = self.forward(X)
        return self.labels_from_output(P)

    def labels_from_output(self, P) -> np.ndarray:
        if not self.is_classifier:
            return P[:, 0] if P.shape[1] == 1 else P
        if P.shape[1] == 1:
            return (P[:, 0] > 0.5).astype(np.intp)
        return P.argmax(axis=1)

    def loss(self, X, Y, loss="cross_entropy", l1=0.0, l2=0.0) -> float:
        """Loss of the whole set (regularisation included), without gradients."""
        Xa = self.augment(X)
        T = losses.as_targets(Y, loss, self.n_outputs, self.dtype)
        ws = self.workspace(Xa.shape[0])
        Z = self.forward_augmented(Xa, ws)
        value = self.head(loss)(Z, T, ws.out, None, ws)
        return value + self.penalty(l1, l2)

    def loss_and_gradients(self, X, Y, loss="cross_entropy", l1=0.0, l2=0.0):
        """(loss, dW, db): the loss of the batch and its gradients, as fresh arrays.

        ``Y`` may be integer labels for ``bce`` and ``cross_entropy``. With l1/l2 > 0 the
        loss adds (l2/2)·Σ‖W‖² + l1·Σ|W| and the gradients their derivatives.
        """
        Xa = self.augment(X)
        T = losses.as_targets(Y, loss, self.n_outputs, self.dtype)
        if len(T) != len(Xa):
            raise ValueError(f"X has {len(Xa)} samples but Y has {len(T)}")
        value, grads = self.step_gradients(Xa, T, loss, l1, l2)
        value += self.penalty(l1, l2)
        dW = [g[:-1].copy() for g in grads]
        db = [g[-1].copy() for g in grads]
        return value, dW, db
