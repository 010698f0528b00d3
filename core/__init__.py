"""ffnn.core — a feedforward neural network from scratch in NumPy, and its trainer.

Pure NumPy: nothing here imports a UI library (a test checks it). Reading order for a
newcomer: activations, losses, network, optimizers, trainer (the library); fields, specs,
data, assemble (an experiment made real); serialisation, files, storage, exports (on disk).
"""

from . import datasets, gradcheck, metrics
from .assemble import Run, assemble, build_network, build_trainer
from .data import Dataset, build_data
from .exports import (
    export_dataset_csv,
    export_history_csv,
    export_weights_json,
    export_weights_npz,
)
from .fields import SpecError
from .files import ExperimentError
from .network import Network
from .specs import SETTINGS, DataSpec, Experiment, NetSpec, TrainConfig
from .storage import LoadedExperiment, load_experiment, save_experiment
from .trainer import History, Step, Trainer, TrainingDiverged

__all__ = [
    "SETTINGS", "DataSpec", "Dataset", "Experiment", "ExperimentError", "History",
    "LoadedExperiment", "NetSpec", "Network", "Run", "SpecError", "Step", "TrainConfig",
    "Trainer", "TrainingDiverged", "assemble", "build_data", "build_network", "build_trainer",
    "datasets", "export_dataset_csv", "export_history_csv", "export_weights_json",
    "export_weights_npz", "gradcheck", "load_experiment", "metrics", "save_experiment",
]
