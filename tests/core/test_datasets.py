import numpy as np
import pytest

from ffnn.core import datasets

CLASSIFICATION = [name for name in datasets.NAMES if name not in datasets.REGRESSION]


def classes_for(name: str) -> list[int]:
    return [2] if name == "xor" else [2, 3, 5]


CASES = [(name, k) for name in CLASSIFICATION for k in classes_for(name)]


def test_constants_match_the_contract():
    assert datasets.NAMES == ("xor", "circles", "gaussians", "spirals", "moons", "plane", "gauss")
    assert datasets.REGRESSION == {"plane", "gauss"}
    assert datasets.RANGE == (-6.0, 6.0)


@pytest.mark.parametrize(("name", "classes"), CASES)
@pytest.mark.parametrize("noise", [0.0, 0.1, 3.0])
def test_classification_shapes_labels_and_range(name, classes, noise):
    X, y = datasets.make(name, n_samples=301, noise=noise, seed=3, classes=classes)
    assert X.shape == (301, 2) and X.dtype == np.float64
    assert y.shape == (301,) and np.issubdtype(y.dtype, np.integer)
    assert set(np.unique(y)) == set(range(classes))
    counts = np.bincount(y)
    assert counts.max() - counts.min() <= 1  # balanced
    lo, hi = datasets.RANGE
    assert X.min() >= lo and X.max() <= hi  # even noise=3.0 is clipped into the box


@pytest.mark.parametrize("name", sorted(datasets.REGRESSION))
def test_regression_shapes_and_range(name):
    X, y = datasets.make(name, n_samples=250, noise=0.0, seed=1, classes=7)  # classes ignored
    assert X.shape == (250, 2) and y.shape == (250,) and y.dtype == np.float64
    assert X.min() >= datasets.RANGE[0] and X.max() <= datasets.RANGE[1]
    assert np.all(np.abs(y) <= 1.0 + 1e-12)


def test_plane_is_a_linear_function_plus_noise():
    X, y = datasets.make("plane", n_samples=500, noise=0.0, seed=0)
    coef, *_ = np.linalg.lstsq(np.column_stack([X, np.ones(len(X))]), y, rcond=None)
    np.testing.assert_allclose(coef, [0.1, 0.1, 0.0], atol=1e-12)
    _, noisy = datasets.make("plane", n_samples=500, noise=0.2, seed=0)
    assert 0.15 < np.std(noisy - y) < 0.25  # same X for the same seed; noise is on the target


def test_gauss_has_a_positive_and_a_negative_bump():
    X, y = datasets.make("gauss", n_samples=2000, noise=0.0, seed=0)
    near_plus = np.linalg.norm(X - [2, 2], axis=1) < 0.5
    near_minus = np.linalg.norm(X - [-2, -2], axis=1) < 0.5
    assert y[near_plus].min() > 0.9 and y[near_minus].max() < -0.9


@pytest.mark.parametrize("name", datasets.NAMES)
def test_same_seed_same_arrays_different_seed_differs(name):
    a = datasets.make(name, n_samples=120, noise=0.2, seed=7)
    b = datasets.make(name, n_samples=120, noise=0.2, seed=7)
    c = datasets.make(name, n_samples=120, noise=0.2, seed=8)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def test_xor_truth_table():
    X, y = datasets.make("xor", n_samples=4, noise=0.0)
    np.testing.assert_array_equal(X, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(y, [0, 1, 1, 0])


def test_noisy_xor_labels_are_xor_of_signs_when_clean():
    X, y = datasets.make("xor", n_samples=400, noise=0.0, seed=2)
    np.testing.assert_array_equal(y, (X[:, 0] > 0) ^ (X[:, 1] > 0))
    assert np.all(np.abs(X) >= 0.5)  # clusters keep clear of the axes
    quadrants = {(bool(sx), bool(sy)) for sx, sy in X > 0}
    assert len(quadrants) == 4


def test_circles_ring_j_has_label_j():
    X, y = datasets.make("circles", n_samples=300, noise=0.0, classes=3)
    radius = np.linalg.norm(X, axis=1)
    for j in range(3):
        np.testing.assert_allclose(radius[y == j], 4.0 * (j + 1) / 3)


def test_gaussians_blobs_are_centred_on_a_circle():
    X, y = datasets.make("gaussians", n_samples=3000, noise=0.0, classes=4)
    centres = np.array([X[y == j].mean(axis=0) for j in range(4)])
    np.testing.assert_allclose(np.linalg.norm(centres, axis=1), 3.0, atol=0.1)


def test_spirals_arms_wind_around_the_centre():
    X, y = datasets.make("spirals", n_samples=600, noise=0.0, classes=3)
    for j in range(3):
        arm = X[y == j]
        angles = np.arctan2(arm[:, 0], arm[:, 1])
        assert np.ptp(angles) > np.pi  # each arm sweeps through a wide arc
    assert np.linalg.norm(X, axis=1).max() <= 4.0 + 1e-9


def test_two_moons_match_scikit_learn_geometry():
    X, y = datasets.make("moons", n_samples=400, noise=0.0)
    # undo our scaling/centering: sklearn's upper moon is the unit half-circle at (0, 0),
    # the lower one the flipped half-circle at (1, 0.5)
    raw = X / (8.0 / 3.0) + [0.5, 0.25]
    np.testing.assert_allclose(np.linalg.norm(raw[y == 0], axis=1), 1.0)
    np.testing.assert_allclose(np.linalg.norm(raw[y == 1] - [1.0, 0.5], axis=1), 1.0)
    assert np.all(raw[y == 0, 1] >= -1e-12) and np.all(raw[y == 1, 1] <= 0.5 + 1e-12)


def test_noise_makes_points_spread():
    X0, _ = datasets.make("circles", n_samples=400, noise=0.0, seed=0)
    X1, _ = datasets.make("circles", n_samples=400, noise=0.1, seed=0)
    spread0 = np.std(np.linalg.norm(X0, axis=1) - np.round(np.linalg.norm(X0, axis=1)))
    spread1 = np.std(np.linalg.norm(X1, axis=1) - np.round(np.linalg.norm(X1, axis=1)))
    assert spread1 > spread0 + 0.1


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [
        ({"name": "rings"}, "name"),
        ({"name": "spirals", "n_samples": 2, "classes": 3}, "n_samples"),
        ({"name": "spirals", "n_samples": 0}, "n_samples"),
        ({"name": "spirals", "n_samples": 10.0}, "n_samples"),
        ({"name": "spirals", "classes": 1}, "classes"),
        ({"name": "xor", "classes": 3}, "classes"),
        ({"name": "spirals", "noise": -0.1}, "noise"),
        ({"name": "spirals", "noise": float("nan")}, "noise"),
        ({"name": "spirals", "seed": -1}, "seed"),
        ({"name": "plane", "n_samples": 0}, "n_samples"),
    ],
)
def test_bad_arguments_raise_one_line_value_errors_naming_them(kwargs, word):
    with pytest.raises(ValueError) as info:
        datasets.make(**kwargs)
    message = str(info.value)
    assert message.startswith(word) and "\n" not in message


