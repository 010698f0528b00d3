"""Per-call draw cost of the display widgets (a timing script, not a test).

    python tests/benchmarks/bench_widgets.py            # every widget
    python tests/benchmarks/bench_widgets.py loss       # the loss plot over long histories
    git show <old commit>:tui/widgets/loss_plot.py > /tmp/loss_plot_old.py
    python tests/benchmarks/bench_widgets.py loss --reference /tmp/loss_plot_old.py

Each widget is mounted alone in a headless app at a realistic size; the timings include what a
frame really pays (for the Line API widgets: building every visible line once). BLAS runs on
one thread (threadpoolctl), as other engineers share the machine.

`loss` times what one redraw of the loss plot costs during a long run: update_history() and
render() (plotext builds its text there) after 10 new epochs, at 10³, 10⁵ and 10⁶ epochs of
history. With --reference, that module's LossPlot (e.g. the version before the incremental
summary) is timed too, alternating with the current one redraw by redraw (ABBA order), on the
same growing history. 3 runs of 20 redraws, each reporting medians of the CPU time of
update_history and of render (process time: steadier than wall time on a shared machine) and
of the wall time of both.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import statistics
import time
from collections.abc import Callable
from types import ModuleType

import numpy as np
from textual.app import App, ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from threadpoolctl import threadpool_limits

from ffnn.core import History, Network, datasets, metrics
from ffnn.tui.viewdata import PlaneData, StatusData
from ffnn.tui.widgets.decision_boundary import DecisionBoundary
from ffnn.tui.widgets.loss_plot import LossPlot
from ffnn.tui.widgets.status_bar import StatusBar
from ffnn.tui.widgets.weights_table import WeightsTable


class OneWidget(App):
    def __init__(self, widget: Widget) -> None:
        super().__init__()
        self.widget = widget

    def compose(self) -> ComposeResult:
        yield self.widget


def per_call_ms(action: Callable[[], object], repeat: int, rounds: int = 5) -> float:
    """Best of `rounds` averages (the machine may be busy with other work)."""
    action()  # warm caches (styles, workspaces)
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(repeat):
            action()
        best = min(best, (time.perf_counter() - start) / repeat * 1000)
    return best


def render_all(widget: Widget) -> None:
    for y in range(widget.size.height):
        widget.render_line(y)


async def bench_boundary(width: int, height: int) -> None:
    X, y = datasets.make("spirals", n_samples=400, noise=0.1, seed=0, classes=4)
    X_train, y_train, X_test, y_test = datasets.split(X, y, test_ratio=0.2, seed=0)
    net = Network([2, 16, 16, 4], ["tanh", "tanh", "softmax"], seed=0)
    boundary = DecisionBoundary()
    async with OneWidget(boundary).run_test(size=(width, height)):
        boundary.set_data(PlaneData(X_train, y_train, X_test, y_test, "classification", 4,
                                    datasets.RANGE, datasets.RANGE))

        def draw() -> None:
            boundary.draw_model(net)
            render_all(boundary)

        ms = per_call_ms(draw, 20)
        _, cols, rows = boundary._layout()
        grid_ms = per_call_ms(lambda: metrics.decision_grid(net, datasets.RANGE, datasets.RANGE,
                                                            cols, rows * 2), 20)
        print(f"DecisionBoundary.draw_model  {width}x{height} (4 classes, 400 points, "
              f"net 2-16-16-4): {ms:.2f} ms/call, of which decision_grid {grid_ms:.2f} ms")


async def bench_weights(n: int) -> None:
    rng = np.random.default_rng(0)
    weights, biases = [rng.normal(size=(n, n))], [rng.normal(size=n)]
    previous = [weights[0] + rng.normal(size=(n, n)) * 0.01], [biases[0] + 0.001]
    table = WeightsTable()
    async with OneWidget(table).run_test(size=(130, 24)):

        def update() -> None:
            table.update_weights(weights, biases, *previous, activations=["tanh"])
            render_all(table)

        ms = per_call_ms(update, 200)
        print(f"WeightsTable.update_weights  {n}x{n} layer, 130x24 view: {ms:.2f} ms/call")


def long_history(epochs: int, seed: int = 0) -> History:
    """A noisy decaying loss, Python floats per epoch as the trainer appends them."""
    rng = np.random.default_rng(seed)
    loss = np.exp(-np.arange(epochs) / (epochs / 5)) + rng.random(epochs) * 0.05
    return History(epoch=list(range(1, epochs + 1)), train_loss=loss.tolist(),
                   test_loss=(loss * 1.1).tolist(), train_metric=[0.9] * epochs,
                   test_metric=[0.8] * epochs, learning_rate=[0.1] * epochs)


def add_epochs(history: History, n: int) -> None:
    for _ in range(n):
        epoch = len(history) + 1
        history.append(epoch=epoch, train_loss=1.0 / epoch, test_loss=1.1 / epoch,
                       train_metric=0.9, test_metric=0.8, learning_rate=0.1)


class Stacked(App):
    def __init__(self, widgets: list[Widget]) -> None:
        super().__init__()
        self.widgets = widgets

    def compose(self) -> ComposeResult:
        with Vertical():
            for widget in self.widgets:
                widget.styles.height = 20
                yield widget


def load_reference(path: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location("loss_plot_reference", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def bench_loss_plot(epochs: int, reference: ModuleType | None = None, runs: int = 3,
                          redraws: int = 20, new_epochs: int = 10) -> None:
    """Per-redraw cost of update_history + render at `epochs` of history, 80x20."""
    history = long_history(epochs)
    plots = {"after": LossPlot()}
    if reference is not None:
        plots = {"before": reference.LossPlot(), **plots}
    async with Stacked(list(plots.values())).run_test(size=(80, 20 * len(plots))):
        for plot in plots.values():  # the first full read is not a redraw: not timed
            plot.update_history(history)
            plot.render()
        for run in range(1, runs + 1):
            # Per plot: CPU ms of update_history, of render, and the wall ms of both.
            samples = {name: ([], [], []) for name in plots}
            order = list(plots)
            for _ in range(redraws):
                add_epochs(history, new_epochs)
                for name in order:  # every plot sees the same 10 new epochs
                    plot, (update_ms, render_ms, wall_ms) = plots[name], samples[name]
                    wall, cpu = time.perf_counter(), time.process_time()
                    plot.update_history(history)
                    middle = time.process_time()
                    plot.render()  # plotext builds the text here
                    end = time.process_time()
                    wall_ms.append((time.perf_counter() - wall) * 1000)
                    update_ms.append((middle - cpu) * 1000)
                    render_ms.append((end - middle) * 1000)
                order.reverse()  # ABBA: neither goes first every time
            med = statistics.median
            report = " | ".join(
                f"{name} update {med(u):7.2f} + render {med(r):6.2f} ms (wall {med(w):7.2f})"
                for name, (u, r, w) in samples.items())
            print(f"LossPlot redraw {epochs:>9,} epochs, run {run}: {report}", flush=True)


async def bench_status() -> None:
    bar = StatusBar()
    async with OneWidget(bar).run_test(size=(120, 3)):
        counter = iter(range(10**9))

        def update() -> None:
            bar.update_status(StatusData(True, 3, next(counter), 1234.0, 0.1, 0.2, 0.9, 0.8,
                                         "accuracy"))

        print(f"StatusBar.update_status: {per_call_ms(update, 1000):.3f} ms/call")


async def main(which: str, reference: ModuleType | None) -> None:
    if which in ("all", "loss"):
        for epochs in (10**3, 10**5, 10**6):
            await bench_loss_plot(epochs, reference)
    if which == "all":
        await bench_boundary(120, 40)
        await bench_boundary(80, 24)
        await bench_weights(16)
        await bench_weights(128)
        await bench_status()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("which", nargs="?", default="all", choices=["all", "loss"])
    parser.add_argument("--reference", metavar="LOSS_PLOT_PY",
                        help="an older tui/widgets/loss_plot.py to time alongside")
    args = parser.parse_args()
    reference = load_reference(args.reference) if args.reference else None
    with threadpool_limits(limits=1):
        asyncio.run(main(args.which, reference))
