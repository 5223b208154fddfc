"""Parameters of one world: the scenario's levers and the behavioural coefficients, frozen.

:class:`Params` is a frozen dataclass made from the two data files that declare every
parameter -- ``flexisim/data/levers.toml`` (policy levers: type, range, unit, source) and
``flexisim/data/calibration.toml`` (behavioural coefficients, each with its source) -- so a
new lever or coefficient is added in its data file only. Its fields are typed (``bool``,
``int``, ``float``, ``str``, ``tuple[str, ...]`` for levers, ``float`` for coefficients),
it refuses unknown names, and it cannot be changed during a run: quantities *derived* from
parameters and state (a leader's style, an agency's measurement credibility, a region's
device access) live in the state (:mod:`flexisim.state`), not here.

Values are validated at the boundary: levers by :mod:`flexisim.scenario`, coefficient
overrides here (:meth:`Params.build`).
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from flexisim.channels import CHANNELS, gate_name

__all__ = ["Params", "SIGNED_COEFFICIENTS", "calibration_defaults", "calibration_preset",
           "coefficient_names", "lever_names", "make_params", "preset_names"]

#: Coefficients that may be negative (logit intercepts); every other one is a weight, rate
#: or share and must be >= 0.
SIGNED_COEFFICIENTS = frozenset({"day_base"})

_LEVER_TYPES: dict[str, Any] = {"bool": bool, "int": int, "float": float, "str": str,
                                "list[str]": tuple[str, ...]}


@cache
def calibration_defaults() -> dict[str, float]:
    """Behavioural coefficients from ``flexisim/data/calibration.toml``."""
    with resources.files("flexisim.data").joinpath("calibration.toml").open("rb") as fh:
        return tomllib.load(fh)


def preset_names() -> list[str]:
    """Names of the calibration presets shipped in ``flexisim/data/presets``."""
    folder = resources.files("flexisim.data").joinpath("presets")
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def calibration_preset(spec: str | Path) -> dict[str, float]:
    """Coefficient overrides from a preset name (``preset_names()``) or a TOML file of them.

    Parameters
    ----------
    spec : str or Path
        ``"trust_oecd"``, or the path of a TOML file of ``name = value`` lines.

    Returns
    -------
    dict
        Coefficient name -> value, checked (names known, values finite and >= 0).

    Raises
    ------
    flexisim.errors.UsageError
        Naming the file, the coefficient and what is wrong: an unknown preset or file, bad
        TOML, an unknown coefficient (with a suggestion), a value that is not a number.
    """
    from flexisim.errors import UsageError, format_where
    from flexisim.scenario import (
        did_you_mean,
        format_problem,
        is_file,
        parse_toml,
        read_toml_file,
    )

    text = str(spec)
    problems: list[str] = []
    if text in preset_names():
        shown = f"preset {text}"
        ref = resources.files("flexisim.data").joinpath("presets", f"{text}.toml")
        values = parse_toml(ref.read_text(encoding="utf-8"), shown, problems)
    else:
        shown = text
        if not is_file(Path(text)):
            raise UsageError([format_where(text, None, "no such calibration preset or file "
                                           f"(presets: {', '.join(preset_names())})")])
        # the scenario files' reader: the same checks of encoding, syntax and nesting
        values = read_toml_file(Path(text), shown, problems)
    if values is None:
        raise UsageError([f"{p} (not a valid TOML file of coefficients)" for p in problems])
    known = calibration_defaults()
    out: dict[str, float] = {}
    for name, value in values.items():
        if name not in known:
            problems.append(format_where(shown, name, "unknown calibration coefficient"
                                         + did_you_mean(name, known)))
        elif (number := _finite(value)) is None or (number < 0
                                                   and name not in SIGNED_COEFFICIENTS):
            problems.append(format_problem(shown, name, value,
                                           "not allowed (a finite number >= 0)", None))
        else:
            out[name] = number
    if problems:
        raise UsageError(problems)
    return out


def _finite(value: Any) -> float | None:
    """`value` as a finite float, or None: not a number (a boolean is not one), not finite,
    or an integer too large for a float (TOML's integers have no bound)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def lever_names() -> tuple[str, ...]:
    """Names (keywords) of the levers, in the order of levers.toml."""
    from flexisim.scenario import LEVERS

    return tuple(LEVERS)


def coefficient_names() -> tuple[str, ...]:
    """Names of the behavioural coefficients, in the order of calibration.toml."""
    return tuple(calibration_defaults())


class _ParamsMethods:
    """Methods of :class:`Params` (the class itself is generated from the data files)."""

    @classmethod
    def build(cls, levers: Mapping[str, Any],
              calibration: Mapping[str, float] | None = None,
              channels: Mapping[str, float] | None = None) -> Params:
        """Parameters from validated lever values and optional coefficient overrides.

        Parameters
        ----------
        levers : mapping
            Every lever by keyword (``Scenario.values``: validated by flexisim.scenario).
        calibration : mapping, optional
            Overrides of behavioural coefficients by name.
        channels : mapping, optional
            Gates of the channels of flexiwork (:mod:`flexisim.channels`) by channel name,
            1 = on (the default for every channel), 0 = off; nothing in between (some gates
            switch a rule, they do not scale a term).

        Raises
        ------
        KeyError
            An unknown coefficient or channel name (a typo must not silently do nothing).
        ValueError
            A coefficient value that is not a finite number >= 0 (only
            :data:`SIGNED_COEFFICIENTS` may be negative).
        """
        cal = dict(calibration_defaults())
        for key, value in (calibration or {}).items():
            if key not in cal:
                raise KeyError(f"unknown calibration coefficient {key!r}")
            value = float(value)
            if not np.isfinite(value) or (value < 0 and key not in SIGNED_COEFFICIENTS):
                raise ValueError(f"calibration coefficient {key!r}: {value} is not allowed "
                                 "(a finite number >= 0)")
            cal[key] = value
        missing = [k for k in lever_names() if k not in levers]
        if missing:
            raise KeyError(f"levers missing: {missing}")
        gates = {}
        for name, value in (channels or {}).items():
            if name not in CHANNELS:
                raise KeyError(f"unknown channel {name!r} (channels: {', '.join(CHANNELS)})")
            if float(value) not in (0.0, 1.0):
                raise ValueError(f"channel {name!r}: gate {value} must be 0 (off) or 1 (on)")
            gates[gate_name(name)] = float(value)
        return cls(**{k: levers[k] for k in lever_names()}, **cal, **gates)

    def levers(self) -> dict[str, Any]:
        """The lever values by keyword."""
        return {k: getattr(self, k) for k in lever_names()}

    def channels(self) -> dict[str, float]:
        """The channels' gates by channel name (1 = on)."""
        return {k: getattr(self, gate_name(k)) for k in CHANNELS}

    def coefficients(self) -> dict[str, float]:
        """The behavioural coefficients by name."""
        return {k: getattr(self, k) for k in coefficient_names()}

    def replace(self, **changes: Any) -> Params:
        """A copy with some values changed (names must exist)."""
        return dataclasses.replace(self, **changes)


def _params_class() -> type:
    from flexisim.scenario import LEVERS

    cal = calibration_defaults()
    clash = sorted(set(LEVERS) & set(cal))
    if clash:
        raise RuntimeError(f"names used both as lever and as coefficient: {clash}")
    fields = [(name, _LEVER_TYPES[lever.type],
               dataclasses.field(metadata={"kind": "lever", "unit": lever.unit}))
              for name, lever in LEVERS.items()]
    fields += [(name, float, dataclasses.field(metadata={"kind": "coefficient"}))
               for name in cal]
    fields += [(gate_name(name), float, dataclasses.field(default=1.0,
                                                          metadata={"kind": "channel"}))
               for name in CHANNELS]
    cls = dataclasses.make_dataclass(
        "Params", fields, bases=(_ParamsMethods,), frozen=True, slots=True, module=__name__)
    cls.__doc__ = ("Parameters of one world (frozen): every lever of levers.toml and every "
                   "coefficient of calibration.toml, as typed fields. Build with "
                   "``Params.build(levers, calibration)``.")
    return cls


Params = _params_class()


def make_params(levers: Mapping[str, Any],
                calibration: Mapping[str, float] | None = None,
                channels: Mapping[str, float] | None = None) -> Params:
    """``Params.build(levers, calibration, channels)``: the parameters of one world."""
    return Params.build(levers, calibration, channels)
