"""The app driven through its keys and forms (Textual's pilot)."""

from __future__ import annotations

import numpy as np
import pytest
from textual.widgets import Input, Select, Static

from ffnn.core import DataSpec, Experiment, NetSpec, TrainConfig
from ffnn.tui.app import FfnnApp
from ffnn.tui.screens.help import HelpScreen
from ffnn.tui.widgets import number_field
from ffnn.tui.widgets.config_panel import ConfigPanel
from ffnn.tui.widgets.number_field import SETTLE, NumberField
from ffnn.tui.widgets.status_bar import StatusBar

WIDE = (120, 40)


def experiment(**train) -> Experiment:
    config = TrainConfig(learning_rate=0.1, batch_size=32, epochs=None, seed=0)
    for key, value in train.items():
        setattr(config, key, value)
    return Experiment(DataSpec(name="spirals", n_samples=200, classes=3, seed=0),
                      NetSpec(hidden=[8, 8], activations=["tanh", "tanh"], seed=0), config)


def make_app(**train) -> FfnnApp:
    return FfnnApp(experiment=experiment(**train), input_cursor_blink=False)


async def type_into(pilot, input_id: str, text: str, enter: bool = True) -> None:
    """Focus an Input, clear it, type ``text`` key by key and press Enter."""
    field = pilot.app.query_one(f"#{input_id}", Input)
    field.focus()
    await pilot.pause()
    field.value = ""
    await pilot.press(*text)
    if enter:
        await pilot.press("enter")
    await pilot.pause()


async def test_space_starts_training_and_pauses():
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        assert not app.session.running
        await pilot.press("space")
        assert app.session.running
        await pilot.pause(0.5)
        assert app.session.trainer.epoch > 0
        await pilot.press("space")
        assert not app.session.running
        status = app.query_one(StatusBar).text
        assert "paused" in status


async def test_n_advances_exactly_one_step_and_N_one_epoch():
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await pilot.press("n")
        assert app.session.trainer.step_count == 1
        await pilot.press("n")
        assert app.session.trainer.step_count == 2
        await pilot.press("N")
        assert app.session.trainer.epoch == 1
        assert app.session.trainer.position == 0
        await pilot.pause()
        assert "step 5" in app.query_one(StatusBar).text  # 160 training samples / 32


async def test_typed_learning_rate_reaches_the_trainer():
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await type_into(pilot, "train-learning-rate", "0.03")
        assert app.session.trainer.config.learning_rate == 0.03
        # Without Enter the value is sent once the typing settles.
        await type_into(pilot, "train-learning-rate", "0.01", enter=False)
        assert app.session.trainer.config.learning_rate == 0.03
        await pilot.pause(SETTLE + 0.3)
        assert app.session.trainer.config.learning_rate == 0.01


async def test_typing_never_fires_key_actions():
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await type_into(pilot, "net-seed", "nrRtl[]q+-", enter=False)
        assert app.session.trainer.step_count == 0
        assert app.session.experiment.net.seed == 0
        assert app.session.network.layer_sizes == [2, 8, 8, 3]
        assert app.is_running
        assert "must be a whole number" in app.query_one("#net-seed-field", NumberField).error


@pytest.mark.parametrize("text", ["abc", "-1", "0", "1e999"])
async def test_invalid_learning_rates_are_refused_with_a_reason(text):
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await type_into(pilot, "train-learning-rate", text)
        field = app.query_one("#train-learning-rate-field", NumberField)
        assert field.error.endswith("still 0.1"), f"no message for {text!r}: {field.error!r}"
        assert app.query_one("#train-learning-rate-error").display
        assert app.session.trainer.config.learning_rate == 0.1
        # Fixing the value clears the message and applies it.
        await type_into(pilot, "train-learning-rate", "0.3")
        assert field.error == ""
        assert app.session.trainer.config.learning_rate == 0.3


async def test_batch_size_and_l2_apply_live_without_reset():
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await pilot.press("n", "n")
        structure = app.session.structure_version
        await type_into(pilot, "train-batch-size", "8")
        await type_into(pilot, "train-l2", "0.001")
        assert app.session.trainer.config.batch_size == 8
        assert app.session.trainer.config.l2 == 0.001
        assert app.session.structure_version == structure
        assert app.session.trainer.step_count == 2


