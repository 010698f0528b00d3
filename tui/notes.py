"""What the app says: short notes for the status line and notifications, worded from the
session's typed results. The session itself never words anything for the screen."""

from __future__ import annotations

from ffnn.core import SETTINGS
from ffnn.tui.edits import stepped_rate
from ffnn.tui.session import SPEEDS, Applied, Diverged, Finished, Session

START_HINT = "Tab: settings · space: train · ?: help"

def speed_text(session: Session) -> str:
    k = SPEEDS[session.speed_index]
    return "max speed" if k is None else f"{k}/frame"


def shape_text(network) -> str:
    """"2-8-8-3 tanh,tanh,softmax" — how the status line names a network."""
    return f"{'-'.join(str(k) for k in network.layer_sizes)} {','.join(network.activations)}"


def _value(value) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return ",".join(str(v) for v in value) or "none"
    return str(value)


def applied_note(applied: Applied, session: Session) -> str:
    """"learning rate 0.3 (live)", "rebuilt 2-8-8-8-3 (hidden layers changed)" …"""
    if applied.kind == "none":
        return ""
    keys = [key for key in applied.keys  # a layer change names the layers, not their parts
            if not (key == "net.activations" and "net.hidden" in applied.keys)]
    labels = [SETTINGS[key].label for key in keys]
    if applied.kind == "live":
        parts = [f"{SETTINGS[key].label} {_value(session.experiment.get(key))}"
                 for key in applied.keys]
        note = ", ".join(parts) + " (live)"
        if "train.optimizer" in applied.keys:
            note = note.replace("(live)", "(live; its state starts fresh)")
        batch, n = session.trainer.config.batch_size, len(session.dataset.X_train)
        if "train.batch_size" in applied.keys and batch > n:
            note += f" — full batch: {n} samples"
        return note
    what = ", ".join(dict.fromkeys(labels))
    if applied.data:
        dataset = session.dataset
        if session.experiment.data.name == "csv":
            kind = (f"{dataset.n_classes} classes" if dataset.task == "classification"
                    else "regression")
            return (f"{session.data_name()}: {dataset.n_samples} samples, "
                    f"{dataset.n_features} features, {dataset.target_name} ({kind}); rebuilt "
                    f"{shape_text(session.network)}")
        return f"new data ({what}), rebuilt {shape_text(session.network)}"
    return f"rebuilt {shape_text(session.network)} ({what} changed)"


def event_note(event: Finished | Diverged) -> tuple[str, str]:
    """(title, message) of a notification for a training event."""
    if isinstance(event, Finished):
        if event.early:
            return "Training", (f"Stopped early at epoch {event.epoch}: no improvement for "
                                f"{event.patience} epochs. Space trains on.")
        return "Training", f"Finished {event.epoch} epochs. Space trains on."
    lower = stepped_rate(event.learning_rate, -1)
    cause = str(event.error).split("; try a lower learning rate")[0]
    return "Diverged", (f"{cause[:1].upper()}{cause[1:]}. Paused with the last finite weights: "
                        f"lower the learning rate (now {event.learning_rate:g}; `<` makes it "
                        f"{lower:g}) and press r to reset.")
