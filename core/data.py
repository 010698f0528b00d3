"""The data a run trains on: ``build_data(spec)`` generates or loads it and splits it.

Features of a CSV are standardised with the training split's mean and standard deviation
(kept on the ``Dataset``, and saved with an experiment); the built-in 2-D datasets are used
as generated, so their plane stays ``datasets.RANGE``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ffnn.core import datasets
from ffnn.core.csvdata import load_csv
from ffnn.core.specs import DataSpec


@dataclass
class Dataset:
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray              # (0, n_features) when test_ratio is 0
    y_test: np.ndarray
    task: str                       # "classification" | "regression"
    n_classes: int                  # 1 for regression
    feature_names: list[str]
    class_names: list[str]          # [] for regression
    mean: np.ndarray | None = None
    std: np.ndarray | None = None
    name: str = ""
    target_name: str = "label"

    @property
    def n_features(self) -> int:
        return self.X_train.shape[1]

    @property
    def has_test(self) -> bool:
        return len(self.X_test) > 0

    @property
    def n_samples(self) -> int:
        return len(self.X_train) + len(self.X_test)

    def raw(self, X: np.ndarray) -> np.ndarray:
        """Features in the file's own units (undoes the standardisation)."""
        return X if self.mean is None else X * self.std + self.mean


def build_data(spec: DataSpec) -> Dataset:
    """Generate or load the data and split it (stratified for classification, seeded).
    Raises SpecError for an invalid spec and CsvError (a ValueError) for a bad CSV file."""
    spec.validate()
    if spec.name == "csv":
        loaded = load_csv(spec.path, spec.target, spec.task)
        X, y, task = loaded.X, loaded.y, loaded.task
        class_names, feature_names, target_name = (loaded.class_names, loaded.feature_names,
                                                   loaded.target)
    else:
        # A dataset whose pattern fixes the class count (xor) ignores spec.classes, so a
        # front end can switch datasets without first fixing the class count.
        X, y = datasets.make(spec.name, n_samples=spec.n_samples, noise=spec.noise,
                             seed=spec.seed,
                             classes=datasets.FIXED_CLASSES.get(spec.name, spec.classes))
        task = "regression" if spec.name in datasets.REGRESSION else "classification"
        n = int(y.max()) + 1 if task == "classification" else 0
        class_names = [str(i) for i in range(n)]
        feature_names = ["x1", "x2"][: X.shape[1]]
        target_name = "target" if task == "regression" else "label"
    classification = task == "classification"
    X_train, y_train, X_test, y_test = datasets.split(
        X, y, test_ratio=float(spec.test_ratio), seed=spec.seed, stratify=classification)
    mean = std = None
    if spec.name == "csv":
        X_train, X_test, mean, std = datasets.standardize(X_train, X_test)
    return Dataset(
        X_train=X_train, y_train=y_train, X_test=X_test, y_test=y_test, task=task,
        n_classes=len(class_names) if classification else 1, feature_names=feature_names,
        class_names=class_names if classification else [], mean=mean, std=std,
        name=spec.name, target_name=target_name)
