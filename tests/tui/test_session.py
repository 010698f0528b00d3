"""Session: the app's engine without Textual."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ffnn.core.experiment import DataSpec, Experiment, NetSpec
from ffnn.core.trainer import TrainConfig
from ffnn.tui.session import SPEEDS, Session, SessionError


def small_experiment(**train) -> Experiment:
    config = TrainConfig(loss="cross_entropy", learning_rate=0.1, batch_size=32, epochs=None,
                         seed=0)
    for key, value in train.items():
        setattr(config, key, value)
    return Experiment(DataSpec(name="spirals", n_samples=200, classes=3, seed=0),
                      NetSpec(hidden=[8, 8], activations=["tanh", "tanh"], seed=0), config)


class FakeClock:
    """A clock that moves `tick` seconds every time it is read."""

    def __init__(self, tick: float) -> None:
        self.now = 0.0
        self.tick = tick

    def __call__(self) -> float:
        self.now += self.tick
        return self.now


def test_default_session_builds_and_is_paused():
    session = Session()
    assert not session.running
    assert session.network.layer_sizes[0] == 2
    assert session.trainer.config.epochs is None  # the interactive default trains on
    assert math.isnan(session.steps_per_second)


def test_step_does_exactly_one_update():
    session = Session(small_experiment())
    assert session.step() == 1
    assert session.trainer.step_count == 1
    assert session.previous_params is not None
    assert session.step() == 1
    assert session.trainer.step_count == 2


def test_step_epoch_stops_at_epoch_end():
    session = Session(small_experiment())
    session.step()  # start mid-epoch
    session.step_epoch()
    assert session.trainer.epoch == 1
    assert session.trainer.position == 0
    assert len(session.trainer.history) == 1


def test_advance_respects_max_steps_and_budget():
    session = Session(small_experiment())
    session.play()
    assert session.advance(10.0, max_steps=5) == 5
    # A clock that moves 1 ms per read: a 20 ms budget stops after a bounded number of steps.
    session.clock = FakeClock(0.001)
    done = session.advance(0.02, None)
    assert 1 <= done <= 64 * 21


def test_speed_ladder_ends_unlimited():
    session = Session(small_experiment())
    for _ in SPEEDS:
        session.faster()
    assert session.steps_per_frame is None
    assert session.speed_text == "max speed"
    for _ in SPEEDS:
        session.slower()
    assert session.steps_per_frame == 1


def test_live_edits_change_the_trainer_without_reset():
    session = Session(small_experiment())
    session.step()
    weights = [w.copy() for w in session.network.weights]
    structure = session.structure_version
    session.edit("train", "learning_rate", 0.03)
    session.edit("train", "batch_size", 8)
    session.edit("train", "l2", 0.001)
    session.edit("train", "optimizer", "adam")
    assert session.trainer.config.learning_rate == 0.03
    assert session.trainer.config.batch_size == 8
    assert session.trainer.config.l2 == 0.001
    assert session.trainer.optimizer.name == "adam"
    assert session.structure_version == structure
    assert session.trainer.step_count == 1
    for before, now in zip(weights, session.network.weights, strict=True):
        np.testing.assert_array_equal(before, now)


def test_refused_live_value_keeps_the_old_one():
    session = Session(small_experiment())
    with pytest.raises(SessionError):
        session.edit("train", "learning_rate", 0.0)
    assert session.trainer.config.learning_rate == 0.1


def test_architecture_edit_rebuilds():
    session = Session(small_experiment())
    session.step()
    note = session.edit("net", "hidden", ([16, 16, 16], ["relu", "relu", "tanh"]))
    assert session.network.layer_sizes == [2, 16, 16, 16, 3]
    assert session.network.activations == ["relu", "relu", "tanh", "softmax"]
    assert session.trainer.step_count == 0
    assert "rebuilt" in note


def test_dataset_change_to_regression_picks_identity_and_mse():
    session = Session(small_experiment())
    session.edit("data", "name", "plane")
    assert session.dataset.task == "regression"
    assert session.network.activations[-1] == "identity"
    assert session.trainer.config.loss == "mse"
    session.edit("data", "name", "xor")
    assert session.network.activations[-1] == "softmax"
    assert session.trainer.config.loss == "cross_entropy"


def test_output_and_loss_follow_auto_and_refuse_bad_pairs():
    session = Session(small_experiment())
    session.edit("net", "output", "sigmoid")
    assert session.trainer.config.loss == "bce"  # auto loss follows the output
    with pytest.raises(SessionError) as refused:
        session.edit("train", "loss", "cross_entropy")
    assert refused.value.field == "train.loss"
    assert session.trainer.config.loss == "bce"
    assert session.loss_auto


def test_same_value_is_a_no_op():
    session = Session(small_experiment())
    structure = session.structure_version
    assert session.edit("net", "hidden", ([8, 8], ["tanh", "tanh"])) == ""
    assert session.edit("train", "learning_rate", 0.1) == ""
    assert session.structure_version == structure


def test_reset_restores_the_initial_weights_of_the_seed():
    session = Session(small_experiment())
    initial = [p.copy() for p in session.network.params]
    session.play()
    session.advance(10.0, max_steps=50)
    session.reset()
    for before, now in zip(initial, session.network.params, strict=True):
        np.testing.assert_array_equal(before, now)
    assert session.trainer.step_count == 0
    session.reset(new_seed=True)
    assert session.experiment.net.seed != 0
    assert not np.array_equal(initial[0], session.network.params[0])


def diverging_experiment() -> Experiment:
    """Regression with a learning rate far too high: the loss overflows within a few steps."""
    return Experiment(DataSpec(name="plane", n_samples=200, seed=0),
                      NetSpec(hidden=[16], activations=["relu"], init="normal", seed=0),
                      TrainConfig(loss="mse", learning_rate=10.0, epochs=None))


def test_divergence_pauses_and_keeps_finite_weights():
    session = Session(diverging_experiment())
    session.play()
    session.advance(5.0, 1000)
    assert session.diverged is not None
    assert not session.running
    assert all(np.isfinite(p).all() for p in session.network.params)
    message = session.pop_messages()[0]
    assert "diverged" in message and "lower the learning rate" in message
    # Lowering the learning rate and resetting gives a clean run.
    session.edit("train", "learning_rate", 0.01)
    session.reset()
    session.play()
    session.advance(5.0, 50)
    assert session.diverged is None and session.trainer.step_count == 50


def test_finishing_pauses_and_play_trains_on():
    session = Session(small_experiment(epochs=2))
    session.play()
    while session.running:
        session.advance(1.0, None)
    assert session.finished
    assert session.trainer.epoch == 2
    assert "Finished 2 epochs" in session.pop_messages()[0]
    session.play()
    session.advance(10.0, max_steps=3)
    assert session.trainer.step_count > 2 * 6


def test_steps_per_second_is_measured_while_running():
    session = Session(small_experiment())
    session.clock = FakeClock(0.01)
    session.play()
    for _ in range(5):
        session.advance(0.05, 10)
    assert session.steps_per_second > 0
    session.pause()
    assert math.isnan(session.steps_per_second)
