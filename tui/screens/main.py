"""The main screen: settings on the left, the views on the right, the status line and footer.

Layout modes follow the terminal size (CSS classes, see app.tcss): "wide" (from 120×40)
shows every view at once; "compact" shows the settings and one view, with tabs; "narrow"
(under 80 columns) makes the settings a tab too; "tiny" asks for a larger terminal. ``s``
hides the settings so a view gets the whole width.

``draw()`` publishes the session to the views: typed values, each view only when its data
changed and the scheduler says it is due. A screen update repaints the bounding box of all
that changed, so while training the status line (bottom, full width) never shares a round
with the views (top right): together they would repaint the whole screen, settings included.
"""

from __future__ import annotations

import math
import time

import numpy as np
from textual import events, on
from textual.app import ComposeResult
from textual.containers import Container, Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Static, Tab, Tabs

from ffnn.core import metrics
from ffnn.tui.bindings import KEYS
from ffnn.tui.notes import speed_text
from ffnn.tui.viewdata import StatusData, feature_pairs, plane_of
from ffnn.tui.widgets.config_panel import ConfigPanel
from ffnn.tui.widgets.confusion_matrix import ConfusionMatrix
from ffnn.tui.widgets.decision_boundary import DecisionBoundary
from ffnn.tui.widgets.fitted_footer import FittedFooter
from ffnn.tui.widgets.loss_plot import LossPlot
from ffnn.tui.widgets.status_bar import StatusBar
from ffnn.tui.widgets.weights_table import WeightsTable

MIN_WIDTH, MIN_HEIGHT = 60, 20    # below this: "enlarge the terminal"
WIDE_WIDTH, WIDE_HEIGHT = 120, 40  # from here on every view shows at once
NARROW_WIDTH = 80                  # below this the settings become a tab too
VIEWS = ("config", "boundary", "loss", "weights", "confusion")


def layout_mode(width: int, height: int) -> str:
    if width < MIN_WIDTH or height < MIN_HEIGHT:
        return "tiny"
    if width >= WIDE_WIDTH and height >= WIDE_HEIGHT:
        return "wide"
    return "narrow" if width < NARROW_WIDTH else "compact"


