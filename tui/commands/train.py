"""``ffnn-tui train``: train headless and report.

Progress goes to stderr: a rich progress bar on a terminal (epoch x/N, loss, steps/s, ETA),
plain lines every N epochs when piped, or JSON lines on stdout with ``--json``. Exit status:
0 done, 1 training diverged or a file could not be written, 2 bad flag or input file, 130
interrupted (Ctrl-C stops between two updates, and the run is still saved).

Textual is never imported here, except for ``--export-screenshot`` (the app draws it).
"""

from __future__ import annotations

import json
import math
import signal
import sys
import threading
import time
from pathlib import Path

import numpy as np

from ffnn.core import (
    Experiment,
    ExperimentError,
    Run,
    TrainingDiverged,
    export_dataset_csv,
    export_history_csv,
    export_weights_json,
    export_weights_npz,
    save_experiment,
)
from ffnn.tui.commands.flags import PROG, OneLineParser, add_experiment_arguments, given
from ffnn.tui.commands.prepare import prepare_run

OUTPUT_FLAGS = ("--save", "--export-weights-json", "--export-weights-npz", "--export-dataset",
                "--export-history", "--export-screenshot")


def build_train_parser() -> OneLineParser:
    import argparse

    parser = OneLineParser(
        prog=f"{PROG} train", usage=f"{PROG} train [--config FILE.toml] [flags]",
        description="Train headless and print progress; the same flags as the app.",
        epilog=(
            "examples:\n"
            f"  {PROG} train --dataset spirals --classes 4 --layers 16,16 --activation tanh "
            "--optimizer adam --lr 0.01 --epochs 200\n"
            f"  {PROG} train --data assets/flowers.csv --target species --json\n"
            f"  {PROG} train --config run.toml --epochs 400 --save run.toml\n\n"
            "exit status: 0 done, 1 training diverged or a file could not be written, "
            "2 bad flag or input file, 130 interrupted"),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", metavar="FILE.toml", default=argparse.SUPPRESS,
                        help="start from an experiment file (flags override it; its weights "
                             "and trainer state are resumed when the network is unchanged)")
    add_experiment_arguments(parser)
    out = parser.add_argument_group("output")
    out.add_argument("--json", action="store_true",
                     help="print one JSON object per epoch on stdout instead of progress")
    out.add_argument("--quiet", "-q", action="store_true", help="no progress lines")
    out.add_argument("--every", type=_positive_int, metavar="N", default=None,
                     help="progress line every N epochs when stderr is not a terminal")
    out.add_argument("--save", metavar="FILE.toml", help="save the experiment (+ .npz, history)")
    out.add_argument("--export-weights-json", metavar="FILE.json", help="write weights as JSON")
    out.add_argument("--export-weights-npz", metavar="FILE.npz",
                     help="write weights only as .npz")
    out.add_argument("--export-dataset", metavar="FILE.csv",
                     help="write the train/test samples as CSV")
    out.add_argument("--export-history", metavar="FILE.csv",
                     help="write per-epoch losses and metrics as CSV")
    out.add_argument("--export-screenshot", metavar="FILE.svg",
                     help="write an SVG of the app showing the trained network (120×40)")
    return parser


def _positive_int(text: str) -> int:
    import argparse

    if not text.strip().isascii() or not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number ≥ 1 (got {text!r})")
    return int(text)


def _check_output_dirs(parser, args) -> None:
    """Fail before training, not after, when an output's directory does not exist."""
    for flag in OUTPUT_FLAGS:
        path = getattr(args, flag.lstrip("-").replace("-", "_"))
        if path is not None and not Path(path).resolve().parent.is_dir():
            parser.error(f"argument {flag}: directory of {path} does not exist")


# --- numbers as people read them (never more than 6 significant digits) --------------------


