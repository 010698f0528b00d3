"""``ffnn-tui train --export-screenshot``: an SVG of the app showing the network trained
headless, drawn from the trained run itself (no save and reload on the way)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ffnn.tui import cli

TRAIN = ["train", "--dataset", "xor", "--samples", "80", "--layers", "4", "--epochs", "7",
         "--batch-size", "16", "--quiet"]


def test_train_writes_an_svg_of_the_trained_run(tmp_path):
    svg = tmp_path / "run.svg"
    with pytest.raises(SystemExit) as done:
        cli.main([*TRAIN, "--export-screenshot", str(svg)])
    assert done.value.code == 0
    text = svg.read_text()
    assert text.lstrip().startswith("<svg")
    assert "Decision&#160;boundary" in text
    # The status bar shows where the headless run stopped: epoch 7, step 7 × 4 batches.
    assert ">7&#160;&#160;<" in text and ">28&#160;&#160;<" in text
    assert not list(tmp_path.glob(".*.tmp"))  # written atomically: no temp file left


def test_a_screenshot_of_a_run_on_a_csv_file(tmp_path):
    svg = tmp_path / "flowers.svg"
    flowers = Path(__file__).resolve().parents[2] / "assets" / "flowers.csv"
    with pytest.raises(SystemExit) as done:
        cli.main(["train", "--data", str(flowers), "--target", "species", "--epochs", "2",
                  "--quiet", "--export-screenshot", str(svg)])
    assert done.value.code == 0
    assert "sepal_length" in svg.read_text()


def test_an_unwritable_screenshot_path_fails_with_one_line(tmp_path, capsys):
    folder = tmp_path / "a-folder"
    folder.mkdir()
    with pytest.raises(SystemExit) as done:
        cli.main([*TRAIN, "--export-screenshot", str(folder)])
    assert done.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(folder) in err[0] and "cannot write" in err[0]
    assert folder.is_dir() and not any(folder.iterdir())