class MainScreen(Screen):
    def __init__(self) -> None:
        super().__init__()
        self.view = "boundary"        # the tab shown when not everything fits
        self.layout_mode = ""
        self.settings_hidden = False
        self.pair = 0                 # which pair of features the boundary shows
        self._features_key: tuple = ()
        self._structure = -1          # the session structure the views were given

    def compose(self) -> ComposeResult:
        session = self.app.session
        with Container(id="main", classes="-show-boundary"):
            yield Tabs(Tab("Settings", id="tab-config"), Tab("Boundary", id="tab-boundary"),
                       Tab("Loss", id="tab-loss"), Tab("Weights", id="tab-weights"),
                       Tab("Confusion", id="tab-confusion"), active="tab-boundary",
                       id="view-tabs")
            with Horizontal(id="body"):
                yield ConfigPanel(session, id="config", classes="pane")
                with Vertical(id="views"):
                    with Horizontal(id="top"):
                        yield DecisionBoundary(id="boundary", classes="pane view")
                        with Vertical(id="side"):
                            yield LossPlot(id="loss-plot", classes="pane view")
                            yield ConfusionMatrix(id="confusion", classes="pane view")
                    yield WeightsTable(id="weights", classes="pane view")
        yield Static("", id="too-small")
        yield StatusBar(id="status")
        yield FittedFooter(order=[key.name for key in KEYS])

    def on_mount(self) -> None:
        self.boundary = self.query_one(DecisionBoundary)
        self.plot = self.query_one(LossPlot)
        self.weights = self.query_one(WeightsTable)
        self.status = self.query_one(StatusBar)
        self.confusion = self.query_one(ConfusionMatrix)
        self.panel = self.query_one(ConfigPanel)
        for widget, title in ((self.panel, "Settings"), (self.boundary, "Decision boundary"),
                              (self.plot, "Loss"), (self.weights, "Weights"),
                              (self.confusion, "Confusion matrix")):
            widget.border_title = title
        self.confusion.border_subtitle = "rows true · columns predicted"
        self.apply_layout(self.app.size.width, self.app.size.height)
        self.draw(force=True)
        self.app.main_ready()

    def watch_focused(self, focused) -> None:
        # A class rather than `.pane:focus-within`: Textual restyles a focus-within node's
        # whole subtree on every focus move inside it (each Tab in the settings form restyled
        # its ~150 widgets); the class changes only when focus enters another pane.
        pane = next((node for node in focused.ancestors_with_self if node.has_class("pane")),
                    None) if focused is not None else None
        for node in self.query(".pane"):
            node.set_class(node is pane, "-focused")

    def on_resize(self, event: events.Resize) -> None:
        self.apply_layout(event.size.width, event.size.height)

    # --- layout -----------------------------------------------------------------------------
    def apply_layout(self, width: int, height: int) -> None:
        mode = layout_mode(width, height)
        self.set_class(mode == "tiny", "-tiny")
        self.query_one("#too-small", Static).update(
            f"Please enlarge the terminal to at least {MIN_WIDTH}×{MIN_HEIGHT}\n"
            f"(it is {width}×{height} now).\n\nctrl+q quits.")
        if mode != self.layout_mode:
            self.layout_mode = mode
            tabs = self.query_one("#view-tabs", Tabs)
            if mode == "narrow":
                tabs.show("tab-config")
            else:
                tabs.hide("tab-config")
                if self.view == "config":
                    self.view = "boundary"
            self.app.refresh_bindings()  # v (next view) depends on the layout
        self.show_view(self.view)

    def _set_main_classes(self) -> None:
        """The layout mode, hidden settings and shown view as #main's classes, restyled once:
        each class change restyles everything below #main (the whole settings form), so five
        separate changes cost five restyles."""
        mode = self.layout_mode
        wanted = {"-compact": mode in ("compact", "narrow"), "-narrow": mode == "narrow",
                  "-no-settings": self.settings_hidden and mode != "narrow"}
        wanted.update({f"-show-{name}": name == self.view for name in VIEWS})
        main = self.query_one("#main")
        changed = [name for name, on in wanted.items() if main.has_class(name) != on]
        for name in changed:
            main.set_class(wanted[name], name, update=False)
        if changed:
            main.update_node_styles()

    def views(self) -> list[str]:
        """The views the tabs offer now (no settings tab unless narrow, no confusion matrix
        for a regression)."""
        views = list(VIEWS if self.layout_mode == "narrow" else VIEWS[1:])
        if not self.classifying:
            views.remove("confusion")
        return views

    @property
    def classifying(self) -> bool:
        return self.app.session.dataset.task == "classification"

    def show_view(self, view: str) -> None:
        self.view = view
        self._set_main_classes()
        tabs = self.query_one("#view-tabs", Tabs)
        if tabs.active != f"tab-{view}":
            with self.prevent(Tabs.TabActivated):
                tabs.active = f"tab-{view}"
        self.app.scheduler.forget()  # a view that was hidden may be stale

    def next_view(self) -> None:
        views = self.views()
        current = views.index(self.view) if self.view in views else -1
        self.show_view(views[(current + 1) % len(views)])
        self.draw(force=True)

    def toggle_settings(self) -> str:
        """Hide or show the settings column; says which."""
        self.settings_hidden = not self.settings_hidden
        self.apply_layout(self.app.size.width, self.app.size.height)
        self.app.scheduler.forget()
        return "settings hidden (s shows them)" if self.settings_hidden else "settings shown"

    def toggle_test(self) -> str:
        self.boundary.show_test = not self.boundary.show_test
        return "test points shown" if self.boundary.show_test else "test points hidden"

    def toggle_log(self) -> str:
        self.plot.log_scale = not self.plot.log_scale
        return "loss on a log scale" if self.plot.log_scale else "loss on a linear scale"

    @on(Tabs.TabActivated, "#view-tabs")
    def _tab_activated(self, event: Tabs.TabActivated) -> None:
        if event.tab is not None and event.tab.id:
            self.show_view(event.tab.id.removeprefix("tab-"))

    def shown(self, view: str) -> bool:
        """Whether ``view`` is on screen: every view in the wide layout, else the tab's."""
        if view == "confusion" and not self.classifying:
            return False
        return self.layout_mode == "wide" or self.view == view

    # --- the views' data --------------------------------------------------------------------
    def next_pair(self, direction: int) -> str:
        """Show the next / previous pair of features; says which."""
        dataset = self.app.session.dataset
        pairs = feature_pairs(dataset.n_features)
        if len(pairs) < 2:
            return "the data has only two features"
        self.pair = (self.pair + direction) % len(pairs)
        self._give_plane()
        i, j = (dataset.feature_names[k] for k in pairs[self.pair])
        return f"boundary: {i} × {j} ({self.pair + 1}/{len(pairs)}), other features at their mean"

    def _give_plane(self) -> None:
        plane = plane_of(self.app.session.dataset, self.pair)
        self.boundary.set_data(plane, self.app.session.network)
        self.boundary.border_title = plane.title
        more = len(plane.feature_names) > 2
        self.boundary.border_subtitle = "others at mean · f/F: next pair" if more else ""
        self.app.scheduler.forget("boundary")

    def _structure_changed(self) -> None:
        """The data or network was replaced: the views get their new plane and points."""
        dataset = self.app.session.dataset
        key = (dataset.name, tuple(dataset.feature_names))
        if key != self._features_key:  # other features: start again from the first pair
            self._features_key, self.pair = key, 0
        self.query_one("#main").set_class(not self.classifying, "-regression")
        tabs = self.query_one("#view-tabs", Tabs)
        if self.classifying:
            tabs.show("tab-confusion")
        else:
            tabs.hide("tab-confusion")
            if self.view == "confusion":
                self.show_view("boundary")
        self._give_plane()
        self.app.refresh_bindings()  # f / F only for more than two features
        self.app.scheduler.forget()

    def draw(self, force: bool = False) -> None:
        """Redraw the views whose data changed and whose turn it is (at once when paused or
        ``force``)."""
        session, scheduler = self.app.session, self.app.scheduler
        if session.structure_version != self._structure:
            self._structure = session.structure_version
            self._structure_changed()
        scheduler.throttle = session.running and not force
        scheduler.max_speed = session.running and session.steps_per_frame is None
        scheduler.begin(time.perf_counter())
        version = (session.structure_version, session.version)
        history = session.trainer.history
        drawn = False
        if scheduler.due("boundary", version, force):
            self.boundary.draw_model(session.network)
            drawn = True
        if scheduler.due("weights", version, force):
            self._draw_weights()
            drawn = True
        if scheduler.due("plot", (session.structure_version, len(history)), force):
            self.plot.update_history(history)
            drawn = True
        # The matrix predicts the whole test set: while training, once an epoch is enough.
        progress = len(history) if session.running else session.version
        if self.shown("confusion") and scheduler.due(
                "confusion", (session.structure_version, progress), force):
            self._draw_confusion()
            drawn = True
        if scheduler.throttle and drawn:
            return  # the status line waits for a round of its own (see the module doc)
        rate = session.steps_per_second
        note = self.app.note
        key = (version, session.running, note, session.speed_index,
               None if math.isnan(rate) else round(rate, -1))
        if scheduler.due("status", key, force):
            self.status.update_status(self.status_data(note))

    def status_data(self, note: str) -> StatusData:
        session = self.app.session
        last = session.trainer.history.last() or {}
        nan = math.nan
        speed = speed_text(session)
        return StatusData(
            session.running, session.trainer.epoch, session.trainer.step_count,
            session.steps_per_second, last.get("train_loss", nan), last.get("test_loss", nan),
            last.get("train_metric", nan), last.get("test_metric", nan),
            session.trainer.history.metric_name, f"{speed} │ {note}" if note else speed)

    def _draw_weights(self) -> None:
        session = self.app.session
        network, previous = session.network, session.previous_params
        self.weights.update_weights(
            network.weights, network.biases,
            [p[:-1] for p in previous] if previous is not None else None,
            [p[-1] for p in previous] if previous is not None else None,
            activations=network.activations)

    def _draw_confusion(self) -> None:
        dataset = self.app.session.dataset
        if dataset.task != "classification":
            self.confusion.clear("a regression has no classes")
            return
        X, y, split = ((dataset.X_test, dataset.y_test, "test") if dataset.has_test
                       else (dataset.X_train, dataset.y_train, "train"))
        with np.errstate(all="ignore"):  # a diverged network predicts class 0 on nan
            predicted = self.app.session.network.predict(X)
        counts = metrics.confusion_matrix(y, predicted, dataset.n_classes)
        self.confusion.update_matrix(counts, dataset.class_names, split)
