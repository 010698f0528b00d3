import csv
import json
import os
import pickle
import re
import tomllib
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import tomli_w

from ffnn.core import (
    DataSpec,
    Experiment,
    ExperimentError,
    NetSpec,
    TrainConfig,
    build_data,
    build_network,
    build_trainer,
)
from ffnn.core.assemble import restore_trainer
from ffnn.core.csvdata import load_csv
from ffnn.core.exports import (
    export_dataset_csv,
    export_history_csv,
    export_weights_json,
    export_weights_npz,
)
from ffnn.core.storage import load_experiment, load_weights, read_weights, save_experiment

ASSETS = Path(__file__).resolve().parents[2] / "assets"


def small_experiment(**train) -> Experiment:
    config = dict(optimizer="adam", learning_rate=0.01, batch_size=16, epochs=50, seed=3)
    config.update(train)
    return Experiment(
        DataSpec(name="spirals", n_samples=120, classes=3, seed=1),
        NetSpec(hidden=[6, 5], activations=["tanh", "relu"], seed=2),
        TrainConfig(**config),
    )


def csv_experiment() -> Experiment:
    return Experiment(
        DataSpec(name="csv", path=str(ASSETS / "flowers.csv"), target="species", test_ratio=0.2),
        NetSpec(hidden=[5], activations=["tanh"]),
        TrainConfig(optimizer="momentum", learning_rate=0.05, batch_size=10, epochs=20),
    )


def run(trainer, n_steps):
    """Losses of the next n_steps updates."""
    losses = []
    for step in trainer.steps():
        losses.append(step.loss)
        if len(losses) == n_steps:
            break
    return losses


# --- building ----------------------------------------------------------------------------


def test_build_data_builtin_is_split_stratified_and_unscaled():
    dataset = build_data(DataSpec(name="gaussians", n_samples=200, classes=4, test_ratio=0.25))
    assert dataset.X_train.shape == (150, 2) and dataset.X_test.shape == (50, 2)
    assert dataset.task == "classification" and dataset.n_classes == 4
    assert sorted(np.bincount(dataset.y_test).tolist()) == [12, 12, 13, 13]
    assert dataset.mean is None and dataset.std is None
    again = build_data(DataSpec(name="gaussians", n_samples=200, classes=4, test_ratio=0.25))
    assert np.array_equal(dataset.X_train, again.X_train)


def test_xor_ignores_the_class_count():
    dataset = build_data(DataSpec(name="xor", classes=5))
    assert dataset.n_classes == 2


def test_build_data_regression_and_no_test_set():
    dataset = build_data(DataSpec(name="plane", test_ratio=0.0))
    assert dataset.task == "regression" and dataset.n_classes == 1
    assert not dataset.has_test and dataset.X_test.shape == (0, 2)
    network = build_network(NetSpec(), dataset)
    assert network.layer_sizes == [2, 8, 8, 1] and network.activations[-1] == "identity"


