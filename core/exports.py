"""One-file exports: weights (.npz, JSON), the data (CSV), the history (CSV), any text
(the app's SVG screenshots). Each is written atomically."""

from __future__ import annotations

import csv
import io
import json

import numpy as np

from ffnn.core.data import Dataset
from ffnn.core.files import write_bytes
from ffnn.core.network import Network
from ffnn.core.serialisation import history_csv_bytes
from ffnn.core.storage import npz_bytes, weights_arrays


def write_text(path, text: str) -> None:
    """Write a text file atomically (the app's SVG screenshots); ExperimentError on failure."""
    write_bytes(path, text.encode("utf-8"))


def export_weights_json(path, network: Network) -> None:
    """Shapes, activations and values of every layer as JSON."""
    document = {
        "layer_sizes": [int(n) for n in network.layer_sizes],
        "activations": list(network.activations),
        "layers": [
            {
                "index": i,
                "activation": network.activations[i],
                "shape": list(W.shape),
                "weights": np.asarray(W, dtype=np.float64).tolist(),
                "biases": np.asarray(b, dtype=np.float64).tolist(),
            }
            for i, (W, b) in enumerate(zip(network.weights, network.biases, strict=True))
        ],
    }
    write_bytes(path, (json.dumps(document, indent=1) + "\n").encode())


def export_weights_npz(path, network: Network) -> None:
    """Weights only: W0, b0, ... plus layer_sizes and activations (loadable with --weights)."""
    write_bytes(path, npz_bytes(weights_arrays(network)))


def export_dataset_csv(path, dataset: Dataset) -> None:
    """Train and test samples in the data's own units, with a ``split`` column; class
    targets are written by name, so the file loads back with ``--target``."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    target = dataset.target_name
    while target in dataset.feature_names or target == "split":
        target += "_"
    writer.writerow([*dataset.feature_names, target, "split"])
    for split, X, y in (("train", dataset.X_train, dataset.y_train),
                        ("test", dataset.X_test, dataset.y_test)):
        for row, label in zip(dataset.raw(X), y, strict=True):
            value = dataset.class_names[int(label)] if dataset.class_names else repr(float(label))
            writer.writerow([*(repr(float(v)) for v in row), value, split])
    write_bytes(path, text.getvalue().encode())


def export_history_csv(path, history) -> None:
    """Per-epoch losses and metrics (History or dict of lists) as CSV."""
    write_bytes(path, history_csv_bytes(history))
