"""Toy datasets for the playground, plus the small data utilities training needs.

Classification sets (integer labels 0..classes-1, balanced):
    xor        four square clusters centred on the quadrant corners (±2.5, ±2.5);
               label = (x > 0) XOR (y > 0). Exactly 2 classes. With ``n_samples=4`` and
               ``noise=0`` it is the truth table X=[[0,0],[0,1],[1,0],[1,1]], y=[0,1,1,0].
    circles    ``classes`` concentric rings, radii 4·(j+1)/classes; ring j has label j.
    gaussians  ``classes`` round blobs (spread 0.6) whose centres sit on a circle of radius 3.
    spirals    ``classes`` interleaved arms winding out from the centre (CS231n-style).
    moons      interlocking half-moons (scikit-learn's ``make_moons`` for 2 classes); for more
               classes the chain continues, each moon flipped relative to its neighbour.

Regression sets (float targets, inputs uniform on [-5, 5]²):
    plane      y = (x1 + x2) / 10                                   (targets in [-1, 1])
    gauss      y = bump at (2, 2) minus bump at (-2, -2), bumps exp(-d²/4.5)   (in [-1, 1])

Every 2-D dataset's points lie in the box ``RANGE × RANGE`` = [-6, 6]². The clean patterns fit
within radius ~4.5; jitter that would push a point outside is clipped to the box edge, so the
UI can draw a fixed plane whatever the noise.

``noise`` (>= 0) means, for classification, the standard deviation of Gaussian jitter added to
both coordinates in units of the pattern radius (4), so noise=0.1 gives σ=0.4 and noise=0 gives
the clean pattern; labels always come from the clean pattern, so large noise makes classes
overlap. For regression it is the standard deviation of Gaussian noise added to the target.

Everything is driven by ``np.random.default_rng(seed)``: the same arguments give identical
arrays.
"""

from __future__ import annotations

import numbers

import numpy as np

NAMES = ("xor", "circles", "gaussians", "spirals", "moons", "plane", "gauss")
REGRESSION = frozenset({"plane", "gauss"})
RANGE = (-6.0, 6.0)

# Classification datasets whose number of classes is fixed by the pattern itself.
FIXED_CLASSES = {"xor": 2}

_PATTERN_RADIUS = 4.0  # size of the clean patterns; also the unit of classification noise


# --------------------------------------------------------------------------- validation


