"""The seed projects' results, reproduced: the networks actually learn."""

import numpy as np

from ffnn.core import Network, TrainConfig, Trainer, datasets


def train(net, X, y, **cfg):
    tr = Trainer(net, X, y, TrainConfig(**cfg))
    for _ in tr.steps():
        pass
    return tr


def test_2_2_1_sigmoid_learns_the_xor_table_for_most_seeds():
    # BCE, full-batch gradient descent. Measured: 17 of 20 seeds learn it (the others
    # sit in the well-known local minimum of the 2-2-1 net).
    X, y = datasets.make("xor", n_samples=4, noise=0.0, seed=0)
    learned = 0
    for seed in range(20):
        net = Network([2, 2, 1], ["sigmoid", "sigmoid"], init="normal", seed=seed)
        train(net, X, y, loss="bce", learning_rate=1.0, batch_size=4, epochs=5000, seed=seed)
        learned += bool(np.array_equal(net.predict(X), y))
    assert learned >= 15


def test_2_7_2_tanh_softmax_reaches_100_percent_on_noisy_xor():
    X, y = datasets.make("xor", n_samples=200, noise=0.1, seed=0)
    net = Network([2, 7, 2], ["tanh", "softmax"], seed=0)
    tr = train(net, X, y, learning_rate=0.1, batch_size=16, epochs=300)
    assert tr.history.train_metric[-1] == 1.0


def test_2_15_4_tanh_softmax_reaches_99_percent_on_four_spirals():
    X, y = datasets.make("spirals", n_samples=400, noise=0.05, seed=0, classes=4)
    net = Network([2, 15, 4], ["tanh", "softmax"], seed=0)
    tr = train(net, X, y, optimizer="adam", learning_rate=0.03, batch_size=32, epochs=400)
    assert tr.history.train_metric[-1] >= 0.99


def test_2_16_16_1_relu_reaches_100_percent_on_100_moons():
    X, y = datasets.make("moons", n_samples=100, noise=0.1, seed=0)
    net = Network([2, 16, 16, 1], ["relu", "relu", "sigmoid"], seed=0)
    tr = train(net, X, y, loss="bce", optimizer="adam", learning_rate=0.01, batch_size=16,
               epochs=300)
    assert tr.history.train_metric[-1] == 1.0
