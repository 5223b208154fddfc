"""What a validation experiment measures: one small probe class per kind of study outcome.

A probe is created per run, sees both worlds after every observed week (``observe``) and
returns one number at the end (``value``). The *reference* world is the office-only twin of
the run unless the target defines a ``[contrast]`` world (the same seed and population with
some levers changed, e.g. perfect internet for D1 or daily verification for O5).

Both worlds start from the same population and seed (common random numbers, ODD section 8).
``TreatedChange`` and ``ExitRatio`` compare *rows*: the same row in the two worlds is the same
person as long as it has been refilled the same number of times (``Staff.hires``) and is in
post in both, so the comparison is a treatment effect on the same people. ``GroupChange``,
``RatingDifference`` and ``ShirkingShare`` compare whole groups (everyone in post in the
job families) between the two worlds: a policy effect on the group, as in a forced or
universal change.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from flexisim.population import JOB_FAMILIES

__all__ = ["MEASURES", "Probe", "TRUSTING"]

#: A citizen "trusts" the civil service when trust >= 0.55: on the OECD Trust Survey's 0-10
#: scale (answers 6-10 count as trusting) a continuous 0-1 trust rounds to 6 from 0.55 up.
TRUSTING = 0.55


class Probe:
    """Base class: options are checked once, at the boundary (``OPTIONS``)."""

    #: option name -> default (None: required)
    OPTIONS: ClassVar[dict[str, Any]] = {}
    #: whether the probe compares the run with a reference world (twin or contrast)
    PAIRED: ClassVar[bool] = False
    #: one line for the docs and the table
    DESCRIPTION: ClassVar[str] = ""

    def __init__(self, **options: Any) -> None:
        unknown = set(options) - set(self.OPTIONS)
        if unknown:
            raise ValueError(f"unknown option(s) {sorted(unknown)}; allowed: "
                             f"{sorted(self.OPTIONS) or 'none'}")
        self.options = {**self.OPTIONS, **options}
        missing = [k for k, v in self.options.items() if v is None]
        if missing:
            raise ValueError(f"missing option(s) {missing}")
        families = self.options.get("families")
        if families is not None:
            bad = [f for f in families if f not in JOB_FAMILIES]
            if bad:
                raise ValueError(f"unknown job family {bad}; allowed: {list(JOB_FAMILIES)}")

    def observe(self, model: Any, reference: Any | None) -> None:  # pragma: no cover
        raise NotImplementedError

    def value(self) -> float:  # pragma: no cover
        raise NotImplementedError

    # helpers -------------------------------------------------------------
    def _family_mask(self, staff: Any) -> np.ndarray:
        families = self.options.get("families") or list(JOB_FAMILIES)
        codes = [JOB_FAMILIES.index(f) for f in families]
        return np.isin(staff.job, codes)


def _same_people(a: Any, b: Any) -> np.ndarray:
    """Rows in post in both worlds and held by the same person (refilled equally often)."""
    return a.active & b.active & (a.hires == b.hires)


def _output(staff: Any, quantity: str) -> np.ndarray:
    if quantity == "output":
        return staff.output.astype(np.float64)
    return staff.output.astype(np.float64) * staff.quality  # what `performance` measures


class TreatedChange(Probe):
    """Change (%) in output of the people working flexibly this week against themselves in
    the reference world: the treatment effect on the treated of a work-from-home trial."""

    OPTIONS: ClassVar[dict[str, Any]] = {"families": (), "quantity": "output_quality",
                                         "min_days": 1}
    PAIRED = True
    DESCRIPTION = "output of staff working flexibly vs the same people in the reference world (%)"

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.treated = 0.0
        self.reference = 0.0

    def observe(self, model: Any, reference: Any | None) -> None:
        a, b = model.pop.staff, reference.pop.staff
        rows = (_same_people(a, b) & self._family_mask(a)
                & (a.flex_days >= self.options["min_days"]))
        q = self.options["quantity"]
        self.treated += float(_output(a, q)[rows].sum())
        self.reference += float(_output(b, q)[rows].sum())

    def value(self) -> float:
        return 100.0 * (self.treated / self.reference - 1.0) if self.reference > 0 else np.nan


class GroupChange(Probe):
    """Change (%) in total output of a group (job families) against the reference world:
    the whole group, whoever works where (a forced or universal change)."""

    OPTIONS: ClassVar[dict[str, Any]] = {"families": (), "quantity": "output_quality"}
    PAIRED = True
    DESCRIPTION = "total output of the group vs the reference world (%)"

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.this = 0.0
        self.other = 0.0

    def observe(self, model: Any, reference: Any | None) -> None:
        q = self.options["quantity"]
        for staff, attr in ((model.pop.staff, "this"), (reference.pop.staff, "other")):
            rows = staff.active & self._family_mask(staff)
            setattr(self, attr, getattr(self, attr) + float(_output(staff, q)[rows].sum()))

    def value(self) -> float:
        return 100.0 * (self.this / self.other - 1.0) if self.other > 0 else np.nan


class ShirkingShare(Probe):
    """Share of staff-days shirked (true, not detected) in a group, over the observed weeks;
    with ``ratio = true`` this world's share divided by the reference world's (O5: a
    verification programme against the status quo)."""

    OPTIONS: ClassVar[dict[str, Any]] = {"families": (), "ratio": False}
    DESCRIPTION = "share of staff-days shirked in the group"

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.PAIRED = bool(self.options["ratio"])  # instance flag: paired only as a ratio
        self.shirked = [0.0, 0.0]
        self.days = [0.0, 0.0]

    def observe(self, model: Any, reference: Any | None) -> None:
        worlds = (model, reference) if self.options["ratio"] else (model,)
        for k, world in enumerate(worlds):
            staff = world.pop.staff
            rows = staff.active & self._family_mask(staff)
            self.shirked[k] += float(staff.shirk_days[rows].sum())
            self.days[k] += 5.0 * float(rows.sum())

    def value(self) -> float:
        share = [s / d if d else np.nan for s, d in zip(self.shirked, self.days, strict=True)]
        return share[0] / share[1] if self.options["ratio"] else share[0]


class ExitRatio(Probe):
    """Voluntary exits (quits, not retirements) of the people who work flexibly in this world,
    divided by the exits of the same people in the reference world, over the observed weeks.

    The people are those working flexibly in the first observed week and in post in both
    worlds then; an exit is a row going out of post (or being refilled) between two observed
    weeks before its retirement age.
    """

    OPTIONS: ClassVar[dict[str, Any]] = {"families": ()}
    PAIRED = True
    DESCRIPTION = "quits of flexible workers / quits of the same people in the reference world"

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.cohort: np.ndarray | None = None
        self.in_post: list[np.ndarray] = []
        self.hires: list[np.ndarray] = []
        self.exits = [0, 0]

    def observe(self, model: Any, reference: Any | None) -> None:
        worlds = (model.pop.staff, reference.pop.staff)
        if self.cohort is None:
            a, b = worlds
            self.cohort = (_same_people(a, b) & self._family_mask(a) & (a.flex_days > 0))
            self.in_post = [self.cohort.copy(), self.cohort.copy()]
            self.hires = [a.hires.copy(), b.hires.copy()]
            return
        for k, staff in enumerate(worlds):
            gone = self.in_post[k] & (~staff.active | (staff.hires != self.hires[k]))
            quit_ = gone & (staff.age < staff.retirement_age)
            self.exits[k] += int(quit_.sum())
            self.in_post[k] &= ~gone

    def value(self) -> float:
        return self.exits[0] / self.exits[1] if self.exits[1] else np.nan


class RatingDifference(Probe):
    """Mean appraisal rating (1-5, the e-Kinerja predicates) in this world minus the
    reference world, over the appraisals after the first, among staff of the families."""

    OPTIONS: ClassVar[dict[str, Any]] = {"families": ()}
    PAIRED = True
    DESCRIPTION = "mean rating (1-5) in this world minus the reference world"

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.sums = [0.0, 0.0]
        self.counts = [0, 0]
        self._last = -1

    def observe(self, model: Any, reference: Any | None) -> None:
        week = model.steps  # appraisals happen at the end of weeks that are multiples of the cycle
        cycle = int(model.config.values["appraisal_weeks"])
        if week % cycle or week <= cycle:
            return
        for k, world in enumerate((model, reference)):
            staff = world.pop.staff
            rows = staff.active & self._family_mask(staff) & (staff.rating > 0)
            self.sums[k] += float(staff.rating[rows].sum())
            self.counts[k] += int(rows.sum())

    def value(self) -> float:
        if not all(self.counts):
            return np.nan
        return self.sums[0] / self.counts[0] - self.sums[1] / self.counts[1]


class UptakeAmongEligible(Probe):
    """Share of staff eligible at some point of the observed weeks who used at least one
    flexible day in them (OPM: "teleworked" in the fiscal year)."""

    OPTIONS: ClassVar[dict[str, Any]] = {"families": ()}
    DESCRIPTION = "share of eligible staff who used a flexible day in the period"

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.ever_eligible: np.ndarray | None = None
        self.ever_used: np.ndarray | None = None
        self.hires: np.ndarray | None = None

    def observe(self, model: Any, reference: Any | None) -> None:
        s = model.pop.staff
        if self.ever_eligible is None:
            self.ever_eligible = np.zeros(len(s), bool)
            self.ever_used = np.zeros(len(s), bool)
            self.hires = s.hires.copy()
        changed = s.hires != self.hires  # a new person in the row: start their record afresh
        self.ever_eligible[changed] = False
        self.ever_used[changed] = False
        self.hires = s.hires.copy()
        self.ever_eligible |= s.active & s.eligible & self._family_mask(s)
        self.ever_used |= s.active & (s.flex_days > 0)

    def value(self) -> float:
        n = int(self.ever_eligible.sum())
        return float((self.ever_eligible & self.ever_used).sum()) / n if n else np.nan


class WillingShare(Probe):
    """Share of staff whose work can be done with ICT who would use flexible days if allowed
    (not persistent non-users: preference at least ``nonuser_preference``), at the end of the
    observed weeks. What a survey of civil servants' wishes measures."""

    OPTIONS: ClassVar[dict[str, Any]] = {"families": ()}
    DESCRIPTION = "share of staff with ICT-doable work who would use flexible days"

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.share = np.nan

    def observe(self, model: Any, reference: Any | None) -> None:
        s = model.pop.staff
        asked = s.active & s.ict_doable & self._family_mask(s)
        n = int(asked.sum())
        willing = asked & (s.flex_preference >= model.p.nonuser_preference)
        self.share = float(willing.sum()) / n if n else np.nan

    def value(self) -> float:
        return self.share


