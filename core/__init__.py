"""ffnn.core — a feedforward neural network from scratch in NumPy, and its trainer.

Pure NumPy: nothing here imports a UI library (a test checks it).
"""

from . import datasets, experiment, gradcheck, metrics, storage
from .experiment import (
    Dataset,
    DataSpec,
    Experiment,
    ExperimentError,
    NetSpec,
    SpecError,
    build_data,
    build_network,
    build_trainer,
)
from .network import Network
from .storage import (
    LoadedExperiment,
    export_dataset_csv,
    export_history_csv,
    export_weights_json,
    export_weights_npz,
    load_experiment,
    save_experiment,
)
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
    "export_dataset_csv",
    "export_history_csv",
    "export_weights_json",
    "export_weights_npz",
    "load_experiment",
    "save_experiment",
    "storage",
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
