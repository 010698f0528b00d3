"""``ffnn-tui [experiment.toml] [flags]``: the app's own arguments, checked before any screen
is drawn (a bad flag or file exits with status 2 and one line)."""

from __future__ import annotations

import argparse
import sys

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
    add_experiment_arguments(parser)
    return parser


def interactive_default() -> Experiment:
    """What the app starts from without a file: the defaults, training until paused."""
    experiment = Experiment()
    experiment.train.epochs = None
    return experiment


def parse_app_args(argv=None) -> Run:
    """The run ``ffnn-tui [experiment.toml] [flags]`` asks for; exits 2 with one line on a bad
    flag or file. A saved run's weights and trainer state are kept while they still fit the
    experiment after the flags."""
    parser = build_app_parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else list(argv))
    return prepare_run(parser, args, interactive_default(), args.experiment, None)
