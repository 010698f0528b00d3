"""ffnn.core — a feedforward neural network from scratch in NumPy, and its trainer.

Pure NumPy: nothing here imports a UI library (a test checks it).
"""

from . import datasets, experiment, gradcheck, metrics
from .experiment import (
    Dataset,
    DataSpec,
    Experiment,
    ExperimentError,
    LoadedExperiment,
    NetSpec,
    SpecError,
    build_data,
    build_network,
    build_trainer,
    load_experiment,
    save_experiment,
)
from .network import Network
from .trainer import History, Step, TrainConfig, Trainer, TrainingDiverged

__all__ = [
    "DataSpec",
    "Dataset",
    "Experiment",
    "ExperimentError",
    "LoadedExperiment",
    "NetSpec",
    "SpecError",
    "build_data",
    "build_network",
    "build_trainer",
    "experiment",
    "load_experiment",
    "save_experiment",
    "History",
    "Network",
    "Step",
    "TrainConfig",
    "Trainer",
    "TrainingDiverged",
    "datasets",
    "gradcheck",
    "metrics",
]