def number(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    value = float(value)
    return f"{value:.4f}" if 1e-3 <= abs(value) < 1e4 else f"{value:.4g}"


def metric_text(name: str, value) -> str:
    if value is None or math.isnan(value):
        return f"{name} n/a"
    return f"accuracy {value:.1%}" if name == "accuracy" else f"R² {number(value)}"


def _json_value(value):
    value = value.item() if isinstance(value, np.generic) else value
    return None if isinstance(value, float) and not math.isfinite(value) else value


class Progress:
    """Per-epoch reporting: JSON lines on stdout, a rich bar on a terminal (redrawn at most 10
    times a second), or plain lines every N epochs when stderr is not a terminal."""

    def __init__(self, trainer, *, json_lines: bool, quiet: bool, every: int | None,
                 stdout, stderr):
        self.trainer, self.json_lines, self.quiet = trainer, json_lines, quiet
        self.stdout, self.stderr = stdout, stderr
        self.tty = bool(getattr(stderr, "isatty", lambda: False)())
        epochs = trainer.config.epochs
        self.every = every or (max(1, (epochs - trainer.epoch) // 10) if epochs else 10)
        self.shown_epoch: int | None = None
        self._bar = None
        self._task = None
        self._last = 0.0
        self._started = (time.perf_counter(), trainer.step_count)

    def __enter__(self) -> Progress:
        if self.tty and not (self.json_lines or self.quiet):
            from rich.console import Console
            from rich.progress import BarColumn, TextColumn, TimeRemainingColumn
            from rich.progress import Progress as Bar

            self._bar = Bar(TextColumn("epoch {task.completed:.0f}/{task.fields[of]}"),
                            BarColumn(), TextColumn("{task.fields[scores]}"),
                            TimeRemainingColumn(), console=Console(file=self.stderr),
                            refresh_per_second=10)
            epochs = self.trainer.config.epochs
            self._task = self._bar.add_task("train", total=epochs, completed=self.trainer.epoch,
                                            of=epochs or "∞", scores="")
            self._bar.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._update(force=True)
            self._bar.stop()

    def epoch(self) -> None:
        """Report the epoch that just ended."""
        row = self.trainer.history.last()
        if row is None or self.quiet:
            return
        if self.json_lines:
            print(json.dumps(self._record(row)), file=self.stdout, flush=True)
        elif self._bar is not None:
            self._update()
        elif row["epoch"] % self.every == 0:
            self._line(row)

    def finish(self) -> None:
        """Show the last epoch if it was not shown (plain lines)."""
        row = self.trainer.history.last()
        if self._bar is None and not (self.json_lines or self.quiet) and row is not None \
                and row["epoch"] != self.shown_epoch:
            self._line(row)

    def _scores(self, row) -> str:
        metric = self.trainer.history.metric_name
        text = f"loss {number(row['train_loss'])}  {metric_text(metric, row['train_metric'])}"
        if not math.isnan(row["test_loss"]):
            text += (f"  test loss {number(row['test_loss'])}  "
                     f"{metric_text(metric, row['test_metric'])}")
        return text

    def _update(self, force: bool = False) -> None:
        now = time.perf_counter()
        row = self.trainer.history.last()
        if row is None or (not force and now - self._last < 0.1):
            return
        self._last = now
        start, steps = self._started
        rate = (self.trainer.step_count - steps) / max(now - start, 1e-9)
        self._bar.update(self._task, completed=row["epoch"],
                         scores=f"{self._scores(row)}  {rate:,.0f} steps/s")

    def _line(self, row) -> None:
        epochs = self.trainer.config.epochs
        self.stderr.write(f"epoch {row['epoch']}{f'/{epochs}' if epochs else ''}  "
                          f"{self._scores(row)}\n")
        self.stderr.flush()
        self.shown_epoch = row["epoch"]

    def _record(self, row) -> dict:
        metric = self.trainer.history.metric_name
        record = {"epoch": row["epoch"], "train_loss": row["train_loss"],
                  "test_loss": row["test_loss"], f"train_{metric}": row["train_metric"],
                  f"test_{metric}": row["test_metric"], "learning_rate": row["learning_rate"]}
        return {key: _json_value(value) for key, value in record.items()}


class StopOnInterrupt:
    """Ctrl-C asks the loop to stop *between* two updates, so the state that gets saved and
    summarised is never half-updated; a second Ctrl-C stops at once."""

    def __init__(self):
        self.requested = False
        self._previous = None

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
        return False


def summary(trainer, epochs_run: int, steps_run: int, seconds: float, note: str) -> str:
    scores = trainer.evaluate()
    metric = trainer.history.metric_name
    rate = steps_run / seconds if seconds > 0 else 0.0
    if steps_run == 0:
        headline = (f"nothing to train: already at epoch {trainer.epoch} of "
                    f"{trainer.config.epochs} (raise --epochs to continue)")
    else:
        headline = (f"{note}{epochs_run} epochs ({steps_run} steps) in {seconds:.2f} s, "
                    f"{rate:,.0f} steps/s; epoch {trainer.epoch} reached")
    lines = [headline, f"train: loss {number(scores['train_loss'])}  "
                       f"{metric_text(metric, scores['train_metric'])}"]
    if not math.isnan(scores["test_loss"]):
        lines.append(f"test:  loss {number(scores['test_loss'])}  "
                     f"{metric_text(metric, scores['test_metric'])}")
    return "\n".join(lines)


def export(args, run: Run) -> None:
    if args.save:
        save_experiment(args.save, run.experiment, run.trainer, run.dataset)
    if args.export_weights_json:
        export_weights_json(args.export_weights_json, run.network)
    if args.export_weights_npz:
        export_weights_npz(args.export_weights_npz, run.network)
    if args.export_dataset:
        export_dataset_csv(args.export_dataset, run.dataset)
    if args.export_history:
        export_history_csv(args.export_history, run.trainer.history)
    if args.export_screenshot:
        from ffnn.tui.screenshot import write_screenshot  # Textual loads only here

        write_screenshot(args.export_screenshot, run)


def _train(run: Run, progress: Progress) -> tuple[int, str]:
    """Drain the trainer; (status, note for the summary)."""
    # Divergence is detected and reported by the trainer; NumPy's overflow warnings on the
    # way there would only clutter the terminal.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"), \
            StopOnInterrupt() as interrupt, progress:
        for step in run.trainer.steps():
            if step.epoch_end:
                progress.epoch()
            if interrupt.requested:
                return 130, "interrupted after "
    return 0, "trained "


def train_main(argv=None, *, stdout=None, stderr=None) -> int:
    """``ffnn-tui train [flags]``; returns the exit status (argparse errors raise SystemExit)."""
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    parser = build_train_parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else list(argv))
    _check_output_dirs(parser, args)
    config = args.config if given(args, "--config") else None
    run = prepare_run(parser, args, Experiment(), config, "--config")
    trainer = run.trainer
    progress = Progress(trainer, json_lines=args.json, quiet=args.quiet, every=args.every,
                        stdout=stdout, stderr=stderr)
    start_epoch, start_steps = trainer.epoch, trainer.step_count
    started = time.perf_counter()
    try:
        status, note = _train(run, progress)
    except TrainingDiverged as error:
        progress.finish()
        print(f"{PROG} train: {error}", file=stderr)
        if args.save:  # the trainer went back to the last sane state: keep it
            try:
                save_experiment(args.save, run.experiment, trainer, run.dataset)
            except ExperimentError as save_error:
                print(f"{PROG} train: error: {save_error}", file=stderr)
                return 1
            if error.kept_step is None:
                what = "the state it started from (no step had a sane loss)"
            else:
                what = (f"step {error.kept_step}'s weights and optimizer state (the last step "
                        "with a sane loss, as before its update)")
            print(f"{PROG} train: saved {what} to {args.save}", file=stderr)
        return 1
    seconds = time.perf_counter() - started
    if trainer.epoch > start_epoch:
        progress.finish()
    if trainer.stopped_early:
        note = "stopped early (no improvement) after "
    print(summary(trainer, trainer.epoch - start_epoch, trainer.step_count - start_steps,
                  seconds, note), file=stderr if args.json else stdout)
    try:
        export(args, run)
    except ExperimentError as error:
        print(f"{PROG} train: error: {error}", file=stderr)
        return 1
    return status
