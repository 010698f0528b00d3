"""Training speed of ``Trainer.steps()`` against a straight-line NumPy loop, scikit-learn's
MLPClassifier and (if installed) PyTorch CPU eager.

Run:  pip install -e ".[bench]" && python tests/benchmarks/bench_core.py [--repeats 5]

Every contender trains the same architecture (tanh hidden layers, softmax + cross-entropy,
plain SGD, no regularisation) on the same data for the same number of epochs with the same
batch size. Runs are interleaved (A B C A B C …) in one process and the median of the
repeats is reported as steps per second. Prints a markdown table for the README.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np

from ffnn.core import Network, TrainConfig, Trainer, datasets

LR = 0.05


def load_configs():
    xor_X, xor_y = datasets.make("xor", n_samples=400, noise=0.1, seed=0)
    sp_X, sp_y = datasets.make("spirals", n_samples=800, noise=0.1, seed=0, classes=4)
    wide_X, wide_y = datasets.make("spirals", n_samples=2048, noise=0.1, seed=0, classes=4)
    configs = [
        ("xor 2-4-2 full batch", xor_X, xor_y, [2, 4, 2], 400, 400),
        ("spirals 2-16-16-4 b32", sp_X, sp_y, [2, 16, 16, 4], 32, 20),
        ("wide 2-256-256-4 b256", wide_X, wide_y, [2, 256, 256, 4], 256, 3),
    ]
    try:
        from sklearn.datasets import load_digits

        digits = load_digits()
        dX = (digits.data - digits.data.mean(0)) / (digits.data.std(0) + 1e-9)
        configs.insert(2, ("digits 64-128-64-10 b64", dX, digits.target, [64, 128, 64, 10],
                           64, 5))
    except ImportError:
        print("scikit-learn not installed: digits and sklearn columns skipped")
    return configs


def steps_per_epoch(n, batch):
    return -(-n // batch)


# --- contenders: each returns seconds for `epochs` epochs -----------------------------


def run_trainer(X, y, sizes, batch, epochs, dtype=np.float64):
    net = Network(sizes, ["tanh"] * (len(sizes) - 2) + ["softmax"], seed=0, dtype=dtype)
    tr = Trainer(net, X, y, TrainConfig(learning_rate=LR, batch_size=batch, epochs=epochs))
    t = time.perf_counter()
    for _ in tr.steps():
        pass
    return time.perf_counter() - t


def run_straight_line(X, y, sizes, batch, epochs):
    """The obvious NumPy loop a careful person writes by hand: the practical floor."""
    rng = np.random.default_rng(0)
    pairs = zip(sizes, sizes[1:], strict=False)
    Ws = [rng.uniform(-1, 1, (a, b)) * np.sqrt(6 / (a + b)) for a, b in pairs]
    bs = [np.zeros(b) for b in sizes[1:]]
    n = len(X)
    Y = np.eye(sizes[-1])[y]
    t = time.perf_counter()
    for _ in range(epochs):
        order = rng.permutation(n)
        for start in range(0, n, batch):
            idx = order[start:start + batch]
            A = [X[idx]]
            for W, b in zip(Ws[:-1], bs[:-1], strict=True):
                A.append(np.tanh(A[-1] @ W + b))
            Z = A[-1] @ Ws[-1] + bs[-1]
            Z -= Z.max(axis=1, keepdims=True)
            E = np.exp(Z)
            P = E / E.sum(axis=1, keepdims=True)
            Yb = Y[idx]
            _loss = -np.mean(np.sum(Yb * np.log(P + 1e-12), axis=1))
            delta = (P - Yb) / len(idx)
            for i in range(len(Ws) - 1, -1, -1):
                dW = A[i].T @ delta
                db = delta.sum(axis=0)
                if i:
                    delta = (delta @ Ws[i].T) * (1 - A[i] ** 2)
                Ws[i] -= LR * dW
                bs[i] -= LR * db
    return time.perf_counter() - t


def run_sklearn(X, y, sizes, batch, epochs):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(hidden_layer_sizes=sizes[1:-1], activation="tanh", solver="sgd",
                        learning_rate_init=LR, momentum=0.0, nesterovs_momentum=False,
                        alpha=0.0, batch_size=batch, max_iter=epochs, shuffle=True,
                        random_state=0, tol=0.0, n_iter_no_change=10**9)
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    return time.perf_counter() - t


def run_torch(X, y, sizes, batch, epochs):
    import torch

    torch.manual_seed(0)
    torch.set_num_threads(1)
    layers = []
    for a, b in zip(sizes[:-2], sizes[1:-1], strict=True):
        layers += [torch.nn.Linear(a, b, dtype=torch.float64), torch.nn.Tanh()]
    layers.append(torch.nn.Linear(sizes[-2], sizes[-1], dtype=torch.float64))
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    loss_fn = torch.nn.CrossEntropyLoss()
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y.astype(np.int64))
    g = torch.Generator().manual_seed(0)
    t = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(len(Xt), generator=g)
        for start in range(0, len(Xt), batch):
            idx = order[start:start + batch]
            opt.zero_grad()
            loss = loss_fn(model(Xt[idx]), yt[idx])
            loss.backward()
            opt.step()
    return time.perf_counter() - t


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    contenders = {"trainer": run_trainer, "trainer f32": None, "straight": run_straight_line}
    try:
        import sklearn  # noqa: F401

        contenders["sklearn"] = run_sklearn
    except ImportError:
        pass
    try:
        import torch  # noqa: F401

        contenders["torch"] = run_torch
    except ImportError:
        pass

    rows = []
    for name, X, y, sizes, batch, epochs in load_configs():
        total_steps = steps_per_epoch(len(X), batch) * epochs
        times = {k: [] for k in contenders}
        for _ in range(args.repeats):
            for k, fn in contenders.items():
                if k == "trainer f32":
                    times[k].append(run_trainer(X, y, sizes, batch, epochs, np.float32))
                else:
                    times[k].append(fn(X, y, sizes, batch, epochs))
        rate = {k: total_steps / statistics.median(v) for k, v in times.items()}
        rows.append((name, rate))
        print(name, {k: round(v) for k, v in rate.items()}, flush=True)

    head = "| config | Trainer steps/s | ×straight loop | ×sklearn | ×torch | f32 ÷ f64 |"
    print()
    print(head)
    print("|" + "---|" * 6)
    for name, r in rows:
        ratios = [f"{r['trainer'] / r[k]:.2f}×" if k in r else "–"
                  for k in ("straight", "sklearn", "torch")]
        print(f"| {name} | {r['trainer']:,.0f} | {' | '.join(ratios)} | "
              f"{r['trainer f32'] / r['trainer']:.2f}× |")


if __name__ == "__main__":
    main()
