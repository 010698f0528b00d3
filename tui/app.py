"""The ffnn-tui application: wires the session, the frame scheduler, the main screen and the
key table together. The work is elsewhere: ``Session`` (the run), ``FrameScheduler`` (when to
train and redraw), ``MainScreen`` (layout and views), ``bindings`` (keys), ``files`` (save,
open, exports), ``notes`` (what the app says).

The engine is one coroutine on Textual's event loop (no thread touches the arrays): each frame
it trains for the scheduler's time slice, redraws what is due, then sleeps so input and the
screen refresh run. Edits therefore always land between two training steps.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Iterable
from pathlib import Path

from textual import events
from textual.app import App, SystemCommand
from textual.screen import Screen
from textual.widgets import Input

from ffnn.core import Experiment, LoadedExperiment, Run, assemble
from ffnn.tui import files
from ffnn.tui.bindings import ACTIONS, bindings, palette_entries
from ffnn.tui.edits import with_layers, with_stepped_rate
from ffnn.tui.notes import START_HINT, applied_note, event_note, speed_text
from ffnn.tui.scheduler import FrameScheduler
from ffnn.tui.screens.help import HelpScreen
from ffnn.tui.screens.main import MainScreen
from ffnn.tui.screens.palette import GuardedCommandPalette
from ffnn.tui.session import Session, SessionError
from ffnn.tui.widgets.config_panel import ConfigPanel

_HERE = Path(__file__).parent


class FfnnApp(App[None]):
    """Build, train and watch a feedforward network."""

    TITLE = "ffnn-tui"
    # Absolute, so subclasses defined elsewhere (tests, benchmarks) find the files too.
    CSS_PATH = [_HERE / name for name in
                ("app.tcss", "widgets/widgets.tcss", "widgets/config_panel.tcss")]
    BINDINGS = bindings()
    AUTO_FOCUS = None  # keys work at once; Tab walks into the settings

    def __init__(self, experiment: Experiment | None = None,
                 loaded: LoadedExperiment | None = None, *, run: Run | None = None,
                 max_fps: int | None = None, input_cursor_blink: bool = True,
                 engine: bool = True) -> None:
        """Start from ``run`` (assembled by the command line), else from ``experiment`` /
        ``loaded``. ``input_cursor_blink=False`` (tests) keeps screenshots stable;
        ``engine=False`` leaves the frame loop off (the caller drives ``engine_frame()``)."""
        super().__init__()
        if run is None:
            if experiment is None and loaded is None:
                from ffnn.tui.commands.launch import interactive_default

                experiment = interactive_default()
            run = assemble(experiment or loaded.experiment, loaded)
        self.session = Session(run)
        self.scheduler = FrameScheduler(max_fps=max_fps)
        self.input_cursor_blink = input_cursor_blink
        self._engine_enabled = engine
        self.note = START_HINT
        self._note_timer = None

    @property
    def main(self) -> MainScreen:  # the bottom screen: layout and views
        return self.screen_stack[0]

    def get_default_screen(self) -> MainScreen:
        return MainScreen()

    async def on_event(self, event: events.Event) -> None:
        # Keys queued while the app shuts down are dropped: Textual 8.2.8 raises without a screen.
        if isinstance(event, events.Key) and not self.screen_stack:
            return
        await super().on_event(event)

    def main_ready(self) -> None:
        """The main screen is up: start the frame loop."""
        if self._engine_enabled:
            self.run_worker(self._engine, name="engine", group="engine", exclusive=True)

    def on_ready(self) -> None:
        # Textual's widgets live as long as the app: move them out of the collector's sight
        # so the collections training triggers stay cheap.
        gc.freeze()

    # --- the engine ---------------------------------------------------------------------------
    async def _engine(self) -> None:
        while self.screen_stack:  # empty once the app is shutting down
            delay = self.engine_frame()
            before = time.perf_counter()
            await asyncio.sleep(delay)
            self.scheduler.slept(time.perf_counter() - before - delay)

    def engine_frame(self) -> float:
        """One frame: train for this frame's slice, tell what happened, redraw what is due.
        Returns how long to wait before the next frame."""
        start = time.perf_counter()
        session, scheduler, main = self.session, self.scheduler, self.main
        if session.running:
            # Keep the weights as they were before this slice when the table will redraw
            # after it, so it can show what moved.
            snapshot = main.shown("weights") and scheduler.passed("weights", start)
            session.advance(scheduler.budget(session.steps_per_frame),
                            session.steps_per_frame, snapshot=snapshot)
        self._tell_events()
        drawn = time.perf_counter()
        main.draw()
        end = time.perf_counter()
        scheduler.drew(end - drawn)
        return scheduler.delay(start, end)

    def _tell_events(self) -> None:
        for event in self.session.pop_events():
            title, message = event_note(event)
            error = title == "Diverged"
            self.notify(message, title=title, severity="error" if error else "information",
                        timeout=12)
            self.set_note(message.split(". ")[0])

    def draw_views(self, force: bool = False) -> None:
        if self.screen_stack and self.main.is_mounted:
            self.main.draw(force)

    def set_note(self, note: str, seconds: float = 8.0) -> None:
        """A short message at the end of the status line (cleared after a while)."""
        self.note = note
        if self._note_timer is not None:
            self._note_timer.stop()
        self._note_timer = self.set_timer(seconds, lambda: self.set_note("")) if note else None
        self.draw_views()

    # --- keys -----------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ACTIONS and action != "quit" and not isinstance(self.screen, MainScreen):
            return False  # a dialog is open: its keys, not the main screen's
        if action == "toggle_play" and isinstance(self.focused, Input):
            return False  # space types a space while typing
        if action == "leave_form":
            return self.focused is not None
        return self._available(action)

    def _available(self, action: str) -> bool:
        """Whether an action means anything in the current state (the footer hides it and
        the palette leaves it out otherwise)."""
        main = self.main
        if action == "features":
            return self.session.dataset.n_features > 2
        if action == "next_view":
            return main.layout_mode in ("compact", "narrow")
        if action == "toggle_settings":
            return main.layout_mode == "compact" or main.settings_hidden
        return True

    def action_toggle_play(self) -> None:
        running = self.session.toggle()
        if running and self.note in ("paused", START_HINT):
            self.set_note("")
        elif not running:
            self.set_note("paused")
        self.draw_views(force=True)

    def action_step(self) -> None:
        self._step(self.session.step, lambda: "one step")

    def action_step_epoch(self) -> None:
        self._step(self.session.step_epoch, lambda: f"epoch {self.session.trainer.epoch} done")

    def _step(self, step, note) -> None:
        self.session.pause()
        if step():
            self.set_note(note())
        self._tell_events()
        self.draw_views(force=True)

    async def action_reset(self) -> None:
        seed = await self._change(lambda: self.session.reset(new_seed=False))
        if seed is not None:
            self.set_note(f"reset to the initial weights of seed {seed}")

    async def action_reset_new_seed(self) -> None:
        seed = await self._change(lambda: self.session.reset(new_seed=True))
        if seed is not None:
            self.set_note(f"new seed {seed}: fresh weights")

    def action_speed(self, direction: int) -> None:
        self.session.faster() if direction > 0 else self.session.slower()
        self.set_note(f"speed: {speed_text(self.session)}")

    async def action_learning_rate(self, direction: int) -> None:
        """Step the learning rate along Playground's quick values."""
        await self.apply(with_stepped_rate(self.session.experiment, direction))

    async def action_add_layer(self) -> None:
        await self.apply(with_layers(self.session.experiment, 1))

    async def action_remove_layer(self) -> None:
        edited = with_layers(self.session.experiment, -1)
        if edited is None:
            self.set_note("no hidden layer to remove")
        else:
            await self.apply(edited)

    # The view keys change what is shown, not the run: the main screen does them, says what.
    def action_toggle_test(self) -> None:
        self.set_note(self.main.toggle_test())

    def action_toggle_log(self) -> None:
        self.set_note(self.main.toggle_log())

    def action_toggle_settings(self) -> None:
        self.set_note(self.main.toggle_settings())
        self.refresh_bindings()

    def action_weights_layer(self, direction: int) -> None:
        self.main.weights.next_layer() if direction > 0 else self.main.weights.previous_layer()

    def action_next_view(self) -> None:
        self.main.next_view()

    def action_features(self, direction: int) -> None:
        self.set_note(self.main.next_pair(direction))

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_leave_form(self) -> None:
        self.screen.set_focus(None)

    def action_command_palette(self) -> None:
        if self.use_command_palette and not GuardedCommandPalette.is_open(self):
            self.push_screen(GuardedCommandPalette(id="--command-palette"))

    action_save = files.ask_save
    action_open = files.ask_open
    action_export_weights_npz = files.ask_export_weights_npz
    action_export_weights_json = files.ask_export_weights_json
    action_export_dataset = files.ask_export_dataset
    action_export_history = files.ask_export_history
    action_export_screenshot = files.ask_export_screenshot

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        for title, help_text, action in palette_entries():
            if self._available(action.split("(")[0]):
                yield SystemCommand(title, help_text, lambda a=action: self.run_action(a))
        # Textual's own "Screenshot" saves to ~/Downloads without asking: ours replaces it.
        yield from (command for command in super().get_system_commands(screen)
                    if command.title != "Screenshot")

    # --- edits ----------------------------------------------------------------------------------
    async def install_session(self, session: Session) -> None:
        """Replace the session (e.g. an experiment opened from a file): the forms and views
        follow it. The frame loop picks it up on its next frame."""
        self.session = session
        self.scheduler.forget()
        await self.main.panel.sync(session)
        self.draw_views(force=True)

    async def on_config_panel_edited(self, event: ConfigPanel.Edited) -> None:
        if event.stale:
            return
        await self.apply(self.session.experiment.with_values(**event.values), event.source)

    async def on_config_panel_regenerate_requested(self, _event) -> None:
        seed = await self._change(self.session.regenerate)
        if seed is not None:
            self.set_note(f"new {self.session.experiment.data.name} data (data seed {seed}), "
                          "weights reset")

    async def apply(self, experiment: Experiment, source=None) -> None:
        """Make ``experiment`` the session's; the forms follow it. A refusal is shown under
        the field that asked (``source``) or as a notification, and changes nothing."""
        if not (self.is_running and self.screen_stack):  # an edit queued while shutting down
            return
        try:
            applied = self.session.apply(experiment)
        except SessionError as error:
            self.main.panel.refuse(source, error)
            self.set_note(f"refused: {error}")
            return
        if applied.kind == "none":
            return
        self.set_note(applied_note(applied, self.session))
        await self.main.panel.sync(self.session)
        self.draw_views(force=True)

    async def _change(self, change):
        """Run a session change that rebuilds; its result, or None when it was refused."""
        try:
            result = change()
        except SessionError as error:
            self.notify(str(error), title="Not applied", severity="error")
            return None
        await self.main.panel.sync(self.session)
        self.draw_views(force=True)
        return result
