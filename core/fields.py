"""Rules for the settings of an experiment: one place for each name, type, bound and help.

Each setting is a dataclass field of ``DataSpec``, ``NetSpec`` or ``TrainConfig`` whose
metadata holds a ``Rule`` (as scikit-learn's ``_parameter_constraints`` sit beside its
estimators' parameters). Everything that checks or reads a setting asks its rule: the specs'
``validate()``, the command-line flags and their help, the TOML reader's type checks and the
forms of the app. No limit is written twice.

A ``Setting`` is a rule bound to its place (section, name, default). ``check`` takes a Python
value and returns it (normalised: -0.0 becomes 0.0) or raises ``SpecError`` naming the
setting; ``parse`` reads what a person typed — plain ASCII decimal or scientific notation for
numbers, so "1_0" and "٣" are refused rather than guessed.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

KINDS = ("int", "float", "choice", "text", "sizes", "names")

# Numbers as people type them: 12, -0.5, .5, 1e-3, 2.5E+4. Nothing else (no "1_0", no "٣",
# no "inf"): Python's float() and int() accept far more than a form should.
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
NONE_WORDS = ("none",)


class SpecError(ValueError):
    """An invalid setting. ``field`` is its dotted key ("net.hidden"), so a front end can point
    at the widget or flag; the message is one line naming the setting and what is allowed."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Rule:
    """What a setting may hold and how it is shown.

    kind:     "int", "float", "choice", "text" (free text), "sizes" (a list of ints, e.g. the
              hidden layers; ``low``/``high`` bound each item, ``max_items`` the count) or
              "names" (a list of choices, e.g. one activation per hidden layer)
    live:     the trainer reads it at every step, so a change applies in place; any other
              change rebuilds the network
    optional: None is allowed (written "none" in files and flags)
    """

    label: str
    help: str
    kind: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    choices: tuple[str, ...] = ()
    max_items: int | None = None
    optional: bool = False
    live: bool = False
    flag: str | None = None
    metavar: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown kind {self.kind!r}")


def rule(default: Any = dataclasses.MISSING, *, factory: Any = dataclasses.MISSING,
         **kwargs: Any) -> Any:
    """A dataclass field whose metadata is ``Rule(**kwargs)``."""
    return dataclasses.field(default=default, default_factory=factory,
                             metadata={"rule": Rule(**kwargs)})


def is_int(value) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)


def is_number(value) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_)


def number_text(value: float) -> str:
    """A bound as a person reads it: 100 000, 4294967295 stays whole, 0.9, 1e-05."""
    if float(value).is_integer() and 1e4 <= abs(value) < 1e9:
        return f"{value:,.0f}".replace(",", " ")
    if float(value).is_integer():
        return f"{value:.0f}"
    return f"{value:g}"


