"""Session: the app's engine without Textual; notes: how its results are worded."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ffnn.core import DataSpec, Experiment, NetSpec, TrainConfig, assemble
from ffnn.tui.edits import stepped_rate
from ffnn.tui.notes import applied_note, event_note
from ffnn.tui.session import SPEEDS, Diverged, Finished, Session, SessionError


def small_experiment(**train) -> Experiment:
    config = TrainConfig(loss="auto", learning_rate=0.1, batch_size=32, epochs=None, seed=0)
    for key, value in train.items():
        setattr(config, key, value)
    return Experiment(DataSpec(name="spirals", n_samples=200, classes=3, seed=0),
                      NetSpec(hidden=[8, 8], activations=["tanh", "tanh"], seed=0), config)


def session_of(experiment: Experiment | None = None, **kwargs) -> Session:
    return Session(assemble(experiment or small_experiment()), **kwargs)


def edit(session: Session, **values):
    """Apply settings by dotted key written with "__" for "." (train__learning_rate)."""
    return session.apply(session.experiment.with_values(
        **{key.replace("__", "."): value for key, value in values.items()}))


class FakeClock:
    """A clock that moves `tick` seconds every time it is read."""

    def __init__(self, tick: float) -> None:
        self.now = 0.0
        self.tick = tick

    def __call__(self) -> float:
        self.now += self.tick
        return self.now


def test_session_builds_and_is_paused():
    session = session_of()
    assert not session.running
    assert session.network.layer_sizes == [2, 8, 8, 3]
    assert session.trainer.config.epochs is None
    assert math.isnan(session.steps_per_second)


def test_step_does_exactly_one_update():
    session = session_of()
    assert session.step() == 1
    assert session.trainer.step_count == 1
    assert session.previous_params is not None
    assert session.step() == 1
    assert session.trainer.step_count == 2


def test_step_epoch_stops_at_epoch_end():
    session = session_of()
    session.step()  # start mid-epoch
    session.step_epoch()
    assert session.trainer.epoch == 1
    assert session.trainer.position == 0
    assert len(session.trainer.history) == 1


def test_advance_respects_max_steps_and_budget():
    session = session_of()
    session.play()
    assert session.advance(10.0, max_steps=5) == 5
    # A clock that moves 1 ms per read: a 20 ms budget stops after a bounded number of steps.
    session.clock = FakeClock(0.001)
    done = session.advance(0.02, None)
    assert 1 <= done <= 64 * 21


def test_speed_ladder_ends_unlimited():
    session = session_of()
    for _ in SPEEDS:
        session.faster()
    assert session.steps_per_frame is None
    for _ in SPEEDS:
        session.slower()
    assert session.steps_per_frame == 1


def test_live_edits_change_the_trainer_without_reset():
    session = session_of()
    session.step()
    weights = [w.copy() for w in session.network.weights]
    structure = session.structure_version
    applied = edit(session, train__learning_rate=0.03, train__batch_size=8, train__l2=0.001,
                   train__optimizer="adam")
    assert applied.kind == "live"
    assert set(applied.keys) == {"train.learning_rate", "train.batch_size", "train.l2",
                                 "train.optimizer"}
    config = session.trainer.config
    assert (config.learning_rate, config.batch_size, config.l2) == (0.03, 8, 0.001)
    assert session.trainer.optimizer.name == "adam"
    assert session.experiment.train.learning_rate == 0.03  # the one copy of the settings
    assert session.structure_version == structure
    assert session.trainer.step_count == 1
    for before, now in zip(weights, session.network.weights, strict=True):
        np.testing.assert_array_equal(before, now)
    assert "learning rate 0.03" in applied_note(applied, session)


def test_refused_live_value_keeps_the_old_one():
    session = session_of()
    with pytest.raises(SessionError) as refused:
        edit(session, train__learning_rate=0.0)
    assert "learning" in str(refused.value)
    assert session.trainer.config.learning_rate == 0.1
    assert session.experiment.train.learning_rate == 0.1


def test_architecture_edit_rebuilds():
    session = session_of()
    session.step()
    applied = edit(session, net__hidden=[16, 16, 16], net__activations=["relu", "relu", "tanh"])
    assert applied.kind == "rebuild" and not applied.data
    assert session.network.layer_sizes == [2, 16, 16, 16, 3]
    assert session.network.activations == ["relu", "relu", "tanh", "softmax"]
    assert session.trainer.step_count == 0
    assert applied_note(applied, session) == ("rebuilt 2-16-16-16-3 relu,relu,tanh,softmax "
                                              "(hidden layers changed)")


def test_a_rebuild_keeps_the_data_unless_it_changed():
    session = session_of()
    dataset = session.dataset
    edit(session, net__init="he")
    assert session.dataset is dataset
    edit(session, data__noise=0.2)
    assert session.dataset is not dataset


def test_dataset_change_to_regression_picks_identity_and_mse():
    session = session_of()
    applied = edit(session, data__name="plane")
    assert applied.data
    assert session.dataset.task == "regression"
    assert session.network.activations[-1] == "identity"
    assert session.trainer.config.loss == "mse"
    edit(session, data__name="xor")
    assert session.network.activations[-1] == "softmax"
    assert session.trainer.config.loss == "cross_entropy"


def test_output_and_loss_follow_auto_and_refuse_bad_pairs():
    session = session_of()
    edit(session, net__output="sigmoid")
    assert session.trainer.config.loss == "bce"  # the auto loss follows the output
    with pytest.raises(SessionError) as refused:
        edit(session, train__loss="cross_entropy")
    assert "loss" in str(refused.value)
    assert session.trainer.config.loss == "bce"
    assert session.experiment.train.loss == "auto"


def test_same_value_is_a_no_op():
    session = session_of()
    structure = session.structure_version
    assert edit(session, net__hidden=[8, 8]).kind == "none"
    assert edit(session, train__learning_rate=0.1).kind == "none"
    assert session.structure_version == structure


def test_reset_restores_the_initial_weights_of_the_seed():
    session = session_of()
    initial = [p.copy() for p in session.network.params]
    session.play()
    session.advance(10.0, max_steps=50)
    assert session.reset() == 0
    for before, now in zip(initial, session.network.params, strict=True):
        np.testing.assert_array_equal(before, now)
    assert session.trainer.step_count == 0
    seed = session.reset(new_seed=True)
    assert seed != 0 and session.experiment.net.seed == session.experiment.train.seed == seed
    assert not np.array_equal(initial[0], session.network.params[0])


def diverging_experiment() -> Experiment:
    """Regression with a learning rate far too high: the loss overflows within a few steps."""
    return Experiment(DataSpec(name="plane", n_samples=200, seed=0),
                      NetSpec(hidden=[16], activations=["relu"], init="normal", seed=0),
                      TrainConfig(loss="mse", learning_rate=10.0, epochs=None))


def test_divergence_pauses_and_keeps_finite_weights():
    session = session_of(diverging_experiment())
    session.play()
    session.advance(5.0, 1000)
    assert session.diverged is not None
    assert not session.running
    assert all(np.isfinite(p).all() for p in session.network.params)
    (event,) = session.pop_events()
    assert isinstance(event, Diverged) and event.learning_rate == 10.0
    title, message = event_note(event)
    assert title == "Diverged" and "lower the learning rate" in message and "makes it 3" in message
    # Lowering the learning rate and resetting gives a clean run.
    edit(session, train__learning_rate=0.01)
    session.reset()
    session.play()
    session.advance(5.0, 50)
    assert session.diverged is None and session.trainer.step_count == 50


def test_finishing_pauses_and_play_trains_on():
    session = session_of(small_experiment(epochs=2))
    session.play()
    while session.running:
        session.advance(1.0, None)
    assert session.finished
    assert session.trainer.epoch == 2
    (event,) = session.pop_events()
    assert event == Finished(2, False, None)
    assert "Finished 2 epochs" in event_note(event)[1]
    session.play()
    session.advance(10.0, max_steps=3)
    assert session.trainer.step_count > 2 * 6
    assert session.experiment.train.epochs is None  # trains on without an end


def test_steps_per_second_is_measured_while_running():
    session = session_of()
    session.clock = FakeClock(0.01)
    session.play()
    for _ in range(5):
        session.advance(0.05, 10)
    assert session.steps_per_second > 0
    session.pause()
    assert math.isnan(session.steps_per_second)


def test_learning_rate_ladder():
    assert stepped_rate(0.1, 1) == 0.3 and stepped_rate(0.1, -1) == 0.03
    assert stepped_rate(0.05, 1) == 0.1 and stepped_rate(0.05, -1) == 0.03
    assert stepped_rate(10.0, 1) == 10.0 and stepped_rate(0.00001, -1) == 0.00001


def test_save_and_open_continue_the_run(tmp_path):
    session = session_of()
    session.play()
    session.advance(10.0, 25)
    path = session.save(tmp_path / "run")
    assert path.name == "run.toml" and session.path == path
    again = Session.open(path)
    assert again.trainer.step_count == 25 and again.path == path
    with pytest.raises(SessionError, match="file not found"):
        Session.open(tmp_path / "missing.toml")