def test_build_data_csv_standardises_with_training_statistics():
    dataset = build_data(csv_experiment().data)
    raw = load_csv(ASSETS / "flowers.csv", "species")
    assert dataset.class_names == ["setosa", "versicolor", "virginica"]
    assert dataset.feature_names == raw.feature_names
    np.testing.assert_allclose(dataset.X_train.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(dataset.X_train.std(axis=0), 1)
    # the test split is scaled with the *training* mean/std (kept), so it is not centred itself
    raw_test = dataset.raw(dataset.X_test)
    assert any(np.allclose(raw_test[0], row) for row in raw.X)
    np.testing.assert_allclose((raw_test - dataset.mean) / dataset.std, dataset.X_test)
    assert not np.allclose(dataset.X_test.mean(axis=0), 0, atol=1e-12)
    assert sorted(np.bincount(dataset.y_test).tolist()) == [10, 10, 10]


def test_build_network_resolves_output():
    dataset = build_data(DataSpec(name="moons", classes=2))
    assert build_network(NetSpec(hidden=[3], activations=["relu"]), dataset).layer_sizes == [
        2, 3, 2]
    sigmoid = build_network(NetSpec(hidden=[], activations=[], output="sigmoid"), dataset)
    assert sigmoid.layer_sizes == [2, 1] and sigmoid.activations == ["sigmoid"]
    assert build_network(NetSpec(dtype="float32"), dataset).weights[0].dtype == np.float32


# --- save / load -------------------------------------------------------------------------


@pytest.mark.parametrize("optimizer", ["adam", "momentum", "nesterov", "rmsprop", "sgd"])
def test_round_trip_continues_bit_for_bit(tmp_path, optimizer):
    experiment = small_experiment(optimizer=optimizer, l2=1e-3)
    dataset = build_data(experiment.data)
    trainer = build_trainer(experiment, dataset)
    run(trainer, 37)  # mid-epoch: the shuffle position matters too
    path = save_experiment(tmp_path / "run.toml", experiment, trainer, dataset)

    loaded = load_experiment(path)
    assert loaded.experiment == experiment
    for a, b in zip(loaded.network.params, trainer.network.params, strict=True):
        assert np.array_equal(a, b)
    saved_state, live_state = loaded.trainer_state, trainer.state_dict()
    assert saved_state.keys() == live_state.keys()
    for key, value in live_state.items():
        assert np.array_equal(saved_state[key], value), key
        assert type(saved_state[key]) is type(value), key

    resumed = build_trainer(loaded.experiment, build_data(loaded.experiment.data), loaded.network)
    restore_trainer(resumed, loaded)
    assert resumed.history.as_dict() == trainer.history.as_dict()
    expected = run(trainer, 10)
    assert run(resumed, 10) == expected  # exact float equality, step by step
    for a, b in zip(resumed.network.params, trainer.network.params, strict=True):
        assert np.array_equal(a, b)


def test_round_trip_float32_and_csv_metadata(tmp_path):
    experiment = csv_experiment()
    experiment.net.dtype = "float32"
    dataset = build_data(experiment.data)
    trainer = build_trainer(experiment, dataset)
    run(trainer, 25)
    save_experiment(tmp_path / "flowers.toml", experiment, trainer, dataset)
    loaded = load_experiment(tmp_path / "flowers.toml")
    assert loaded.network.dtype == np.float32
    assert np.array_equal(loaded.network.weights[0], trainer.network.weights[0])
    meta = loaded.dataset_meta
    assert meta["class_names"] == ["setosa", "versicolor", "virginica"]
    assert meta["feature_names"] == dataset.feature_names
    assert np.array_equal(meta["mean"], dataset.mean) and np.array_equal(meta["std"], dataset.std)
    resumed = build_trainer(experiment, build_data(experiment.data), loaded.network)
    restore_trainer(resumed, loaded)
    assert run(resumed, 10) == run(trainer, 10)


def test_files_written_and_config_only_save(tmp_path):
    experiment = small_experiment()
    save_experiment(tmp_path / "cfg.toml", experiment)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cfg.toml"]
    loaded = load_experiment(tmp_path / "cfg.toml")
    assert loaded.experiment == experiment
    assert loaded.network is None and loaded.trainer_state is None and loaded.history is None

    dataset = build_data(experiment.data)
    trainer = build_trainer(experiment, dataset)
    run(trainer, 20)
    save_experiment(tmp_path / "full.toml", experiment, trainer, dataset)
    model = tomllib.loads((tmp_path / "full.toml").read_text())["model"]
    assert re.fullmatch(r"full\.[0-9a-f]{8}\.npz", model["arrays"])
    assert model["history"] == model["arrays"].replace(".npz", ".history.csv")
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(["cfg.toml", "full.toml", model["arrays"], model["history"]])
    with np.load(tmp_path / model["arrays"], allow_pickle=False) as archive:
        assert {"W0", "b0", "W1", "b1", "W2", "b2"} <= set(archive.files)


def test_save_is_atomic_old_file_untouched_on_failure(tmp_path, monkeypatch):
    path = tmp_path / "run.toml"
    save_experiment(path, small_experiment())
    before = path.read_bytes()

    def failing_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(ExperimentError, match=r"run\.toml: cannot write \(No space left"):
        save_experiment(path, small_experiment(learning_rate=0.5))
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.toml"]  # no temp files left


def test_save_to_missing_directory_is_one_line(tmp_path):
    with pytest.raises(ExperimentError) as info:
        save_experiment(tmp_path / "no" / "such" / "run.toml", small_experiment())
    assert "\n" not in str(info.value)
    assert "cannot write (directory does not exist)" in str(info.value)


@pytest.fixture
def saved(tmp_path):
    experiment = small_experiment()
    dataset = build_data(experiment.data)
    trainer = build_trainer(experiment, dataset)
    run(trainer, 10)
    path = save_experiment(tmp_path / "run.toml", experiment, trainer, dataset)
    return path, trainer


def arrays_of(toml_path: Path) -> Path:
    """The .npz a saved experiment's TOML names."""
    return toml_path.with_name(tomllib.loads(toml_path.read_text())["model"]["arrays"])


def expect_error(path, match, **kwargs):
    with pytest.raises(ExperimentError) as info:
        load_experiment(path, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    assert match in message, message
    return message


def test_load_missing_file(tmp_path):
    message = expect_error(tmp_path / "nope.toml", "file not found")
    assert message.startswith(str(tmp_path / "nope.toml"))


def test_load_through_a_file_used_as_a_folder(tmp_path):
    (tmp_path / "afile").write_text("x")
    expect_error(tmp_path / "afile" / "run.toml", "file not found (a folder on its path is a file)")


def test_load_toml_syntax_error(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[net]\nhidden 8\n")
    message = expect_error(path, "TOML syntax error")
    assert "line" in message and message.startswith(str(path))


def test_load_unknown_key_and_wrong_type(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[net]\nhiden = [8]\n')
    expect_error(path, "unknown key 'hiden' in [net] (allowed: hidden, activations")
    path.write_text('[train]\nlearning_rate = "fast"\n')
    expect_error(path, "wrong type for 'learning_rate' in [train]: expected a number, got string")
    path.write_text('colour = 1\n')
    expect_error(path, "unknown key 'colour' at top level")
    path.write_text('[train]\nlearning_rate = 99.0\n')
    expect_error(path, "learning_rate in [train]: must be a number > 0 and ≤ 10")


def test_load_npz_shape_mismatch(saved):
    path, trainer = saved
    npz = arrays_of(path)
    with np.load(npz, allow_pickle=False) as archive:
        arrays = dict(archive)
    arrays["W1"] = np.zeros((6, 7))
    np.savez(npz, **arrays)
    expect_error(path, "array 'W1' has shape (6, 7), the network needs (6, 5)")


def test_load_npz_truncated_and_random_bytes(saved):
    path, _ = saved
    npz = arrays_of(path)
    content = npz.read_bytes()
    npz.write_bytes(content[: len(content) // 2])
    expect_error(path, "not a valid .npz file")
    npz.write_bytes(np.random.default_rng(0).bytes(2000))
    expect_error(path, "not a valid .npz file")
    npz.unlink()
    expect_error(path, f"{npz.name}: file not found")


def test_load_refuses_pickled_object_arrays(saved):
    path, _ = saved
    npz = arrays_of(path)
    with np.load(npz, allow_pickle=False) as archive:
        arrays = dict(archive)
    arrays["W0"] = np.array([{"evil": 1}, None], dtype=object)
    np.savez(npz, **arrays)  # np.savez pickles object arrays
    expect_error(path, "array 'W0' holds pickled objects; refused")
    npz.write_bytes(pickle.dumps({"W0": [1.0]}))
    expect_error(path, f"{npz.name}: holds pickled data; refused")
    np.save(npz.with_suffix(".npy"), np.zeros(3))
    npz.with_suffix(".npy").replace(npz)
    expect_error(path, "holds a single .npy array, not an .npz archive")


def test_load_does_not_change_anything(saved):
    path, trainer = saved
    files = {p: p.read_bytes() for p in path.parent.iterdir()}
    first = load_experiment(path)
    first.network.weights[0][...] = 0  # the caller's copy, not shared with a second load
    second = load_experiment(path)
    assert not np.array_equal(second.network.weights[0], first.network.weights[0])
    assert {p: p.read_bytes() for p in path.parent.iterdir()} == files


def test_load_with_weights_from_another_file(saved, tmp_path):
    path, trainer = saved
    other = trainer.network.copy()
    other.weights[0][...] = 0.25
    export_weights_npz(tmp_path / "other.npz", other)
    loaded = load_experiment(path, weights=tmp_path / "other.npz")
    assert np.all(loaded.network.weights[0] == 0.25)
    assert loaded.trainer_state is None and loaded.history is None
    wrong = build_network(NetSpec(hidden=[3], activations=["tanh"]), build_data(DataSpec()))
    export_weights_npz(tmp_path / "wrong.npz", wrong)
    expect_error(path, "has 2 weight layers, the network has 3", weights=tmp_path / "wrong.npz")


def test_load_refuses_a_network_other_than_net_describes(saved, tmp_path):
    path, _ = saved
    document = tomllib.loads(path.read_text())
    document["model"]["layer_sizes"] = [2, 6, 4, 3]
    path.write_text(tomli_w.dumps(document))
    expect_error(path, "[model] layer sizes [2, 6, 4, 3] disagree with [net] hidden [6, 5]")
    # No [model] (an experiment saved before training): the weights file itself is checked.
    bare = save_experiment(tmp_path / "bare.toml", small_experiment())
    other = build_network(NetSpec(hidden=[6, 4], activations=["tanh", "relu"]),
                          build_data(small_experiment().data))
    export_weights_npz(tmp_path / "other.npz", other)
    expect_error(bare, "layer sizes [2, 6, 4, 3] disagree with [net] hidden [6, 5]",
                 weights=tmp_path / "other.npz")


def test_load_weights_checks_shapes_and_copies(tmp_path):
    dataset = build_data(DataSpec())
    network = build_network(NetSpec(), dataset)
    export_weights_npz(tmp_path / "w.npz", network)
    target = build_network(replace(NetSpec(), seed=9), dataset)
    before = [p.copy() for p in target.params]
    result = load_weights(tmp_path / "w.npz", target)
    assert all(np.array_equal(a, b) for a, b in zip(result.params, network.params, strict=True))
    assert all(np.array_equal(a, b) for a, b in zip(target.params, before, strict=True))
    narrow = build_network(NetSpec(hidden=[8, 4], activations=["tanh", "tanh"]), dataset)
    with pytest.raises(ExperimentError, match=r"array 'W1' has shape \(8, 8\), the network needs "
                                              r"\(8, 4\)"):
        load_weights(tmp_path / "w.npz", narrow)


# --- exports -----------------------------------------------------------------------------


def test_export_weights_json_and_npz(tmp_path):
    network = build_network(NetSpec(hidden=[3], activations=["relu"]), build_data(DataSpec()))
    export_weights_json(tmp_path / "w.json", network)
    document = json.loads((tmp_path / "w.json").read_text())
    assert document["layer_sizes"] == [2, 3, 3]
    assert document["activations"] == ["relu", "softmax"]
    assert document["layers"][1]["shape"] == [3, 3]
    assert np.array_equal(np.array(document["layers"][0]["weights"]), network.weights[0])
    assert np.array_equal(np.array(document["layers"][1]["biases"]), network.biases[1])
    export_weights_npz(tmp_path / "w.npz", network)
    weights, biases, activations = read_weights(tmp_path / "w.npz")
    assert activations == ["relu", "softmax"]
    assert np.array_equal(weights[1], network.weights[1])


def test_export_dataset_csv_round_trips_through_load_csv(tmp_path):
    dataset = build_data(csv_experiment().data)
    export_dataset_csv(tmp_path / "data.csv", dataset)
    with (tmp_path / "data.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 150
    assert sum(row["split"] == "test" for row in rows) == 30
    assert {row["species"] for row in rows} == {"setosa", "versicolor", "virginica"}
    raw = load_csv(ASSETS / "flowers.csv", "species")
    first = [float(rows[0][name]) for name in raw.feature_names]
    assert any(np.allclose(first, row) for row in raw.X)  # written in the file's own units


def test_export_history_csv(tmp_path):
    experiment = small_experiment(epochs=3)
    dataset = build_data(experiment.data)
    trainer = build_trainer(experiment, dataset)
    for _ in trainer.steps():
        pass
    export_history_csv(tmp_path / "h.csv", trainer.history)
    with (tmp_path / "h.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3]
    assert float(rows[-1]["train_loss"]) == trainer.history.train_loss[-1]
    assert "test_accuracy" in rows[0]


# --- example files and paths -------------------------------------------------------------


@pytest.mark.parametrize("path", sorted((ASSETS / "examples").glob("*.toml")), ids=str)
def test_example_experiments_load_and_build(path):
    loaded = load_experiment(path)
    loaded.experiment.validate()
    dataset = build_data(loaded.experiment.data)
    trainer = build_trainer(loaded.experiment, dataset)
    assert len(run(trainer, 3)) == 3


def test_csv_path_is_stored_relative_to_the_toml(tmp_path):
    data_dir, runs = tmp_path / "data", tmp_path / "runs"
    data_dir.mkdir()
    runs.mkdir()
    (data_dir / "f.csv").write_bytes((ASSETS / "flowers.csv").read_bytes())
    experiment = csv_experiment()
    experiment.data.path = str(data_dir / "f.csv")
    save_experiment(runs / "run.toml", experiment)
    assert tomllib.loads((runs / "run.toml").read_text())["data"]["path"] == "../data/f.csv"
    loaded = load_experiment(runs / "run.toml")
    assert Path(loaded.experiment.data.path).resolve() == (data_dir / "f.csv").resolve()
    assert build_data(loaded.experiment.data).n_classes == 3


def test_restore_into_a_mismatched_trainer_names_the_file(saved):
    path, _ = saved
    loaded = load_experiment(path)
    experiment = loaded.experiment.copy()
    experiment.train.optimizer = "sgd"  # the saved state is Adam's
    trainer = build_trainer(experiment, build_data(experiment.data), loaded.network)
    with pytest.raises(ExperimentError,
                       match=r"run\.[0-9a-f]+\.npz: the saved trainer state does not fit"):
        restore_trainer(trainer, loaded)
