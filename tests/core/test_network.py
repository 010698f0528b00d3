"""Network: shapes, API conventions, gradients against finite differences."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ffnn.core import Network, losses

HIDDEN = ["identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu"]
KINKED = {"relu", "leaky_relu", "elu"}
# (output activation, loss) pairs that can train together
PAIRS = [("softmax", "cross_entropy"), ("sigmoid", "bce"), ("identity", "mse"),
         ("softmax", "mse"), ("sigmoid", "mse"), ("tanh", "mse")]


def numeric_gradients(net, X, Y, loss, l1=0.0, l2=0.0, eps=1e-4):
    """Five-point central differences: truncation error O(eps⁴), so ~1e-12 absolute."""

    def at(p, idx, value):
        p[idx] = value
        return net.loss(X, Y, loss, l1=l1, l2=l2)

    grads = []
    for p in net.params:
        g = np.zeros_like(p)
        for idx in np.ndindex(p.shape):
            old = p[idx]
            f2, f1 = at(p, idx, old + 2 * eps), at(p, idx, old + eps)
            b1, b2 = at(p, idx, old - eps), at(p, idx, old - 2 * eps)
            p[idx] = old
            g[idx] = (-f2 + 8 * f1 - 8 * b1 + b2) / (12 * eps)
        grads.append(g)
    return grads


def targets_for(loss, n_out, rng, n):
    if loss == "cross_entropy":
        return rng.integers(0, n_out, n)
    if loss == "bce":
        return rng.integers(0, 2, (n, n_out)).astype(float)
    return rng.normal(size=(n, n_out))


def test_shapes_follow_the_design_conventions():
    net = Network([2, 16, 16, 4], ["tanh", "tanh", "softmax"], init="xavier", seed=0)
    assert [w.shape for w in net.weights] == [(2, 16), (16, 16), (16, 4)]
    assert [b.shape for b in net.biases] == [(16,), (16,), (4,)]
    assert all(w.dtype == np.float64 for w in net.weights)
    X = np.random.default_rng(0).normal(size=(10, 2))
    P = net.forward(X)
    assert P.shape == (10, 4)
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    assert net.predict(X).shape == (10,)
    np.testing.assert_array_equal(net.predict(X), P.argmax(axis=1))


def test_forward_is_a_row_times_weights_plus_bias():
    net = Network([3, 2], ["identity"], seed=0)
    net.weights[0][...] = [[1, 2], [3, 4], [5, 6]]
    net.biases[0][...] = [0.5, -1]
    X = np.array([[1.0, 0, 2], [0, 1, 0]])
    np.testing.assert_allclose(net.forward(X), X @ net.weights[0] + net.biases[0])


def test_weights_are_writable_in_place():
    net = Network([2, 3, 1], ["relu", "sigmoid"], seed=0)
    X = np.ones((1, 2))
    before = net.forward(X)
    net.weights[1][:] = 0
    net.biases[1][:] = 10.0
    after = net.forward(X)
    assert after[0, 0] > 0.9999 and not np.allclose(before, after)


def test_single_sigmoid_unit_predicts_with_threshold_half():
    net = Network([1, 1], ["sigmoid"], seed=0)
    net.weights[0][...] = 1.0
    net.biases[0][...] = 0.0
    np.testing.assert_array_equal(net.predict(np.array([[-1.0], [1.0]])), [0, 1])


@pytest.mark.parametrize("init", ["normal", "uniform", "xavier", "he"])
def test_init_schemes_are_seeded(init):
    a = Network([4, 30, 3], ["relu", "softmax"], init=init, seed=3)
    b = Network([4, 30, 3], ["relu", "softmax"], init=init, seed=3)
    c = Network([4, 30, 3], ["relu", "softmax"], init=init, seed=4)
    for wa, wb, wc in zip(a.weights, b.weights, c.weights, strict=True):
        np.testing.assert_array_equal(wa, wb)
        assert not np.array_equal(wa, wc)


def test_init_scales():
    big = Network([200, 200, 200], ["tanh", "identity"], init="normal", seed=0)
    assert abs(big.weights[0].std() - 1.0) < 0.05
    assert np.all(big.biases[0] == 0)
    xav = Network([200, 200, 200], ["tanh", "identity"], init="xavier", seed=0)
    assert np.abs(xav.weights[0]).max() <= np.sqrt(6 / 400)
    he = Network([200, 200, 200], ["relu", "identity"], init="he", seed=0)
    assert abs(he.weights[0].std() - np.sqrt(2 / 200)) < 0.01
    uni = Network([200, 200, 200], ["relu", "identity"], init="uniform", seed=0)
    assert np.abs(uni.weights[0]).max() <= 0.5


@pytest.mark.parametrize("bad", [
    dict(layer_sizes=[2], activations=[]),
    dict(layer_sizes=[2, 0, 1], activations=["tanh", "sigmoid"]),
    dict(layer_sizes=[2, 3, 1], activations=["tanh"]),
    dict(layer_sizes=[2, 3, 1], activations=["softmax", "sigmoid"]),
    dict(layer_sizes=[2, 3, 1], activations=["nope", "sigmoid"]),
    dict(layer_sizes=[2, 3, 1], activations=["tanh", "sigmoid"], init="zeros"),
])
def test_bad_architecture_is_a_clear_value_error(bad):
    with pytest.raises(ValueError, match=r"\w"):
        Network(**bad)


def test_softmax_hidden_names_the_problem():
    with pytest.raises(ValueError, match="output layer only"):
        Network([2, 3, 2], ["softmax", "softmax"])


def test_incompatible_loss_is_refused():
    net = Network([2, 3, 2], ["tanh", "sigmoid"])
    with pytest.raises(ValueError, match="softmax"):
        net.loss_and_gradients(np.zeros((2, 2)), [0, 1], loss="cross_entropy")


@settings(max_examples=40, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 5), min_size=0, max_size=2),
    hidden=st.sampled_from(HIDDEN),
    pair=st.sampled_from(PAIRS),
    n_out=st.integers(1, 4),
    reg=st.sampled_from([(0.0, 0.0), (0.0, 0.1), (0.05, 0.0), (0.02, 0.3)]),
    seed=st.integers(0, 10_000),
)
def test_gradients_equal_finite_differences(sizes, hidden, pair, n_out, reg, seed):
    out_act, loss = pair
    if out_act == "softmax":
        n_out = max(n_out, 2)
    rng = np.random.default_rng(seed)
    net = Network([3, *sizes, n_out], [hidden] * len(sizes) + [out_act], init="normal",
                  seed=seed)
    n = 5
    X = rng.normal(size=(n, 3))
    # keep relu/leaky kinks and l1's |w| kink away from the finite-difference step
    for p in net.params:
        p += np.sign(p) * 0.05
    if hidden in KINKED and sizes:
        # a finite difference across relu's kink is not a derivative: skip such draws
        net.forward(X)
        ws = net.workspace(n)
        assume(min(np.abs(z).min() for z in ws.z[:-1]) > 2e-3)
    Y = targets_for(loss, n_out, rng, n)
    l1, l2 = reg
    value, dW, db = net.loss_and_gradients(X, Y, loss, l1=l1, l2=l2)
    assert np.isfinite(value)
    numeric = numeric_gradients(net, X, Y, loss, l1=l1, l2=l2)
    for i, g in enumerate(numeric):
        analytic = np.vstack([dW[i], db[i]])
        # relative error; below 1e-4 it reads as an absolute error (FD noise is ~1e-12)
        err = np.abs(analytic - g) / np.maximum(np.abs(analytic) + np.abs(g), 1e-4)
        assert err.max() < 1e-6, (i, err.max())


def test_loss_definitions_match_pytorch_defaults():
    P = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    Y = np.array([0, 2])
    expected = -(np.log(0.7) + np.log(0.8)) / 2
    assert losses.cross_entropy(P, Y) == pytest.approx(expected)
    assert losses.cross_entropy(P, np.eye(3)[Y]) == pytest.approx(expected)
    Pb = np.array([[0.9], [0.2]])
    Yb = np.array([[1.0], [0.0]])
    assert losses.bce(Pb, Yb) == pytest.approx(-(np.log(0.9) + np.log(0.8)) / 2)
    assert losses.mse(P, np.eye(3)[Y]) == pytest.approx(np.mean((np.eye(3)[Y] - P) ** 2))


def test_network_loss_equals_reference_loss_of_its_output():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(6, 2))
    y = rng.integers(0, 3, 6)
    net = Network([2, 4, 3], ["tanh", "softmax"], seed=1)
    assert net.loss(X, y, "cross_entropy") == pytest.approx(
        losses.cross_entropy(net.forward(X), y), rel=1e-12)
    yb = rng.integers(0, 2, 6)
    net_b = Network([2, 4, 1], ["tanh", "sigmoid"], seed=1)
    assert net_b.loss(X, yb, "bce") == pytest.approx(losses.bce(net_b.forward(X), yb), rel=1e-9)


def test_l2_adds_half_l2_times_squared_weights_not_biases():
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(4, 2)), np.array([0, 1, 1, 0])
    net = Network([2, 3, 2], ["tanh", "softmax"], seed=0)
    net.biases[0][:] = 5.0
    base = net.loss(X, y)
    sq = sum(float((w**2).sum()) for w in net.weights)
    assert net.loss(X, y, l2=0.1) == pytest.approx(base + 0.05 * sq)
    ab = sum(float(np.abs(w).sum()) for w in net.weights)
    assert net.loss(X, y, l1=0.1) == pytest.approx(base + 0.1 * ab)


def test_saturated_outputs_give_finite_loss_and_gradients():
    X = np.array([[1.0, -1.0], [-1.0, 1.0]])
    net = Network([2, 3], ["softmax"], seed=0)
    net.weights[0][...] = [[1000, -1000, 0], [-1000, 1000, 0]]
    value, dW, db = net.loss_and_gradients(X, [1, 1])
    assert np.isfinite(value) and value == pytest.approx(2000 * 2 / 2, rel=1e-9)
    assert all(np.isfinite(g).all() for g in dW + db)
    sig = Network([2, 1], ["sigmoid"], seed=0)
    sig.weights[0][...] = [[1000], [-1000]]
    value, dW, db = sig.loss_and_gradients(X, [0, 0], loss="bce")
    assert np.isfinite(value) and value == pytest.approx(2000 / 2, rel=1e-9)
    assert all(np.isfinite(g).all() for g in dW + db)


def test_one_row_far_below_the_others_still_gets_a_softmax():
    net = Network([1, 2], ["softmax"], seed=0)
    net.weights[0][...] = [[1000.0, 999.0]]
    X = np.array([[1.0], [-1.0]])  # row 2 logits are -1000, -999: far below row 1's max
    P = net.forward(X)
    assert np.isfinite(P).all()
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    assert np.isfinite(net.loss(X, [0, 1]))


def test_float32_end_to_end():
    net = Network([2, 8, 3], ["tanh", "softmax"], seed=0, dtype=np.float32)
    X = np.random.default_rng(0).normal(size=(5, 2))
    value, dW, db = net.loss_and_gradients(X, [0, 1, 2, 0, 1])
    assert net.forward(X).dtype == np.float32
    assert dW[0].dtype == np.float32 and isinstance(value, float)
    ref = Network([2, 8, 3], ["tanh", "softmax"], seed=0)
    assert value == pytest.approx(ref.loss(X, [0, 1, 2, 0, 1]), rel=1e-5)


def test_loss_and_gradients_returns_fresh_arrays():
    X = np.random.default_rng(0).normal(size=(4, 2))
    net = Network([2, 3, 2], ["tanh", "softmax"], seed=0)
    _, dW1, _ = net.loss_and_gradients(X, [0, 1, 0, 1])
    keep = dW1[0].copy()
    net.loss_and_gradients(X, [1, 1, 1, 1])
    np.testing.assert_array_equal(dW1[0], keep)


def test_copy_is_independent():
    net = Network([2, 3, 2], ["tanh", "softmax"], seed=0)
    twin = net.copy()
    twin.weights[0][:] = 0
    assert not np.all(net.weights[0] == 0)
