"""Levers that differ by agency and change over time: a scenario's ``[[schedule]]``.

Permenpan RB No. 4/2025 leaves the decisions to each agency (its head sets who and how
many; "not a right"), and a policy is rolled out over time: a pilot in some agencies, a
national rollout later, a rule tightened after a scandal. A scenario file says so with
entries of an array of tables, each a :class:`Change`::

    [[schedule]]
    label = "Pilot in a fifth of the central ministries' offices"
    from_week = 1
    agencies = { government = "central", share = 0.2 }
    flexiwork = { enabled = true }

    [[schedule]]
    label = "Tightened after press reports"
    when = { output = "scandals_press", above = 2 }
    flexiwork = { max_flex_days = 1 }

A change sets any lever of its tables from its first week (``from_week``, 1 = the first
policy week, as the ``step`` of the timeseries) or from the week after its condition
(``when``) is first met in the policy world. With ``agencies`` it acts only on the agencies
it selects (:class:`Agencies`) and may set only the levers an agency decides
(:data:`AGENCY_LEVERS`, ``scope = "agency"`` in levers.toml); without, it acts everywhere.
Changes in force apply in the order they started (ties: file order), so the latest
decision wins where two overlap. The levers in force at a week are :meth:`Plan.levers_at`.

The office-only twin follows the same schedule without its flexiwork levers: it differs
from the policy world by flexiwork alone, and a triggered change reaches it in the week it
reaches the policy world.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from flexisim.errors import format_where
from flexisim.scenario import (
    _TABLES,
    LEVERS,
    Scenario,
    _kind,
    _show,
    convert_value,
    did_you_mean,
    format_problem,
)

__all__ = ["AGENCY_LEVERS", "Agencies", "Change", "FIXED_TABLES", "MAX_CHANGES", "Plan",
           "Trigger", "change_starts", "in_force", "national_levers_at", "office_only_schedule",
           "parse_schedule", "schedule_text"]

#: tables whose levers are set once for a run (its length, seed and population)
FIXED_TABLES = ("run", "population")

#: levers an agency decides, by keyword (levers.toml ``scope = "agency"``): a change with
#: ``agencies`` may set only these
AGENCY_LEVERS: tuple[str, ...] = tuple(k for k, lv in LEVERS.items() if lv.scope == "agency")

#: most entries of one scenario's schedule (a guard against a runaway file)
MAX_CHANGES = 200

#: the agencies a selector's ``share`` keeps: those whose place in this low-discrepancy
#: sequence (the fractional part of sqrt 2) falls below the share, in their order among the
#: selected agencies, so a larger share keeps a smaller one's agencies; another sequence than
#: the decree's (setup.DECREE_SEQUENCE), so a pilot share and a decree share do not pick the
#: same agencies by construction
SELECTION_SEQUENCE = 0.41421356237309515

_GOVERNMENT = ("central", "regional")
_ENTRY_KEYS = ("label", "from_week", "agencies", "when")
_SELECTOR_KEYS = ("government", "regions", "frontline_share", "share")
_TRIGGER_KEYS = ("output", "above", "below", "weeks")
_MAX_WEEK = 5200


@dataclass(frozen=True)
class Agencies:
    """Which agencies a change acts on: all conditions given must hold.

    Attributes
    ----------
    government : {"central", "regional"} or None
        Offices of central ministries and agencies, or regional governments.
    regions : tuple of str or None
        Region names (regions.csv).
    frontline_share : (float, float) or None
        Range of the agency's share of posts in frontline service (its job-family mix),
        inclusive.
    share : float
        The share of the agencies matching the conditions above that the change keeps (a
        pilot in some of them), picked by :data:`SELECTION_SEQUENCE`; 1 = all.
    """

    government: str | None = None
    regions: tuple[str, ...] | None = None
    frontline_share: tuple[float, float] | None = None
    share: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.government is not None:
            out["government"] = self.government
        if self.regions is not None:
            out["regions"] = list(self.regions)
        if self.frontline_share is not None:
            out["frontline_share"] = list(self.frontline_share)
        if self.share != 1.0:
            out["share"] = self.share
        return out

    def select(self, central: np.ndarray, region: np.ndarray, frontline: np.ndarray,
               region_names: Sequence[str]) -> np.ndarray:
        """The selected agencies (a boolean per agency).

        Parameters
        ----------
        central : bool array
            Per agency: a central ministry's office.
        region : int array
            Per agency: its region (row of ``region_names``).
        frontline : float array
            Per agency: its share of frontline posts.
        region_names : sequence of str
        """
        mask = np.ones(len(central), dtype=bool)
        if self.government is not None:
            mask &= central if self.government == "central" else ~central
        if self.regions is not None:
            codes = [list(region_names).index(r) for r in self.regions]
            mask &= np.isin(region, codes)
        if self.frontline_share is not None:
            lo, hi = self.frontline_share
            mask &= (frontline >= lo - 1e-12) & (frontline <= hi + 1e-12)
        if self.share < 1.0:
            rank = np.cumsum(mask) - 1  # place among the matching agencies
            place = np.mod((rank + 1.0) * SELECTION_SEQUENCE, 1.0)
            mask &= place < self.share
        return mask


@dataclass(frozen=True)
class Trigger:
    """A condition on one weekly output of the policy world.

    Met in a week when the output is above ``above`` (or below ``below``) for ``weeks``
    weeks in a row; the change then applies from the next week, once and for good.
    """

    output: str
    above: float | None = None
    below: float | None = None
    weeks: int = 1

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"output": self.output}
        if self.above is not None:
            out["above"] = self.above
        if self.below is not None:
            out["below"] = self.below
        if self.weeks != 1:
            out["weeks"] = self.weeks
        return out

    def holds(self, value: float) -> bool:
        """The condition on one week's value (NaN: not met)."""
        if not math.isfinite(value):
            return False
        return value > self.above if self.above is not None else value < self.below


