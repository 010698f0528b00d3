"""Save, open and the exports, each behind a file prompt: the app's actions call these.

Every one says what it wrote or, in one line, why not; nothing a prompt refuses changes the
running model.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from ffnn.core import (
    ExperimentError,
    export_dataset_csv,
    export_history_csv,
    export_weights_json,
    export_weights_npz,
)
from ffnn.core.exports import write_text
from ffnn.core.files import tidy_path
from ffnn.core.storage import experiment_files
from ffnn.tui.screens.file_prompt import FilePrompt
from ffnn.tui.session import Session, SessionError


def failed(app, title: str, error: object) -> str:
    """Notify a one-line reason (and return it for the prompt to show)."""
    message = (str(error).strip().splitlines() or [type(error).__name__])[0]
    app.notify(message, title=title, severity="error", timeout=10)
    return message


def is_experiment(path: Path) -> bool:
    """Whether a .toml file looks like an experiment (not, say, a pyproject.toml)."""
    try:
        if not path.is_file() or path.stat().st_size > 1_000_000:
            return False
        head = path.read_text(encoding="utf-8", errors="replace")[:20_000]
    except OSError:
        return False
    return any(line.strip() in ("[data]", "[net]", "[train]") for line in head.splitlines())


def _existing(text: str) -> list[Path]:
    path = Path(text).expanduser()
    return [path] if path.is_file() else []


def ask_save(app) -> None:
    """Save the experiment: TOML + .npz (weights, optimizer state) + history CSV."""
    session = app.session
    default = tidy_path(session.path) if session.path else f"{session.default_name()}.toml"

    def run(text: str) -> str | None:
        try:
            saved = app.session.save(text)
        except SessionError as error:
            return failed(app, "Not saved", error)
        app.notify(f"saved {tidy_path(saved)} (with its weights and history beside it)",
                   title="Saved")
        app.set_note(f"saved {saved.name}")
        return None

    def replaced(text: str) -> list[Path]:  # every file the save would replace or remove
        return [p for p in experiment_files(Path(text).expanduser()) if p.exists()]

    app.push_screen(FilePrompt("Save experiment", default, run, existing=replaced,
                               prompt="Experiment file (.toml; weights and history go beside "
                                      "it):"))


def ask_open(app) -> None:
    """Open a saved experiment: the network, optimizer state and history it had."""
    choices = sorted(p.name for p in Path.cwd().glob("*.toml") if is_experiment(p))
    session = app.session
    default = tidy_path(session.path) if session.path else (choices[0] if choices else "")

    async def run(text: str) -> str | None:
        try:
            opened = Session.open(text)
        except SessionError as error:
            return failed(app, "Not opened", error)
        await app.install_session(opened)
        trainer = opened.trainer
        app.notify(f"opened {tidy_path(opened.path or text)}: epoch {trainer.epoch}, step "
                   f"{trainer.step_count}; space continues the run", title="Opened")
        app.set_note(f"opened {Path(text).name}")
        return None

    app.push_screen(FilePrompt("Open experiment", default, run, prompt="Experiment file "
                               "(.toml):", choices=choices))


def _export(app, title: str, default: str, write: Callable[[Path], object]) -> None:
    """Ask for a path, then ``write(path)``; say what was written or why not."""

    def run(text: str) -> str | None:
        path = Path(text).expanduser()
        try:
            write(path)
        except (ExperimentError, OSError, ValueError) as error:
            return failed(app, "Not exported", error)
        app.notify(f"saved {tidy_path(path)}", title=title)
        app.set_note(f"saved {path.name}")
        return None

    app.push_screen(FilePrompt(title, default, run, existing=_existing))


def ask_export_weights_npz(app) -> None:
    _export(app, "Export weights (.npz)", f"{app.session.default_name()}.weights.npz",
            lambda path: export_weights_npz(path, app.session.network))


def ask_export_weights_json(app) -> None:
    _export(app, "Export weights (JSON)", f"{app.session.default_name()}.weights.json",
            lambda path: export_weights_json(path, app.session.network))


def ask_export_dataset(app) -> None:
    _export(app, "Export dataset (CSV)", f"{app.session.data_name()}.data.csv",
            lambda path: export_dataset_csv(path, app.session.dataset))


def ask_export_history(app) -> None:
    # Not "<name>.history.csv": that is the file a save of the experiment (re)writes.
    _export(app, "Export history (CSV)", f"{app.session.default_name()}-history.csv",
            lambda path: export_history_csv(path, app.session.trainer.history))


def ask_export_screenshot(app) -> None:
    """An SVG of the screen as it is (taken once the prompt has closed)."""

    def check(text: str) -> str | None:
        path = Path(text).expanduser()
        if path.is_dir():
            return failed(app, "No screenshot", f"{path}: is a directory")
        if not path.parent.is_dir():
            return failed(app, "No screenshot", f"{path}: cannot write (directory does not "
                                                "exist)")
        if not os.access(path.parent, os.W_OK):
            return failed(app, "No screenshot", f"{path}: cannot write (permission denied)")
        return None

    def taken(path: Path | None) -> None:
        if path is not None:
            app.call_after_refresh(_write_screenshot, app, path)

    app.push_screen(FilePrompt("Screenshot (SVG)", f"ffnn-tui-{app.session.default_name()}.svg",
                               check, existing=_existing), taken)


def _write_screenshot(app, path: Path) -> None:
    try:
        write_text(path, app.export_screenshot())  # atomically, like every other file
    except ExperimentError as error:
        failed(app, "No screenshot", error)
        return
    app.notify(f"saved {tidy_path(path)}", title="Screenshot")
