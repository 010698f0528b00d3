"""What the editing keys change: each returns the experiment the key asks for (the session
applies it like any form edit), or None when there is nothing to change."""

from __future__ import annotations

from ffnn.core import Experiment

# Playground's quick learning-rate values: the `<` / `>` keys walk this ladder.
LEARNING_RATES = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
NEW_LAYER = (8, "tanh")  # what `+` adds when there is no hidden layer to copy


def stepped_rate(rate: float, direction: int) -> float:
    """The next value of the ladder above (direction > 0) or below ``rate``."""
    if direction > 0:
        return next((v for v in LEARNING_RATES if v > rate * (1 + 1e-9)), LEARNING_RATES[-1])
    return next((v for v in reversed(LEARNING_RATES) if v < rate * (1 - 1e-9)),
                LEARNING_RATES[0])


def with_stepped_rate(experiment: Experiment, direction: int) -> Experiment:
    rate = stepped_rate(experiment.train.learning_rate, direction)
    return experiment.with_values(**{"train.learning_rate": rate})


def with_layers(experiment: Experiment, change: int) -> Experiment | None:
    """A hidden layer added like the last (change > 0) or the last removed; None when there
    is none to remove (too many layers is the session's to refuse)."""
    hidden, activations = list(experiment.net.hidden), list(experiment.net.activations)
    if change > 0:
        hidden.append(hidden[-1] if hidden else NEW_LAYER[0])
        activations.append(activations[-1] if activations else NEW_LAYER[1])
    elif hidden:
        hidden.pop()
        activations.pop()
    else:
        return None
    return experiment.with_values(**{"net.hidden": hidden, "net.activations": activations})
