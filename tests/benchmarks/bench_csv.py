"""How long a big CSV takes to load, and how much memory it needs on the way.

Run: python tests/benchmarks/bench_csv.py [--rows 2000000 --repeats 3 --target int]
     (not collected by pytest)

Writes a CSV of ``--rows`` rows (four numeric features with six decimals and a target: integer
class labels by default, ``text`` class names or ``float`` regression values) into a temporary
folder: 2 million rows are about 80 MB. Then loads it with ``load_csv`` (the fast path) and
with ``_load_exact`` (the row-by-row parser the fast path falls back to, which was the only
one before), each load in a fresh Python process that reports its own wall time and peak
resident memory (``getrusage(RUSAGE_SELF).ru_maxrss``). The runs alternate (fast, exact, fast,
exact, ...) so a shared machine's drift hits both; the ranges over ``--repeats`` runs are
printed with the targets (<= 5 s, peak RSS <= 5x the file's size). ``--check`` also loads the
file both ways in one process and asserts identical arrays.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

TARGET_SECONDS = 5.0
TARGET_RSS_RATIO = 5.0

MEASURE = textwrap.dedent(
    """
    import json, resource, sys, time
    path, target, how = sys.argv[1:4]
    start = time.perf_counter()
    from ffnn.core import csvdata
    imported = time.perf_counter()
    if how == "import":
        shape = None
    else:
        load = csvdata.load_csv if how == "fast" else csvdata._load_exact
        data = load(csvdata.Path(path), target, "auto")
        shape = [list(data.X.shape), data.task, len(data.class_names)]
    end = time.perf_counter()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rss_bytes = rss if sys.platform == "darwin" else rss * 1024
    try:  # Linux's own high-water mark of this process, as a cross-check
        with open("/proc/self/status") as status:
            hwm = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmHWM"))
    except OSError:
        hwm = None
    print(json.dumps({"seconds": end - imported, "import": imported - start, "rss": rss_bytes,
                      "hwm": hwm, "shape": shape}))
    """
)

CHECK = textwrap.dedent(
    """
    import sys
    import numpy as np
    from ffnn.core import csvdata
    path = csvdata.Path(sys.argv[1])
    fast = csvdata._load_fast(path, sys.argv[2], "auto")
    assert fast is not None, "the fast path declined the file"
    exact = csvdata._load_exact(path, sys.argv[2], "auto")
    assert fast.task == exact.task and fast.class_names == exact.class_names
    assert fast.feature_names == exact.feature_names
    for a, b in ((fast.X, exact.X), (fast.y, exact.y)):
        assert a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)
    print("identical:", fast.X.shape, fast.task, fast.class_names[:5])
    """
)

NAMES = ["setosa", "versicolor", "virginica"]


def write_csv(path: Path, rows: int, target: str, seed: int = 0) -> None:
    """Run in a child process (``--write``): ru_maxrss counts the parent's memory at the fork
    in each child, so the parent stays small."""
    import numpy as np

    rng = np.random.default_rng(seed)
    chunk = 200_000
    with path.open("w", newline="") as handle:
        handle.write("a,b,c,d,label\n")
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            features = rng.normal(0.0, 3.0, size=(n, 4)).tolist()
            if target == "int":
                labels = rng.integers(0, 3, size=n).astype(str).tolist()
            elif target == "text":
                labels = np.array(NAMES)[rng.integers(0, 3, size=n)].tolist()
            else:
                labels = [f"{v:.3f}" for v in rng.normal(10.0, 2.0, size=n).tolist()]
            handle.write("".join(
                f"{a:.6f},{b:.6f},{c:.6f},{d:.6f},{label}\n"
                for (a, b, c, d), label in zip(features, labels, strict=True)
            ))


def measure(path: Path, how: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path), "label", how],
        capture_output=True, text=True, check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"{how} load failed:\n{done.stderr}")
    return json.loads(done.stdout)


def spread(values: list[float], unit: str, digits: int) -> str:
    return (f"{min(values):.{digits}f}-{max(values):.{digits}f} {unit} "
            f"(median {statistics.median(values):.{digits}f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--target", choices=("int", "text", "float"), default="int")
    parser.add_argument("--no-exact", action="store_true", help="skip the slow exact parser")
    parser.add_argument("--check", action="store_true", help="assert both give identical data")
    parser.add_argument("--write", metavar="PATH", help=argparse.SUPPRESS)  # the child's job
    args = parser.parse_args()
    if args.write:
        write_csv(Path(args.write), args.rows, args.target)
        return

    with tempfile.TemporaryDirectory(prefix="bench_csv_") as folder:
        path = Path(folder) / "big.csv"
        start = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--write", str(path), "--rows", str(args.rows),
                        "--target", args.target], check=True)
        size = path.stat().st_size
        print(f"{path.name}: {args.rows:,} rows, {size / 1e6:.1f} MB, target {args.target} "
              f"(written in {time.perf_counter() - start:.1f} s); cpus {os.cpu_count()}, "
              f"load average {os.getloadavg()[0]:.2f}")
        base = measure(path, "import")
        print(f"python + numpy + ffnn.core imported, nothing loaded: peak RSS "
              f"{base['rss'] / 1e6:.0f} MB, import {base['import']:.2f} s (not in the times)")
        hows = ["fast"] + ([] if args.no_exact else ["exact"])
        results: dict[str, list[dict]] = {how: [] for how in hows}
        for repeat in range(args.repeats):
            for how in hows:
                result = measure(path, how)
                results[how].append(result)
                hwm = "" if result["hwm"] is None else f" (VmHWM {result['hwm'] / 1e6:.0f} MB)"
                print(f"  run {repeat + 1} {how:5}: {result['seconds']:6.2f} s, "
                      f"peak RSS {result['rss'] / 1e6:5.0f} MB{hwm}  {result['shape']}",
                      flush=True)
        print()
        print(f"| path | load time | peak RSS | RSS / file size |  (targets <= "
              f"{TARGET_SECONDS:g} s, <= {TARGET_RSS_RATIO:g}x)")
        print("|---|---|---|---|")
        for how, runs in results.items():
            seconds = [run["seconds"] for run in runs]
            rss = [run["rss"] / 1e6 for run in runs]
            ratio = [run["rss"] / size for run in runs]
            name = "load_csv (fast path)" if how == "fast" else "_load_exact (row by row)"
            print(f"| {name} | {spread(seconds, 's', 2)} | {spread(rss, 'MB', 0)} | "
                  f"{spread(ratio, 'x', 2)} |")
        if args.check:
            done = subprocess.run([sys.executable, "-c", CHECK, str(path), "label"],
                                  capture_output=True, text=True, check=False)
            print(done.stdout.strip() or done.stderr.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