@dataclass(frozen=True)
class Change:
    """One entry of a scenario's schedule (see the module docstring).

    Attributes
    ----------
    values : dict
        Lever keyword -> validated value.
    from_week : int
        First week (1 = the first policy week) it applies, or, with ``when``, the first week
        its condition is watched.
    agencies : Agencies or None
        The agencies it acts on (None: all, and national levers too).
    when : Trigger or None
        Applies from the week after this condition is met (None: from ``from_week``).
    label : str
        What the change is, in words (reported with the run).
    """

    values: dict[str, Any]
    from_week: int = 1
    agencies: Agencies | None = None
    when: Trigger | None = None
    label: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The entry as written in a file (``[[schedule]]``), lever tables nested."""
        out: dict[str, Any] = {}
        if self.label:
            out["label"] = self.label
        if self.from_week != 1 or self.when is None:
            out["from_week"] = self.from_week
        if self.agencies is not None:
            out["agencies"] = self.agencies.to_dict()
        if self.when is not None:
            out["when"] = self.when.to_dict()
        for kwarg, value in self.values.items():
            lever = LEVERS[kwarg]
            out.setdefault(lever.table, {})[lever.field] = (list(value) if isinstance(
                value, list | tuple) else value)
        return out


# --------------------------------------------------------------------------- parsing
def _outputs() -> dict[str, tuple[str, str]]:
    from flexisim.mechanisms.registry import STEP
    from flexisim.metrics import OUTPUTS

    return {**OUTPUTS, **STEP.outputs()}


def _region_names() -> list[str]:
    from flexisim.population import tables

    return list(tables()["region_names"])


def _whole(value: Any, lo: int, hi: int) -> bool:
    """An integer (not a boolean) from ``lo`` to ``hi``."""
    return (not isinstance(value, bool) and isinstance(value, numbers.Integral)
            and lo <= value <= hi)


def _finite(value: Any) -> bool:
    """A finite number (not a boolean)."""
    return (not isinstance(value, bool) and isinstance(value, numbers.Real)
            and math.isfinite(value))


def parse_schedule(value: Any, shown: str, problems: list[str]) -> list[Change]:
    """The changes of a file's ``schedule`` (an array of tables), each checked as strictly
    as a lever table: every problem is appended to ``problems`` as ``file: where: value:
    what is wrong (allowed: ...)``; only valid entries are returned."""
    if not isinstance(value, list) or not all(isinstance(e, dict) for e in value):
        problems.append(format_problem(shown, "schedule", value,
                                       f"expected an array of tables, got {_kind(value)}",
                                       "[[schedule]] entries, each with lever tables"))
        return []
    if len(value) > MAX_CHANGES:
        problems.append(format_where(shown, "schedule", f"{len(value)} entries",
                                     f"at most {MAX_CHANGES}"))
        return []
    changes = []
    for i, entry in enumerate(value, start=1):
        change = _parse_entry(entry, f"schedule[{i}]", shown, problems)
        if change is not None:
            changes.append(change)
    return changes


def _parse_entry(entry: Mapping[str, Any], where: str, shown: str,
                 problems: list[str]) -> Change | None:
    before = len(problems)
    label, from_week, agencies, when = "", 1, None, None
    values: dict[str, Any] = {}
    for key, item in entry.items():
        at = f"{where}.{key}"
        if key == "label":
            if isinstance(item, str):
                label = item
            else:
                problems.append(format_problem(shown, at, item, "expected a string, got "
                                               f"{_kind(item)}", "one line of text"))
        elif key == "from_week":
            if not _whole(item, 1, _MAX_WEEK):
                problems.append(format_problem(shown, at, item, "not a week",
                                               f"an integer from 1 to {_MAX_WEEK}; week 1 is "
                                               "the first policy week"))
            else:
                from_week = int(item)
        elif key == "agencies":
            agencies = _parse_selector(item, at, shown, problems)
        elif key == "when":
            when = _parse_trigger(item, at, shown, problems)
        elif key in FIXED_TABLES:
            problems.append(format_problem(shown, at, item, f"[{key}] is set once for a run "
                                           "and cannot change in a schedule", None))
        elif key in _TABLES:
            if not isinstance(item, dict):
                problems.append(format_problem(shown, at, item, f"expected a table, got "
                                               f"{_kind(item)}", "lever = value pairs"))
                continue
            for name, lever_value in item.items():
                lever = next((lv for lv in _TABLES[key] if lv.field == name), None)
                if lever is None:
                    fields = [lv.field for lv in _TABLES[key]]
                    problems.append(format_problem(shown, f"{at}.{name}", lever_value,
                                                   "unknown field" + did_you_mean(name, fields),
                                                   None if did_you_mean(name, fields)
                                                   else ", ".join(fields)))
                    continue
                checked, wrong = convert_value(lever, lever_value)
                problems.extend(format_problem(shown, f"{at}.{name}", lever_value, w,
                                               lever.allowed()) for w in wrong)
                if not wrong:
                    values[lever.kwarg] = checked
        else:
            tables = [t for t in _TABLES if t not in FIXED_TABLES]
            problems.append(format_problem(
                shown, at, item, "unknown key" + did_you_mean(key, [*_ENTRY_KEYS, *tables]),
                "label, from_week, agencies, when, and the lever tables " + ", ".join(tables)))
    if agencies is not None:
        national = [k for k in values if k not in AGENCY_LEVERS]
        for kwarg in national:
            lever = LEVERS[kwarg]
            problems.append(format_problem(
                shown, f"{where}.{lever.table}.{lever.field}", values[kwarg],
                "a national lever: it cannot differ by agency (set it in an entry without "
                "`agencies`)", "agency levers: " + ", ".join(
                    LEVERS[k].key for k in AGENCY_LEVERS)))
    if not values and len(problems) == before:
        problems.append(format_where(shown, where, "sets no lever (add a lever table, e.g. "
                                     "flexiwork = { enabled = true })"))
    if len(problems) > before:
        return None
    return Change(values=values, from_week=from_week, agencies=agencies, when=when,
                  label=label)


def _parse_selector(item: Any, at: str, shown: str, problems: list[str]) -> Agencies | None:
    if not isinstance(item, dict):
        problems.append(format_problem(shown, at, item, f"expected a table, got {_kind(item)}",
                                       ", ".join(_SELECTOR_KEYS)))
        return None
    before = len(problems)
    options: dict[str, Any] = {}
    names = _region_names()
    for key, value in item.items():
        where = f"{at}.{key}"
        if key == "government":
            if value in _GOVERNMENT:
                options[key] = value
            else:
                problems.append(format_problem(shown, where, value, "not a kind of government"
                                               + (did_you_mean(value, _GOVERNMENT)
                                                  if isinstance(value, str) else ""),
                                               "'central' or 'regional'"))
        elif key == "regions":
            ok = isinstance(value, list) and value and all(isinstance(r, str) for r in value)
            bad = [r for r in value if r not in names] if ok else []
            if not ok or bad or len(set(value)) != len(value):
                hint = did_you_mean(bad[0], names) if bad else ""
                problems.append(format_problem(shown, where, value,
                                               "not a list of distinct region names" + hint,
                                               ", ".join(repr(n) for n in names)))
            else:
                options[key] = tuple(value)
        elif key == "frontline_share":
            ok = isinstance(value, list) and len(value) == 2 and all(map(_finite, value))
            if not ok or not (0.0 <= value[0] <= value[1] <= 1.0):
                problems.append(format_problem(shown, where, value, "not a range of shares",
                                               "[low, high] with 0 <= low <= high <= 1"))
            else:
                options[key] = (float(value[0]), float(value[1]))
        elif key == "share":
            if not (_finite(value) and 0.0 < value <= 1.0):
                problems.append(format_problem(shown, where, value, "not a share",
                                               "a number above 0 and at most 1"))
            else:
                options[key] = float(value)
        else:
            problems.append(format_problem(shown, where, value, "unknown key"
                                           + did_you_mean(key, _SELECTOR_KEYS),
                                           ", ".join(_SELECTOR_KEYS)))
    return Agencies(**options) if len(problems) == before else None


def _parse_trigger(item: Any, at: str, shown: str, problems: list[str]) -> Trigger | None:
    if not isinstance(item, dict):
        problems.append(format_problem(shown, at, item, f"expected a table, got {_kind(item)}",
                                       "output, above or below, weeks"))
        return None
    before = len(problems)
    options: dict[str, Any] = {}
    outputs = _outputs()
    for key, value in item.items():
        where = f"{at}.{key}"
        if key == "output":
            if isinstance(value, str) and value in outputs:
                options[key] = value
            else:
                problems.append(format_problem(
                    shown, where, value, "not a weekly output" + (
                        did_you_mean(value, outputs) if isinstance(value, str) else ""),
                    "an output of the timeseries, e.g. scandals_press, public_trust, "
                    "performance (docs/ODD.md, section 10.1, lists them)"))
        elif key in ("above", "below"):
            if not _finite(value):
                problems.append(format_problem(shown, where, value, "not a finite number",
                                               None))
            else:
                options[key] = float(value)
        elif key == "weeks":
            if not _whole(value, 1, 520):
                problems.append(format_problem(shown, where, value, "not a number of weeks",
                                               "an integer from 1 to 520"))
            else:
                options[key] = int(value)
        else:
            problems.append(format_problem(shown, where, value, "unknown key"
                                           + did_you_mean(key, _TRIGGER_KEYS),
                                           ", ".join(_TRIGGER_KEYS)))
    if "output" not in options and len(problems) == before:
        problems.append(format_where(shown, at, "no output named", "an output of the timeseries"))
    if ("above" in options) == ("below" in options) and len(problems) == before:
        problems.append(format_where(shown, at, "give exactly one of above, below"))
    return Trigger(**options) if len(problems) == before else None


def change_from_levers(levers: Mapping[str, Any], *, from_week: int,
                       agencies: Mapping[str, Any] | None = None,
                       when: Mapping[str, Any] | None = None, label: str = "",
                       source: str = "<change>") -> Change:
    """A :class:`Change` from lever keywords, checked as an entry of a file is.

    Raises
    ------
    ScenarioError
        Every problem, as for a file (``source: change: lever: value: what is wrong``).
    """
    from flexisim.errors import ScenarioError

    problems: list[str] = []
    entry: dict[str, Any] = {"from_week": from_week}
    if label:
        entry["label"] = label
    if agencies is not None:
        entry["agencies"] = dict(agencies)
    if when is not None:
        entry["when"] = dict(when)
    for name, value in levers.items():
        lever = LEVERS.get(name)
        if lever is None:
            problems.append(format_problem(source, name, value, "unknown lever"
                                           + did_you_mean(name, LEVERS), None))
            continue
        entry.setdefault(lever.table, {})[lever.field] = (list(value) if isinstance(
            value, tuple) else value)
    change = _parse_entry(entry, "change", source, problems)
    if problems or change is None:
        raise ScenarioError(problems)
    return change


def office_only_schedule(schedule: Sequence[Change]) -> tuple[Change, ...]:
    """The schedule of the office-only twin: the same changes without their flexiwork
    levers (a change left with none is kept, so a triggered change keeps its place)."""
    return tuple(dataclasses.replace(c, values={k: v for k, v in c.values.items()
                                                if LEVERS[k].table != "flexiwork"})
                 for c in schedule)


def schedule_text(schedule: Sequence[Change], fired: Mapping[int, int] | None = None) -> str:
    """The schedule in one line for a run's summary: ``label or levers @ week``, " | "-joined
    (a triggered change shows the week it applied from, or "not triggered")."""
    parts = []
    for i, change in enumerate(schedule):
        what = change.label or ", ".join(f"{LEVERS[k].key}={_show(v)}"
                                         for k, v in change.values.items())
        if change.agencies is not None:
            what += " (" + ", ".join(f"{k}={_show(v)}" for k, v in
                                     change.agencies.to_dict().items()) + ")"
        if change.when is None:
            when = f"from week {change.from_week}"
        elif fired is None:
            w = change.when
            sign, value = (">", w.above) if w.above is not None else ("<", w.below)
            when = (f"from the week after {w.output} {sign} {_show(value)}"
                    + (f" for {w.weeks} weeks" if w.weeks > 1 else "")
                    + (f", watched from week {change.from_week}" if change.from_week > 1
                       else ""))
        elif i in fired:
            when = f"from week {fired[i] + 2} (triggered)"
        else:
            when = "not triggered"
        parts.append(f"{what}: {when}")
    return " | ".join(parts)


# --------------------------------------------------------------------------- in force
@dataclass
class Plan:
    """The levers of one world over time: its scenario's values and schedule, resolved over
    the world's agencies.

    Parameters
    ----------
    config : Scenario
    central, region, frontline : arrays per agency
        Which agencies a selector picks (:meth:`Agencies.select`).
    region_names : sequence of str
    """

    config: Scenario
    central: np.ndarray
    region: np.ndarray
    frontline: np.ndarray
    region_names: Sequence[str]
    masks: list[np.ndarray | None] = field(init=False)

    def __post_init__(self) -> None:
        self.masks = [None if c.agencies is None else
                      c.agencies.select(self.central, self.region, self.frontline,
                                        self.region_names)
                      for c in self.config.schedule]

    @property
    def schedule(self) -> tuple[Change, ...]:
        return self.config.schedule

    def starts(self, fired: Mapping[int, int]) -> list[int | None]:
        """The 0-based week each change applies from (None: not yet triggered)."""
        return change_starts(self.schedule, fired)

    def changes_at(self, week: int, fired: Mapping[int, int]) -> bool:
        """Whether any change starts at ``week`` (0-based)."""
        return any(s == week for s in self.starts(fired))

    def levers_at(self, week: int, fired: Mapping[int, int] | None = None
                  ) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """The levers in force at ``week`` (0-based; a warm-up week < 0 sees those of week 0
        without triggered changes).

        Returns
        -------
        national : dict
            Every lever keyword -> value (the scenario's, changed by the changes in force
            without ``agencies``).
        agency : dict
            Every agency lever keyword -> its value per agency (an array; a list lever as a
            tuple per agency is not needed: job families are bits, see
            :func:`family_bits`).
        """
        national = dict(self.config.values)
        n = len(self.central)
        agency = {k: _agency_array(k, national[k], n) for k in AGENCY_LEVERS}
        for i in in_force(self.schedule, week, fired):
            change, mask = self.schedule[i], self.masks[i]
            for kwarg, value in change.values.items():
                if mask is None:
                    national[kwarg] = value
                if kwarg in agency:
                    agency[kwarg][slice(None) if mask is None else mask] = _agency_value(
                        kwarg, value)
        return national, agency


def change_starts(schedule: Sequence[Change], fired: Mapping[int, int] | None = None
                  ) -> list[int | None]:
    """The 0-based week each change applies from (None: not yet triggered); ``fired`` maps a
    triggered change's position to the week its condition was met."""
    fired = fired or {}
    return [c.from_week - 1 if c.when is None else (fired[i] + 1 if i in fired else None)
            for i, c in enumerate(schedule)]