@dataclass(frozen=True)
class Setting:
    section: str
    name: str
    rule: Rule
    default: Any

    @property
    def key(self) -> str:
        return f"{self.section}.{self.name}"

    @property
    def label(self) -> str:
        return self.rule.label

    @property
    def live(self) -> bool:
        return self.rule.live

    # --- what is allowed, in words --------------------------------------------------------
    def allowed(self) -> str:
        """"a whole number 1–100 000", "a number > 0 and ≤ 10", "one of sgd, adam" …"""
        r = self.rule
        if r.kind in ("choice", "names"):
            return f"one of {', '.join(r.choices)}"
        if r.kind == "text":
            return "text"
        whole = r.kind in ("int", "sizes")
        what = "a whole number" if whole else "a number"
        low = number_text(r.low) if r.low is not None else None
        high = number_text(r.high) if r.high is not None else None
        if r.low_open:
            text = f"{what} > {low}" + (f" and ≤ {high}" if high else "")
        elif low is not None and high is not None:
            text = f"{what} {low}–{high}"
        elif low is not None:
            text = f"{what} ≥ {low}"
        else:
            text = what
        return text + (" or none" if r.optional else "")

    def _refuse(self, value, what: str | None = None) -> SpecError:
        return SpecError(self.key, f"{self.label}: must be {what or self.allowed()} "
                                   f"(got {value!r})")

    # --- checking a value -------------------------------------------------------------------
    def check(self, value):
        """``value`` if this setting allows it (-0.0 becomes 0.0), else SpecError."""
        r = self.rule
        if value is None:
            if r.optional or r.kind == "text":
                return None
            raise self._refuse(value)
        if r.kind == "int":
            if not is_int(value) or not self._in_range(value):
                raise self._refuse(value)
            return int(value)
        if r.kind == "float":
            if not is_number(value) or not math.isfinite(value) or not self._in_range(value):
                raise self._refuse(value)
            return float(value) + 0.0  # -0.0 + 0.0 is 0.0
        if r.kind == "choice":
            if value not in r.choices:
                raise self._refuse(value)
            return value
        if r.kind == "text":
            if not isinstance(value, str):
                raise self._refuse(value, "text")
            return value
        return self._check_list(value)

    def _in_range(self, value) -> bool:
        r = self.rule
        if r.low is not None and (value < r.low or (r.low_open and value == r.low)):
            return False
        return r.high is None or value <= r.high

    def _check_list(self, value) -> list:
        r = self.rule
        if not isinstance(value, list | tuple):
            raise self._refuse(value, "a list")
        if r.max_items is not None and len(value) > r.max_items:
            raise SpecError(self.key, f"{self.label}: at most {r.max_items} allowed "
                                      f"(got {len(value)})")
        for position, item in enumerate(value, start=1):
            if r.kind == "sizes":
                ok = is_int(item) and self._in_range(item)
            else:
                ok = item in r.choices
            if not ok:
                allowed = self.allowed().replace("a whole number", "whole numbers")
                raise SpecError(self.key, f"{self.label}: must be {allowed} "
                                          f"(item {position} is {item!r})")
        return [int(item) if r.kind == "sizes" else item for item in value]

    # --- reading what a person typed ----------------------------------------------------------
    def parse(self, text: str):
        """The value ``text`` stands for, checked; SpecError (one line) when it is not one."""
        r = self.rule
        stripped = text.strip()
        if r.optional and stripped.lower() in NONE_WORDS:
            return None
        if r.kind in ("int", "float"):
            return self.check(parse_number(stripped, r.kind == "int", self))
        if r.kind in ("sizes", "names"):
            return self.check(self._parse_list(stripped))
        if r.kind == "text":
            return stripped
        return self.check(stripped)

    def why_not(self, text: str) -> str | None:
        """None when ``text`` parses, else the reason in a few words (for a form)."""
        if not text.strip():
            return "enter a value"
        try:
            self.parse(text)
        except SpecError as error:
            reason = str(error).partition(": ")[2]
            return reason.rsplit(" (", 1)[0] if reason.endswith(")") else reason
        return None

    def _parse_list(self, text: str) -> list:
        if text.lower() in ("none", "[]"):
            return []
        if not text:
            raise SpecError(self.key, f"{self.label}: empty; write 'none' for no items")
        parts = [part.strip() for part in text.split(",")]
        if any(not part for part in parts):
            raise SpecError(self.key, f"{self.label}: an empty item in {text!r}")
        if self.rule.kind == "names":
            return parts
        return [parse_number(part, True, self) for part in parts]


def parse_number(text: str, integer: bool, setting: Setting):
    """An int or float from plain ASCII notation; SpecError naming ``setting`` otherwise."""
    what = "a whole number" if integer else "a number"
    if not _NUMBER.fullmatch(text):
        raise SpecError(setting.key, f"{setting.label}: must be {what} (got {text!r})")
    value = float(text) + 0.0
    if not math.isfinite(value):
        raise SpecError(setting.key, f"{setting.label}: must be a finite number (got {text!r})")
    if not integer:
        return value
    if not value.is_integer():
        raise SpecError(setting.key, f"{setting.label}: must be {what} (got {text!r})")
    # exact for plain digits ("12345678901234567"); via float only for "1e3"
    return int(text) if re.fullmatch(r"[+-]?[0-9]+", text) else int(value)


def settings_of(spec_class, section: str) -> tuple[Setting, ...]:
    """The settings a spec dataclass declares (its fields with a Rule)."""
    result = []
    for f in dataclasses.fields(spec_class):
        r = f.metadata.get("rule")
        if r is None:
            continue
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        result.append(Setting(section, f.name, r, default))
    return tuple(result)


def check_fields(spec, section: str) -> None:
    """Check every setting of ``spec`` (SpecError for the first bad one); values are
    normalised in place (so -0.0 is stored as 0.0)."""
    for setting in settings_of(type(spec), section):
        setattr(spec, setting.name, setting.check(getattr(spec, setting.name)))
