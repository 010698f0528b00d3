"""The experiment flags both commands share, made from the settings table
(``ffnn.core.SETTINGS``): each setting with a flag becomes one, with its parser, its help and
what it allows, so a flag accepts exactly what the spec does and says so in the spec's words.

Every flag defaults to "not given": an experiment file (``ffnn-tui run.toml``, ``train
--config``) is the base and only the flags typed override it. Flags that contradict each
other (``--target`` without a CSV, ``--samples`` with ``--data`` …) are refused, not guessed.
"""

from __future__ import annotations

import argparse

from ffnn.core import SETTINGS, Experiment, SpecError
from ffnn.core.specs import HIDDEN_ACTIVATIONS, MAX_SEED

PROG = "ffnn-tui"
FLAGGED = {key: s for key, s in SETTINGS.items() if s.rule.flag}
FLAG_OF = {key: s.rule.flag for key, s in FLAGGED.items()}
SEED_KEYS = ("data.seed", "net.seed", "train.seed")


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are exactly one line on stderr (no usage dump)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _dest(flag: str) -> str:
    return flag.lstrip("-").replace("-", "_")


def _type(parse, name: str):
    """An argparse ``type=`` from a parser raising SpecError: the flag's message is what the
    setting allows, without its label (argparse already names the flag)."""

    def convert(text: str):
        try:
            return parse(text)
        except SpecError as error:
            raise argparse.ArgumentTypeError(str(error).partition(": ")[2]) from None

    convert.__name__ = name  # argparse shows it in "invalid <name> value" messages
    return convert


def _seed(text: str) -> int:
    return SETTINGS["net.seed"].parse(text)


def _activation(text: str) -> str:
    if text.strip() not in HIDDEN_ACTIVATIONS:
        raise SpecError("net.activations", f"activation: must be one of "
                                           f"{', '.join(HIDDEN_ACTIVATIONS)} (got {text!r})")
    return text.strip()


def add_experiment_arguments(parser: argparse.ArgumentParser) -> None:
    groups = {section: parser.add_argument_group(title)
              for section, title in (("data", "data"), ("net", "network"), ("train", "training"))}
    for key, setting in FLAGGED.items():
        r = setting.rule
        metavar = "{" + ",".join(r.choices) + "}" if r.kind == "choice" else r.metavar
        help_text = r.help if r.kind in ("choice", "text") else f"{r.help}; {setting.allowed()}"
        groups[setting.section].add_argument(
            r.flag, dest=_dest(r.flag), type=_type(setting.parse, setting.name),
            default=argparse.SUPPRESS, help=help_text, metavar=metavar)
        if key == "net.activations":
            groups["net"].add_argument(
                "--activation", type=_type(_activation, "activation"),
                default=argparse.SUPPRESS, metavar="NAME",
                help=f"activation of every hidden layer: {', '.join(HIDDEN_ACTIVATIONS)}")
    parser.add_argument("--seed", type=_type(_seed, "seed"), default=argparse.SUPPRESS,
                        metavar="S", help=f"one seed for data, initial weights and shuffles, "
                                          f"0–{MAX_SEED} (--data-seed, --init-seed, "
                                          "--train-seed override it)")
    parser.add_argument("--weights", metavar="FILE.npz", default=argparse.SUPPRESS,
                        help="start from the weights in this .npz (shapes must match)")


def given(args: argparse.Namespace, flag: str) -> bool:
    return hasattr(args, _dest(flag))


def flag_for(error: Exception) -> str | None:
    """The flag that sets the field a SpecError names."""
    field = getattr(error, "field", None)
    if field in SEED_KEYS:
        return FLAG_OF[field]
    return FLAG_OF.get(field)


def fail(parser: argparse.ArgumentParser, error: Exception, flag: str | None = None):
    """Exit 2 with one line blaming ``flag`` (or the flag of the field the error names)."""
    flag = flag or flag_for(error)
    text = (str(error).strip().splitlines() or [type(error).__name__])[0]
    if not flag:
        parser.error(text)
    setting = SETTINGS.get(getattr(error, "field", ""))
    label, sep, rest = text.partition(": ")
    if sep and setting is not None and label == setting.label:
        text = rest  # the flag already names what is wrong
    parser.error(f"argument {flag}: {text}")


_CSV_ONLY = {"--target": "the CSV column to predict", "--task": "a CSV's task"}


def _conflict(args: argparse.Namespace, csv: bool, source: str | None,
              dataset: str) -> str | None:
    """Why flags contradict each other (or the experiment file), in one line; None if not.
    ``source`` names where generated data comes from when no --dataset was typed."""
    if given(args, "--data") and given(args, "--dataset") and args.dataset != "csv":
        return f"argument --dataset: cannot go with --data (either {args.dataset} or a file)"
    if csv:
        where = "--data" if given(args, "--data") else source
        for flag in ("--samples", "--noise", "--classes"):
            if given(args, flag):
                return f"argument {flag}: applies to generated data only, not to {where}"
        return None
    for flag, what in _CSV_ONLY.items():
        if given(args, flag):
            if given(args, "--dataset"):
                return f"argument {flag}: cannot go with --dataset {args.dataset} ({what})"
            where = f" ({source} trains on {dataset})" if source else ""
            return f"argument {flag}: needs --data FILE.csv ({what}){where}"
    return None


def apply_flags(parser, base: Experiment, args: argparse.Namespace,
                base_name: str | None = None) -> Experiment:
    """A copy of ``base`` with every flag given in ``args`` applied; exits 2 on flags that
    contradict each other or the base."""
    values: dict = {}
    if given(args, "--seed"):
        values.update(dict.fromkeys(SEED_KEYS, args.seed))
    for key, setting in FLAGGED.items():
        if given(args, setting.rule.flag):
            values[key] = getattr(args, _dest(setting.rule.flag))
    name = values.get("data.name", base.data.name)
    if given(args, "--data"):
        name = values["data.name"] = "csv"
    csv = name == "csv"
    if csv and base.data.name != "csv" and not given(args, "--data"):
        parser.error("argument --data: a CSV path is required for dataset csv (use --data "
                     "FILE.csv --target COLUMN)")
    why = _conflict(args, csv, base_name, name)
    if why:
        parser.error(why)
    if not csv:
        values["data.path"] = values["data.target"] = None
    hidden = values.get("net.hidden", base.net.hidden)
    if "net.activations" not in values:
        if given(args, "--activation"):
            values["net.activations"] = [args.activation] * len(hidden)
        elif len(base.net.activations) != len(hidden):
            first = base.net.activations[0] if base.net.activations else "tanh"
            values["net.activations"] = [first] * len(hidden)
    elif given(args, "--activation"):
        parser.error("argument --activation: it cannot go with --activations")
    return base.with_values(**values)


def given_keys(args: argparse.Namespace) -> set[str]:
    """The settings the command line set explicitly."""
    keys = {key for key, s in FLAGGED.items() if given(args, s.rule.flag)}
    if given(args, "--seed"):
        keys.update(SEED_KEYS)
    return keys