def in_force(schedule: Sequence[Change], week: int, fired: Mapping[int, int] | None = None
             ) -> list[int]:
    """Positions of the changes in force at ``week`` (0-based), in the order they apply: the
    order they started, ties in file order, so the latest decision wins."""
    starts = change_starts(schedule, fired)
    return [i for _, i in sorted((s, i) for i, s in enumerate(starts)
                                 if s is not None and s <= max(week, 0))]


def national_levers_at(config: Scenario, week: int,
                       fired: Mapping[int, int] | None = None) -> dict[str, Any]:
    """Every lever's national value at ``week`` (0-based): the scenario's values changed by
    the changes in force that act everywhere (a change with ``agencies`` sets only those
    agencies' columns, :meth:`Plan.levers_at`)."""
    national = dict(config.values)
    for i in in_force(config.schedule, week, fired):
        if config.schedule[i].agencies is None:
            national.update(config.schedule[i].values)
    return national


def family_bits(families: Sequence[str]) -> int:
    """Job families as bits (bit j: ``population.JOB_FAMILIES[j]``)."""
    from flexisim.population import JOB_FAMILIES

    return sum(1 << JOB_FAMILIES.index(f) for f in families)


def _agency_value(kwarg: str, value: Any) -> Any:
    return family_bits(value) if LEVERS[kwarg].type == "list[str]" else value


_DTYPES = {"bool": np.bool_, "int": np.int64, "float": np.float64, "list[str]": np.int64}


def agency_dtype(kwarg: str) -> Any:
    """The dtype of an agency lever's column (a list lever: bits in an int64)."""
    return _DTYPES[LEVERS[kwarg].type]


def _agency_array(kwarg: str, value: Any, n: int) -> np.ndarray:
    return np.full(n, _agency_value(kwarg, value), dtype=agency_dtype(kwarg))
