"""Per-call draw cost of the display widgets (a timing script, not a test).

    python tests/benchmarks/bench_widgets.py

Each widget is mounted alone in a headless app at a realistic size; the timings include what a
frame really pays (for the Line API widgets: building every visible line once).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import numpy as np
from textual.app import App, ComposeResult
from textual.widget import Widget

from ffnn.core import History, Network, datasets, metrics
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
        boundary.set_data(X_train, y_train, X_test, y_test, "classification", 4,
                          datasets.RANGE, datasets.RANGE)

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


async def bench_loss_plot(epochs: int) -> None:
    rng = np.random.default_rng(0)
    loss = list(np.exp(-np.arange(epochs) / 100) + rng.random(epochs) * 0.05)
    history = History(epoch=list(range(1, epochs + 1)), train_loss=loss,
                      test_loss=[v * 1.1 for v in loss], train_metric=[0.9] * epochs,
                      test_metric=[0.8] * epochs, learning_rate=[0.1] * epochs)
    plot = LossPlot()
    async with OneWidget(plot).run_test(size=(80, 20)):

        def update() -> None:
            plot.update_history(history)
            plot.render()  # plotext builds the text here

        ms = per_call_ms(update, 50)
        print(f"LossPlot.update_history+render  {epochs} epochs, 80x20: {ms:.2f} ms/call")


async def bench_status() -> None:
    bar = StatusBar()
    async with OneWidget(bar).run_test(size=(120, 3)):
        counter = iter(range(10**9))

        def update() -> None:
            bar.update_status(True, 3, next(counter), 1234.0, 0.1, 0.2, 0.9, 0.8, "accuracy")

        print(f"StatusBar.update_status: {per_call_ms(update, 1000):.3f} ms/call")


async def main() -> None:
    await bench_boundary(120, 40)
    await bench_boundary(80, 24)
    await bench_weights(16)
    await bench_weights(128)
    await bench_loss_plot(5000)
    await bench_status()


if __name__ == "__main__":
    asyncio.run(main())
