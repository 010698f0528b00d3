"""From a command line to a run: the experiment file (if any) as the base, the flags on top,
then ``ffnn.core.assemble``. Any bad flag or file exits with status 2 and one line naming it,
before anything is trained or drawn."""

from __future__ import annotations

import argparse
import sys

from ffnn.core import Experiment, ExperimentError, Run, SpecError, assemble, load_experiment
from ffnn.core.csvdata import CsvError
from ffnn.tui.commands.flags import apply_flags, fail, given, given_keys


def prepare_run(parser: argparse.ArgumentParser, args: argparse.Namespace, base: Experiment,
                path: str | None, path_flag: str | None) -> Run:
    """The run the flags (over the experiment file ``path``, if any) describe; exits 2 with
    one line on any bad input. ``path_flag`` is the flag that named the file (``--config``),
    None for the app's positional argument."""
    loaded = None
    if path is not None:
        try:
            loaded = load_experiment(path)
        except ExperimentError as error:
            fail(parser, error, path_flag)
        base = loaded.experiment
    experiment = apply_flags(parser, base, args, base_name=path)
    try:
        experiment.data.validate()
        experiment.net.validate()
        experiment.train.validate()
    except SpecError as error:
        fail(parser, error)
    weights = args.weights if given(args, "--weights") else None
    try:
        run = assemble(experiment, loaded, weights)
    except SpecError as error:
        fail(parser, error)
    except CsvError as error:
        flag = "--data" if given(args, "--data") else None
        fail(parser, error if flag or path is None else CsvError(f"{error} (the data of "
                                                                   f"{path})"), flag)
    except ExperimentError as error:
        from_weights = weights is not None and str(error).startswith(str(weights))
        fail(parser, error, "--weights" if from_weights else path_flag)
    except ValueError as error:  # a saved network that does not fit the data
        fail(parser, ValueError(f"{path}: saved network does not fit: {error}"), path_flag)
    # An output or loss typed on the command line is kept or refused, never fitted away.
    for key in sorted(given_keys(args) & {"net.output", "train.loss"}):
        if run.experiment.get(key) != experiment.get(key):
            try:
                experiment.output(run.dataset.task)
            except SpecError as error:
                fail(parser, error)
    if run.note:
        print(f"note: {run.note}", file=sys.stderr)
    return run
