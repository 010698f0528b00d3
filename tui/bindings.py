"""Every key of the main screen, once: the footer, the help screen and the command palette
all read this table.

A ``Key`` names the action and how it is described in each place: ``label`` in the footer
(or its group's label), ``help`` on the help screen and under the palette entry, ``title``
as the palette entry (None: not in the palette, e.g. Esc). ``KEYS`` is in the footer's order
of importance: when the footer cannot show them all, the last are left out of it (they stay
bound, and the help and the palette list them all).
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True)
class Key:
    key: str
    action: str
    label: str
    help: str
    title: str | None = None       # palette entry; None: not in the palette
    group: str | None = None       # footer group label (keys of a group come and go together)
    display: str | None = None     # how the key is shown, when not Textual's default
    priority: bool = False         # works even when a button or select has focus

    @property
    def name(self) -> str:
        """The action without its arguments ("learning_rate" for "learning_rate(1)")."""
        return self.action.split("(")[0]


KEYS: tuple[Key, ...] = (
    Key("escape", "leave_form", "Leave form", "leave a settings field: the keys work again",
        display="esc"),
    Key("space", "toggle_play", "Play", "play / pause training", "Play / pause",
        display="space", priority=True),
    Key("n", "step", "Step", "one mini-batch update", "Step", group="Step"),
    Key("N", "step_epoch", "Epoch", "updates until the epoch ends", "Step one epoch",
        group="Step", display="N"),
    Key("r", "reset", "Reset", "reset to the initial weights of the same seed", "Reset",
        group="Reset"),
    Key("R", "reset_new_seed", "New seed", "fresh random initial weights (a new seed)",
        "Reset with a new seed", group="Reset", display="R"),
    Key("question_mark", "help", "Help", "keys and what the views show", "Help",
        display="?"),
    Key("q", "quit", "Quit", "quit (ctrl+q too)"),
    Key("v", "next_view", "View", "next view (when the views are tabs)", "Next view"),
    Key("s", "toggle_settings", "Settings", "hide / show the settings (more room for a view)",
        "Hide / show settings"),
    Key("t", "toggle_test", "Test", "show / hide the test points", "Toggle test points"),
    Key("l", "toggle_log", "Log", "loss plot on a log scale", "Toggle log scale"),
    Key("f", "features(1)", "Next pair", "next pair of features in the boundary (data with "
        "more than 2 features)", "Next feature pair", group="Features"),
    Key("F", "features(-1)", "Prev pair", "previous pair of features in the boundary",
        "Previous feature pair", group="Features", display="F"),
    Key("plus", "add_layer", "Add layer", "add a hidden layer like the last",
        "Add hidden layer", group="Layer", display="+"),
    Key("minus", "remove_layer", "Remove layer", "remove the last hidden layer",
        "Remove hidden layer", group="Layer", display="-"),
    Key("less_than_sign", "learning_rate(-1)", "LR down",
        "learning rate down through Playground's values (0.00001 … 10)", "Learning rate down",
        group="LR", display="<"),
    Key("greater_than_sign", "learning_rate(1)", "LR up", "learning rate up",
        "Learning rate up", group="LR", display=">"),
    Key("left_square_bracket", "speed(-1)", "Slower", "fewer steps per frame", "Slower",
        group="Speed", display="["),
    Key("right_square_bracket", "speed(1)", "Faster", "more steps per frame (up to max speed)",
        "Faster", group="Speed", display="]"),
    Key("w", "weights_layer(1)", "Next W", "next layer in the weights table",
        "Next weights layer", group="W layer"),
    Key("W", "weights_layer(-1)", "Prev W", "previous layer in the weights table",
        "Previous weights layer", group="W layer", display="W"),
    Key("ctrl+s", "save", "Save", "save the experiment (TOML + weights + history)",
        "Save experiment", group="File", display="^s"),
    Key("ctrl+o", "open", "Open", "open a saved experiment and continue it",
        "Open experiment", group="File", display="^o"),
)

#: Commands only the palette offers (no key): (title, help, action).
PALETTE_ONLY = (
    ("Export weights (.npz)", "Weights and biases of every layer", "export_weights_npz"),
    ("Export weights (JSON)", "Shapes, activations and values as JSON", "export_weights_json"),
    ("Export dataset (CSV)", "Train and test samples with a split column", "export_dataset"),
    ("Export history (CSV)", "Loss and accuracy per epoch", "export_history"),
    ("Screenshot (SVG)", "Save the screen as an SVG file (asks where)", "export_screenshot"),
)

GROUPS = {key.group: Binding.Group(key.group, compact=True) for key in KEYS if key.group}
ACTIONS = frozenset(key.name for key in KEYS)


def bindings() -> list[Binding]:
    return [Binding(k.key, k.action, k.label, key_display=k.display, priority=k.priority,
                    group=GROUPS.get(k.group)) for k in KEYS]


def display(key: Key) -> str:
    return key.display or key.key


def help_rows() -> list[tuple[str, str]]:
    """(keys, what they do) for the help screen: a group's keys on one row ("n / N")."""
    rows: list[tuple[str, str]] = []
    seen: dict[str, int] = {}
    for key in KEYS:
        if key.group is not None and key.group in seen:
            keys, what = rows[seen[key.group]]
            rows[seen[key.group]] = (f"{keys} / {display(key)}", f"{what} / {key.help}")
            continue
        if key.group is not None:
            seen[key.group] = len(rows)
        rows.append((display(key), key.help))
    return rows


def palette_entries() -> list[tuple[str, str, str]]:
    """(title, help, action) for the command palette: every key with a title, then the
    palette-only commands."""
    entries = [(k.title, f"{k.help[:1].upper()}{k.help[1:]} ({display(k)})", k.action)
               for k in KEYS if k.title]
    return [*entries, *PALETTE_ONLY]
