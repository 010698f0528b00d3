"""The settings of a run as forms: data, network, training.

Each field validates as it is typed; only valid values leave the panel, as
``ConfigPanel.Edited(section, key, value)`` (section "data" / "net" / "train"; the keys are the
spec fields of ffnn.core.experiment, plus ("data", "csv", (path, target)): use a CSV file, from
the data file and target fields). The app applies an edit to its Session and, if the
session refuses it, calls ``refuse()`` so the reason shows under the field. ``sync()`` shows a
session's current settings (after a rebuild, a new seed, a loaded experiment).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select

from ffnn.core import datasets
from ffnn.core.experiment import (
    MAX_CLASSES,
    MAX_NOISE,
    MAX_SAMPLES,
    MAX_SEED,
    MAX_TEST_RATIO,
    MIN_CLASSES,
    MIN_SAMPLES,
    OUTPUT_ACTIVATIONS,
    default_loss,
)
from ffnn.core.losses import LOSSES
from ffnn.core.network import INITS
from ffnn.core.optimizers import OPTIMIZERS
from ffnn.core.trainer import MAX_LEARNING_RATE
from ffnn.tui.session import LEARNING_RATES, Session, SessionError, csv_columns
from ffnn.tui.widgets.layer_editor import LayerEditor
from ffnn.tui.widgets.number_field import NumberField, NumberRule, cursor_blinks, show_reason

MAX_BATCH = 100_000
MAX_PENALTY = 10.0



class ConfigPanel(VerticalScroll, can_focus=False):
    """Data, network and training settings; the app's left column (or a tab when narrow)."""

    class Edited(Message):
        """A valid setting was entered. ``source`` is the widget to blame if it is refused."""

        def __init__(self, section: str, key: str, value, source: Widget) -> None:
            super().__init__()
            self.section = section
            self.key = key
            self.value = value
            self.source = source

    class RegenerateRequested(Message):
        """The Regenerate button: new data from the next data seed."""

    def __init__(self, session: Session, *, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._session = session
        self._columns: list[str] = []  # the target choices: the columns of the file read last

    # --- building ---------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        s = self._session
        data, net, train = s.experiment.data, s.experiment.net, s.experiment.train
        yield Label("Data", classes="section")
        yield from self._select_row("dataset", "dataset", self._dataset_options(), data.name,
                                    "which problem to learn (csv: the file below)")
        with Horizontal(classes="field-row", id="data-file-field"):
            yield Label("data file", classes="field-caption")
            field = Input(data.path or "", id="data-file", compact=True,
                          placeholder="your.csv, Enter",
                          tooltip="a CSV with a header row and numeric features; Enter loads it")
            field.cursor_blink = cursor_blinks(self.app)
            yield field
        yield Label("", id="data-file-error", classes="field-error")
        yield from self._select_row("target", "target", self._target_options(data),
                                    data.target if data.name == "csv" else Select.NULL,
                                    "the CSV column to predict", allow_blank=True)
        samples, classes = self._shown_counts()
        yield NumberField("samples", samples,
                          NumberRule(MIN_SAMPLES, MAX_SAMPLES, integer=True),
                          section="data", key="n_samples", id="samples",
                          tooltip="number of points generated")
        yield NumberField("noise", data.noise, NumberRule(0, MAX_NOISE),
                          section="data", key="noise", id="noise",
                          tooltip="jitter added to the points (or to the regression target)")
        yield NumberField("classes", classes,
                          NumberRule(MIN_CLASSES, MAX_CLASSES, integer=True),
                          section="data", key="classes", id="classes",
                          tooltip="number of classes (classification datasets except xor)")
        yield NumberField("test ratio", data.test_ratio, NumberRule(0, MAX_TEST_RATIO),
                          section="data", key="test_ratio", id="test-ratio",
                          tooltip="share of the points held out as the test set")
        yield Button("Regenerate data", id="regenerate", compact=True,
                     tooltip="new points from the next data seed")

        yield Label("Network", classes="section")
        yield LayerEditor(list(net.hidden), list(net.activations), id="layers")
        yield from self._select_row("output", "output", self._output_options(), net.output,
                                    "output activation; auto suits the problem")
        yield from self._select_row("init", "init", [(n, n) for n in INITS], net.init,
                                    "how initial weights are drawn")
        yield NumberField("seed", net.seed, NumberRule(0, MAX_SEED, integer=True),
                          section="net", key="seed", id="seed",
                          tooltip="seed of the initial weights and the shuffling (R: new seed)")

        yield Label("Training", classes="section")
        yield from self._select_row("loss", "loss", self._loss_options(),
                                    "auto" if s.loss_auto else train.loss,
                                    "loss; auto pairs it with the output activation")
        yield from self._select_row("optimizer", "optimizer", [(n, n) for n in OPTIMIZERS],
                                    train.optimizer, "update rule (changes live)")
        yield NumberField("learn rate", train.learning_rate,
                          NumberRule(0, MAX_LEARNING_RATE, low_open=True),
                          section="train", key="learning_rate", id="learning-rate",
                          tooltip="step size (changes live); < and > step through quick values")
        yield from self._select_row("quick-lr", "quick lr",
                                    [(f"{v:g}", v) for v in LEARNING_RATES],
                                    train.learning_rate if train.learning_rate in LEARNING_RATES
                                    else Select.NULL,
                                    "Playground's learning rates", allow_blank=True)
        yield NumberField("batch size", train.batch_size,
                          NumberRule(1, MAX_BATCH, integer=True),
                          section="train", key="batch_size", id="batch-size",
                          tooltip="samples per update (changes live)")
        yield NumberField("L1", train.l1, NumberRule(0, MAX_PENALTY),
                          section="train", key="l1", id="l1",
                          tooltip="L1 regularisation strength (changes live)")
        yield NumberField("L2", train.l2, NumberRule(0, MAX_PENALTY),
                          section="train", key="l2", id="l2",
                          tooltip="L2 regularisation strength (changes live)")

    def _shown_counts(self) -> tuple[int, int]:
        """Samples and classes as the fields show them: for a CSV (fields disabled) the
        file's own counts rather than the generator settings it ignores."""
        data, ds = self._session.experiment.data, self._session.dataset
        if data.name == "csv":
            return len(ds.X_train) + len(ds.X_test), ds.n_classes
        return data.n_samples, data.classes

    def _select_row(self, id: str, caption: str, options, value, tooltip: str, *,
                    allow_blank: bool = False) -> ComposeResult:
        with Horizontal(classes="field-row", id=f"{id}-field"):
            yield Label(caption, classes="field-caption")
            yield Select(options, value=value, allow_blank=allow_blank, compact=True, id=id,
                         tooltip=tooltip, prompt="pick")
        yield Label("", id=f"{id}-error", classes="field-error")

    def on_mount(self) -> None:
        self._update_enabled()

    # --- options that depend on the problem ----------------------------------------------
    def _dataset_options(self) -> list[tuple[str, str]]:
        options = [(name + (" (regression)" if name in datasets.REGRESSION else ""), name)
                   for name in datasets.NAMES]
        options.append(("csv", "csv"))
        return options

    def _target_options(self, data) -> list[tuple[str, str]]:
        """The columns of the data file in use (or just its target, if it cannot be read)."""
        if data.name != "csv" or not data.path:
            return [(name, name) for name in self._columns]
        try:
            columns = csv_columns(data.path)
        except SessionError:
            columns = []
        if data.target and data.target not in columns:
            columns.append(data.target)
        self._columns = columns
        return [(name, name) for name in columns]

    def _output_options(self) -> list[tuple[str, str]]:
        auto = self._session.network.output_activation
        if self._session.experiment.net.output != "auto":
            auto = "suits the problem"
        return [(f"auto ({auto})", "auto"), *((n, n) for n in OUTPUT_ACTIVATIONS)]

    def _loss_options(self) -> list[tuple[str, str]]:
        s = self._session
        auto = default_loss(s.network.output_activation, s.dataset.task)
        return [(f"auto ({auto})", "auto"), *((n, n) for n in LOSSES)]

    def _update_enabled(self) -> None:
        """Classes mean nothing for regression data or for xor."""
        data = self._session.experiment.data
        fixed = data.name in datasets.REGRESSION or data.name in datasets.FIXED_CLASSES \
            or data.name == "csv"
        self.query_one("#classes-field").disabled = fixed
        for key in ("samples", "noise"):
            self.query_one(f"#{key}-field").disabled = data.name == "csv"
        self.query_one("#regenerate").disabled = data.name == "csv"
        # The target is chosen from a file's columns: nothing to choose before one is read.
        self.query_one("#target-field").disabled = data.name != "csv" and not self._columns

    # --- from the app --------------------------------------------------------------------------
    async def sync(self, session: Session) -> None:
        """Show ``session``'s settings; nothing is reported back."""
        self._session = session
        data, net, train = session.experiment.data, session.experiment.net, session.experiment.train
        with self.prevent(Select.Changed):
            self._set_select("dataset", self._dataset_options(), data.name)
            if data.name == "csv":
                self._set_select("target", self._target_options(data), data.target)
                self._set_data_file(data.path or "")
            self._set_select("output", self._output_options(), net.output)
            self._set_select("init", None, net.init)
            self._set_select("loss", self._loss_options(),
                             "auto" if session.loss_auto else train.loss)
            self._set_select("optimizer", None, train.optimizer)
            self._sync_quick_lr(train.learning_rate)
        shown = dict(zip(("samples", "classes"), self._shown_counts(), strict=True))
        for field in self.query(NumberField):  # each knows its spec section and key
            spec = getattr(session.experiment, field.section)
            field.set_value(shown.get(field.input_id, getattr(spec, field.key)))
        await self.query_one(LayerEditor).set_layers(list(net.hidden), list(net.activations))
        for label in self.query(".field-error"):
            if isinstance(label, Label) and label.id in ("dataset-error", "output-error",
                                                         "init-error", "loss-error",
                                                         "optimizer-error", "target-error",
                                                         "data-file-error"):
                show_reason(label, "")
        self._update_enabled()

    def _set_data_file(self, path: str) -> None:
        field = self.query_one("#data-file", Input)
        if field.value != path:
            field.value = path
            field.cursor_position = len(path)

    def _set_select(self, id: str, options, value) -> None:
        """Give a Select new options and value (callers hold back Select.Changed)."""
        select = self.query_one(f"#{id}", Select)
        if options is not None:
            select.set_options(options)
        if select.value != value:
            select.value = value
        elif options is not None:
            # Same value, new label ("auto (cross_entropy)" -> "auto (mse)"): Select redraws
            # its label only when the value changes, so run its watcher once more.
            select.mutate_reactive(Select.value)

    def _sync_quick_lr(self, learning_rate: float) -> None:
        quick = self.query_one("#quick-lr", Select)
        with self.prevent(Select.Changed):
            if learning_rate in LEARNING_RATES:
                quick.value = learning_rate
            else:
                quick.clear()

    def set_learning_rate(self, value: float) -> None:
        """Enter ``value`` in the learning-rate field, as if typed (the < > keys, quick lr)."""
        self.query_one("#learning-rate-field", NumberField).submit_value(value)

    def refuse(self, source: Widget, message: str) -> None:
        """Show why the session refused the value ``source`` sent."""
        if isinstance(source, NumberField | LayerEditor):
            source.show_error(message)
            return
        if source.id in ("data-file", "target"):
            self.refuse_csv(message)
            return
        if isinstance(source, Select) and source.id:
            show_reason(self.query_one(f"#{source.id}-error", Label), message)

    def refuse_csv(self, message: str) -> None:
        """Show why the data file (or its target) cannot be used; the dataset choice goes
        back to the data in use."""
        show_reason(self.query_one("#data-file-error", Label), message)
        with self.prevent(Select.Changed):
            self._set_select("dataset", None, self._session.experiment.data.name)

    # --- from the fields --------------------------------------------------------------------
    def on_number_field_accepted(self, event: NumberField.Accepted) -> None:
        event.stop()
        field = event.field
        self.post_message(self.Edited(field.section, field.key, event.value, field))
        if field.key == "learning_rate":
            self._sync_quick_lr(event.value)

    def on_layer_editor_changed(self, event: LayerEditor.Changed) -> None:
        event.stop()
        self.post_message(self.Edited("net", "hidden", (event.sizes, event.activations),
                                      event.editor))

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        select, value = event.select, event.value
        if value is Select.NULL:
            return
        show_reason(self.query_one(f"#{select.id}-error", Label), "")
        if select.id == "quick-lr":
            self.set_learning_rate(float(value))
            return
        if select.id == "target" or (select.id == "dataset" and value == "csv"):
            self._request_csv(select)
            return
        section, key = {"dataset": ("data", "name"), "output": ("net", "output"),
                        "init": ("net", "init"), "loss": ("train", "loss"),
                        "optimizer": ("train", "optimizer")}[select.id]
        self.post_message(self.Edited(section, key, value, select))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "data-file":
            return
        event.stop()
        self._request_csv(event.input)

    def _request_csv(self, source: Widget) -> None:
        """Ask for the data file's data with the chosen target. A new file (Enter in the data
        file field) fills the target choice from its header first: the current target if the
        file has that column, else its last column."""
        path = self.query_one("#data-file", Input).value.strip()
        target_select = self.query_one("#target", Select)
        if not path:
            self.refuse_csv("data file: enter the path of a CSV file, then Enter")
            self.query_one("#data-file", Input).focus()
            return
        target = target_select.value
        if source.id != "target":
            try:
                columns = csv_columns(path)
            except SessionError as error:
                self.refuse_csv(str(error))
                return
            if target not in columns:
                target = self._session.experiment.data.target
                if target not in columns:
                    target = columns[-1]
            self._columns = columns
            with self.prevent(Select.Changed):
                self._set_select("target", [(name, name) for name in columns], target)
            self._update_enabled()
        if target is Select.NULL or not target:
            self.refuse_csv("target: choose the column to predict")
            return
        show_reason(self.query_one("#data-file-error", Label), "")
        self.post_message(self.Edited("data", "csv", (path, str(target)), source))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "regenerate":
            event.stop()
            self.post_message(self.RegenerateRequested())