def test_unknown_name_lists_the_names():
    with pytest.raises(ValueError, match="xor, circles, gaussians, spirals, moons, plane, gauss"):
        datasets.make("rings")


# --------------------------------------------------------------------------- split


def test_split_is_stratified_seeded_and_a_partition():
    X, y = datasets.make("gaussians", n_samples=300, noise=0.1, classes=3)
    y = np.where(np.arange(300) < 60, 0, y)  # unbalanced: make class 0 bigger
    Xtr, ytr, Xte, yte = datasets.split(X, y, test_ratio=0.25, seed=4)
    assert len(Xte) == 75 and len(Xtr) == 225
    # every class keeps its share of the data to within one sample
    expected = np.bincount(y) * 0.25
    assert np.all(np.abs(np.bincount(yte, minlength=3) - expected) < 1)
    # a partition: nothing lost, nothing duplicated, X and y still paired
    rows = {tuple(r) for r in np.column_stack([X, y])}
    parts = [tuple(r) for r in np.column_stack([np.vstack([Xtr, Xte]), np.r_[ytr, yte]])]
    assert len(parts) == 300 and set(parts) == rows
    again = datasets.split(X, y, test_ratio=0.25, seed=4)
    for a, b in zip(again, (Xtr, ytr, Xte, yte), strict=True):
        np.testing.assert_array_equal(a, b)
    other = datasets.split(X, y, test_ratio=0.25, seed=5)
    assert not np.array_equal(other[2], Xte)


def test_split_regression_targets_and_zero_ratio():
    X, y = datasets.make("plane", n_samples=50)
    Xtr, ytr, Xte, yte = datasets.split(X, y, test_ratio=0.2, seed=0)
    assert Xtr.shape == (40, 2) and Xte.shape == (10, 2) and yte.dtype == np.float64
    Xtr, ytr, Xte, yte = datasets.split(X, y, test_ratio=0.0)
    assert Xte.shape == (0, 2) and yte.shape == (0,) and Xtr.shape == (50, 2)
    assert sorted(ytr) == sorted(y)


def test_split_rejects_bad_ratio_and_mismatched_lengths():
    X, y = datasets.make("xor", n_samples=20)
    for ratio in (1.0, -0.1, 1.5):
        with pytest.raises(ValueError, match="test_ratio"):
            datasets.split(X, y, test_ratio=ratio)
    with pytest.raises(ValueError, match="same length"):
        datasets.split(X, y[:-1])


# --------------------------------------------------------------------------- standardize


def test_standardize_uses_training_statistics_and_survives_constant_columns():
    X_train = np.array([[1.0, 5.0], [3.0, 5.0], [5.0, 5.0]])
    X_test = np.array([[3.0, 7.0]])
    Xtr, Xte, mean, std = datasets.standardize(X_train, X_test)
    np.testing.assert_allclose(mean, [3.0, 5.0])
    np.testing.assert_allclose(std, [np.sqrt(8 / 3), 1.0])  # constant column -> std 1
    np.testing.assert_allclose(Xtr.mean(axis=0), 0.0, atol=1e-15)
    np.testing.assert_allclose(Xtr[:, 0].std(), 1.0)
    np.testing.assert_allclose(Xte, [[0.0, 2.0]])
    assert datasets.standardize(X_train)[1] is None
    assert X_train[0, 0] == 1.0  # input untouched
