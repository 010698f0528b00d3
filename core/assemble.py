"""``assemble()``: the one way an experiment becomes a run — data, network, trainer, and a
saved run's state when there is one.

Every entry point goes through it: the app at start, every rebuild in the app, ``ffnn-tui
train``, the SVG screenshot, and opening a saved experiment.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ffnn.core.data import Dataset, build_data
from ffnn.core.network import Network
from ffnn.core.specs import Experiment, NetSpec, output_activation, output_units
from ffnn.core.storage import ExperimentError, LoadedExperiment, load_weights
from ffnn.core.trainer import Trainer


@dataclass
class Run:
    """An experiment made real. ``experiment`` is the one the run was built from, with its
    output and loss fitted to the data when ``assemble(fit=True)``."""

    experiment: Experiment
    dataset: Dataset
    network: Network
    trainer: Trainer
    resumed: bool = False   # the network (and trainer state) came from a saved run
    note: str = ""          # why a saved run's weights were not used, when they were not
    path: Path | None = None  # the experiment file it was opened from


def network_shape(spec: NetSpec, dataset: Dataset) -> tuple[list[int], list[str]]:
    """(layer_sizes, activations) of the network ``spec`` describes for ``dataset``."""
    activation = output_activation(spec.output, dataset.task)
    n_out = output_units(activation, dataset.task, dataset.n_classes)
    return [dataset.n_features, *spec.hidden, n_out], [*spec.activations, activation]


def build_network(spec: NetSpec, dataset: Dataset) -> Network:
    """A fresh Network for ``dataset`` with the output activation resolved."""
    spec.validate()
    sizes, activations = network_shape(spec, dataset)
    return Network(sizes, activations, init=spec.init, seed=spec.seed, dtype=np.dtype(spec.dtype))


def check_network_fits(network: Network, dataset: Dataset) -> None:
    """ValueError unless the network's input/output widths fit the dataset."""
    if network.n_inputs != dataset.n_features:
        raise ValueError(f"the network takes {network.n_inputs} inputs but the data has "
                         f"{dataset.n_features} features")
    activation = network.activations[-1]
    if dataset.task == "regression" and activation != "identity":
        raise ValueError("the network's output is a classifier but the data is a regression")
    if dataset.task == "classification":
        if activation == "identity":
            raise ValueError("the network's output is a regression but the data has classes")
        expected = output_units(activation, dataset.task, dataset.n_classes)
        if network.n_outputs != expected:
            raise ValueError(f"the network has {network.n_outputs} outputs but the data's "
                             f"{dataset.n_classes} classes need {expected}")


def build_trainer(experiment: Experiment, dataset: Dataset,
                  network: Network | None = None) -> Trainer:
    """A Trainer for the experiment on ``dataset`` (everything validated first; the loss
    "auto" resolved for the network's output)."""
    experiment.validate(dataset.task)
    if network is None:
        network = build_network(experiment.net, dataset)
    check_network_fits(network, dataset)
    _, loss = experiment.output(dataset.task)
    return Trainer(network, dataset.X_train, dataset.y_train, replace(experiment.train, loss=loss),
                   X_test=dataset.X_test if dataset.has_test else None,
                   y_test=dataset.y_test if dataset.has_test else None)


def restore_trainer(trainer: Trainer, loaded: LoadedExperiment) -> None:
    """Put a saved run's trainer state and history into ``trainer`` (built on
    ``loaded.network``), so training continues exactly where the saved run stopped."""
    if loaded.trainer_state is not None:
        try:
            trainer.load_state_dict(loaded.trainer_state)
        except (ValueError, KeyError, TypeError) as error:
            where = loaded.arrays_path or "saved state"
            raise ExperimentError(
                f"{where}: the saved trainer state does not fit this trainer ({error})"
            ) from None
    if loaded.history is not None:
        try:
            trainer.history.load(loaded.history)
        except ValueError as error:
            raise ExperimentError(f"the saved history does not fit ({error})") from None


def _same_shape(a: Experiment, b: Experiment) -> bool:
    """Would both experiments build the same network on the same data?"""
    return a.data == b.data and replace(a.net, seed=0) == replace(b.net, seed=0)


def _usable(loaded: LoadedExperiment | None, experiment: Experiment):
    """(loaded or None, note): the parts of a saved run that still apply to ``experiment``
    (which flags or edits may have changed since it was saved)."""
    if loaded is None or loaded.network is None:
        return None, ""
    if not _same_shape(loaded.experiment, experiment):
        return None, "the network or data changed; starting from fresh weights"
    if loaded.experiment.train.optimizer != experiment.train.optimizer:
        return replace(loaded, trainer_state=None), ""
    return loaded, ""


def assemble(experiment: Experiment, loaded: LoadedExperiment | None = None,
             weights: str | Path | None = None, *, dataset: Dataset | None = None,
             fit: bool = True) -> Run:
    """Build the run ``experiment`` describes.

    loaded:  a saved run (``load_experiment``): its network, trainer state and history are
             resumed while they still fit ``experiment``
    weights: an .npz to take the initial weights from (shapes checked); no trainer state
    dataset: the data, when the caller has it already (a rebuild that keeps the data)
    fit:     fit an output or loss that cannot serve the data's task to "auto" (after a
             change of data); with False such a value is refused with a SpecError

    Raises SpecError / CsvError / ExperimentError (all ValueErrors, one line each).
    """
    experiment.data.validate()
    experiment.net.validate()
    experiment.train.validate()
    if dataset is None:
        dataset = build_data(experiment.data)
    if fit:
        experiment = experiment.fitted_to(dataset.task)
    experiment.validate(dataset.task)
    usable, note = _usable(loaded, experiment)
    network = usable.network if usable is not None else None
    if weights is not None:
        network = load_weights(weights, network or build_network(experiment.net, dataset))
        usable = None  # weights from elsewhere start a fresh trainer
    trainer = build_trainer(experiment, dataset, network)
    if usable is not None:
        restore_trainer(trainer, usable)
    return Run(experiment, dataset, trainer.network, trainer, resumed=usable is not None,
               note=note, path=loaded.path if loaded is not None else None)


__all__ = ["Run", "assemble", "build_network", "build_trainer", "check_network_fits",
           "network_shape", "restore_trainer", "build_data"]
