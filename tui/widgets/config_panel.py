"""The settings of a run as forms: data, network, training.

Every field is made from its setting (``ffnn.core.SETTINGS``): caption, bounds, choices,
tooltip; its widget id is the setting's key ("train.learning_rate" → ``#train-learning-rate``).
Each validates as it is typed; only valid values leave the panel, as
``ConfigPanel.Edited(values, source)``: the settings changed, by dotted key. The change, not a
whole experiment, travels: an edit still queued when a reset picks a new seed must not undo it.
The app applies it; if the session refuses, ``refuse()`` shows the reason under the field.
``sync()`` shows a session's settings (after a rebuild, a new seed, an opened experiment).
Attributes flow down (``sync``), messages flow up (``Edited``).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select

from ffnn.core import SETTINGS, datasets
from ffnn.core.csvdata import CsvError, read_columns
from ffnn.core.losses import DEFAULT_LOSS
from ffnn.core.specs import output_activation
from ffnn.tui.edits import LEARNING_RATES
from ffnn.tui.widgets.layer_editor import LayerEditor
from ffnn.tui.widgets.number_field import NumberField, cursor_blinks, show_reason

# Which settings the form shows, section by section. Numbers are typed, choices picked.
DATA_NUMBERS = ("data.n_samples", "data.noise", "data.classes", "data.test_ratio")
NET_CHOICES = ("net.output", "net.init")
TRAIN_NUMBERS = ("train.learning_rate", "train.batch_size", "train.l1", "train.l2")


def widget_id(key: str) -> str:
    return key.replace(".", "-").replace("_", "-")


class ConfigPanel(VerticalScroll, can_focus=False):
    """Data, network and training settings; the app's left column (or a tab when narrow)."""

    class Edited(Message):
        """A valid setting was entered: ``values`` by dotted key (``{"train.l2": 0.1}``);
        ``source`` is the widget to blame if it is refused."""

        def __init__(self, values: dict, source: Widget, stale=lambda: False) -> None:
            super().__init__()
            self.values = values
            self.source = source
            self._stale = stale

        @property
        def stale(self) -> bool:
            """The form was shown other settings since this edit was made: drop it."""
            return self._stale()

    class RegenerateRequested(Message):
        """The Regenerate button: new data from the next data seed."""

    def __init__(self, session, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._session = session
        self._columns: list[str] = []  # the target choices: the columns of the file read last

    @property
    def experiment(self):
        return self._session.experiment

    # --- building ---------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        experiment = self.experiment
        yield Label("Data", classes="section")
        yield from self._select_row("data.name", self._options("data.name"))
        with Horizontal(classes="field-row", id="data-path-field"):
            yield Label("data file", classes="field-caption")
            field = Input(experiment.data.path or "", id="data-path", compact=True,
                          placeholder="your.csv, Enter",
                          tooltip="a CSV with a header row and numeric features; Enter loads it")
            field.cursor_blink = cursor_blinks(self.app)
            yield field
        yield Label("", id="data-path-error", classes="field-error")
        yield from self._select_row("data.target", self._options("data.target"),
                                    allow_blank=True)
        shown = self._shown_numbers()
        for key in DATA_NUMBERS:
            yield NumberField(SETTINGS[key], shown.get(key, experiment.get(key)))
        yield Button("Regenerate data", id="regenerate", compact=True,
                     tooltip="new points from the next data seed")

        yield Label("Network", classes="section")
        yield LayerEditor(list(experiment.net.hidden), list(experiment.net.activations),
                          id="layers")
        for key in NET_CHOICES:
            yield from self._select_row(key, self._options(key))
        yield NumberField(SETTINGS["net.seed"], experiment.net.seed, caption="seed",
                          tooltip="seed of the initial weights and the shuffling (R: new seed)")

        yield Label("Training", classes="section")
        yield from self._select_row("train.loss", self._options("train.loss"))
        yield from self._select_row("train.optimizer", self._options("train.optimizer"))
        for key in TRAIN_NUMBERS:
            yield NumberField(SETTINGS[key], experiment.get(key))
            if key == "train.learning_rate":
                yield from self._select_row("quick-lr", [(f"{v:g}", v) for v in LEARNING_RATES],
                                            caption="quick lr", allow_blank=True,
                                            tooltip="Playground's learning rates (< and >)")

    def _select_row(self, key: str, options, *, caption: str | None = None,
                    allow_blank: bool = False, tooltip: str | None = None) -> ComposeResult:
        id = widget_id(key)
        setting = SETTINGS.get(key)
        with Horizontal(classes="field-row", id=f"{id}-field"):
            yield Label(caption or setting.label, classes="field-caption")
            yield Select(options, value=self._select_value(key), allow_blank=allow_blank,
                         compact=True, id=id, prompt="pick",
                         tooltip=tooltip or (setting.rule.help if setting else None))
        yield Label("", id=f"{id}-error", classes="field-error")

    def _select_value(self, key: str):
        if key == "quick-lr":
            rate = self.experiment.train.learning_rate
            return rate if rate in LEARNING_RATES else Select.NULL
        if key == "data.target":
            data = self.experiment.data
            return data.target if data.name == "csv" and data.target else Select.NULL
        return self.experiment.get(key)

    def _shown_numbers(self) -> dict:
        """Samples and classes as the fields show them: for a CSV (fields disabled) the
        file's own counts rather than the generator settings it ignores."""
        dataset = self._session.dataset
        if self.experiment.data.name != "csv":
            return {}
        return {"data.n_samples": dataset.n_samples, "data.classes": dataset.n_classes}

    def on_mount(self) -> None:
        self._update_enabled()

    # --- options that depend on the problem ----------------------------------------------
    def _options(self, key: str) -> list[tuple[str, str]]:
        choices = SETTINGS[key].rule.choices if key in SETTINGS else ()
        if key == "data.name":
            return [(n + (" (regression)" if n in datasets.REGRESSION else ""), n)
                    for n in choices]
        if key == "data.target":
            return [(name, name) for name in self._target_columns()]
        task = self._session.dataset.task
        if key == "net.output":
            auto = output_activation("auto", task) if self.experiment.net.output == "auto" \
                else "suits the problem"
            return [(f"auto ({auto})" if n == "auto" else n, n) for n in choices]
        if key == "train.loss":
            auto = DEFAULT_LOSS[self._session.network.output_activation]
            return [(f"auto ({auto})" if n == "auto" else n, n) for n in choices]
        return [(n, n) for n in choices]

    def _target_columns(self) -> list[str]:
        """The columns of the data file in use (or just its target, if it cannot be read)."""
        data = self.experiment.data
        if data.name != "csv" or not data.path:
            return list(self._columns)
        try:
            columns = read_columns(data.path)
        except CsvError:
            columns = []
        if data.target and data.target not in columns:
            columns.append(data.target)
        self._columns = columns
        return columns

    def _update_enabled(self) -> None:
        """Classes mean nothing for regression data or for xor; samples and noise nothing
        for a CSV file."""
        name = self.experiment.data.name
        csv = name == "csv"
        fixed = name in datasets.REGRESSION or name in datasets.FIXED_CLASSES or csv
        self.query_one("#data-classes-field").disabled = fixed
        for key in ("data-n-samples", "data-noise"):
            self.query_one(f"#{key}-field").disabled = csv
        self.query_one("#regenerate").disabled = csv
        # The target is chosen from a file's columns: nothing to choose before one is read.
        self.query_one("#data-target-field").disabled = not csv and not self._columns

    # --- from the app --------------------------------------------------------------------------
    async def sync(self, session) -> None:
        """Show ``session``'s settings; nothing is reported back."""
        self._session = session
        experiment = session.experiment
        with self.prevent(Select.Changed):
            for key in ("data.name", *NET_CHOICES, "train.loss", "train.optimizer", "quick-lr"):
                options = None if key == "quick-lr" else self._options(key)
                self._set_select(widget_id(key), options, self._select_value(key))
            if experiment.data.name == "csv":
                self._set_select("data-target", self._options("data.target"),
                                 self._select_value("data.target"))
                self._set_data_path(experiment.data.path or "")
        shown = self._shown_numbers()
        for field in self.query(NumberField):
            key = field.setting.key
            field.set_value(shown.get(key, experiment.get(key)))
        await self.query_one(LayerEditor).set_layers(list(experiment.net.hidden),
                                                     list(experiment.net.activations))
        if not self.app.is_running:  # the app began to shut down meanwhile: its forms are going
            return
        for select in self.query(Select):
            if select.id and not select.id.startswith("layer-"):
                show_reason(self.query_one(f"#{select.id}-error", Label), "")
        show_reason(self.query_one("#data-path-error", Label), "")
        self._update_enabled()

    def refuse(self, source: Widget | None, error: Exception) -> None:
        """Show why an edit was refused under the field that made it (or the field the error
        names); the field keeps showing what was typed."""
        message = str(error)
        if source is None:
            key = getattr(error, "field", None) or ""
            if key in ("net.hidden", "net.activations"):
                source = self.query_one(LayerEditor)
            elif key and self.query(f"#{widget_id(key)}"):
                source = self.query_one(f"#{widget_id(key)}")
        if isinstance(source, NumberField | LayerEditor):
            source.show_error(message)
        elif source is not None and source.id in ("data-path", "data-target", "data-name"):
            show_reason(self.query_one("#data-path-error", Label), message)
        elif source is not None and source.id:
            labels = self.query(f"#{source.id}-error")
            if labels:
                show_reason(labels.first(Label), message)

    def _set_data_path(self, path: str) -> None:
        field = self.query_one("#data-path", Input)
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

    # --- from the fields ---------------------------------------------------------------------
    def _edited(self, source: Widget, stale=lambda: False, **values) -> None:
        self.post_message(self.Edited(values, source, stale))

    def on_number_field_accepted(self, event: NumberField.Accepted) -> None:
        event.stop()
        key = event.field.setting.key
        values = {key: event.value}
        if key == "net.seed":  # the form's seed seeds the shuffling too
            values["train.seed"] = event.value
        self._edited(event.field, **values)
        if key == "train.learning_rate":
            with self.prevent(Select.Changed):
                self._set_select("quick-lr", None, event.value if event.value in LEARNING_RATES
                                 else Select.NULL)

    def on_layer_editor_changed(self, event: LayerEditor.Changed) -> None:
        event.stop()
        self._edited(event.editor, lambda: event.stale,
                     **{"net.hidden": event.sizes, "net.activations": event.activations})

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        select, value = event.select, event.value
        if value is Select.NULL or select.id is None or select.id.startswith("layer-"):
            return
        show_reason(self.query_one(f"#{select.id}-error", Label), "")
        if select.id == "quick-lr":
            field = self.query_one("#train-learning-rate-field", NumberField)
            field.submit_value(float(value))
            return
        if select.id == "data-target" or (select.id == "data-name" and value == "csv"):
            self._request_csv(select)
            return
        key = next(k for k in SETTINGS if widget_id(k) == select.id)
        values = {key: value}
        if key == "data.name":  # a generated set: the file is left behind
            values.update({"data.path": None, "data.target": None})
        self._edited(select, **values)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "data-path":
            return
        event.stop()
        self._request_csv(event.input)

    def _request_csv(self, source: Widget) -> None:
        """Ask for the data file's data with the chosen target. A new file (Enter in the data
        file field) fills the target choice from its header first: the current target if the
        file has that column, else its last column."""
        path = self.query_one("#data-path", Input).value.strip()
        if not path:
            self._refuse_csv("data file: enter the path of a CSV file, then Enter")
            self.query_one("#data-path", Input).focus()
            return
        target = self.query_one("#data-target", Select).value
        if source.id != "data-target":
            try:
                columns = read_columns(path)
            except CsvError as problem:
                self._refuse_csv(str(problem))
                return
            if target not in columns:
                target = self.experiment.data.target
                if target not in columns:
                    target = columns[-1]
            self._columns = columns
            with self.prevent(Select.Changed):
                self._set_select("data-target", [(name, name) for name in columns], target)
            self._update_enabled()
        if target is Select.NULL or not target:
            self._refuse_csv("target: choose the column to predict")
            return
        show_reason(self.query_one("#data-path-error", Label), "")
        self._edited(source, **{"data.name": "csv", "data.path": path, "data.target": target})

    def _refuse_csv(self, message: str) -> None:
        """Say why the file cannot be used; the dataset choice goes back to the data in use."""
        show_reason(self.query_one("#data-path-error", Label), message)
        with self.prevent(Select.Changed):
            self._set_select("data-name", None, self.experiment.data.name)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "regenerate":
            event.stop()
            self.post_message(self.RegenerateRequested())
