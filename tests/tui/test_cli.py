import itertools
import json
import os
import re
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest

from ffnn.core import (
    SETTINGS,
    DataSpec,
    ExperimentError,
    NetSpec,
    TrainConfig,
    assemble,
    build_data,
    build_network,
    export_weights_npz,
    load_experiment,
)
from ffnn.tui.cli import main as script_main
from ffnn.tui.commands.launch import parse_app_args
from ffnn.tui.commands.train import train_main


def main(argv):
    with pytest.raises(SystemExit) as info:
        script_main(argv)
    return info.value.code

ASSETS = Path(__file__).resolve().parents[2] / "assets"
QUICK = ["--dataset", "gaussians", "--classes", "2", "--samples", "100", "--epochs", "5"]


def json_lines(text):
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def exit_code(argv):
    with pytest.raises(SystemExit) as info:
        train_main(argv)
    return info.value.code


def test_short_train_exits_zero_with_progress_and_summary(capsys):
    assert main(["train", *QUICK, "--every", "2"]) == 0
    out, err = capsys.readouterr()
    assert "train: loss" in out and "accuracy" in out and "steps/s" in out
    assert "test:  loss" in out
    progress = [line for line in err.splitlines() if line.startswith("epoch")]
    # stderr is not a terminal here: plain lines every 2 epochs, and the last epoch
    assert [line.split()[1] for line in progress] == ["2/5", "4/5", "5/5"]
    assert "\r" not in err


def test_json_lines_parse_and_loss_decreases(capsys):
    argv = ["--dataset", "gaussians", "--classes", "2", "--batch-size", "1000", "--lr", "0.1",
            "--epochs", "30", "--json"]
    assert train_main(argv) == 0
    out, err = capsys.readouterr()
    records = json_lines(out)
    assert [r["epoch"] for r in records] == list(range(1, 31))
    assert set(records[0]) == {"epoch", "train_loss", "test_loss", "train_accuracy",
                               "test_accuracy", "learning_rate"}
    losses = [r["train_loss"] for r in records]
    assert all(later < earlier for earlier, later in zip(losses, losses[1:], strict=False))
    assert records[-1]["train_accuracy"] > 0.9
    assert "train: loss" in err  # the summary goes to stderr so stdout stays JSON


def test_json_regression_names_r2_and_uses_null_without_test_set(capsys):
    argv = ["--dataset", "plane", "--samples", "100", "--epochs", "2", "--test-ratio", "0",
            "--json"]
    assert train_main(argv) == 0
    records = json_lines(capsys.readouterr().out)
    assert "train_r2" in records[0] and records[0]["test_loss"] is None


