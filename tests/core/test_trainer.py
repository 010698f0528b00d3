"""Trainer: the step generator, live settings, history, schedules, divergence, resume."""

import itertools
import math

import numpy as np
import pytest

from ffnn.core import (
    DataSpec,
    Experiment,
    NetSpec,
    Network,
    TrainConfig,
    Trainer,
    TrainingDiverged,
    assemble,
    datasets,
)
from ffnn.core.trainer import LOSS_CEILING, LOSS_GROWTH


def spirals(n=120, classes=3):
    X, y = datasets.make("spirals", n_samples=n, noise=0.05, seed=0, classes=classes)
    return datasets.split(X, y, test_ratio=0.25, seed=0)


def make_trainer(seed=0, **cfg):
    Xtr, ytr, Xte, yte = spirals()
    net = Network([2, 8, 3], ["tanh", "softmax"], seed=seed)
    config = TrainConfig(**{"learning_rate": 0.1, "batch_size": 16, "epochs": 5, **cfg})
    return Trainer(net, Xtr, ytr, config, X_test=Xte, y_test=yte)


def test_one_next_is_one_minibatch_update():
    tr = make_trainer()
    steps = tr.steps()
    before = tr.network.get_params()
    s = next(steps)
    assert (s.epoch, s.step, s.epoch_end) == (0, 1, False)
    assert tr.step_count == 1
    assert any(not np.array_equal(a, b) for a, b in zip(before, tr.network.params, strict=True))


def test_steps_per_epoch_and_epoch_end():
    tr = make_trainer(epochs=2)  # 90 samples, batch 16 -> 6 batches an epoch
    steps = list(tr.steps())
    assert len(steps) == 12
    assert [s.epoch_end for s in steps].count(True) == 2
    assert steps[5].epoch_end and steps[5].epoch == 0 and steps[6].epoch == 1
    assert len(tr.history) == 2 and tr.history.epoch.tolist() == [1, 2]


def test_step_loss_is_the_batch_loss_before_the_update():
    tr = make_trainer(l2=0.01)
    X, T = tr.X[:, :-1], tr.y
    order = np.random.default_rng([0, 0]).permutation(len(X))[:16]
    expected = tr.network.loss(X[order], T[order], "cross_entropy", l2=0.01)
    s = next(tr.steps())
    assert s.loss == pytest.approx(expected, rel=1e-12)


def test_one_step_equals_a_hand_written_sgd_update():
    tr = make_trainer(batch_size=1000)  # full batch
    net = tr.network
    twin = net.copy()
    _, dW, db = twin.loss_and_gradients(tr.X[:, :-1], tr.y)
    next(tr.steps())
    for i in range(net.n_layers):
        np.testing.assert_allclose(net.weights[i], twin.weights[i] - 0.1 * dW[i], rtol=1e-12)
        np.testing.assert_allclose(net.biases[i], twin.biases[i] - 0.1 * db[i], rtol=1e-12)


def weights_after(seed, cfg_seed, epochs=3, **cfg):
    Xtr, ytr, Xte, yte = spirals()
    net = Network([2, 8, 3], ["tanh", "softmax"], seed=seed)
    tr = Trainer(net, Xtr, ytr, TrainConfig(optimizer="adam", learning_rate=0.01, batch_size=16,
                                            epochs=epochs, seed=cfg_seed, **cfg))
    for _ in tr.steps():
        pass
    return net.get_params()


def test_same_seed_is_bit_identical_and_other_seeds_differ():
    a, b = weights_after(0, 0), weights_after(0, 0)
    for x, y in zip(a, b, strict=True):
        assert np.array_equal(x, y)
    c = weights_after(0, 1)  # same init, another shuffle
    d = weights_after(1, 0)  # other init
    assert not all(np.array_equal(x, y) for x, y in zip(a, c, strict=True))
    assert not all(np.array_equal(x, y) for x, y in zip(a, d, strict=True))


def test_learning_rate_change_applies_at_the_next_step():
    tr = make_trainer(batch_size=1000)
    steps = tr.steps()
    next(steps)
    tr.config.learning_rate = 0.5
    twin = tr.network.copy()
    _, dW, _ = twin.loss_and_gradients(tr.X[:, :-1], tr.y)
    next(steps)
    np.testing.assert_allclose(tr.network.weights[0], twin.weights[0] - 0.5 * dW[0], rtol=1e-12)


def test_batch_size_change_applies_at_the_next_step():
    tr = make_trainer(batch_size=16)
    steps = tr.steps()
    next(steps)
    assert tr.position == 16
    tr.config.batch_size = 40
    next(steps)
    assert tr.position == 56
    s = next(steps)  # 34 left in the epoch
    assert tr.position == 0 and s.epoch_end