async def test_adding_a_layer_changes_the_network():
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        assert app.session.network.layer_sizes == [2, 8, 8, 3]
        await pilot.press("plus")
        await pilot.pause()
        assert app.session.network.layer_sizes == [2, 8, 8, 8, 3]
        assert app.query_one("#layer-2-size", Input).value == "8"
        # Neurons of the new layer, typed into its field.
        await type_into(pilot, "layer-2-size", "16")
        assert app.session.network.layer_sizes == [2, 8, 8, 16, 3]
        await pilot.press("escape")
        assert app.focused is None
        await pilot.press("minus")
        await pilot.pause()
        assert app.session.network.layer_sizes == [2, 8, 8, 3]


async def test_add_layer_button_and_invalid_neurons():
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await pilot.click("#add-layer")
        await pilot.pause()
        assert app.session.network.layer_sizes == [2, 8, 8, 8, 3]
        await type_into(pilot, "layer-0-size", "600")
        assert "1–512" in str(app.query_one("#layer-0-error").content)
        assert str(app.query_one("#layer-0-error").content).endswith("still 8")
        assert app.session.network.layer_sizes == [2, 8, 8, 8, 3]
        # Typing "12" rebuilds once, never with the "1" on the way.
        version = app.session.structure_version
        await type_into(pilot, "layer-0-size", "12")
        assert app.session.network.layer_sizes == [2, 12, 8, 8, 3]
        assert app.session.structure_version == version + 1
        assert str(app.query_one("#layer-0-error").content) == ""


async def test_changing_an_activation_rebuilds():
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        app.query_one("#layer-0-activation", Select).value = "relu"
        await pilot.pause()
        assert app.session.network.activations == ["relu", "tanh", "softmax"]
        assert "rebuilt" in app.query_one(StatusBar).text


async def test_dataset_change_and_regression_defaults():
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        app.query_one("#data-name", Select).value = "gauss"
        await pilot.pause()
        assert app.session.dataset.task == "regression"
        assert app.session.network.activations[-1] == "identity"
        assert app.query_one("#data-classes-field").disabled
        loss = app.query_one("#train-loss", Select)
        assert loss.value == "auto"
        assert app.session.trainer.config.loss == "mse"
        shown = loss.query_one("SelectCurrent #label", Static).content
        assert str(shown) == "auto (mse)"  # the form says which loss "auto" is
        output = app.query_one("#net-output", Select).query_one("SelectCurrent #label", Static)
        assert str(output.content) == "auto (identity)"


async def test_refused_loss_shows_why_and_keeps_the_model():
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        app.query_one("#train-loss", Select).value = "bce"
        await pilot.pause()
        assert app.session.trainer.config.loss == "cross_entropy"
        assert "sigmoid" in str(app.query_one("#train-loss-error").content)


async def test_reset_restores_initial_weights_of_the_same_seed():
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        initial = [p.copy() for p in app.session.network.params]
        await pilot.press("N", "N")
        assert not np.array_equal(initial[0], app.session.network.params[0])
        await pilot.press("r")
        for before, now in zip(initial, app.session.network.params, strict=True):
            np.testing.assert_array_equal(before, now)
        assert app.session.trainer.step_count == 0
        await pilot.press("R")
        seed = app.session.experiment.net.seed
        assert seed != 0
        assert app.query_one("#net-seed", Input).value == str(seed)


async def test_speed_keys_and_learning_rate_keys():
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        speed = app.session.speed_index
        await pilot.press("right_square_bracket")
        assert app.session.speed_index == speed + 1
        await pilot.press("left_square_bracket", "left_square_bracket")
        assert app.session.speed_index == speed - 1
        await pilot.press("greater_than_sign")
        await pilot.pause()
        assert app.session.trainer.config.learning_rate == 0.3
        assert app.query_one("#train-learning-rate", Input).value == "0.3"
        await pilot.press("less_than_sign", "less_than_sign")
        await pilot.pause()
        assert app.session.trainer.config.learning_rate == 0.03


