"""The typed values the views are given: what the status bar shows, the plane the decision
boundary draws, and the small protocols a view needs of a network or a history.

Pure (no Textual): the main screen builds these from the session and hands them down.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from ffnn.core import datasets


class NetworkView(Protocol):
    """What a view may use of a network."""

    layer_sizes: list[int]
    activations: list[str]
    weights: list[np.ndarray]
    biases: list[np.ndarray]
    is_classifier: bool
    n_inputs: int
    n_outputs: int

    def forward(self, X: np.ndarray) -> np.ndarray: ...


class HistoryView(Protocol):
    """What the loss plot reads of a history: per-epoch columns and their length."""

    metric_name: str
    epoch: np.ndarray
    train_loss: np.ndarray
    test_loss: np.ndarray
    train_metric: np.ndarray
    test_metric: np.ndarray

    def __len__(self) -> int: ...


@dataclass(frozen=True)
class StatusData:
    running: bool
    epoch: int
    step: int
    steps_per_second: float
    train_loss: float
    test_loss: float
    train_metric: float
    test_metric: float
    metric_name: str          # "accuracy" | "r2"
    note: str = ""


@dataclass(frozen=True, eq=False)
class PlaneData:
    """The input plane of the boundary and the points drawn on it.

    ``features`` are the two input columns shown (x, y); the network's other inputs are held
    at ``fixed``. ``units`` is (mean, std) of the two shown features when the points are
    standardised, so the axis labels read in the data's own units (x · std + mean).
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray | None
    y_test: np.ndarray | None
    task: str
    n_classes: int
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    features: tuple[int, int] = (0, 1)
    fixed: np.ndarray | None = None
    feature_names: tuple[str, ...] = ("x1", "x2")
    units: tuple[tuple[float, float], tuple[float, float]] | None = None

    @property
    def title(self) -> str:
        if len(self.feature_names) <= 2:
            return "Decision boundary"
        x, y = self.features
        return f"Boundary · {self.feature_names[x]} × {self.feature_names[y]}"


def feature_pairs(n_features: int) -> list[tuple[int, int]]:
    """Every pair of features the boundary can show, in order: (0, 1), (0, 2), … (1, 2), …"""
    if n_features < 2:
        return [(0, 0)]
    return list(itertools.combinations(range(n_features), 2))


def _padded(low: float, high: float) -> tuple[float, float]:
    span = float(high - low) or 1.0
    return float(low) - 0.05 * span, float(high) + 0.05 * span


def plane_of(dataset, pair: int = 0) -> PlaneData:
    """The plane of pair number ``pair`` of the dataset's features; any others are held at
    their training mean."""
    pairs = feature_pairs(dataset.n_features)
    features = pairs[pair % len(pairs)]
    if dataset.name == "csv":  # standardised features: frame the points themselves
        X = np.concatenate([dataset.X_train, dataset.X_test])
        x_range, y_range = (_padded(X[:, j].min(), X[:, j].max()) for j in features)
    else:
        x_range = y_range = datasets.RANGE
    units = None
    if dataset.mean is not None:
        units = tuple((float(dataset.mean[j]), float(dataset.std[j])) for j in features)
    return PlaneData(
        dataset.X_train, dataset.y_train, dataset.X_test if dataset.has_test else None,
        dataset.y_test if dataset.has_test else None, dataset.task, dataset.n_classes,
        x_range, y_range, features=features,
        fixed=dataset.X_train.mean(axis=0) if dataset.n_features > 2 else None,
        feature_names=tuple(dataset.feature_names), units=units)