class WellbeingGap(Probe):
    """Mean well-being (x100) at the end of staff who used flexible days in the observed
    weeks minus that of staff who did not (engagement of teleworkers vs others)."""

    OPTIONS: ClassVar[dict[str, Any]] = {"families": ()}
    DESCRIPTION = "well-being of staff who used flexible days minus others (points of 100)"

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.used: np.ndarray | None = None
        self.model: Any = None

    def observe(self, model: Any, reference: Any | None) -> None:
        s = model.pop.staff
        if self.used is None:
            self.used = np.zeros(len(s), bool)
        self.used |= s.active & (s.flex_days > 0)
        self.model = model

    def value(self) -> float:
        s = self.model.pop.staff
        rows = s.active & self._family_mask(s)
        a, b = rows & self.used, rows & ~self.used
        if not a.any() or not b.any():
            return np.nan
        return 100.0 * (float(s.wellbeing[a].mean()) - float(s.wellbeing[b].mean()))


class MeanMetric(Probe):
    """Mean over the observed weeks of one of the model's weekly outputs (``OUTPUTS``, or an
    output a mechanism reports)."""

    OPTIONS: ClassVar[dict[str, Any]] = {"metric": None, "scale": 1.0}
    DESCRIPTION = "mean of a weekly output over the observed weeks"

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        from flexisim.mechanisms.registry import STEP
        from flexisim.metrics import OUTPUTS

        allowed = set(OUTPUTS) | set(STEP.outputs())  # the model's and its mechanisms'
        if self.options["metric"] not in allowed:
            raise ValueError(f"unknown metric {self.options['metric']!r}; allowed: "
                             f"{sorted(allowed)}")
        self.total = 0.0
        self.n = 0

    def observe(self, model: Any, reference: Any | None) -> None:
        self.total += float(model.metrics[self.options["metric"]])
        self.n += 1

    def value(self) -> float:
        return self.options["scale"] * self.total / self.n if self.n else np.nan