async def test_toggles_help_and_weights_layer():
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        from ffnn.tui.widgets.decision_boundary import DecisionBoundary
        from ffnn.tui.widgets.loss_plot import LossPlot
        from ffnn.tui.widgets.weights_table import WeightsTable

        await pilot.press("t", "l", "w")
        assert not app.query_one(DecisionBoundary).show_test
        assert app.query_one(LossPlot).log_scale
        assert app.query_one(WeightsTable).layer_index == 1
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_help_scrolls_with_the_keys_at_80x24():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        body = app.screen.query_one("#help-body")
        assert body.max_scroll_y > 0  # the help is longer than the screen here
        await pilot.press("pagedown")
        await pilot.pause()
        assert body.scroll_y > 0


async def test_divergence_pauses_and_notifies():
    app = FfnnApp(Experiment(DataSpec(name="plane", n_samples=200, seed=0),
                             NetSpec(hidden=[16], activations=["relu"], init="normal", seed=0),
                             TrainConfig(loss="mse", learning_rate=10.0, epochs=None)),
                  input_cursor_blink=False)
    async with app.run_test(size=WIDE) as pilot:
        await pilot.press("N")
        await pilot.pause()
        assert app.session.diverged is not None
        assert not app.session.running
        assert any("learning rate" in n.message for n in app._notifications)
        assert all(np.isfinite(p).all() for p in app.session.network.params)


async def test_resize_to_small_sizes_does_not_crash():
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        assert app.main.layout_mode == "wide"
        await pilot.press("space")
        await pilot.resize_terminal(80, 24)
        await pilot.pause(0.3)
        assert app.main.layout_mode == "compact"
        await pilot.press("v")
        assert app.query_one("#main").has_class("-show-loss")
        await pilot.resize_terminal(70, 22)
        await pilot.pause(0.2)
        assert app.main.layout_mode == "narrow"
        await pilot.resize_terminal(40, 12)
        await pilot.pause(0.2)
        assert app.main.layout_mode == "tiny"
        assert app.query_one("#too-small").display
        await pilot.resize_terminal(120, 40)
        await pilot.pause(0.2)
        assert app.main.layout_mode == "wide"
        await pilot.press("space")
        assert app.session.trainer.step_count > 0


async def test_escape_gives_the_keys_back():
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        app.query_one("#data-n-samples", Input).focus()
        await pilot.pause()
        await pilot.press("space", "n")
        assert not app.session.running and app.session.trainer.step_count == 0
        await pilot.press("escape")
        await pilot.press("n")
        assert app.session.trainer.step_count == 1


async def test_system_commands_cover_the_main_actions():
    app = make_app()
    async with app.run_test(size=WIDE):
        titles = {command.title for command in app.get_system_commands(app.screen)}
        for title in ("Play / pause", "Step", "Reset", "Faster", "Help", "Add hidden layer"):
            assert title in titles


async def test_config_panel_sync_after_new_seed_does_not_echo():
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        panel = app.query_one(ConfigPanel)
        await pilot.press("R")
        structure = app.session.structure_version
        await panel.sync(app.session)
        await pilot.pause()
        assert app.session.structure_version == structure


async def test_an_edit_queued_before_a_new_seed_changes_only_its_setting():
    """The form sends the change, not a copy of the whole experiment: an edit still in the
    queue when ``R`` picks a new seed must not bring the old seed back."""
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        panel = app.query_one(ConfigPanel)
        panel.post_message(ConfigPanel.Edited({"train.l2": 0.01}, panel))
        seed = app.session.reset(new_seed=True)  # lands before the queued edit
        await pilot.pause()
        assert app.session.experiment.train.l2 == 0.01
        assert app.session.experiment.net.seed == seed


