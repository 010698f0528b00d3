"""The app's files and data: save / open (ctrl+s / ctrl+o), exports, a CSV of your own, more
than two features in the boundary, the confusion matrix."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from textual.widgets import Input, Select

from ffnn.core import DataSpec, Experiment, NetSpec, TrainConfig
from ffnn.core.storage import experiment_files
from ffnn.tui.app import FfnnApp
from ffnn.tui.commands.launch import parse_app_args
from ffnn.tui.screens.file_prompt import FilePrompt
from ffnn.tui.widgets.confusion_matrix import ConfusionMatrix
from ffnn.tui.widgets.decision_boundary import DecisionBoundary

WIDE = (120, 40)
COMPACT = (80, 24)
ASSETS = Path(__file__).resolve().parents[2] / "assets"
FLOWERS = ASSETS / "flowers.csv"
EXAMS = ASSETS / "exams.csv"


def spirals(**data) -> Experiment:
    data = {"name": "spirals", "n_samples": 200, "classes": 3, "seed": 0, **data}
    return Experiment(DataSpec(**data),
                      NetSpec(hidden=[8, 8], activations=["tanh", "tanh"], seed=0),
                      TrainConfig(learning_rate=0.1, batch_size=32, epochs=None, seed=0))


def make_app(experiment: Experiment | None = None) -> FfnnApp:
    return FfnnApp(experiment=experiment or spirals(), input_cursor_blink=False)


def flowers_app() -> FfnnApp:
    run = parse_app_args(["--data", str(FLOWERS), "--target", "species"])
    return FfnnApp(run=run, input_cursor_blink=False)


def params(app: FfnnApp) -> list[np.ndarray]:
    return [p.copy() for p in app.session.network.params]


async def answer(pilot, text: str) -> FilePrompt:
    """Type ``text`` into the open file prompt and press Enter; returns the prompt."""
    prompt = pilot.app.screen
    assert isinstance(prompt, FilePrompt)
    prompt.query_one("#file-path", Input).value = text
    await pilot.press("enter")
    await pilot.pause()
    return prompt


def errors(app: FfnnApp) -> list[str]:
    return [n.message for n in app._notifications if n.severity == "error"]


# --- save / open ------------------------------------------------------------------------------


async def test_ctrl_s_saves_the_experiment(tmp_path):
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await pilot.press("N", "n")
        await pilot.press("ctrl+s")
        await pilot.pause()
        prompt = app.screen
        assert isinstance(prompt, FilePrompt)
        assert prompt.query_one("#file-path", Input).value == "spirals-2-8-8-3.toml"
        await answer(pilot, str(tmp_path / "run.toml"))
        assert not isinstance(app.screen, FilePrompt)
        files = experiment_files(tmp_path / "run.toml")  # the TOML and what it names
        assert len(files) == 3 and files[0].name == "run.toml"
        assert all(p.is_file() for p in files)
        assert "saved" in list(app._notifications)[-1].message
        # The next save offers the same file, and asks before replacing it.
        await pilot.press("ctrl+s")
        await pilot.pause()
        prompt = app.screen
        assert prompt.query_one("#file-path", Input).value.endswith("run.toml")
        await answer(pilot, str(tmp_path / "run.toml"))
        assert app.screen is prompt and "Enter again" in prompt.message
        for path in files:  # the warning names every file the save replaces
            assert path.name in prompt.message
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, FilePrompt)
        assert not any(p.exists() for p in files[1:])  # the old arrays and history went
        assert all(p.is_file() for p in experiment_files(tmp_path / "run.toml"))


async def test_ctrl_o_restores_the_run_in_a_fresh_app(tmp_path):
    first = make_app()
    async with first.run_test(size=WIDE) as pilot:
        await pilot.press("N", "N", "N", "n", "n")
        await pilot.press("ctrl+s")
        await pilot.pause()
        await answer(pilot, str(tmp_path / "run.toml"))
        saved = params(first)
        saved_history = len(first.session.trainer.history)
        saved_steps = first.session.trainer.step_count
        # What the saved run does next, for comparison.
        await pilot.press("n")
        next_params = params(first)

    second = make_app(spirals(seed=7))
    second_toml = tmp_path / "other.toml"
    async with second.run_test(size=WIDE) as pilot:
        await pilot.press("ctrl+o")
        await pilot.pause()
        await answer(pilot, str(tmp_path / "run.toml"))
        assert not isinstance(second.screen, FilePrompt)
        session = second.session
        assert len(session.trainer.history) == saved_history == 3
        assert session.trainer.step_count == saved_steps
        for mine, theirs in zip(params(second), saved, strict=True):
            np.testing.assert_array_equal(mine, theirs)
        assert session.experiment.data.seed == 0  # the form follows the opened run
        assert second.query_one("#net-seed", Input).value == "0"
        # The loss plot shows the restored history.
        assert second.main.plot._history is session.trainer.history
        # Playing on continues the same run, bit for bit.
        await pilot.press("n")
        for mine, theirs in zip(params(second), next_params, strict=True):
            np.testing.assert_array_equal(mine, theirs)
        # ctrl+o offers the experiments of the working directory (none here but the default).
        await pilot.press("ctrl+s")
        await pilot.pause()
        await answer(pilot, str(second_toml))
        assert second_toml.is_file()


async def test_a_folder_means_the_default_name_in_it(tmp_path):
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await pilot.press("ctrl+s")
        await pilot.pause()
        await answer(pilot, str(tmp_path))
        assert not isinstance(app.screen, FilePrompt)
        assert (tmp_path / "spirals-2-8-8-3.toml").is_file()
        assert len(experiment_files(tmp_path / "spirals-2-8-8-3.toml")) == 3


@pytest.mark.parametrize("target", ["missing-dir", "under-a-file"])
async def test_a_bad_save_path_shows_why_and_changes_nothing(tmp_path, target):
    app = make_app()
    if target == "missing-dir":
        path = tmp_path / "nowhere" / "run.toml"
    else:
        (tmp_path / "file.txt").write_text("not a folder")
        path = tmp_path / "file.txt" / "run.toml"
    async with app.run_test(size=WIDE) as pilot:
        await pilot.press("N")
        before = params(app)
        await pilot.press("ctrl+s")
        await pilot.pause()
        prompt = await answer(pilot, str(path))
        assert app.screen is prompt                    # still open, to fix the path
        assert "cannot write" in prompt.message or "directory" in prompt.message
        assert "\n" not in prompt.message
        assert errors(app) and errors(app)[-1] == prompt.message
        await pilot.press("escape")
        assert not isinstance(app.screen, FilePrompt)
        for mine, theirs in zip(params(app), before, strict=True):
            np.testing.assert_array_equal(mine, theirs)
        assert [p.name for p in tmp_path.iterdir()] in ([], ["file.txt"])


@pytest.mark.parametrize("damage", ["toml-syntax", "unknown-key", "truncated-npz",
                                    "missing", "pickled-npz"])
async def test_opening_a_bad_file_shows_why_and_keeps_the_session(tmp_path, damage):
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await pilot.press("N", "N")
        app.session.save(tmp_path / "run.toml")
        toml = tmp_path / "run.toml"
        npz = next(p for p in experiment_files(toml) if p.suffix == ".npz")
        if damage == "toml-syntax":
            toml.write_text("[data\nname = 'spirals'\n")
        elif damage == "unknown-key":
            toml.write_text(toml.read_text() + "\n[extra]\nx = 1\n")
        elif damage == "truncated-npz":
            npz.write_bytes(npz.read_bytes()[:300])
        elif damage == "missing":
            toml.unlink()
        else:
            import pickle

            npz.write_bytes(pickle.dumps({"W0": [1, 2]}))
        session = app.session
        before = params(app)
        await pilot.press("ctrl+o")
        await pilot.pause()
        prompt = await answer(pilot, str(toml))
        assert app.screen is prompt
        assert prompt.message and "\n" not in prompt.message
        assert "run." in prompt.message                 # names the file
        assert errors(app)
        await pilot.press("escape")
        assert app.session is session
        for mine, theirs in zip(params(app), before, strict=True):
            np.testing.assert_array_equal(mine, theirs)
        await pilot.press("n")                          # and it still trains
        assert app.session.trainer.step_count == session.trainer.step_count


async def test_keys_of_the_main_screen_are_off_in_the_prompt(tmp_path):
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await pilot.press("ctrl+s")
        await pilot.pause()
        app.screen.query_one("#file-path", Input).value = ""
        await pilot.press("n", "space", "r", "q")
        assert app.session.trainer.step_count == 0
        assert not app.session.running
        assert app.screen.query_one("#file-path", Input).value == "n rq"
        assert app.is_running
        app.screen.set_focus(None)  # as when the file list has focus: keys reach the app
        await pilot.press("q", "n")
        assert app.is_running and app.session.trainer.step_count == 0
        assert app.check_action("quit", ())  # ctrl+q still quits


# --- exports ----------------------------------------------------------------------------------


@pytest.mark.parametrize("action, default, check", [
    ("export_weights_npz", "spirals-2-8-8-3.weights.npz",
     lambda p: np.load(p, allow_pickle=False)["W0"].shape == (2, 8)),
    ("export_weights_json", "spirals-2-8-8-3.weights.json",
     lambda p: '"layer_sizes"' in p.read_text()),
    ("export_dataset", "spirals.data.csv",
     lambda p: len(p.read_text().splitlines()) == 201 and "split" in p.read_text()),
    ("export_history", "spirals-2-8-8-3-history.csv",
     lambda p: len(p.read_text().splitlines()) == 3),
    ("export_screenshot", "ffnn-tui-spirals-2-8-8-3.svg",
     lambda p: p.read_text().startswith("<svg") and "Decision" in p.read_text()),
])
async def test_exports_ask_for_a_path_and_write(tmp_path, action, default, check):
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await pilot.press("N", "N")
        await app.run_action(action)
        await pilot.pause()
        prompt = app.screen
        assert isinstance(prompt, FilePrompt)
        assert prompt.query_one("#file-path", Input).value == default
        path = tmp_path / default
        await answer(pilot, str(path))
        await pilot.pause(0.2)
        assert not isinstance(app.screen, FilePrompt)
        assert path.is_file()
        assert check(path)
        assert any(str(path.name) in n.message for n in app._notifications)
        # An unwritable place: the reason, one line, and nothing written.
        await app.run_action(action)
        await pilot.pause()
        prompt = await answer(pilot, str(tmp_path / "no" / default))
        assert app.screen is prompt and "directory does not exist" in prompt.message
        await pilot.press("escape")


async def test_the_palette_offers_files_and_exports():
    app = make_app()
    async with app.run_test(size=WIDE):
        titles = [command.title for command in app.get_system_commands(app.screen)]
        for title in ("Save experiment", "Open experiment", "Export weights (.npz)",
                      "Export weights (JSON)", "Export dataset (CSV)", "Export history (CSV)",
                      "Screenshot (SVG)"):
            assert title in titles
        assert titles.count("Screenshot (SVG)") == 1 and "Screenshot" not in titles
        assert "Next feature pair" not in titles  # two features only


# --- your own data ---------------------------------------------------------------------------


async def test_csv_from_the_command_line_shows_in_the_form():
    app = flowers_app()
    async with app.run_test(size=WIDE) as pilot:
        await pilot.pause()
        assert app.query_one("#data-name", Select).value == "csv"
        assert app.query_one("#data-path", Input).value == str(FLOWERS)
        target = app.query_one("#data-target", Select)
        assert target.value == "species"
        assert app.session.network.layer_sizes[0] == 4
        assert app.query_one("#data-n-samples-field").disabled


async def test_csv_typed_in_the_form_replaces_the_data():
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        field = app.query_one("#data-path", Input)
        field.focus()
        field.value = str(ASSETS / "nope.csv")
        await pilot.press("enter")
        await pilot.pause()
        error = str(app.query_one("#data-path-error").content)
        assert "file not found" in error and app.query_one("#data-path-error").display
        assert app.session.experiment.data.name == "spirals"
        assert app.query_one("#data-name", Select).value == "spirals"

        field.value = str(EXAMS)
        await pilot.press("enter")
        await pilot.pause()
        assert app.session.experiment.data.name == "csv"
        assert app.session.dataset.feature_names == ["exam1", "exam2"]
        assert app.query_one("#data-name", Select).value == "csv"
        assert app.query_one("#data-target", Select).value == "admitted"  # the last column
        assert not app.query_one("#data-path-error").display
        assert app.main.confusion.counts is not None

        # Another target: a numeric column with many values is a regression.
        app.query_one("#data-target", Select).value = "exam1"
        await pilot.pause()
        assert app.session.dataset.task == "regression"
        assert app.session.dataset.feature_names == ["exam2", "admitted"]
        assert app.session.network.layer_sizes == [2, 8, 8, 1]
        assert app.query_one("#main").has_class("-regression")

        # Back to a built-in dataset, and to the file again from the dataset choice.
        app.query_one("#data-name", Select).value = "moons"
        await pilot.pause()
        assert app.session.experiment.data.name == "moons"
        assert app.session.experiment.data.path is None
        app.query_one("#data-name", Select).value = "csv"
        await pilot.pause()
        assert app.session.experiment.data.path == str(EXAMS)
        assert app.session.experiment.data.target == "exam1"


async def test_picking_csv_without_a_file_asks_for_one():
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        app.query_one("#data-name", Select).value = "csv"
        await pilot.pause()
        assert app.session.experiment.data.name == "spirals"
        assert app.query_one("#data-name", Select).value == "spirals"
        assert "data file" in str(app.query_one("#data-path-error").content)
        assert app.focused is app.query_one("#data-path", Input)


async def test_boundary_axes_read_in_the_files_own_units():
    app = FfnnApp(run=parse_app_args(["--data", str(EXAMS), "--target", "admitted"]),
                  input_cursor_blink=False)
    async with app.run_test(size=WIDE) as pilot:
        await pilot.pause()
        boundary = app.query_one(DecisionBoundary)
        # exam1 runs from 30.5 to 99.9 in the file; the net sees it standardised (about ±2).
        assert boundary.x_range[1] < 5
        words = boundary.lines[-1].split()
        low, high = float(words[0]), float(words[-1])
        assert low <= 30.5 and 99.9 <= high < 130
        top = float(boundary.lines[0].split()[0])
        assert top > 50  # exam2 is a score too, not a z-value


# --- more than two features -----------------------------------------------------------------


async def test_four_features_show_a_pair_and_f_cycles_it():
    app = flowers_app()
    async with app.run_test(size=WIDE) as pilot:
        await pilot.press("N")
        boundary = app.query_one(DecisionBoundary)
        dataset = app.session.dataset
        assert boundary._names() == ("sepal_length", "sepal_width")
        assert "sepal_length" in boundary.lines[-1]               # the x axis names it
        assert "sepal" in "".join(boundary.lines) and "width" in "".join(boundary.lines)
        np.testing.assert_allclose(boundary.fixed, dataset.X_train.mean(axis=0))
        assert app.check_action("features", (1,))
        await pilot.press("f")
        await pilot.pause()
        assert boundary.features == (0, 2)
        assert boundary._names() == ("sepal_length", "petal_length")
        assert "petal_length" in str(app.query_one("#boundary").border_title)
        await pilot.press("F", "F")
        await pilot.pause()
        assert boundary.features == (2, 3)                       # wraps to the last pair
        assert boundary._names() == ("petal_length", "petal_width")
        # A network rebuild keeps the pair; other data starts again from the first.
        await pilot.press("plus")
        await pilot.pause()
        assert boundary.features == (2, 3)
        app.query_one("#data-name", Select).value = "moons"
        await pilot.pause()
        assert boundary.features == (0, 1)
        assert not app.check_action("features", (1,))
        await pilot.press("f")
        assert boundary.features == (0, 1)


async def test_feature_keys_show_in_the_footer_only_with_more_than_two_features():
    for app, shown in ((make_app(), False), (flowers_app(), True)):
        async with app.run_test(size=(140, 40)) as pilot:  # wide enough for every key
            await pilot.pause()
            keys = {binding.key for (_, binding, enabled, _) in
                    app.screen.active_bindings.values() if enabled and binding.show}
            assert ("f" in keys) is shown


@pytest.mark.parametrize("size", [COMPACT, WIDE, (140, 40)])
async def test_the_footer_fits_the_terminal_with_a_csv(size):
    app = flowers_app()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        keys = list(app.query("FooterKey"))
        assert {k.key for k in keys} >= {"space", "question_mark", "q"}
        palette = keys[-1]
        assert max(k.region.right for k in keys[:-1]) <= palette.region.x


async def test_a_csv_shows_its_own_sample_and_class_counts():
    app = flowers_app()
    async with app.run_test(size=WIDE) as pilot:
        await pilot.pause()
        assert app.query_one("#data-n-samples", Input).value == "150"
        assert app.query_one("#data-classes", Input).value == "3"
        app.query_one("#data-name", Select).value = "spirals"
        await pilot.pause(0.3)
        assert app.session.dataset.n_features == 2
        samples = app.query_one("#data-n-samples", Input).value
        assert samples == str(app.session.experiment.data.n_samples)


# --- confusion matrix ---------------------------------------------------------------------


async def test_confusion_matrix_counts_the_test_set():
    app = flowers_app()
    async with app.run_test(size=WIDE) as pilot:
        await pilot.press("N", "N")
        await pilot.pause()
        matrix = app.query_one(ConfusionMatrix)
        assert matrix.display and matrix.size.height > 0
        dataset = app.session.dataset
        assert matrix.split == "test"
        assert matrix.counts.shape == (3, 3)
        assert matrix.counts.sum() == len(dataset.X_test)
        predicted = app.session.network.predict(dataset.X_test)
        assert np.trace(matrix.counts) == int(np.sum(predicted == dataset.y_test))
        text = "\n".join(matrix.lines)
        assert "setosa" in text and "accuracy" in text


async def test_confusion_matrix_is_a_tab_at_80x24_and_uses_train_without_a_test_set():
    app = make_app(spirals(test_ratio=0.0))
    async with app.run_test(size=COMPACT) as pilot:
        await pilot.press("N")
        await pilot.press("v", "v", "v")
        await pilot.pause()
        assert app.query_one("#main").has_class("-show-confusion")
        matrix = app.query_one(ConfusionMatrix)
        assert matrix.size.width > 0 and matrix.size.height > 0
        assert matrix.split == "train"
        assert matrix.counts.sum() == len(app.session.dataset.X_train) == 200
        await pilot.press("v")
        assert app.query_one("#main").has_class("-show-boundary")


async def test_confusion_matrix_redraws_once_per_epoch_while_training():
    app = make_app()
    async with app.run_test(size=WIDE) as pilot:
        await pilot.press("space")
        await pilot.pause(0.6)
        await pilot.press("space")
        epochs = app.session.trainer.epoch
        assert epochs > 0
        # At most one redraw per epoch, plus the first and the one after pausing.
        assert app.scheduler.redraws["confusion"] <= epochs + 3


async def test_regression_has_no_confusion_tab():
    app = make_app(Experiment(DataSpec(name="gauss", n_samples=100), NetSpec(hidden=[4],
                   activations=["tanh"]), TrainConfig(epochs=None)))
    async with app.run_test(size=COMPACT) as pilot:
        await pilot.press("v", "v", "v")
        assert not app.query_one("#main").has_class("-show-confusion")
        assert app.query_one("#main").has_class("-show-boundary")