def _require_int(arg: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{arg} must be an integer (got {value!r})")
    if value < minimum:
        raise ValueError(f"{arg} must be >= {minimum} (got {value})")
    return int(value)


def _require_noise(noise) -> float:
    if isinstance(noise, bool) or not isinstance(noise, numbers.Real):
        raise ValueError(f"noise must be a number (got {noise!r})")
    if not np.isfinite(noise) or noise < 0:
        raise ValueError(f"noise must be a finite number >= 0 (got {noise})")
    return float(noise)


def _check_make_args(name, n_samples, noise, seed, classes) -> tuple[int, float, int, int]:
    if name not in NAMES:
        raise ValueError(f"name must be one of {', '.join(NAMES)} (got {name!r})")
    noise = _require_noise(noise)
    seed = _require_int("seed", seed, 0)
    if name in REGRESSION:  # classes means nothing for a regression target
        return _require_int("n_samples", n_samples, 1), noise, seed, 1
    classes = _require_int("classes", classes, 2)
    fixed = FIXED_CLASSES.get(name)
    if fixed is not None and classes != fixed:
        raise ValueError(f"classes must be {fixed} for {name} (got {classes})")
    n_samples = _require_int("n_samples", n_samples, 1)
    if n_samples < classes:
        raise ValueError(f"n_samples must be >= classes ({classes}) (got {n_samples})")
    return n_samples, noise, seed, classes


# --------------------------------------------------------------------------- clean patterns
# Each takes the (balanced) label vector and returns the noise-free points for those labels.


def _xor(y: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    n = len(y)
    sign_x = rng.choice([-1.0, 1.0], size=n)
    sign_y = np.where(y == 0, sign_x, -sign_x)  # same signs -> 0, different signs -> 1
    magnitude = rng.uniform(0.5, 4.5, size=(n, 2))  # squares kept 0.5 away from the axes
    return magnitude * np.column_stack([sign_x, sign_y])


def _circles(y: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    radius = _PATTERN_RADIUS * (y + 1) / k
    angle = rng.uniform(0.0, 2 * np.pi, size=len(y))
    return np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])


def _gaussians(y: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    angle = np.pi / 4 + 2 * np.pi * y / k  # pi/4 puts two blobs on the diagonal, as Playground
    centres = 3.0 * np.column_stack([np.cos(angle), np.sin(angle)])
    return centres + rng.normal(scale=0.6, size=centres.shape)


def _spirals(y: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    # Fewer turns for more arms keeps the gap between neighbouring arms roughly constant.
    turns = 0.25 + 1.5 / k
    radius = rng.uniform(0.25, _PATTERN_RADIUS, size=len(y))
    angle = 2 * np.pi * (y / k + turns * radius / _PATTERN_RADIUS)
    return np.column_stack([radius * np.sin(angle), radius * np.cos(angle)])


def _moons(y: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    # Moon j (unit radius) is centred at (j, 0.5·(j odd)) and flipped when j is odd: for k=2
    # this is exactly scikit-learn's make_moons. The chain spans x in [-1, k]; scale it to
    # 8 units wide and centre it on the origin.
    t = rng.uniform(0.0, np.pi, size=len(y))
    flip = np.where(y % 2 == 1, -1.0, 1.0)
    points = np.column_stack([y + flip * np.cos(t), 0.5 * (y % 2) + flip * np.sin(t)])
    scale = 8.0 / (k + 1)
    centre = np.array([(k - 1) / 2, 0.25])  # y spans [-0.5, 1] once there are two moons
    return scale * (points - centre)


_PATTERNS = {
    "xor": _xor,
    "circles": _circles,
    "gaussians": _gaussians,
    "spirals": _spirals,
    "moons": _moons,
}


# --------------------------------------------------------------------------- regression


def _plane(X: np.ndarray) -> np.ndarray:
    return (X[:, 0] + X[:, 1]) / 10.0


def _gauss(X: np.ndarray) -> np.ndarray:
    def bump(cx: float, cy: float) -> np.ndarray:
        return np.exp(-((X[:, 0] - cx) ** 2 + (X[:, 1] - cy) ** 2) / 4.5)

    return bump(2.0, 2.0) - bump(-2.0, -2.0)


_TARGETS = {"plane": _plane, "gauss": _gauss}


# --------------------------------------------------------------------------- public API


def make(
    name: str, n_samples: int = 400, noise: float = 0.1, seed: int = 0, classes: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """Generate dataset ``name``: X float64 (n_samples, 2) and y.

    y is int64 labels for classification and float64 targets for regression (where
    ``classes`` is ignored). Samples come in random order; classes are balanced (sizes
    differ by at most one). Raises ValueError naming the offending argument.
    """
    n_samples, noise, seed, classes = _check_make_args(name, n_samples, noise, seed, classes)
    rng = np.random.default_rng(seed)

    if name in REGRESSION:
        X = rng.uniform(-5.0, 5.0, size=(n_samples, 2))
        y = _TARGETS[name](X)
        if noise:
            y = y + rng.normal(scale=noise, size=n_samples)
        return X, y

    if name == "xor" and n_samples == 4 and noise == 0:
        return (
            np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]),
            np.array([0, 1, 1, 0], dtype=np.int64),
        )

    y = np.arange(n_samples, dtype=np.int64) % classes  # balanced labels
    X = _PATTERNS[name](y, classes, rng)
    if noise:
        X = X + rng.normal(scale=noise * _PATTERN_RADIUS, size=X.shape)
    np.clip(X, *RANGE, out=X)
    order = rng.permutation(n_samples)
    return np.ascontiguousarray(X[order], dtype=np.float64), y[order]


def _is_labels(y: np.ndarray) -> bool:
    return y.ndim == 1 and (np.issubdtype(y.dtype, np.integer) or y.dtype == np.bool_)


def _stratified_test_indices(y: np.ndarray, n_test: int, rng: np.random.Generator) -> np.ndarray:
    """Pick n_test indices so each class keeps (to within one sample) its share."""
    _, inverse, counts = np.unique(y, return_inverse=True, return_counts=True)
    exact = counts * (n_test / len(y))
    per_class = np.floor(exact).astype(int)
    # Largest-remainder rounding: the classes that lost most to floor() get the leftovers.
    leftover = n_test - per_class.sum()
    per_class[np.argsort(-(exact - per_class), kind="stable")[:leftover]] += 1
    picks = [
        rng.permutation(np.flatnonzero(inverse == c))[:take] for c, take in enumerate(per_class)
    ]
    return np.concatenate(picks) if picks else np.empty(0, dtype=np.intp)


def split(
    X, y, test_ratio: float = 0.2, seed: int = 0, stratify: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split into (X_train, y_train, X_test, y_test), each part in random order.

    The test set gets round(n · test_ratio) samples (at most n - 1, so training is never
    empty). With ``stratify`` and integer labels every class keeps its proportion to within
    one sample; float targets are split at random. ``test_ratio=0`` gives empty test arrays
    with the right trailing shapes. Same seed, same split.
    """
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"X and y must have the same length (got {len(X)} and {len(y)})")
    if (
        isinstance(test_ratio, bool)
        or not isinstance(test_ratio, numbers.Real)
        or not (0.0 <= test_ratio < 1.0)
    ):
        raise ValueError(f"test_ratio must be a number in [0, 1) (got {test_ratio!r})")
    seed = _require_int("seed", seed, 0)
    rng = np.random.default_rng(seed)
    n = len(y)
    n_test = min(int(np.floor(n * test_ratio + 0.5)), max(n - 1, 0))
    if stratify and _is_labels(y):
        test_idx = _stratified_test_indices(y, n_test, rng)
    else:
        test_idx = rng.choice(n, size=n_test, replace=False)
    in_test = np.zeros(n, dtype=bool)
    in_test[test_idx] = True
    train_idx = rng.permutation(np.flatnonzero(~in_test))
    test_idx = rng.permutation(np.flatnonzero(in_test))
    return X[train_idx], y[train_idx], X[test_idx], y[test_idx]


def standardize(
    X_train, X_test=None
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, np.ndarray]:
    """Scale columns to zero mean, unit variance using the *training* statistics only.

    Returns (X_train_s, X_test_s, mean, std); X_test_s is None when X_test is None. A constant
    column has std 0 and is treated as std 1 (only centred), so nothing divides by zero.
    """
    X_train = np.asarray(X_train, dtype=np.float64)
    if X_train.ndim != 2 or len(X_train) == 0:
        raise ValueError(f"X_train must be a non-empty 2-D array (got shape {X_train.shape})")
    mean = X_train.mean(axis=0)
    std = X_train.std(axis=0)
    std[~(std > 0)] = 1.0
    X_test_s = None if X_test is None else (np.asarray(X_test, dtype=np.float64) - mean) / std
    return (X_train - mean) / std, X_test_s, mean, std