async def test_loaded_experiment_continues_where_it_stopped(tmp_path):
    from ffnn.core import build_data, build_trainer, load_experiment, save_experiment

    saved = experiment(epochs=3)
    dataset = build_data(saved.data)
    trainer = build_trainer(saved, dataset)
    for _ in trainer.steps():
        pass
    save_experiment(tmp_path / "run.toml", saved, trainer, dataset)
    loaded = load_experiment(tmp_path / "run.toml")
    app = FfnnApp(experiment=loaded.experiment, loaded=loaded, input_cursor_blink=False)
    async with app.run_test(size=WIDE) as pilot:
        assert app.session.trainer.epoch == 3
        assert len(app.session.trainer.history) == 3
        np.testing.assert_array_equal(app.session.network.params[0], trainer.network.params[0])
        await pilot.press("n")  # a finished run trains on
        assert app.session.trainer.step_count == trainer.step_count + 1


async def test_install_session_replaces_forms_and_views():
    from ffnn.core import assemble
    from ffnn.tui.session import Session

    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        other = experiment(learning_rate=0.03)
        other.net = NetSpec(hidden=[4], activations=["relu"], seed=5)
        await app.install_session(Session(assemble(other)))
        await pilot.pause()
        assert app.query_one("#train-learning-rate", Input).value == "0.03"
        assert app.query_one("#net-seed", Input).value == "5"
        assert app.query_one("#layer-0-activation", Select).value == "relu"
        assert len(app.query("LayerRow")) == 1
        await pilot.press("n")
        assert app.session.trainer.step_count == 1


async def test_the_footer_refits_when_the_terminal_grows_again():
    app = make_app()
    async with app.run_test(size=(40, 12)) as pilot:
        await pilot.resize_terminal(100, 30)
        await footer_keys_once(
            pilot, lambda keys: {"space", "r", "t", "l", "question_mark", "q"} <= keys)


async def test_leaving_a_field_sends_its_value_at_once(monkeypatch):
    monkeypatch.setattr(number_field, "SETTLE", 60.0)  # so only leaving can send it
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await type_into(pilot, "train-learning-rate", "0.25", enter=False)
        await pilot.press("tab")  # well before the settle pause
        await pilot.pause()
        assert app.session.trainer.config.learning_rate == 0.25
        await type_into(pilot, "layer-0-size", "5", enter=False)
        await pilot.press("escape")
        await pilot.pause()
        assert app.session.network.layer_sizes == [2, 5, 8, 3]


async def test_the_footer_makes_room_for_esc_while_a_field_has_focus():
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.query_one("#regenerate").focus()
        keys = await footer_keys_once(pilot, lambda keys: "escape" in keys)
        assert max(key.region.right for key in keys[:-1]) <= keys[-1].region.x  # palette key
        await pilot.press("escape")
        # at 80 columns the view keys come before t and l: v (next view), s (hide settings)
        await footer_keys_once(pilot, lambda keys: {"v", "s"} <= keys)


async def footer_keys_once(pilot, condition, frames: int = 20):
    """The footer's keys once ``condition(key names)`` holds (the footer recomposes a frame
    or two after the bindings change); fails if it never does."""
    for _ in range(frames):
        await pilot.pause()
        keys = list(pilot.app.query("FooterKey"))
        if condition({key.key for key in keys}):
            await pilot.pause()  # laid out
            return list(pilot.app.query("FooterKey"))
    raise AssertionError(f"footer never showed it: {[key.key for key in keys]}")


@pytest.mark.parametrize("text, kept", [("1_0", 32), ("٣", 32), ("1e3", 1000), ("64", 64)])
async def test_number_fields_take_plain_ascii_numbers_only(text, kept):
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        field = app.query_one("#train-batch-size", Input)
        field.focus()
        await pilot.pause()
        field.value = text  # "٣" cannot be typed as a key name: set it as a paste would
        await pilot.press("enter")
        await pilot.pause()
        assert app.session.trainer.config.batch_size == kept
        error = app.query_one("#train-batch-size-field", NumberField).error
        assert (error == "") == (kept != 32), error


async def test_minus_zero_is_stored_as_zero():
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await type_into(pilot, "train-l2", "0.5")
        await type_into(pilot, "train-l2", "-0")
        assert app.session.experiment.train.l2 == 0 and str(app.session.trainer.config.l2) == "0.0"