class FinalMetric(MeanMetric):
    """One of the model's weekly outputs at the last observed week."""

    DESCRIPTION = "a weekly output at the last week"

    def observe(self, model: Any, reference: Any | None) -> None:
        self.total = float(model.metrics[self.options["metric"]])
        self.n = 1


class TwinGap(FinalMetric):
    """One of the model's weekly outputs at the last observed week minus the reference
    world's (the office-only twin, or the target's contrast)."""

    DESCRIPTION = "a weekly output at the last week minus the reference world's"
    PAIRED = True

    def observe(self, model: Any, reference: Any | None) -> None:
        metric = self.options["metric"]
        self.total = float(model.metrics[metric]) - float(reference.metrics[metric])
        self.n = 1


class TrustingShare(Probe):
    """Share of citizens who trust the civil service (``trust >= TRUSTING``), mean over the
    observed weeks (OECD Trust Survey: 6-10 on a 0-10 scale)."""

    DESCRIPTION = "share of citizens trusting the civil service (6-10 of 10)"

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.total = 0.0
        self.n = 0

    def observe(self, model: Any, reference: Any | None) -> None:
        self.total += float((model.pop.citizens.trust >= TRUSTING).mean())
        self.n += 1

    def value(self) -> float:
        return self.total / self.n if self.n else np.nan


