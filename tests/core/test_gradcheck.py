import numpy as np
import pytest

from ffnn.core import datasets, gradcheck
from ffnn.core.network import Network

X, LABELS = datasets.make("spirals", n_samples=24, noise=0.1, seed=0, classes=3)
X = X / 3.0

CASES = [
    ([2, 5, 4, 3], ["tanh", "sigmoid", "softmax"], "cross_entropy", LABELS),
    ([2, 6, 1], ["elu", "sigmoid"], "bce", LABELS % 2),
    ([2, 5, 1], ["tanh", "identity"], "mse", X[:, 0] * X[:, 1]),
    ([2, 4, 3], ["sigmoid", "softmax"], "mse", np.eye(3)[LABELS]),
]


@pytest.mark.parametrize(("sizes", "acts", "loss", "Y"), CASES)
@pytest.mark.parametrize(("l2", "l1"), [(0.0, 0.0), (0.05, 0.02)])
def test_correct_network_passes(sizes, acts, loss, Y, l2, l1):
    net = Network(sizes, acts, init="normal", seed=3)
    errors = gradcheck.check(net, X, Y, loss, l2=l2, l1=l1)
    assert len(errors) == len(sizes) - 1
    assert max(errors) < 1e-6


def test_parameters_are_restored_bit_for_bit():
    net = Network([2, 5, 4, 3], ["tanh", "relu", "softmax"], seed=1)
    before = [w.copy() for w in net.weights] + [b.copy() for b in net.biases]
    gradcheck.check(net, X, LABELS, "cross_entropy")
    after = net.weights + net.biases
    for a, b in zip(before, after, strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_broken_gradient_is_caught_in_its_layer(monkeypatch):
    net = Network([2, 5, 4, 3], ["tanh", "tanh", "softmax"], init="normal", seed=3)
    honest = Network.loss_and_gradients

    def corrupted(self, *args, **kwargs):
        value, dW, db = honest(self, *args, **kwargs)
        dW[1] = dW[1] * 1.5  # a classic bug: wrong factor in one layer's weight gradient
        return value, dW, db

    monkeypatch.setattr(Network, "loss_and_gradients", corrupted)
    errors = gradcheck.check(net, X, LABELS, "cross_entropy")
    assert errors[1] > 0.1  # |1.5n - n| / (2.5|n|) = 0.2
    assert errors[0] < 1e-6 and errors[2] < 1e-6


def test_a_wrong_bias_gradient_is_caught(monkeypatch):
    net = Network([2, 4, 3], ["tanh", "softmax"], init="normal", seed=3)
    honest = Network.loss_and_gradients

    def sign_flipped(self, *args, **kwargs):
        value, dW, db = honest(self, *args, **kwargs)
        return value, dW, [db[0], -db[1]]

    monkeypatch.setattr(Network, "loss_and_gradients", sign_flipped)
    errors = gradcheck.check(net, X, LABELS, "cross_entropy")
    assert errors[1] > 0.5 and errors[0] < 1e-6


def test_relative_error_definition():
    np.testing.assert_allclose(
        gradcheck.relative_error([1.0, 0.0, 2.0, -1.0], [1.0, 0.0, 1.0, 1.0]),
        [0.0, 0.0, 1 / 3, 1.0],
    )
