"""``ffnn-tui train --export-screenshot FILE.svg``: the app, drawn headless, showing a network
that was trained without it.

The trained run goes through the experiment files (saved to a temporary folder and opened
again), so the picture shows exactly what ``ffnn-tui run.toml`` would show: the same
network, history and plot.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from ffnn.core import Dataset, Experiment, Trainer, load_experiment, save_experiment
from ffnn.core.storage import write_text

SIZE = (120, 40)  # every view at once


def write_screenshot(path, experiment: Experiment, dataset: Dataset, trainer: Trainer,
                     size: tuple[int, int] = SIZE) -> None:
    """Draw the app for the trained ``trainer`` and write it to ``path`` as SVG (atomically).
    ExperimentError when the file cannot be written."""
    from ffnn.tui.app import FfnnApp  # Textual loads only when a screenshot is asked for

    with tempfile.TemporaryDirectory(prefix="ffnn-tui-") as folder:
        saved = save_experiment(Path(folder) / "run.toml", experiment, trainer, dataset)
        app = FfnnApp(loaded=load_experiment(saved), input_cursor_blink=False, engine=False)

    async def draw_then_exit(pilot) -> None:
        await pilot.pause()
        app.draw_views(force=True)
        await pilot.pause()
        app.exit(app.export_screenshot())

    svg = app.run(headless=True, size=size, auto_pilot=draw_then_exit)
    if not svg:
        raise RuntimeError("the app exited before drawing")  # not expected: a bug, not input
    write_text(path, svg)