class TrustSatisfactionSlope(Probe):
    """Percentage points of citizens trusting per standard deviation of satisfaction with
    the services they received, across citizens (linear probability, OECD GaaG 2023).

    Satisfaction is the citizen's mean experience score over the observed weeks in which they
    used a service; trust is read at the end of the run.
    """

    DESCRIPTION = "pp more citizens trusting per 1 SD of service satisfaction"

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.score: np.ndarray | None = None
        self.count: np.ndarray | None = None
        self.trust: np.ndarray | None = None

    def observe(self, model: Any, reference: Any | None) -> None:
        c = model.pop.citizens
        if self.score is None:
            self.score = np.zeros(len(c.trust))
            self.count = np.zeros(len(c.trust))
        served = np.isfinite(c.experience)
        self.score[served] += c.experience[served]
        self.count[served] += 1
        self.trust = c.trust

    def value(self) -> float:
        used = self.count > 0
        if used.sum() < 10:
            return np.nan
        x = self.score[used] / self.count[used]
        y = 100.0 * (self.trust[used] >= TRUSTING)
        sd = float(x.std())
        if sd == 0:
            return np.nan
        slope = float(np.cov(x, y, bias=True)[0, 1] / x.var())
        return slope * sd


class OfferValue(Probe):
    """Wage-equivalent value of a flexible-work offer implied by the applicant pool: how much
    the pool grew over the office-only world's, divided by the applicant elasticity and by
    the size of the offer (flexible days on offer, as in ``flexibility_value``), averaged over
    the weeks with an offer. An input check of E13 (it fails if the coefficient is not wired
    as documented), not an independent test."""

    DESCRIPTION = "wage-equivalent of the flexible offer implied by the applicant pool (share)"
    PAIRED = True

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.values: list[float] = []

    def observe(self, model: Any, reference: Any | None) -> None:
        from flexisim.mechanisms.workforce import applicant_pools

        s = model.pop.staff
        offer = min(1.0, float(s.flex_days[s.active].mean()) / 2.0) if s.active.any() else 0.0
        if offer <= 0:
            return
        grown = applicant_pools(model.pop, model.p)[0] / applicant_pools(
            reference.pop, reference.p)[0] - 1.0
        if model.p.applicant_elasticity > 0:
            self.values.append(grown / (model.p.applicant_elasticity * offer))

    def value(self) -> float:
        return float(np.mean(self.values)) if self.values else np.nan


MEASURES: dict[str, type[Probe]] = {
    "treated_change": TreatedChange,
    "group_change": GroupChange,
    "shirking_share": ShirkingShare,
    "rating_difference": RatingDifference,
    "exit_ratio": ExitRatio,
    "uptake_among_eligible": UptakeAmongEligible,
    "willing_share": WillingShare,
    "wellbeing_gap": WellbeingGap,
    "mean_metric": MeanMetric,
    "final_metric": FinalMetric,
    "twin_gap": TwinGap,
    "trusting_share": TrustingShare,
    "trust_satisfaction_slope": TrustSatisfactionSlope,
    "offer_value": OfferValue,
}


def make_probe(name: str, options: Mapping[str, Any]) -> Probe:
    """A probe by measure name (raises ``KeyError`` / ``ValueError`` with the allowed values)."""
    return MEASURES[name](**dict(options))
