"""``ffnn-tui [experiment.toml] [flags]``: the app's own arguments, checked before any screen
is drawn (a bad flag or file exits with status 2 and one line)."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass

from ffnn.core import Experiment, Run
from ffnn.tui.commands.flags import PROG, OneLineParser, add_experiment_arguments
from ffnn.tui.commands.prepare import prepare_run


def build_app_parser() -> OneLineParser:
    parser = OneLineParser(
        prog=PROG,
        usage=f"{PROG} [experiment.toml] [flags]   |   {PROG} train [flags]",
        description="Build, train and watch a small feedforward neural network in the terminal.",
        epilog=(
            "modes:\n"
            f"  {PROG} [experiment.toml] [flags]   interactive terminal app\n"
            f"  {PROG} train [flags]               headless training "
            f"(see `{PROG} train --help`)\n\n"
            "examples:\n"
            f"  {PROG} --dataset spirals --classes 4 --layers 16,16 --activation tanh\n"
            f"  {PROG} --data assets/flowers.csv --target species\n"
            f"  {PROG} saved.toml --lr 0.01"),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("experiment", nargs="?", metavar="experiment.toml",
                        help="open a saved experiment (weights too, if saved)")
    parser.add_argument("--max-fps", type=_fps, default=None, metavar="N",
                        help=f"redraw the views at most N times a second while training "
                             f"({MIN_FPS}–{MAX_FPS}; for a slow SSH link)")
    add_experiment_arguments(parser)
    return parser


MIN_FPS, MAX_FPS = 1, 60


def _fps(text: str) -> int:
    if not (text.strip().isascii() and text.strip().isdigit()) or \
            not MIN_FPS <= int(text) <= MAX_FPS:
        raise argparse.ArgumentTypeError(f"must be a whole number {MIN_FPS}–{MAX_FPS} "
                                         f"(got {text!r})")
    return int(text)


@dataclass
class AppArguments:
    run: Run
    max_fps: int | None = None


def interactive_default() -> Experiment:
    """What the app starts from without a file: the defaults, training until paused."""
    experiment = Experiment()
    experiment.train.epochs = None
    return experiment


def app_arguments(argv=None) -> AppArguments:
    """The run ``ffnn-tui [experiment.toml] [flags]`` asks for, and the display options;
    exits 2 with one line on a bad flag or file. A saved run's weights and trainer state are
    kept while they still fit the experiment after the flags."""
    parser = build_app_parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else list(argv))
    run = prepare_run(parser, args, interactive_default(), args.experiment, None)
    return AppArguments(run, args.max_fps)


def parse_app_args(argv=None) -> Run:
    return app_arguments(argv).run