@pytest.mark.parametrize(
    "argv, flag, allowed",
    [
        (["--lr", "abc"], "--lr", "must be a number"),
        (["--lr", "-1"], "--lr", "> 0 and ≤ 10"),
        (["--lr", "inf"], "--lr", "must be a number"),
        (["--lr", "1_0"], "--lr", "must be a number"),
        (["--epochs", "٣"], "--epochs", "must be a whole number"),
        (["--layers", "0"], "--layers", "whole numbers 1–512"),
        (["--layers", "8,x"], "--layers", "must be a whole number"),
        (["--layers", ""], "--layers", "write 'none'"),
        (["--layers", ",".join(["4"] * 9)], "--layers", "at most 8"),
        (["--activation", "foo"], "--activation", "must be one of identity, sigmoid, tanh"),
        (["--activations", "relu,softmax"], "--activations", "item 2 is 'softmax'"),
        (["--layers", "4,4", "--activations", "relu"], "--activations", "one per hidden layer"),
        (["--batch-size", "0"], "--batch-size", "1–100 000"),
        (["--batch-size", "100000000000"], "--batch-size", "1–100 000"),
        (["--dataset", "nope"], "--dataset", "must be one of xor, circles"),
        (["--samples", "3"], "--samples", "10–100 000"),
        (["--noise", "-1"], "--noise", "0–2"),
        (["--classes", "1"], "--classes", "2–10"),
        (["--test-ratio", "1"], "--test-ratio", "0–0.9"),
        (["--epochs", "0"], "--epochs", "≥ 1"),
        (["--optimizer", "lbfgs"], "--optimizer", "must be one of sgd"),
        (["--loss", "hinge"], "--loss", "must be one of auto, mse"),
        (["--dataset", "plane", "--loss", "cross_entropy"], "--loss", "regression needs mse"),
        (["--dataset", "plane", "--output", "softmax"], "--output", "regression target"),
        (["--output", "sigmoid", "--loss", "cross_entropy"], "--loss", "softmax output"),
        (["--l2", "-0.1"], "--l2", "0–10"),
        (["--lr-decay", "0"], "--lr-decay", "> 0"),
        (["--lr-step", "0"], "--lr-step", "≥ 1"),
        (["--lr-schedule", "cosine"], "--lr-schedule", "constant, step, exponential"),
        (["--patience", "0"], "--patience", "≥ 1"),
        (["--monitor", "val"], "--monitor", "test, train"),
        (["--dtype", "float16"], "--dtype", "float32, float64"),
        (["--init", "zeros"], "--init", "normal, uniform, xavier, he"),
        (["--seed", "-3"], "--seed", "0–4294967295"),
        (["--dataset", "csv"], "--data", "CSV path is required"),
        (["--target", "y"], "--target", "needs --data"),
        (["--task", "regression"], "--task", "needs --data"),
        (["--dataset", "xor", "--data", "x.csv"], "--dataset", "cannot go with --data"),
        (["--data", "x.csv", "--target", "y", "--samples", "50"], "--samples",
         "generated data only"),
        (["--data", "x.csv", "--target", "y", "--noise", "0"], "--noise", "generated data only"),
        (["--activation", "relu", "--activations", "relu,relu"], "--activation",
         "cannot go with --activations"),
        (["--data", "missing.csv", "--target", "y"], "--data", "missing.csv: file not found"),
        (["--config", "missing.toml"], "--config", "missing.toml: file not found"),
        (["--save", "no/such/dir/x.toml"], "--save", "does not exist"),
        (["--every", "0"], "--every", "≥ 1"),
    ],
)
def test_bad_flags_exit_2_with_one_line_naming_the_flag(capsys, argv, flag, allowed):
    # QUICK names a dataset: data-source flags are tried on their own
    data_flags = {"--data", "--target", "--task", "--dataset"}
    assert exit_code([*([] if data_flags & set(argv) else QUICK), *argv]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert f"argument {flag}:" in lines[0] and allowed in lines[0], lines[0]


def test_bad_csv_contents_exit_2(capsys, tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,y\n1,x\nhello,y\n")
    assert exit_code(["--data", str(path), "--target", "y"]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err
    assert "line 3, column 'a': 'hello' is not a finite number" in err


def test_every_spec_field_has_a_flag_with_its_help(capsys):
    with pytest.raises(SystemExit):
        train_main(["--help"])
    text = capsys.readouterr().out
    for section, cls in (("data", DataSpec), ("net", NetSpec), ("train", TrainConfig)):
        for field in fields(cls):
            setting = SETTINGS[f"{section}.{field.name}"]
            assert setting.rule.flag in text, f"no flag for {setting.key}"


def test_divergence_exits_1_with_message(capsys):
    argv = ["--dataset", "plane", "--lr", "10", "--activation", "relu", "--layers", "64,64",
            "--epochs", "50", "--quiet"]
    assert train_main(argv) == 1
    err = capsys.readouterr().err
    assert "training diverged" in err and "lower learning rate" in err
    assert "RuntimeWarning" not in err


RUNAWAY = ["--dataset", "gauss", "--activation", "relu", "--optimizer", "momentum", "--lr", "1"]


def significant_digits(text: str) -> list[int]:
    """The significant digits of every number in ``text`` (exponents not counted)."""
    mantissas = re.findall(r"(\d+(?:\.\d+)?)(?:e[+-]?\d+)?", text)
    return [len(m.replace(".", "").lstrip("0") or "0") for m in mantissas]


def test_a_finite_runaway_loss_is_divergence(capsys):
    # Issue 8: this printed a loss of 130 digits and exited 0.
    assert train_main(RUNAWAY) == 1
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    (message,) = [line for line in lines if "diverged" in line]
    assert message.startswith("ffnn-tui train: training diverged at step ")
    assert "1e6 × the starting loss" in message and "try a lower learning rate" in message
    assert max(significant_digits(err)) <= 6, err


def test_save_on_divergence_keeps_the_last_sane_state(capsys, tmp_path):
    path = tmp_path / "run.toml"
    assert train_main([*RUNAWAY, "--quiet", "--save", str(path)]) == 1
    err = capsys.readouterr().err
    diverged, saved = err.splitlines()
    step = int(re.search(r"at step (\d+)", diverged).group(1))
    assert saved == (f"ffnn-tui train: saved step {step - 1}'s weights and optimizer state (the "
                     f"last step with a sane loss, as before its update) to {path}")
    loaded = load_experiment(path)
    assert loaded.trainer_state["step_count"] == step - 1
    # the weights are those the run had before the update of step - 1: its loss was sane
    twin = assemble(loaded.experiment).trainer
    for _ in itertools.islice(twin.steps(), step - 2):
        pass
    for a, b in zip(loaded.network.params, twin.network.params, strict=True):
        assert np.array_equal(a, b)
    velocity = loaded.trainer_state["optimizer.velocity0"]
    assert np.array_equal(velocity, twin.optimizer.velocity[0])
    # ... and training on from them with a sane learning rate works
    assert train_main(["--config", str(path), "--lr", "0.01", "--epochs", "3", "--quiet"]) == 0


def test_save_then_resume_from_config_with_overrides(capsys, tmp_path):
    run = tmp_path / "run.toml"
    argv = [*QUICK, "--optimizer", "adam", "--lr", "0.01", "--layers", "6", "--save", str(run)]
    assert train_main(argv) == 0
    saved = load_experiment(run)
    assert saved.experiment.train.optimizer == "adam" and saved.experiment.net.hidden == [6]
    assert len(saved.history["epoch"]) == 5
    capsys.readouterr()

    # flags override the file; everything else comes from it; training continues at epoch 6
    assert train_main(["--config", str(run), "--epochs", "8", "--lr", "0.005", "--json",
                       "--save", str(run)]) == 0
    records = json_lines(capsys.readouterr().out)
    assert [r["epoch"] for r in records] == [6, 7, 8]
    assert records[0]["learning_rate"] == 0.005
    resumed = load_experiment(run)
    assert resumed.experiment.train.learning_rate == 0.005
    assert resumed.experiment.train.optimizer == "adam"
    assert resumed.history["epoch"] == list(range(1, 9))

    # the same resume in one go from the first save gives identical weights
    one_go = tmp_path / "one.toml"
    assert train_main([*QUICK, "--optimizer", "adam", "--lr", "0.01", "--layers", "6",
                       "--save", str(one_go)]) == 0
    assert train_main(["--config", str(one_go), "--epochs", "8", "--lr", "0.005",
                       "--save", str(one_go)]) == 0
    for a, b in zip(load_experiment(one_go).network.params, resumed.network.params,
                    strict=True):
        assert np.array_equal(a, b)


def test_resume_with_changed_architecture_starts_fresh(capsys, tmp_path):
    run = tmp_path / "run.toml"
    assert train_main([*QUICK, "--save", str(run)]) == 0
    capsys.readouterr()
    assert train_main(["--config", str(run), "--layers", "3", "--epochs", "2", "--json"]) == 0
    out, err = capsys.readouterr()
    assert [r["epoch"] for r in json_lines(out)] == [1, 2]
    assert "starting from fresh weights" in err


def test_csv_end_to_end(capsys, tmp_path):
    argv = ["train", "--data", str(ASSETS / "flowers.csv"), "--target", "species", "--json",
            "--optimizer", "adam", "--lr", "0.02", "--epochs", "40", "--layers", "8",
            "--save", str(tmp_path / "flowers.toml")]
    assert main(argv) == 0
    records = json_lines(capsys.readouterr().out)
    assert len(records) == 40
    assert records[-1]["train_loss"] < records[0]["train_loss"]
    assert records[-1]["test_accuracy"] > 0.8
    loaded = load_experiment(tmp_path / "flowers.toml")
    assert loaded.network.layer_sizes == [4, 8, 3]
    assert loaded.dataset_meta["class_names"] == ["setosa", "versicolor", "virginica"]
    assert loaded.dataset_meta["mean"].shape == (4,)


def test_exports(capsys, tmp_path):
    argv = [*QUICK, "--export-weights-json", str(tmp_path / "w.json"),
            "--export-weights-npz", str(tmp_path / "w.npz"),
            "--export-dataset", str(tmp_path / "d.csv"),
            "--export-history", str(tmp_path / "h.csv")]
    assert train_main(argv) == 0
    assert json.loads((tmp_path / "w.json").read_text())["layer_sizes"] == [2, 8, 8, 2]
    assert (tmp_path / "d.csv").read_text().splitlines()[0] == "x1,x2,label,split"
    assert len((tmp_path / "h.csv").read_text().splitlines()) == 6
    # weights exported from one run start another (shape-checked)
    assert train_main([*QUICK, "--weights", str(tmp_path / "w.npz"), "--epochs", "1"]) == 0
    assert exit_code([*QUICK, "--weights", str(tmp_path / "w.npz"), "--layers", "3"]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "argument --weights:" in err and "has 3 weight layers, the network has 2" in err


def test_failed_save_exits_1_and_keeps_old_file(capsys, tmp_path, monkeypatch):
    run = tmp_path / "run.toml"
    assert train_main([*QUICK, "--save", str(run)]) == 0
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def failing_replace(src, dst):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", failing_replace)
    assert train_main([*QUICK, "--lr", "0.5", "--save", str(run)]) == 1
    assert "cannot write (Permission denied)" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


# --- the app's arguments -----------------------------------------------------------------


def test_parse_app_args_defaults_and_flags():
    run = parse_app_args([])
    assert not run.resumed and run.path is None
    assert run.experiment.train.epochs is None  # the app trains until paused
    assert parse_app_args(["--epochs", "50"]).experiment.train.epochs == 50
    experiment = parse_app_args(["--dataset", "spirals", "--classes", "4", "--layers", "16,16",
                                 "--activation", "relu", "--lr", "0.03",
                                 "--seed", "7"]).experiment
    assert experiment.data.classes == 4 and experiment.net.hidden == [16, 16]
    assert experiment.net.activations == ["relu", "relu"]
    assert experiment.train.learning_rate == 0.03
    assert experiment.data.seed == experiment.net.seed == experiment.train.seed == 7
    regression = parse_app_args(["--dataset", "plane"])
    assert regression.trainer.config.loss == "mse"  # the loss follows the problem


def test_parse_app_args_with_experiment_file(tmp_path):
    path = tmp_path / "run.toml"
    assert train_main([*QUICK, "--save", str(path), "--quiet"]) == 0
    run = parse_app_args([str(path), "--lr", "0.02"])
    assert run.experiment.train.learning_rate == 0.02 and run.trainer.config.learning_rate == 0.02
    assert run.resumed and run.trainer.epoch == 5 and run.path == path
    changed = parse_app_args([str(path), "--layers", "3"])
    assert not changed.resumed and changed.trainer.epoch == 0
    other_optimizer = parse_app_args([str(path), "--optimizer", "adam"])
    assert other_optimizer.resumed and other_optimizer.trainer.epoch == 0  # no optimizer state


def test_parse_app_args_weights(tmp_path):
    network = build_network(NetSpec(), build_data(DataSpec()))
    network.weights[0][...] = 0.5
    export_weights_npz(tmp_path / "w.npz", network)
    run = parse_app_args(["--weights", str(tmp_path / "w.npz")])
    assert np.all(run.network.weights[0] == 0.5)


@pytest.mark.parametrize(
    "argv, flag",
    [(["--lr", "abc"], "--lr"), (["missing.toml"], "missing.toml: file not found"),
     (["--layers", "0"], "--layers")],
)
def test_parse_app_args_errors_exit_2(capsys, argv, flag):
    with pytest.raises(SystemExit) as info:
        parse_app_args(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and flag in err


def test_load_errors_reach_the_app_as_one_line(capsys, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[net]\nhidden = 'wide'\n")
    with pytest.raises(SystemExit):
        parse_app_args([str(path)])
    err = capsys.readouterr().err.strip()
    assert "\n" not in err
    assert "wrong type for 'hidden' in [net]: expected an array of integers" in err
    with pytest.raises(ExperimentError):
        load_experiment(path)


# --- the console script ------------------------------------------------------------------


def run_script(*args):
    return subprocess.run([sys.executable, "-m", "ffnn.tui.cli", *args], capture_output=True,
                          text=True, timeout=120)


def test_console_script_train_and_errors():
    done = run_script("train", *QUICK, "--json")
    assert done.returncode == 0, done.stderr
    assert len(json_lines(done.stdout)) == 5
    bad = run_script("train", "--lr", "abc")
    assert bad.returncode == 2
    assert bad.stderr.strip() == (
        "ffnn-tui train: error: argument --lr: must be a number (got 'abc') (see --help)")
    bad_app = run_script("--batch-size", "0")
    assert bad_app.returncode == 2 and "argument --batch-size" in bad_app.stderr
    assert len(bad_app.stderr.strip().splitlines()) == 1


def test_help_lists_both_modes():
    app_help = run_script("--help")
    assert app_help.returncode == 0
    assert "ffnn-tui train [flags]" in app_help.stdout and "experiment.toml" in app_help.stdout
    train_help = run_script("train", "--help")
    assert train_help.returncode == 0
    for flag in ("--json", "--config", "--save", "--lr", "--layers", "--data", "--target"):
        assert flag in train_help.stdout


def test_headless_mode_never_imports_textual():
    code = ("import sys\nfrom ffnn.tui.cli import main\n"
            "try:\n    main(['train', '--epochs', '1', '--samples', '20', '--quiet'])\n"
            "except SystemExit as e:\n    assert e.code == 0, e.code\n"
            "assert not any(m.split('.')[0] == 'textual' for m in sys.modules), 'textual loaded'\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr


def test_ctrl_c_stops_between_steps_and_still_saves(tmp_path):
    import signal

    run = tmp_path / "run.toml"
    process = subprocess.Popen(
        [sys.executable, "-m", "ffnn.tui.cli", "train", "--epochs", "none", "--json",
         "--save", str(run)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        first = json.loads(process.stdout.readline())
        assert first["epoch"] == 1
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 130, err
    assert "interrupted after" in err
    loaded = load_experiment(run)
    assert loaded.trainer_state["step_count"] >= 10


# --- the app's own arguments: refused before any screen is drawn ----------------------------


def _bad_files(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    single = tmp_path / "single.csv"
    single.write_text("a,y\n1,x\n2,x\n3,x\n")
    text = tmp_path / "text.csv"
    text.write_text("a,y\n1,x\nhello,y\n2,x\n")
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    data = tmp_path / "gone.csv"
    data.write_text("a,b,y\n" + "".join(f"{i},{i % 3},{i % 2}\n" for i in range(40)))
    saved = tmp_path / "saved.toml"
    assert train_main(["--data", str(data), "--target", "y", "--epochs", "1", "--quiet",
                       "--save", str(saved)]) == 0
    data.unlink()  # the experiment's CSV was deleted since
    return {
        "missing": (["--data", str(tmp_path / "missing.csv"), "--target", "y"], "file not found"),
        "empty": (["--data", str(empty), "--target", "y"], "empty"),
        "single class": (["--data", str(single), "--target", "y"], "single class"),
        "text feature": (["--data", str(text), "--target", "y"], "not a finite number"),
        "directory": (["--data", str(folder), "--target", "y"], "is a directory"),
        "deleted data": ([str(saved)], "gone.csv: file not found"),
    }


def test_the_app_refuses_bad_data_files_with_one_line_and_status_2(tmp_path):
    for name, (argv, reason) in _bad_files(tmp_path).items():
        # the app would need a terminal: the refusal must come before Textual is even loaded
        code = ("import sys\nfrom ffnn.tui.cli import main\n"
                f"try:\n    main({argv!r})\nexcept SystemExit as e:\n"
                "    assert not any(m.split('.')[0] == 'textual' for m in sys.modules)\n"
                "    raise\n")
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              timeout=60)
        lines = done.stderr.strip().splitlines()
        assert done.returncode == 2, (name, done.stderr)
        assert len(lines) == 1 and reason in lines[0], (name, done.stderr)
        assert "Traceback" not in done.stderr


def test_a_crash_in_the_app_exits_non_zero(monkeypatch):
    from ffnn.tui.app import FfnnApp

    def broken_mount(self) -> None:
        raise RuntimeError("a bug")

    real_run = FfnnApp.run
    monkeypatch.setattr(FfnnApp, "on_mount", broken_mount, raising=False)
    monkeypatch.setattr(FfnnApp, "run", lambda self, **kw: real_run(self, headless=True))
    with pytest.raises(SystemExit) as done:
        script_main(["--samples", "20"])
    assert done.value.code == 1
