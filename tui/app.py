"""The ffnn-tui application: forms on the left, the network learning on the right.

The engine is one coroutine on Textual's event loop (no thread touches the arrays). Each frame
(FRAME = 25 ms) it advances the session's step generator for a time slice, redraws the views
that are due and whose data changed, then yields so input and the screen refresh run:

    slice = max(MIN_SLICE, FRAME - draw calls - everything else the loop did, per frame)

Both costs are moving averages; "everything else" (Textual rendering the screen, handling
keys) is measured as how late the yield comes back. So a costly redraw shrinks the next slice
instead of stretching the frame, and a key press waits at most about one frame.

Redraws: each view only when its data changed; while training the status line and boundary at
most 10/s, loss plot and weights 5/s; at max speed all views together every 0.15 s. A screen
update repaints the bounding box of everything dirty, so the status line (full width, bottom)
never shares a frame with the views (top right) while training: together they would repaint
the whole screen, settings included. Measured with tests/benchmarks/bench_app.py.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import math
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path

import numpy as np
from textual import events, on
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Container, Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, Static, Tab, Tabs

from ffnn.core import (
    Experiment,
    ExperimentError,
    LoadedExperiment,
    datasets,
    export_dataset_csv,
    export_history_csv,
    export_weights_json,
    export_weights_npz,
)
from ffnn.core.storage import tidy_path, write_text
from ffnn.tui.screens.file_prompt import FilePrompt
from ffnn.tui.screens.help import HelpScreen
from ffnn.tui.session import (
    LEARNING_RATES,
    Session,
    SessionError,
    experiment_files,
)
from ffnn.tui.widgets.config_panel import ConfigPanel
from ffnn.tui.widgets.confusion_matrix import ConfusionMatrix
from ffnn.tui.widgets.decision_boundary import DecisionBoundary
from ffnn.tui.widgets.layer_editor import LayerEditor
from ffnn.tui.widgets.loss_plot import LossPlot
from ffnn.tui.widgets.status_bar import StatusBar
from ffnn.tui.widgets.weights_table import WeightsTable

_HERE = Path(__file__).parent

FRAME = 1 / 40          # seconds per engine frame
MIN_SLICE = 0.005       # training always gets at least this much of a frame
YIELD = 0.001           # the pause at the end of a max-speed frame: input and refresh run here
EMA = 0.2               # weight of the newest measurement in the cost averages

# Seconds between redraws of each view while training (when paused: at once).
REDRAW_INTERVAL = {"status": 0.1, "boundary": 0.1, "plot": 0.2, "weights": 0.2,
                   "confusion": 0.2}
# At max speed the views redraw together at this interval instead: one screen update for all
# of them costs far less than staggered ones (see the module docstring).
MAX_SPEED_INTERVAL = 0.15

MIN_WIDTH, MIN_HEIGHT = 60, 20    # below this: "enlarge the terminal"
WIDE_WIDTH, WIDE_HEIGHT = 120, 40  # from here on every view shows at once
NARROW_WIDTH = 80                  # below this the config panel becomes a tab too

VIEWS = ("config", "boundary", "loss", "weights", "confusion")
START_HINT = "Tab: settings · space: train · ?: help"

# Footer groups: related keys share one label.
_STEP = Binding.Group("Step", compact=True)
_RESET = Binding.Group("Reset", compact=True)
_SPEED = Binding.Group("Speed", compact=True)
_LR = Binding.Group("LR", compact=True)
_LAYER = Binding.Group("Layer", compact=True)
_WEIGHTS = Binding.Group("W layer", compact=True)
_FILE = Binding.Group("File", compact=True)
_FEATURES = Binding.Group("Features", compact=True)

# The footer's keys by importance (Esc first: it is how the keys come back from a form). When
# they do not all fit on one line the least important are left out of it; they stay bound,
# and the help screen (?) and the palette list them all.
_FOOTER_PRIORITY = (
    "leave_form", "toggle_play", "step", "step_epoch", "reset", "reset_new_seed", "help", "quit",
    "next_view", "toggle_test", "toggle_log", "features", "add_layer", "remove_layer",
    "learning_rate", "slower", "faster", "weights_layer", "save", "open",
)



def _action_name(binding: Binding) -> str:
    return binding.action.split("(")[0]


def _footer_width(bindings: list[Binding], key_display: Callable[[Binding], str]) -> int:
    """Columns a compact Footer needs for ``bindings``: a group is its keys, one label and
    padding; a lone key is key, space, description; one column between items; the palette
    key (``▏^p palette``) at the end."""
    width = 13
    groups: dict[object, list[Binding]] = {}
    for binding in bindings:
        groups.setdefault(binding.group or binding.action, []).append(binding)
    for members in groups.values():
        keys = sum(len(key_display(b)) for b in members)
        if len(members) > 1:
            width += 1 + keys + 1 + len(members[0].group.description) + 1
        else:
            width += keys + 1 + len(members[0].description) + 1
    return width


class FfnnApp(App[None]):
    """Build, train and watch a feedforward network."""

    TITLE = "ffnn-tui"
    # Absolute, so subclasses defined elsewhere (tests, benchmarks) find the files too.
    CSS_PATH = [_HERE / "app.tcss", _HERE / "widgets" / "widgets.tcss",
                _HERE / "widgets" / "config_panel.tcss"]
    AUTO_FOCUS = None  # keys work at once; Tab walks into the settings

    BINDINGS = [
        # Space plays even when a button or select has focus; never while typing (check_action).
        Binding("space", "toggle_play", "Play", priority=True, key_display="space"),
        Binding("n", "step", "Step", group=_STEP),
        Binding("N", "step_epoch", "Epoch", key_display="N", group=_STEP),
        Binding("r", "reset", "Reset", group=_RESET),
        Binding("R", "reset_new_seed", "New seed", key_display="R", group=_RESET),
        Binding("left_square_bracket", "slower", "Slower", key_display="[", group=_SPEED),
        Binding("right_square_bracket", "faster", "Faster", key_display="]", group=_SPEED),
        Binding("less_than_sign", "learning_rate(-1)", "LR down", key_display="<", group=_LR),
        Binding("greater_than_sign", "learning_rate(1)", "LR up", key_display=">", group=_LR),
        Binding("plus", "add_layer", "Add layer", key_display="+", group=_LAYER),
        Binding("minus", "remove_layer", "Remove layer", key_display="-", group=_LAYER),
        Binding("v", "next_view", "View"),
        Binding("t", "toggle_test", "Test"),
        Binding("l", "toggle_log", "Log"),
        Binding("w", "weights_layer(1)", "Next W", group=_WEIGHTS),
        Binding("W", "weights_layer(-1)", "Prev W", key_display="W", group=_WEIGHTS),
        # Shown only when the data has more than two features (check_action).
        Binding("f", "features(1)", "Next pair", group=_FEATURES),
        Binding("F", "features(-1)", "Prev pair", key_display="F", group=_FEATURES),
        Binding("ctrl+s", "save", "Save", key_display="^s", group=_FILE),
        Binding("ctrl+o", "open", "Open", key_display="^o", group=_FILE),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("q", "quit", "Quit"),
        Binding("escape", "leave_form", "Leave form"),
    ]
    # The main screen's key actions: off while a file prompt is open (its list would pass
    # them on). Quit stays on.
    MAIN_ACTIONS = frozenset(_action_name(b) for b in BINDINGS) - {"quit"}

    def __init__(self, experiment: Experiment | None = None,
                 loaded: LoadedExperiment | None = None, *,
                 input_cursor_blink: bool = True, engine: bool = True) -> None:
        """``input_cursor_blink=False`` (tests) keeps screenshots stable; ``engine=False``
        leaves the frame loop off (the caller drives ``engine_frame()``)."""
        super().__init__()
        self.session = Session(experiment, loaded)
        self.input_cursor_blink = input_cursor_blink
        self._engine_enabled = engine
        self._view = "boundary"          # the view tab shown when not everything fits
        self._layout_mode = ""
        self._note = START_HINT
        self._note_timer = None
        # Frame-loop measurements (seconds, exponential moving averages).
        self.draw_cost = 0.0
        self.other_cost = 0.0
        self.redraws = dict.fromkeys(REDRAW_INTERVAL, 0)   # counts, for the benchmark
        self._last_draw = dict.fromkeys(REDRAW_INTERVAL, -math.inf)
        self._last_publish = -math.inf
        self._drawn: dict[str, object] = {}
        self._structure = -1
        self._pair = 0                   # which pair of features the boundary shows
        self._features_key: tuple = ()   # the feature names the pair index refers to

    # --- layout -------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Container(id="main", classes="-show-boundary"):
            yield Tabs(
                Tab("Settings", id="tab-config"), Tab("Boundary", id="tab-boundary"),
                Tab("Loss", id="tab-loss"), Tab("Weights", id="tab-weights"),
                Tab("Confusion", id="tab-confusion"),
                active="tab-boundary", id="view-tabs",
            )
            with Horizontal(id="body"):
                yield ConfigPanel(self.session, id="config", classes="pane")
                with Vertical(id="views"):
                    with Horizontal(id="top"):
                        yield DecisionBoundary(id="boundary", classes="pane view")
                        with Vertical(id="side"):
                            yield LossPlot(id="loss-plot", classes="pane view")
                            yield ConfusionMatrix(id="confusion", classes="pane view")
                    yield WeightsTable(id="weights", classes="pane view")
        yield Static("", id="too-small")
        yield StatusBar(id="status")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        # Kept rather than queried every frame.
        self._boundary = self.query_one(DecisionBoundary)
        self._plot = self.query_one(LossPlot)
        self._weights = self.query_one(WeightsTable)
        self._status = self.query_one(StatusBar)
        self._confusion = self.query_one(ConfusionMatrix)
        self._confusion.border_title = "Confusion matrix"
        self._confusion.border_subtitle = "rows true · columns predicted"
        self.query_one("#config").border_title = "Settings"
        self._boundary.border_title = "Decision boundary"
        self._plot.border_title = "Loss"
        self._weights.border_title = "Weights"
        self._apply_layout(self.size.width, self.size.height)
        self.draw_views(force=True)
        if self._engine_enabled:
            self.run_worker(self._engine, name="engine", group="engine", exclusive=True)

    def on_ready(self) -> None:
        # Textual's widgets live as long as the app: move them out of the collector's sight
        # so the collections training triggers stay cheap.
        gc.freeze()

    def on_resize(self, event: events.Resize) -> None:
        self._apply_layout(event.size.width, event.size.height)

    def _apply_layout(self, width: int, height: int) -> None:
        """Wide: everything at once. Compact: settings + one view (tabs). Narrow: the settings
        are a tab too. Tiny: a message asking for a larger terminal."""
        tiny = width < MIN_WIDTH or height < MIN_HEIGHT
        compact = not tiny and (width < WIDE_WIDTH or height < WIDE_HEIGHT)
        narrow = compact and width < NARROW_WIDTH
        mode = "tiny" if tiny else "narrow" if narrow else "compact" if compact else "wide"
        screen = self.screen_stack[0] if self.screen_stack else self.screen
        screen.set_class(tiny, "-tiny")
        screen.query_one("#too-small", Static).update(
            f"Please enlarge the terminal to at least {MIN_WIDTH}×{MIN_HEIGHT}\n"
            f"(it is {width}×{height} now).\n\nctrl+q quits."
        )
        main = screen.query_one("#main")
        main.set_class(compact, "-compact")
        main.set_class(narrow, "-narrow")
        if mode != self._layout_mode:
            self._layout_mode = mode
            tabs = screen.query_one("#view-tabs", Tabs)
            if narrow:
                tabs.show("tab-config")
            else:
                tabs.hide("tab-config")
                if self._view == "config":
                    self._show_view("boundary")
            self.refresh_bindings()  # v (next view) depends on the layout
        self._show_view(self._view)
        self._fit_footer(width)

    def _fit_footer(self, width: int | None = None) -> None:
        """Show as many keys in the footer as fit in ``width`` (default: the app's; a resize
        passes the new one, which ``self.size`` may not show yet), the most important first."""
        width = self.size.width if width is None else width
        available = [b for b in self.BINDINGS if isinstance(b, Binding) and b.show]
        enabled = [b for b in available if self.check_action(_action_name(b), ())]
        groups: dict[object, list[Binding]] = {}  # a group's keys come and go together
        for binding in enabled:
            groups.setdefault(binding.group or binding.key, []).append(binding)
        fitted: list[Binding] = []
        for group in sorted(groups.values(), key=lambda members: min(
                _FOOTER_PRIORITY.index(_action_name(b)) for b in members)):
            if _footer_width([*fitted, *group], self.get_key_display) <= width:
                fitted.extend(group)
        shown = {b.key for b in fitted}
        footer_keys = {b.key for b in available}
        table = self._bindings.key_to_bindings
        changed = False
        for key, bindings in table.items():
            refitted = [replace(b, show=b.key in shown) if b.key in footer_keys else b
                        for b in bindings]
            changed |= refitted != bindings
            table[key] = refitted
        if changed:
            self.refresh_bindings()

    def on_descendant_focus(self, _event: events.DescendantFocus) -> None:
        self._fit_footer()  # Esc (leave the form) joins the footer: make room for it

    def on_descendant_blur(self, _event: events.DescendantBlur) -> None:
        if self.screen_stack:  # not while the app shuts down (widgets blur on the way out)
            self._fit_footer()

    def _views(self) -> list[str]:
        """The views the tabs offer now (no settings tab unless narrow, no confusion matrix
        for a regression)."""
        views = list(VIEWS if self._layout_mode == "narrow" else VIEWS[1:])
        if not self._classifying():
            views.remove("confusion")
        return views

    def _classifying(self) -> bool:
        return self.session.dataset.task == "classification"

    def _show_view(self, view: str) -> None:
        self._view = view
        main = self.screen_stack[0].query_one("#main")
        for name in VIEWS:
            main.set_class(name == view, f"-show-{name}")
        tabs = self.screen_stack[0].query_one("#view-tabs", Tabs)
        if tabs.active != f"tab-{view}":
            with self.prevent(Tabs.TabActivated):
                tabs.active = f"tab-{view}"
        self._drawn.clear()  # a view that was hidden may be stale

    @on(Tabs.TabActivated, "#view-tabs")
    def _tab_activated(self, event: Tabs.TabActivated) -> None:
        if event.tab is not None and event.tab.id:
            self._show_view(event.tab.id.removeprefix("tab-"))

    @property
    def layout_mode(self) -> str:
        """"wide", "compact", "narrow" or "tiny"."""
        return self._layout_mode

    # --- the engine -----------------------------------------------------------------------
    async def _engine(self) -> None:
        while True:
            delay = self.engine_frame()
            before = time.perf_counter()
            await asyncio.sleep(delay)
            late = time.perf_counter() - before - delay
            self.other_cost += EMA * (max(0.0, late) - self.other_cost)

    def engine_frame(self) -> float:
        """One frame: train for this frame's slice, publish, redraw what is due. Returns how
        long to wait before the next frame."""
        start = time.perf_counter()
        session = self.session
        if session.running:
            per_frame = session.steps_per_frame
            if per_frame is None:
                budget = max(MIN_SLICE, FRAME - self.draw_cost - self.other_cost - YIELD)
            else:
                budget = max(MIN_SLICE, FRAME * 0.6)
            # Keep the weights as they were before this slice if the table is on screen and
            # redraws after it, so it can show what moved.
            snapshot = self._shown("weights") and self._interval_passed("weights", start)
            session.advance(budget, per_frame, snapshot=snapshot)
        self._publish_messages()
        drawn = time.perf_counter()
        self.draw_views()
        end = time.perf_counter()
        self.draw_cost += EMA * ((end - drawn) - self.draw_cost)
        if session.running and session.steps_per_frame is None:
            return YIELD
        return max(YIELD, start + FRAME - end)

    def _publish_messages(self) -> None:
        for message in self.session.pop_messages():
            diverged = self.session.diverged is not None
            self.notify(message, title="Diverged" if diverged else "Training",
                        severity="error" if diverged else "information", timeout=12)
            self.set_note(message.split(". ")[0])

    def draw_views(self, force: bool = False) -> None:
        """Redraw the views whose data changed and whose redraw interval has passed (at once
        when paused or ``force``)."""
        session = self.session
        now = time.perf_counter()
        throttle = session.running and not force
        if session.structure_version != self._structure:
            self._structure = session.structure_version
            self._set_data()
        history = session.trainer.history

        passed = {view: self._interval_passed(view, now) for view in REDRAW_INTERVAL}

        def due(view: str, key: object) -> bool:
            if self._drawn.get(view) == key:
                return False
            if throttle and not passed[view]:
                return False
            self._drawn[view] = key
            self._last_draw[view] = now
            self.redraws[view] += 1
            return True

        views_drawn = False
        if throttle and passed["boundary"]:
            self._last_publish = now
        version = (session.structure_version, session.version)
        if due("boundary", version):
            self._boundary.draw_model(session.network)
            views_drawn = True
        if due("weights", version):
            network = session.network
            previous_weights, previous_biases = session.previous_weights()
            self._weights.update_weights(
                network.weights, network.biases, previous_weights, previous_biases,
                activations=network.activations)
            views_drawn = True
        if due("plot", (session.structure_version, len(history))):
            self._plot.update_history(history)
            views_drawn = True
        # The matrix predicts the whole test set: while training, once an epoch is enough.
        progress = len(history) if session.running else session.version
        if self._shown("confusion") and due("confusion", (session.structure_version, progress)):
            self._draw_confusion()
            views_drawn = True
        # A screen update repaints the bounding box of all that changed: the status line
        # (bottom, full width) together with the views (top right) would repaint the whole
        # screen, settings included. So while training the status waits for a frame of its own.
        if throttle and views_drawn:
            return
        rate = session.steps_per_second
        status_key = (version, session.running, self._note, session.speed_index,
                      None if math.isnan(rate) else round(rate, -1))
        if due("status", status_key):
            self._draw_status()

    def _interval_passed(self, view: str, now: float) -> bool:
        if view != "status" and self.session.running and self.session.steps_per_frame is None:
            return now - self._last_publish >= MAX_SPEED_INTERVAL
        return now - self._last_draw[view] >= REDRAW_INTERVAL[view]

    def _shown(self, view: str) -> bool:
        """Whether ``view`` is on screen: every view in the wide layout, else the tab's."""
        if view == "confusion" and not self._classifying():
            return False
        return self._layout_mode == "wide" or self._view == view

    def _draw_confusion(self) -> None:
        result = self.session.confusion()
        if result is None:
            self._confusion.clear("a regression has no classes")
            return
        counts, split = result
        self._confusion.update_matrix(counts, self.session.dataset.class_names, split)

    def _draw_status(self) -> None:
        session = self.session
        scores = session.scores()
        note = f"{session.speed_text} │ {self._note}" if self._note else session.speed_text
        self._status.update_status(
            session.running, session.trainer.epoch, session.trainer.step_count,
            session.steps_per_second, scores["train_loss"], scores["test_loss"],
            scores["train_metric"], scores["test_metric"],
            session.trainer.history.metric_name, note)

    def _set_data(self) -> None:
        """The data or network was replaced: give the views their new plane and points."""
        dataset = self.session.dataset
        key = (dataset.name, tuple(dataset.feature_names))
        if key != self._features_key:  # other features: start again from the first pair
            self._features_key = key
            self._pair = 0
        classifying = self._classifying()
        main = self.screen_stack[0].query_one("#main")
        main.set_class(not classifying, "-regression")
        tabs = self.screen_stack[0].query_one("#view-tabs", Tabs)
        if classifying:
            tabs.show("tab-confusion")
        else:
            tabs.hide("tab-confusion")
            if self._view == "confusion":
                self._show_view("boundary")
        self._set_boundary_data()
        self._fit_footer()  # f / F only for more than two features
        self.refresh_bindings()
        self._drawn.clear()

    @property
    def feature_pair(self) -> tuple[int, int]:
        """The two features (column indices) the decision boundary shows."""
        pairs = feature_pairs(self.session.dataset.n_features)
        return pairs[self._pair % len(pairs)]

    def _set_boundary_data(self) -> None:
        """The plane of the chosen pair of features; any others are held at their training
        mean."""
        dataset = self.session.dataset
        features = self.feature_pair
        if dataset.name == "csv":
            # Standardised features: frame the points themselves.
            X = np.concatenate([dataset.X_train, dataset.X_test])
            ranges = [_padded(X[:, j].min(), X[:, j].max()) for j in features]
        else:
            ranges = [datasets.RANGE, datasets.RANGE]
        fixed = dataset.X_train.mean(axis=0) if dataset.n_features > 2 else None
        units = None
        if dataset.mean is not None:  # standardised: label the axes in the file's units
            units = tuple((float(dataset.mean[j]), float(dataset.std[j])) for j in features)
        self._boundary.set_data(
            dataset.X_train, dataset.y_train,
            dataset.X_test if dataset.has_test else None,
            dataset.y_test if dataset.has_test else None,
            dataset.task, dataset.n_classes, ranges[0], ranges[1],
            features=features, fixed=fixed, feature_names=dataset.feature_names, units=units)
        if dataset.n_features > 2:
            names = dataset.feature_names
            self._boundary.border_title = f"Boundary · {names[features[0]]} × {names[features[1]]}"
            self._boundary.border_subtitle = "others at mean · f/F: next pair"
        else:
            self._boundary.border_title = "Decision boundary"
            self._boundary.border_subtitle = ""

    def set_note(self, note: str, seconds: float = 8.0) -> None:
        """A short message at the end of the status line (cleared after a while)."""
        self._note = note
        if self._note_timer is not None:
            self._note_timer.stop()
        self._note_timer = self.set_timer(seconds, self._clear_note) if note else None
        self.draw_views()

    def _clear_note(self) -> None:
        self._note = ""
        self._note_timer = None
        self.draw_views()

    # --- key actions --------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self.MAIN_ACTIONS and isinstance(self.screen, FilePrompt):
            return False  # keys belong to the prompt (Esc closes it first)
        if action == "features":
            return self.session.dataset.n_features > 2
        if action == "toggle_play":
            return not isinstance(self.focused, Input)  # space types a space while typing
        if action == "next_view":
            return self._layout_mode in ("compact", "narrow")
        if action == "leave_form":
            return self.focused is not None
        return True

    def action_toggle_play(self) -> None:
        running = self.session.toggle()
        if running and self._note in ("paused", START_HINT):
            self.set_note("")
        elif not running:
            self.set_note("paused")
        self.draw_views(force=True)

    def action_step(self) -> None:
        self.session.pause()
        if self.session.step():
            self.set_note("one step")
        self._publish_messages()
        self.draw_views(force=True)

    def action_step_epoch(self) -> None:
        self.session.pause()
        if self.session.step_epoch():
            self.set_note(f"epoch {self.session.trainer.epoch} done")
        self._publish_messages()
        self.draw_views(force=True)

    async def action_reset(self) -> None:
        await self._apply(lambda: self.session.reset(new_seed=False))

    async def action_reset_new_seed(self) -> None:
        await self._apply(lambda: self.session.reset(new_seed=True))

    def action_faster(self) -> None:
        self.session.faster()
        self.set_note(f"speed: {self.session.speed_text}")

    def action_slower(self) -> None:
        self.session.slower()
        self.set_note(f"speed: {self.session.speed_text}")

    def action_learning_rate(self, direction: int) -> None:
        """Step the learning rate along Playground's quick values."""
        lr = self.session.trainer.config.learning_rate
        if direction > 0:
            value = next((v for v in LEARNING_RATES if v > lr * (1 + 1e-9)), LEARNING_RATES[-1])
        else:
            value = next((v for v in reversed(LEARNING_RATES) if v < lr * (1 - 1e-9)),
                         LEARNING_RATES[0])
        # Through the form, so the field shows it and the usual validation applies.
        self.query_one(ConfigPanel).set_learning_rate(value)

    async def action_add_layer(self) -> None:
        await self.query_one(LayerEditor).add_layer()

    async def action_remove_layer(self) -> None:
        await self.query_one(LayerEditor).remove_layer()

    def action_toggle_test(self) -> None:
        boundary = self._boundary
        boundary.show_test = not boundary.show_test
        self.set_note("test points shown" if boundary.show_test else "test points hidden")

    def action_toggle_log(self) -> None:
        plot = self._plot
        plot.log_scale = not plot.log_scale
        self.set_note("loss on a log scale" if plot.log_scale else "loss on a linear scale")

    def action_weights_layer(self, direction: int) -> None:
        table = self._weights
        if direction > 0:
            table.next_layer()
        else:
            table.previous_layer()

    def action_next_view(self) -> None:
        views = self._views()
        current = views.index(self._view) if self._view in views else -1
        self._show_view(views[(current + 1) % len(views)])
        self.draw_views(force=True)

    def action_features(self, direction: int) -> None:
        """Show the next / previous pair of features in the decision boundary."""
        dataset = self.session.dataset
        pairs = feature_pairs(dataset.n_features)
        if len(pairs) < 2:
            return
        self._pair = (self._pair + direction) % len(pairs)
        self._set_boundary_data()
        self._drawn.pop("boundary", None)
        i, j = self.feature_pair
        names = dataset.feature_names
        self.set_note(f"boundary: {names[i]} × {names[j]} ({self._pair + 1}/{len(pairs)}), "
                      "other features at their mean")

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    # --- files ------------------------------------------------------------------------------
    def action_save(self) -> None:
        """Save the experiment: TOML + .npz (weights, optimizer state) + history CSV."""
        session = self.session
        default = tidy_path(session.path) if session.path else f"{session.default_name()}.toml"

        def save(text: str) -> str | None:
            try:
                saved = self.session.save(text)
            except SessionError as error:
                return self._failed("Not saved", error)
            self.notify(f"saved {tidy_path(saved)} (with its .npz and .history.csv)",
                        title="Saved")
            self.set_note(f"saved {saved.name}")
            return None

        self.push_screen(FilePrompt(
            "Save experiment", default, save,
            prompt="Experiment file (.toml; weights and history go beside it):",
            existing=lambda text: [p for p in experiment_files(text) if p.exists()]))

    def action_open(self) -> None:
        """Open a saved experiment: the network, optimizer state and history it had."""
        choices = sorted(p.name for p in Path.cwd().glob("*.toml") if _is_experiment(p))
        session = self.session
        default = tidy_path(session.path) if session.path else (choices[0] if choices else "")

        async def open_(text: str) -> str | None:
            try:
                session = Session.open(text)
            except SessionError as error:
                return self._failed("Not opened", error)
            await self.install_session(session)
            trainer = session.trainer
            self.notify(f"opened {tidy_path(session.path or text)}: epoch {trainer.epoch}, "
                        f"step {trainer.step_count}; space continues the run", title="Opened")
            self.set_note(f"opened {Path(text).name}")
            return None

        self.push_screen(FilePrompt("Open experiment", default, open_,
                                    prompt="Experiment file (.toml):", choices=choices))

    def _export(self, title: str, default: str, write: Callable[[Path], object]) -> None:
        """Ask for a path, then ``write(path)``; say what was written or why not."""

        def run(text: str) -> str | None:
            path = Path(text).expanduser()
            try:
                write(path)
            except (ExperimentError, OSError, ValueError) as error:
                return self._failed("Not exported", error)
            self.notify(f"saved {tidy_path(path)}", title=title)
            self.set_note(f"saved {path.name}")
            return None

        self.push_screen(FilePrompt(title, default, run, existing=_existing))

    def action_export_weights_npz(self) -> None:
        self._export("Export weights (.npz)", f"{self.session.default_name()}.weights.npz",
                     lambda path: export_weights_npz(path, self.session.network))

    def action_export_weights_json(self) -> None:
        self._export("Export weights (JSON)", f"{self.session.default_name()}.weights.json",
                     lambda path: export_weights_json(path, self.session.network))

    def action_export_dataset(self) -> None:
        self._export("Export dataset (CSV)", f"{self.session.data_name()}.data.csv",
                     lambda path: export_dataset_csv(path, self.session.dataset))

    def action_export_history(self) -> None:
        self._export("Export history (CSV)", f"{self.session.default_name()}.history.csv",
                     lambda path: export_history_csv(path, self.session.trainer.history))

    def action_export_screenshot(self) -> None:
        """An SVG of the screen as it is (taken once the prompt has closed)."""

        def check(text: str) -> str | None:
            path = Path(text).expanduser()
            folder = path.parent
            if path.is_dir():
                return self._failed("No screenshot", f"{path}: is a directory")
            if not folder.is_dir():
                return self._failed("No screenshot", f"{path}: cannot write (directory does "
                                    "not exist)")
            if not os.access(folder, os.W_OK):
                return self._failed("No screenshot",
                                    f"{path}: cannot write (permission denied)")
            return None

        def taken(path: Path | None) -> None:
            if path is not None:
                self.call_after_refresh(self._save_screenshot, path)

        self.push_screen(FilePrompt("Screenshot (SVG)", f"ffnn-tui-{self.session.default_name()}"
                                    ".svg", check, existing=_existing), taken)

    def _save_screenshot(self, path: Path) -> None:
        try:
            write_text(path, self.export_screenshot())  # atomically, like every other file
        except ExperimentError as error:
            self._failed("No screenshot", error)
            return
        self.notify(f"saved {tidy_path(path)}", title="Screenshot")

    def _failed(self, title: str, error: object) -> str:
        """Notify a one-line reason (and return it for the prompt to show)."""
        message = (str(error).strip().splitlines() or [type(error).__name__])[0]
        self.notify(message, title=title, severity="error", timeout=10)
        return message

    def action_leave_form(self) -> None:
        self.screen.set_focus(None)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield SystemCommand("Play / pause", "Start or stop training (space)",
                            self.action_toggle_play)
        yield SystemCommand("Step", "One mini-batch update (n)", self.action_step)
        yield SystemCommand("Step one epoch", "Updates until the epoch ends (N)",
                            self.action_step_epoch)
        yield SystemCommand("Reset", "Initial weights of the same seed (r)", self.action_reset)
        yield SystemCommand("Reset with a new seed", "Fresh random initial weights (R)",
                            self.action_reset_new_seed)
        yield SystemCommand("Faster", "More steps per frame (])", self.action_faster)
        yield SystemCommand("Slower", "Fewer steps per frame ([)", self.action_slower)
        yield SystemCommand("Add hidden layer", "Append a layer like the last (+)",
                            self.action_add_layer)
        yield SystemCommand("Remove hidden layer", "Drop the last hidden layer (-)",
                            self.action_remove_layer)
        yield SystemCommand("Toggle test points", "Show or hide test points (t)",
                            self.action_toggle_test)
        yield SystemCommand("Toggle log scale", "Loss plot on a log scale (l)",
                            self.action_toggle_log)
        yield SystemCommand("Save experiment", "TOML + weights + optimizer state + history "
                            "(ctrl+s)", self.action_save)
        yield SystemCommand("Open experiment", "Reopen a saved run and continue it (ctrl+o)",
                            self.action_open)
        yield SystemCommand("Export weights (.npz)", "Weights and biases of every layer",
                            self.action_export_weights_npz)
        yield SystemCommand("Export weights (JSON)", "Shapes, activations and values as JSON",
                            self.action_export_weights_json)
        yield SystemCommand("Export dataset (CSV)", "Train and test samples with a split column",
                            self.action_export_dataset)
        yield SystemCommand("Export history (CSV)", "Loss and accuracy per epoch",
                            self.action_export_history)
        yield SystemCommand("Screenshot (SVG)", "Save the screen as an SVG file (asks where)",
                            self.action_export_screenshot)
        if self.session.dataset.n_features > 2:
            yield SystemCommand("Next feature pair", "Other features in the boundary view (f)",
                                lambda: self.action_features(1))
        yield SystemCommand("Help", "Keys and what the views show (?)", self.action_help)
        # Textual's own "Screenshot" saves to ~/Downloads without asking: ours replaces it.
        yield from (command for command in super().get_system_commands(screen)
                    if command.title != "Screenshot")

    async def install_session(self, session: Session) -> None:
        """Replace the session (e.g. an experiment opened from a file): the forms and views
        follow it. The frame loop picks it up on its next frame."""
        self.session = session
        self._structure = -1
        self._drawn.clear()
        await self.query_one(ConfigPanel).sync(session)
        self.draw_views(force=True)

    # --- edits from the settings -------------------------------------------------------------
    async def on_config_panel_edited(self, event: ConfigPanel.Edited) -> None:
        panel = self.query_one(ConfigPanel)
        structure = self.session.structure_version
        try:
            note = self.session.edit(event.section, event.key, event.value)
        except SessionError as error:
            if event.key == "csv":
                panel.refuse_csv(str(error))
            else:
                panel.refuse(event.source, str(error))
            self.set_note(f"refused: {error}")
            return
        if note:
            self.set_note(note)
        if self.session.structure_version != structure:
            await panel.sync(self.session)  # auto labels, enabled fields, fitted output/loss
        self.draw_views(force=True)

    async def on_config_panel_regenerate_requested(self, _event) -> None:
        await self._apply(self.session.regenerate)

    async def _apply(self, change) -> None:
        """Run a session change that may rebuild; show its note or why it was refused."""
        try:
            note = change()
        except SessionError as error:
            self.notify(str(error), title="Not applied", severity="error")
            return
        self.set_note(note)
        await self.query_one(ConfigPanel).sync(self.session)
        self.draw_views(force=True)


def feature_pairs(n_features: int) -> list[tuple[int, int]]:
    """Every pair of features the boundary can show, in order: (0, 1), (0, 2), … (1, 2), …"""
    if n_features < 2:
        return [(0, 0)]
    return list(itertools.combinations(range(n_features), 2))


def _is_experiment(path: Path) -> bool:
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


def _padded(low: float, high: float) -> tuple[float, float]:
    span = float(high - low) or 1.0
    return float(low) - 0.05 * span, float(high) + 0.05 * span
