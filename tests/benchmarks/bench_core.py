"""Training speed of ``Trainer.steps()`` against a clean hand-written NumPy loop, scikit-learn's
MLPClassifier and (if installed) PyTorch CPU eager, all on one BLAS thread.

Run:  pip install -e ".[bench]" && python tests/benchmarks/bench_core.py [--runs 3] [--repeats 5]

Every contender trains the same architecture (tanh hidden layers, softmax + cross-entropy,
plain SGD, no regularisation) on the same data with the same batch size, from the same
initial weights. Within one run the repeats are interleaved (A B C D, B C D A, …) in one
process and each contender's median is its steps per second; ``--runs`` runs that many
fresh processes and reports, per ratio, the range over the runs. BLAS is limited to one
thread (threadpoolctl): on a busy 2-core machine two threads spread the big configs by up
to 24× within one run. Prints a markdown table for the README.

The reference is the loop a competent NumPy programmer writes: in-place ``Z = A@W; Z += b;
tanh(Z, out=Z)`` (np.dot with out=), one permutation and gather per epoch and slices per
step (no shuffle for full batch), in-place updates, lr/B folded into the output delta, and
no loss it does not use. The trainer does more per step than that loop (the loss it
reports, the epoch's accuracy, the history, a divergence check and backup).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import warnings

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # belt and braces with threadpoolctl
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from ffnn.core import Network, TrainConfig, Trainer, datasets  # noqa: E402

LR = 0.05

# CPU time of this process by default: on a machine shared with other work the wall clock
# also counts the time slices given to others (--wall measures that instead).
clock = time.process_time


def load_configs():
    """(name, X, y, sizes, batch, epochs, scikit-learn epochs): a repeat takes ~0.1-0.3 s."""
    xor_X, xor_y = datasets.make("xor", n_samples=4, noise=0.0)  # the 4-row truth table
    sp_X, sp_y = datasets.make("spirals", n_samples=800, noise=0.1, seed=0, classes=4)
    wide_X, wide_y = datasets.make("spirals", n_samples=2048, noise=0.1, seed=0, classes=4)
    try:
        from sklearn.datasets import load_digits

        digits = load_digits()
        dX, dy = digits.data, digits.target
    except ImportError:  # a synthetic stand-in of the same shape: 10 noisy prototypes
        rng = np.random.default_rng(0)
        dy = np.arange(1797) % 10
        dX = rng.uniform(0, 16, (10, 64))[dy] + rng.normal(0, 3, (1797, 64))
    dX = (dX - dX.mean(0)) / (dX.std(0) + 1e-9)
    return [
        ("xor truth table 2-4-2 full batch", xor_X, xor_y, [2, 4, 2], 4, 12000, 1500),
        ("spirals 2-16-16-4 b32", sp_X, sp_y, [2, 16, 16, 4], 32, 300, 80),
        ("digits 64-128-64-10 b64", dX, dy, [64, 128, 64, 10], 64, 40, 12),
        ("wide 2-256-256-4 b256", wide_X, wide_y, [2, 256, 256, 4], 256, 12, 4),
    ]


def steps_per_epoch(n, batch):
    return -(-n // batch)


def initial_network(sizes, dtype=np.float64):
    return Network(sizes, ["tanh"] * (len(sizes) - 2) + ["softmax"], seed=0, dtype=dtype)


# --- contenders: each returns seconds for `epochs` epochs -----------------------------


def run_trainer(X, y, sizes, batch, epochs, dtype=np.float64):
    net = initial_network(sizes, dtype)
    tr = Trainer(net, X, y, TrainConfig(learning_rate=LR, batch_size=batch, epochs=epochs))
    t = clock()
    for _ in tr.steps():
        pass
    return clock() - t


def run_trainer_f32(X, y, sizes, batch, epochs):
    return run_trainer(X, y, sizes, batch, epochs, np.float32)


def run_clean_loop(X, y, sizes, batch, epochs):
    """The loop a competent NumPy programmer writes by hand, float64."""
    net = initial_network(sizes)
    Ws = [w.copy() for w in net.weights]
    bs = [b.copy() for b in net.biases]
    n, L = len(X), len(Ws)
    X = np.ascontiguousarray(X, dtype=np.float64)
    Y = np.eye(sizes[-1])[y]
    rng = np.random.default_rng(0)

    def buffers(m):  # per batch size: pre-activations/activations, deltas, gradients
        return ([np.empty((m, k)) for k in sizes[1:]], [np.empty((m, k)) for k in sizes[1:-1]],
                [np.empty((m, k)) for k in sizes[1:-1]])

    bufs = {m: buffers(m) for m in {min(batch, n), n % batch or batch}}
    dWs = [np.empty_like(w) for w in Ws]
    dbs = [np.empty_like(b) for b in bs]
    t = clock()
    for _ in range(epochs):
        if batch >= n:
            Xs, Ys = X, Y
        else:
            order = rng.permutation(n)
            Xs, Ys = X[order], Y[order]
        for start in range(0, n, batch):
            Xb, Yb = Xs[start:start + batch], Ys[start:start + batch]
            m = len(Xb)
            Zs, Ds, Tmp = bufs[m]
            A = Xb
            for i in range(L):
                Z = np.dot(A, Ws[i], out=Zs[i])
                Z += bs[i]
                if i < L - 1:
                    np.tanh(Z, out=Z)
                A = Z
            # softmax, then delta = (P - Y) · lr/m, in place
            Z -= Z.max(axis=1, keepdims=True)
            np.exp(Z, out=Z)
            Z /= Z.sum(axis=1, keepdims=True)
            Z -= Yb
            Z *= LR / m
            D = Z
            for i in range(L - 1, -1, -1):
                A_prev = Zs[i - 1] if i else Xb
                np.dot(A_prev.T, D, out=dWs[i])
                np.sum(D, axis=0, out=dbs[i])
                if i:
                    D_prev = np.dot(D, Ws[i].T, out=Ds[i - 1])
                    tmp = np.multiply(A_prev, A_prev, out=Tmp[i - 1])
                    np.subtract(1.0, tmp, out=tmp)
                    D_prev *= tmp
                Ws[i] -= dWs[i]
                bs[i] -= dbs[i]
                if i:
                    D = D_prev
    return clock() - t


def run_sklearn(X, y, sizes, batch, epochs):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    clf = MLPClassifier(hidden_layer_sizes=sizes[1:-1], activation="tanh", solver="sgd",
                        learning_rate_init=LR, momentum=0.0, nesterovs_momentum=False,
                        alpha=0.0, batch_size=batch, max_iter=epochs, shuffle=True,
                        random_state=0, tol=0.0, n_iter_no_change=10**9)
    t = clock()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    return clock() - t


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
    t = clock()
    for _ in range(epochs):
        order = torch.randperm(len(Xt), generator=g)
        for start in range(0, len(Xt), batch):
            idx = order[start:start + batch]
            opt.zero_grad()
            loss = loss_fn(model(Xt[idx]), yt[idx])
            loss.backward()
            opt.step()
    return clock() - t


def contenders():
    found = {"trainer": run_trainer, "trainer f32": run_trainer_f32, "clean": run_clean_loop}
    try:
        import sklearn  # noqa: F401

        found["sklearn"] = run_sklearn
    except ImportError:
        pass
    try:
        import torch  # noqa: F401

        found["torch"] = run_torch
    except ImportError:
        pass
    return found


def load_average() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


RATIOS = (("×clean loop", "trainer", "clean"), ("×sklearn", "trainer", "sklearn"),
          ("×torch", "trainer", "torch"), ("f32 ÷ f64", "trainer f32", "trainer"))


def one_run(repeats: int, only: str | None) -> dict:
    """Steps per second (median of interleaved repeats) per config and contender."""
    from threadpoolctl import threadpool_limits

    found = contenders()
    result = {"load": [load_average()], "rates": {}, "ratios": {}}
    with threadpool_limits(limits=1):
        for name, X, y, sizes, batch, epochs, sk_epochs in load_configs():
            if only and only not in name:
                continue
            order = list(found)
            times = {k: [] for k in order}
            for r in range(repeats):
                for k in order[r % len(order):] + order[:r % len(order)]:  # rotate the order
                    e = sk_epochs if k in ("sklearn", "torch") else epochs
                    times[k].append(found[k](X, y, sizes, batch, e) / e)
            per_epoch = steps_per_epoch(len(X), batch)
            result["rates"][name] = {k: per_epoch / statistics.median(v)
                                     for k, v in times.items()}
            # each ratio from the two contenders' times of the same repeat (run side by
            # side, so a change of load between repeats cancels), median over the repeats
            result["ratios"][name] = {
                label: statistics.median(tb / ta for ta, tb in zip(times[a], times[b],
                                                                   strict=True))
                for label, a, b in RATIOS if a in times and b in times}
            print(f"  {name}: " + ", ".join(f"{k} {v:,.0f}/s"
                                            for k, v in result["rates"][name].items()),
                  file=sys.stderr, flush=True)
    result["load"].append(load_average())
    return result



def span(values, fmt="{:.2f}", unit="×"):
    lo, hi = min(values), max(values)
    if fmt.format(lo) == fmt.format(hi):
        return fmt.format(lo) + unit
    return f"{fmt.format(lo)}–{fmt.format(hi)}{unit}"


def table(runs: list[dict]) -> str:
    names = list(runs[0]["rates"])
    ratios = [r for r in RATIOS if all(r[0] in run["ratios"][n] for run in runs for n in names)]
    lines = ["| config | Trainer steps/s | clean loop steps/s | "
             + " | ".join(r[0] for r in ratios) + " |",
             "|---|---|---|" + "---|" * len(ratios)]
    for n in names:
        cells = [span([run["rates"][n]["trainer"] for run in runs], "{:,.0f}", ""),
                 span([run["rates"][n]["clean"] for run in runs], "{:,.0f}", "")]
        cells += [span([run["ratios"][n][label] for run in runs]) for label, _, _ in ratios]
        lines.append(f"| {n} | " + " | ".join(cells) + " |")
    loads = [x for run in runs for x in run["load"]]
    lines.append("")
    kind = "wall-clock" if clock is time.perf_counter else "CPU"
    lines.append(f"{len(runs)} runs; ratios: median over the repeats of side-by-side pairs; "
                 f"steps/s: medians; one BLAS thread, {kind} time, 1-minute load average "
                 f"{min(loads):.2f}–{max(loads):.2f} during the runs")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="fresh processes (default 3)")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved repeats per run")
    parser.add_argument("--only", help="run the configs whose name contains this")
    parser.add_argument("--wall", action="store_true", help="wall clock, not CPU time")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # one run
    args = parser.parse_args()
    if args.wall:
        global clock
        clock = time.perf_counter
    if args.json:
        print(json.dumps(one_run(args.repeats, args.only)))
        return
    runs = []
    for i in range(args.runs):
        print(f"run {i + 1}/{args.runs}", file=sys.stderr, flush=True)
        cmd = [sys.executable, __file__, "--json", "--repeats", str(args.repeats)]
        if args.wall:
            cmd.append("--wall")
        if args.only:
            cmd += ["--only", args.only]
        out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
        runs.append(json.loads(out))
    print(table(runs))


if __name__ == "__main__":
    main()
