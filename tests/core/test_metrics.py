import numpy as np
import pytest

from ffnn.core import TrainConfig, Trainer, datasets, metrics
from ffnn.core.network import Network


def test_confusion_matrix_takes_probability_and_one_hot_rows():
    probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    np.testing.assert_array_equal(metrics.confusion_matrix([0, 1, 1], probs), [[1, 0], [1, 1]])
    np.testing.assert_array_equal(metrics.confusion_matrix(np.eye(2), [[1], [1]]),
                                  [[0, 1], [0, 1]])
    with pytest.raises(ValueError):
        metrics.confusion_matrix([0, 1], [0, 1, 1])


def test_confusion_matrix_rows_true_columns_predicted():
    cm = metrics.confusion_matrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2])
    np.testing.assert_array_equal(cm, [[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    assert np.issubdtype(cm.dtype, np.integer)
    assert metrics.confusion_matrix([0, 1], [1, 1], n_classes=4).shape == (4, 4)
    with pytest.raises(ValueError):
        metrics.confusion_matrix([0, 3], [0, 1], n_classes=2)


def test_the_trainers_r2_is_the_textbook_formula():
    """1 − SS_res / SS_tot over the test set, with the network's own predictions."""
    X, y = datasets.make("plane", n_samples=80, noise=0.3, seed=1)
    net = Network([2, 3, 1], ["tanh", "identity"], seed=0)
    trainer = Trainer(net, X[:60], y[:60], TrainConfig(loss="mse", epochs=3), X[60:], y[60:])
    list(trainer.steps())
    p = net.forward(X[60:])[:, 0]
    t = y[60:]
    by_hand = 1 - np.sum((t - p) ** 2) / np.sum((t - t.mean()) ** 2)
    assert trainer.evaluate()["test_metric"] == pytest.approx(by_hand, rel=1e-12)
    assert trainer.history.test_metric[-1] == pytest.approx(by_hand, rel=1e-12)


# --------------------------------------------------------------------------- decision_grid


def softmax_net(w_x: float, w_y: float) -> Network:
    """Two softmax outputs whose logits are ±(w_x·x + w_y·y): class 1 iff w_x·x + w_y·y > 0."""
    net = Network([2, 2], ["softmax"], seed=0)
    net.weights[0][:] = [[-w_x, w_x], [-w_y, w_y]]
    net.biases[0][:] = 0.0
    return net


def test_grid_orientation_left_right():
    grid = metrics.decision_grid(softmax_net(1.0, 0.0), (-3, 3), (-2, 2), cols=6, rows=4)
    assert grid.labels.shape == (4, 6) and grid.confidence.shape == (4, 6)
    np.testing.assert_array_equal(grid.labels[:, :3], 0)  # left half: x < 0
    np.testing.assert_array_equal(grid.labels[:, 3:], 1)  # right half: x > 0
    assert grid.x_range == (-3.0, 3.0) and grid.y_range == (-2.0, 2.0)


def test_grid_orientation_top_is_largest_y():
    grid = metrics.decision_grid(softmax_net(0.0, 1.0), (-3, 3), (-2, 2), cols=6, rows=4)
    np.testing.assert_array_equal(grid.labels[:2], 1)  # top rows: y > 0
    np.testing.assert_array_equal(grid.labels[2:], 0)


def test_grid_uses_cell_centres_and_confidence_is_max_probability():
    net = softmax_net(1.0, 0.0)
    grid = metrics.decision_grid(net, (0, 4), (0, 2), cols=4, rows=2)
    xs = np.array([0.5, 1.5, 2.5, 3.5])
    p1 = 1 / (1 + np.exp(-2 * xs))  # softmax of (-x, x)
    np.testing.assert_allclose(grid.confidence, np.tile(p1, (2, 1)))
    np.testing.assert_allclose(grid.values, grid.confidence)
    assert np.all((grid.confidence >= 0.5) & (grid.confidence <= 1.0))


def test_grid_single_sigmoid_unit():
    net = Network([2, 1], ["sigmoid"], seed=0)
    net.weights[0][:] = [[2.0], [0.0]]
    net.biases[0][:] = 0.0
    grid = metrics.decision_grid(net, (-2, 2), (-1, 1), cols=4, rows=3)
    xs = np.array([-1.5, -0.5, 0.5, 1.5])
    p = 1 / (1 + np.exp(-2 * xs))
    np.testing.assert_array_equal(grid.labels, np.tile([0, 0, 1, 1], (3, 1)))
    np.testing.assert_allclose(grid.confidence, np.tile(np.maximum(p, 1 - p), (3, 1)))


def test_grid_regression_values_at_cell_centres():
    net = Network([2, 1], ["identity"], seed=0)
    net.weights[0][:] = [[1.0], [10.0]]
    net.biases[0][:] = 0.5
    grid = metrics.decision_grid(net, (0, 2), (0, 3), cols=2, rows=3)
    xs, ys = np.array([0.5, 1.5]), np.array([2.5, 1.5, 0.5])  # top row first
    np.testing.assert_allclose(grid.values, xs[None, :] + 10 * ys[:, None] + 0.5)
    np.testing.assert_array_equal(grid.labels, 0)
    np.testing.assert_array_equal(grid.confidence, 1.0)


def test_grid_does_exactly_one_forward_pass(monkeypatch):
    net = Network([2, 8, 3], ["tanh", "softmax"], seed=1)
    calls = []
    original = net.forward

    def counting_forward(X):
        calls.append(np.shape(X))
        return original(X)

    monkeypatch.setattr(net, "forward", counting_forward)
    monkeypatch.setattr(net, "predict", lambda X: pytest.fail("predict must not be called"))
    grid = metrics.decision_grid(net, (-6, 6), (-6, 6), cols=40, rows=30)
    assert calls == [(1200, 2)]
    # and it agrees with predict, cell by cell
    np.testing.assert_array_equal(
        grid.labels.ravel(),
        original(metrics.grid_inputs(2, (-6, 6), (-6, 6), 40, 30)).argmax(axis=1),
    )


def test_grid_more_inputs_holds_the_others_fixed():
    net = Network([3, 2], ["softmax"], seed=0)
    net.weights[0][:] = [[0, 0], [0, 0], [-1, 1]]  # only input 2 matters
    net.biases[0][:] = 0.0
    grid = metrics.decision_grid(net, (-1, 1), (-1, 1), 3, 3, features=(0, 1), fixed=[0, 0, 5])
    np.testing.assert_array_equal(grid.labels, 1)
    grid = metrics.decision_grid(net, (-1, 1), (-1, 1), 3, 3, features=(0, 2))
    np.testing.assert_array_equal(grid.labels[0], 1)  # top row: input 2 > 0
    np.testing.assert_array_equal(grid.labels[-1], 0)
    with pytest.raises(ValueError, match="fixed"):
        metrics.decision_grid(net, (-1, 1), (-1, 1), 3, 3, fixed=[0, 0])
    with pytest.raises(ValueError, match="features"):
        metrics.decision_grid(net, (-1, 1), (-1, 1), 3, 3, features=(0, 3))
    with pytest.raises(ValueError, match="x_range"):
        metrics.decision_grid(net, (1, -1), (-1, 1), 3, 3)