def test_regularisation_change_shows_in_the_next_loss():
    tr = make_trainer()
    steps = tr.steps()
    base = next(steps).loss
    tr.config.l2 = 5.0
    assert next(steps).loss > base + 1.0


def test_history_holds_train_and_test_loss_and_accuracy():
    tr = make_trainer(epochs=3)
    steps = list(tr.steps())
    h = tr.history
    assert h.metric_name == "accuracy"
    assert len(h.train_loss) == len(h.test_loss) == len(h.train_metric) == len(h.test_metric) == 3
    # train loss: the epoch's batch losses, weighted by batch size (5 of 16, one of 10)
    last = [s.loss for s in steps if s.epoch == 2]
    assert h.train_loss[-1] == pytest.approx((16 * sum(last[:5]) + 10 * last[5]) / 90)
    assert h.test_loss[-1] == pytest.approx(tr.evaluate()["test_loss"])
    assert h.test_metric[-1] == pytest.approx(
        np.mean(tr.network.predict(tr.X_test[:, :-1]) == tr.y_test))
    assert h.learning_rate.tolist() == [0.1, 0.1, 0.1]


def test_train_accuracy_counts_the_batches_as_they_were_trained():
    tr = make_trainer(epochs=1, batch_size=1000, learning_rate=1e-12)  # params barely move
    list(tr.steps())
    exact = tr.evaluate()
    assert tr.history.train_metric[0] == pytest.approx(exact["train_metric"])
    assert tr.history.train_loss[0] == pytest.approx(exact["train_loss"])


def test_history_without_test_set_has_nan_test_values():
    X, y = datasets.make("moons", n_samples=60, noise=0.1, seed=0)
    tr = Trainer(Network([2, 4, 2], ["tanh", "softmax"]), X, y, TrainConfig(epochs=2))
    list(tr.steps())
    assert all(math.isnan(v) for v in tr.history.test_loss)


def test_regression_history_reports_r2():
    X, y = datasets.make("plane", n_samples=200, noise=0.0, seed=0)
    net = Network([2, 1], ["identity"], seed=0)
    tr = Trainer(net, X, y, TrainConfig(loss="mse", learning_rate=0.05, epochs=100))
    list(tr.steps())
    assert tr.history.metric_name == "r2"
    assert tr.history.train_metric[-1] > 0.99


def test_epochs_none_trains_until_the_consumer_stops():
    tr = make_trainer(epochs=None)
    taken = list(itertools.islice(tr.steps(), 100))
    assert len(taken) == 100 and tr.epoch >= 16


def test_step_and_exponential_schedules():
    tr = make_trainer(epochs=5, lr_schedule="step", lr_decay=0.5, lr_step_epochs=2)
    list(tr.steps())
    assert tr.history.learning_rate == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025])
    tr = make_trainer(epochs=3, lr_schedule="exponential", lr_decay=0.9)
    list(tr.steps())
    assert tr.history.learning_rate == pytest.approx([0.1, 0.09, 0.081])


def test_early_stopping_stops_when_the_monitored_loss_stalls():
    tr = make_trainer(epochs=1000, learning_rate=1e-9, early_stopping_patience=3)
    list(tr.steps())
    assert tr.stopped_early and len(tr.history) < 10


def test_divergence_raises_and_keeps_the_last_finite_parameters():
    X, y = datasets.make("plane", n_samples=50, noise=0.0, seed=0)
    net = Network([2, 8, 1], ["relu", "identity"], init="normal", seed=0)
    tr = Trainer(net, X * 1e3, y * 1e6, TrainConfig(loss="mse", learning_rate=10.0, epochs=50))
    with pytest.raises(TrainingDiverged) as info:
        list(tr.steps())
    err = info.value
    assert "lower learning rate" in str(err) and f"step {err.step}" in str(err)
    assert err.step >= 1
    assert all(np.isfinite(p).all() for p in net.params)


def test_a_caught_divergence_ends_the_generator_cleanly():
    X, y = datasets.make("plane", n_samples=50, noise=0.0, seed=0)
    net = Network([2, 8, 1], ["relu", "identity"], init="normal", seed=0)
    tr = Trainer(net, X * 1e3, y * 1e6, TrainConfig(loss="mse", learning_rate=10.0, epochs=50))
    steps = tr.steps()
    with pytest.raises(TrainingDiverged):
        for _ in steps:
            pass
    assert next(steps, None) is None


