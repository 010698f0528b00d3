"""``ffnn-tui train --export-screenshot FILE.svg``: the app, drawn headless, showing a run that
was trained without it: exactly what ``ffnn-tui run.toml`` would show of the same run."""

from __future__ import annotations

from ffnn.core import Run
from ffnn.core.exports import write_text

SIZE = (120, 40)  # every view at once


def write_screenshot(path, run: Run, size: tuple[int, int] = SIZE) -> None:
    """Draw the app for ``run`` and write it to ``path`` as SVG (atomically).
    ExperimentError when the file cannot be written."""
    from ffnn.tui.app import FfnnApp  # Textual loads only when a screenshot is asked for

    app = FfnnApp(run=run, input_cursor_blink=False, engine=False)

    async def draw_then_exit(pilot) -> None:
        await pilot.pause()
        app.draw_views(force=True)
        await pilot.pause()
        app.exit(app.export_screenshot())

    svg = app.run(headless=True, size=size, auto_pilot=draw_then_exit)
    if not svg:
        raise RuntimeError("the app exited before drawing")  # not expected: a bug, not input
    write_text(path, svg)
