"""Each optimizer's first steps against values worked out by hand from torch.optim's rules."""

import math

import numpy as np
import pytest

from ffnn.core import optimizers

GRADS = [np.array([0.5]), np.array([-0.25]), np.array([1.0])]


def run(name, lr, grads=GRADS, p0=1.0):
    p = np.array([p0])
    opt = optimizers.make(name, [p], lr)
    seen = []
    for g in grads:
        opt.step([g.copy()])
        seen.append(float(p[0]))
    return seen


def test_sgd():
    assert run("sgd", 0.1) == pytest.approx([0.95, 0.975, 0.875])


def test_momentum():
    # v1 = g1 = .5; v2 = .9*.5 - .25 = .2; v3 = .9*.2 + 1 = 1.18
    assert run("momentum", 0.1) == pytest.approx([0.95, 0.93, 0.812])


def test_nesterov():
    # p -= lr*(g + .9 v): v1=.5 -> .95 -> .905; v2=.2 -> -.07 -> .912; v3=1.18 -> 2.062 -> .7058
    assert run("nesterov", 0.1) == pytest.approx([0.905, 0.912, 0.7058])


def test_adam():
    b1, b2, eps, lr = 0.9, 0.999, 1e-8, 0.01
    m = v = 0.0
    p = 1.0
    expected = []
    for t, g in enumerate([0.5, -0.25, 1.0], start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        mhat, vhat = m / (1 - b1**t), v / (1 - b2**t)
        p -= lr * mhat / (math.sqrt(vhat) + eps)
        expected.append(p)
    assert run("adam", lr) == pytest.approx(expected, rel=1e-12)
    # Adam's first step moves every parameter by lr, whatever the gradient's size
    assert run("adam", 0.01, [np.array([123.0])])[0] == pytest.approx(0.99)


def test_rmsprop():
    a, eps, lr = 0.99, 1e-8, 0.01
    s, p, expected = 0.0, 1.0, []
    for g in [0.5, -0.25, 1.0]:
        s = a * s + (1 - a) * g * g
        p -= lr * g / (math.sqrt(s) + eps)
        expected.append(p)
    assert run("rmsprop", lr) == pytest.approx(expected, rel=1e-12)
    assert expected[0] == pytest.approx(1 - 0.01 / math.sqrt(0.01), rel=1e-6)


def test_learning_rate_change_takes_effect_at_next_step():
    p = np.array([1.0])
    opt = optimizers.make("sgd", [p], 0.1)
    opt.step([np.array([1.0])])
    opt.lr = 0.5
    opt.step([np.array([1.0])])
    assert p[0] == pytest.approx(1 - 0.1 - 0.5)


@pytest.mark.parametrize("name", list(optimizers.OPTIMIZERS))
def test_updates_in_place_and_state_round_trips(name):
    p = np.array([1.0, 2.0])
    same = p
    opt = optimizers.make(name, [p], 0.05)
    opt.step([np.array([0.3, -0.1])])
    assert same is opt.params[0] and not np.allclose(p, [1.0, 2.0])
    state = opt.state_dict()
    q = p.copy()
    twin = optimizers.make(name, [q], 0.05)
    twin.load_state_dict(state)
    opt.step([np.array([0.2, 0.2])])
    twin.step([np.array([0.2, 0.2])])
    np.testing.assert_array_equal(p, q)


def test_unknown_optimizer():
    with pytest.raises(ValueError, match="choose from"):
        optimizers.make("lbfgs", [], 0.1)