def recording_batches(tr):
    """Make ``tr`` keep a copy of every mini-batch it takes (the list it returns)."""
    batches, take = [], tr._next_batch

    def spy():
        batch = take()
        batches.append(tuple(a.copy() for a in batch))
        return batch

    tr._next_batch = spy
    return batches


def run_to_divergence(tr):
    """(steps yielded, the TrainingDiverged, the batches taken)."""
    batches, steps = recording_batches(tr), []
    with pytest.raises(TrainingDiverged) as info, np.errstate(all="ignore"):
        for step in tr.steps():
            steps.append(step)
    return steps, info.value, batches


def batch_loss(tr, batch) -> float:
    Xb, Tb, _ = batch
    cfg = tr.config
    loss, _ = tr.network.copy().step_gradients(Xb, Tb, cfg.loss, cfg.l1, cfg.l2)
    return float(loss + tr.network.penalty(cfg.l1, cfg.l2))


def trainer_after(make, n_steps):
    """A twin trainer from ``make()`` after ``n_steps`` updates."""
    twin = make()
    for _ in itertools.islice(twin.steps(), n_steps):
        pass
    return twin


def plane_trainer(optimizer="sgd", x_scale=1e3, y_scale=1e6):
    """Regression with a learning rate far too high for targets this large: the loss jumps
    past the bound at step 2 (to a non-finite value with x_scale 1e30, y_scale 1e70)."""
    X, y = datasets.make("plane", n_samples=50, noise=0.0, seed=0)
    net = Network([2, 8, 1], ["relu", "identity"], init="normal", seed=0)
    return Trainer(net, X * x_scale, y * y_scale,
                   TrainConfig(loss="mse", learning_rate=10.0, epochs=50, optimizer=optimizer,
                               batch_size=16))


# How each kind of divergence shows in the message (see plane_trainer).
DIVERGENCES = {"growth": (1e3, 1e6, "1e6 × the starting loss"),
               "ceiling": (1e3, 1e70, "past 1e150 (it would overflow once squared)"),
               "non-finite": (1e30, 1e70, "loss is inf — the loss went non-finite")}


def runaway_experiment() -> Experiment:
    """`ffnn-tui train --dataset gauss --activation relu --optimizer momentum --lr 1`: the
    loss runs away to ~1e10 and stays finite (issue 8, item 7)."""
    return Experiment(DataSpec(name="gauss"), NetSpec(activations=["relu", "relu"]),
                      TrainConfig(optimizer="momentum", learning_rate=1.0))


@pytest.mark.parametrize("kind", DIVERGENCES)
@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov"])
def test_divergence_keeps_the_state_of_the_last_sane_step(optimizer, kind):
    x_scale, y_scale, cause = DIVERGENCES[kind]
    tr = plane_trainer(optimizer, x_scale, y_scale)
    steps, err, batches = run_to_divergence(tr)
    last = steps[-1]
    assert err.step == last.step + 1 and err.kept_step == last.step
    assert "lower learning rate" in str(err) and f"step {err.step}" in str(err)
    assert cause in str(err) and "\n" not in str(err)
    assert all(np.isfinite(p).all() for p in tr.network.params)
    # The parameters are those that gave the last yielded loss: it comes back, bit for bit.
    assert math.isfinite(last.loss) and batch_loss(tr, batches[-2]) == last.loss
    # ... and the optimizer is as it was then too: a twin stopped before that step's update.
    twin = trainer_after(lambda: plane_trainer(optimizer, x_scale, y_scale),
                         last.step - 1)
    for a, b in zip(tr.network.params, twin.network.params, strict=True):
        assert np.array_equal(a, b)
    ours, theirs = tr.optimizer.state_dict(), twin.optimizer.state_dict()
    assert ours.keys() == theirs.keys()
    for key in ours:
        assert np.array_equal(ours[key], theirs[key]), key
    # The counters are not rolled back: they still count the kept step.
    assert tr.step_count == last.step


def test_divergence_after_an_optimizer_switch_restores_the_new_optimizer():
    tr = plane_trainer("sgd")
    tr.config.learning_rate = 1e-9
    steps = tr.steps()
    for _ in range(3):
        next(steps)
    tr.set_optimizer("momentum")
    tr.config.learning_rate = 10.0
    with pytest.raises(TrainingDiverged) as info, np.errstate(all="ignore"):
        for _ in steps:
            pass
    assert info.value.kept_step == 4  # the first momentum step: its loss was still sane
    assert tr.optimizer.t == 0 and not tr.optimizer.velocity[0].any()


