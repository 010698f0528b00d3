"""ffnn.core — a feedforward neural network from scratch in NumPy, and its trainer.

Pure NumPy: nothing here imports a UI library (a test checks it).
"""

from . import datasets, gradcheck, metrics
from .network import Network
from .trainer import History, Step, TrainConfig, Trainer, TrainingDiverged

__all__ = [
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