def test_a_finite_runaway_loss_is_divergence():
    run = assemble(runaway_experiment())
    tr = run.trainer
    steps, err, batches = run_to_divergence(tr)
    bound = tr.loss_bound()
    assert bound == pytest.approx(LOSS_GROWTH * steps[0].loss)
    assert str(err).count("\n") == 0 and "1e6 × the starting loss" in str(err)
    assert "try a lower learning rate" in str(err)
    assert err.kept_step == steps[-1].step and err.layer is None
    assert all(s.loss < bound for s in steps)
    assert all(v < bound for v in tr.history.train_loss)
    assert all(np.isfinite(p).all() for p in tr.network.params)
    assert batch_loss(tr, batches[-2]) == steps[-1].loss < bound
    # The weights one update further, which it diverged with, are gone.
    ahead = trainer_after(lambda: assemble(runaway_experiment()).trainer, steps[-1].step)
    assert batch_loss(ahead, batches[-1]) >= bound
    assert not np.array_equal(ahead.network.flat_params, tr.network.flat_params)


def test_a_first_loss_past_the_ceiling_diverges_with_nothing_to_go_back_to():
    X, y = datasets.make("plane", n_samples=50, noise=0.0, seed=0)
    net = Network([2, 8, 1], ["relu", "identity"], seed=0)
    before = net.get_params()
    tr = Trainer(net, X, y * 1e80, TrainConfig(loss="mse", epochs=5))
    with pytest.raises(TrainingDiverged) as info:
        next(tr.steps())
    assert info.value.kept_step is None and info.value.step == 1
    assert f"past {LOSS_CEILING:.0e}".replace("e+", "e") in str(info.value)
    for a, b in zip(before, net.params, strict=True):
        assert np.array_equal(a, b)


def test_a_warm_start_with_a_tiny_loss_does_not_trip_the_bound():
    X, y = datasets.make("gaussians", n_samples=200, noise=0.05, seed=0, classes=2)
    net = Network([2, 8, 2], ["tanh", "softmax"], seed=0)
    list(Trainer(net, X, y, TrainConfig(optimizer="adam", learning_rate=0.05, epochs=60)).steps())
    warm = Trainer(net, X, y, TrainConfig(optimizer="sgd", learning_rate=0.5, batch_size=4,
                                          epochs=20))
    steps = list(warm.steps())
    assert steps[0].loss < 0.05
    assert warm.loss_bound() >= LOSS_GROWTH * 0.5  # the targets' scale: mean(T²) = 1/2


def test_a_resumed_trainer_takes_the_bound_from_the_saved_history():
    tr = make_trainer(epochs=3)
    list(tr.steps())
    twin = make_trainer(epochs=4)
    twin.network.set_params(tr.network.get_params())
    twin.load_state_dict(tr.state_dict())
    twin.history.load(tr.history.as_dict())
    next(twin.steps())
    assert twin.loss_bound() == pytest.approx(LOSS_GROWTH * tr.history.train_loss[0])


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov", "adam", "rmsprop"])
def test_state_dict_resumes_bit_for_bit(optimizer):
    lr = 0.01 if optimizer in ("adam", "rmsprop") else 0.1
    tr = make_trainer(optimizer=optimizer, learning_rate=lr, epochs=None)
    steps = tr.steps()
    for _ in range(13):
        next(steps)
    state = tr.state_dict()
    params = tr.network.get_params()
    ahead = [next(steps).loss for _ in range(10)]
    twin = make_trainer(optimizer=optimizer, learning_rate=lr, epochs=None)
    twin.network.set_params(params)
    twin.load_state_dict(state)
    again = [s.loss for s in itertools.islice(twin.steps(), 10)]
    assert ahead == again
    for a, b in zip(tr.network.params, twin.network.params, strict=True):
        assert np.array_equal(a, b)


@pytest.mark.parametrize("field,value", [
    ("learning_rate", 0), ("learning_rate", -1), ("learning_rate", float("inf")),
    ("learning_rate", float("nan")), ("batch_size", 0), ("epochs", 0), ("l2", -0.1),
    ("optimizer", "lbfgs"), ("loss", "hinge"), ("lr_schedule", "cosine"),
])
def test_config_validation_names_the_field(field, value):
    with pytest.raises(ValueError) as info:
        TrainConfig(**{field: value}).validate()
    assert info.value.field == f"train.{field}"


def test_float32_training_runs_and_learns():
    X, y = datasets.make("moons", n_samples=100, noise=0.1, seed=0)
    net = Network([2, 16, 2], ["tanh", "softmax"], seed=0, dtype=np.float32)
    tr = Trainer(net, X, y, TrainConfig(optimizer="adam", learning_rate=0.02, epochs=100))
    list(tr.steps())
    assert net.weights[0].dtype == np.float32
    assert tr.history.train_metric[-1] > 0.95
