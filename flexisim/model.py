"""FlexiworkModel: civil servants, leaders and citizens under flexible work, week by week.

The story of one week is the registry of mechanisms (flexisim/mechanisms/registry.py), in
the order of MODEL.md:

0. infrastructure investment -> regional device, internet and platform levels;
1. eligibility and approval (Permenpan RB No. 4/2025) -> who may work flexibly;
2. work-mode choice -> how many flexible days each person takes;
3. effort and shirking -> how hard each person works, in the office and away;
4. production -> quantity, quality and timeliness of output;
5. oversight and measurement -> checks, beliefs, sanctions, false accusations;
6. service delivery and citizens -> who is served, and public trust;
7. workforce dynamics -> well-being, exits, retirement, recruitment;
8. appraisal -> ratings and the share "performing".

A :class:`World` is one world: its state (numpy columns, :mod:`flexisim.state`), its frozen
parameters (:mod:`flexisim.params`) and one random stream per mechanism, keyed by name
(:mod:`flexisim.streams`), so switching a policy does not shift the draws of unrelated
mechanisms. A run pairs two worlds built side by side from the same population
(:func:`build_worlds`): the policy world and, unless ``counterfactual=False``, the same world
without flexiwork (same seed, same people, same draws), so the effect of the policy is
measured against that world and not against luck.
"""

from __future__ import annotations

import copy
import dataclasses
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import mesa
import numpy as np
import pandas as pd
from mesa.experimental.scenarios import Scenario as MesaScenario

from flexisim import streams
from flexisim.agents import ASN, Citizen, Leader
from flexisim.channels import PATHS
from flexisim.engine.twin import step_side_by_side
from flexisim.mechanisms.registry import STEP, Registry
from flexisim.mechanisms.setup import apply_levers
from flexisim.metrics import COUNTERFACTUAL_OF, OUTPUTS, region_columns, step_metrics, summarize
from flexisim.metrics import VIEW as METRICS_VIEW
from flexisim.params import Params, make_params
from flexisim.population import FRONTLINE, build_population
from flexisim.scenario import Scenario, load_scenario
from flexisim.schedule import (
    Plan,
    change_from_levers,
    change_starts,
    office_only_schedule,
    schedule_text,
)
from flexisim.state import Population

__all__ = ["FlexiworkModel", "World", "build_worlds", "draw_population", "office_only",
           "warm_up"]


class World:
    """One world of a run: state, parameters, random streams and the week's outputs.

    Parameters
    ----------
    config : Scenario
        The world's levers (validated).
    seed : int
        The run's seed: the world's streams are its children, by mechanism name.
    pop : Population
        The world's state, as drawn (this world's levers are applied to it here).
    calibration : mapping, optional
        Overrides of behavioural coefficients.
    mechanisms : Registry
        The weekly mechanisms, in order (default: :data:`~flexisim.mechanisms.registry.STEP`).
    start : World, optional
        A warmed-up world to continue from (:func:`warm_up`): ``pop`` is its state (or a
        copy of it), and the streams continue where the warm-up left them. Only the
        attributes derived from the levers are set again; ratings and expected checks are
        the warm-up's.
    channels : mapping, optional
        Gates of the channels of flexiwork by name (:mod:`flexisim.channels`; 1 = on, the
        default): what :mod:`flexisim.explain` switches off.
    references : bool
        The caller fills the twin's weekly values into the ``*_reference`` columns before
        each week (:mod:`flexisim.explain`); needed to switch a path channel off.
    follow : World, optional
        The world whose outputs decide the scenario's triggered changes (the policy world,
        for its twin); None: this world's own outputs.

    Notes
    -----
    The levers in force change in the weeks the scenario's schedule says
    (:mod:`flexisim.schedule`): :meth:`begin` sets them before a week starts.
    """

    def __init__(self, config: Scenario, seed: int, pop: Population,
                 calibration: Mapping[str, float] | None = None,
                 mechanisms: Registry = STEP, start: World | None = None,
                 channels: Mapping[str, float] | None = None,
                 references: bool = False, follow: World | None = None) -> None:
        self.config = config
        self.seed = int(seed)
        self.mechanisms = mechanisms
        self.calibration, self.channels = calibration, channels
        self.plan = _plan(config, pop)
        # triggered changes: index -> the week their condition was met (the followed world's
        # dict itself, read between weeks, when both worlds have finished the last one)
        self.fired: dict[int, int] = follow.fired if follow is not None else {}
        self._follow = follow
        self._streak = [0] * len(config.schedule)
        self._begun = 0  # the next week whose levers are set
        national, agency = self.plan.levers_at(0)
        self.p: Params = make_params(national, calibration, channels)
        off = [c for c in PATHS if (channels or {}).get(c, 1.0) == 0.0]
        if off and not references:
            raise ValueError(f"path channels {off} need the twin's weekly values: switch them "
                             "off through flexisim.explain")
        self.streams = ({name: copy.deepcopy(g) for name, g in start.streams.items()}
                        if start is not None else
                        {name: streams.generator(self.seed, name)
                         for name in mechanisms.streams()})
        self.pop = pop
        apply_levers(pop, self.p, initial=start is None, agency=agency)
        pop.freeze()
        self._make_views()
        self.public_trust_start = 100.0 * float(pop.citizens.trust.mean())
        self.metrics: dict[str, float] = {}
        self.timings: dict[str, float] | None = None  # seconds per mechanism, when profiled
        self._outputs = tuple(mechanisms.outputs())

    def _make_views(self) -> None:
        # every view now, in this thread (checked once; none is made while two worlds step)
        for view in (*(v for m in self.mechanisms for v in (m.view, *m.uses)), METRICS_VIEW):
            self.pop.views(view, self.p)

    def begin(self, week: int) -> None:
        """Set the levers in force for ``week`` (0 = the first policy week) when a change of
        the schedule starts then: new parameters, the agencies' lever columns and what is
        derived from them (:func:`~flexisim.mechanisms.setup.apply_levers`). Call it in the
        calling thread before the worlds step (:meth:`step` calls it too)."""
        if week < self._begun:
            return
        self._begun = week + 1
        if week <= 0 or not self.plan.changes_at(week, self.fired):
            return
        national, agency = self.plan.levers_at(week, self.fired)
        self.p = make_params(national, self.calibration, self.channels)
        apply_levers(self.pop, self.p, initial=False, agency=agency)
        self.pop.forget_views()
        self._make_views()

    def replan(self, config: Scenario) -> None:
        """Continue under ``config``: the same levers and a longer schedule (a change made
        during the run, :meth:`FlexiworkModel.change_levers`); applies from :meth:`begin`."""
        self.config = config
        self.plan = _plan(config, self.pop)
        self._streak += [0] * (len(config.schedule) - len(self._streak))

    def _watch(self, week: int) -> None:
        """After a policy week: the triggered changes whose condition is now met."""
        if self._follow is not None:
            return
        for i, change in enumerate(self.config.schedule):
            when = change.when
            if when is None or i in self.fired or week < change.from_week - 1:
                continue
            met = when.holds(self.metrics.get(when.output, np.nan))
            self._streak[i] = self._streak[i] + 1 if met else 0
            if self._streak[i] >= when.weeks:
                self.fired[i] = week

    def step(self, week: int, *, collect: bool = True) -> None:
        """The week's mechanisms in registry order, then (``collect``) the week's outputs.

        ``week`` counts from 0, the first policy week; warm-up weeks are negative.
        """
        self.begin(week)
        pop, p = self.pop, self.p
        stats: dict[str, Any] = {}
        clock = self.timings
        for mechanism in self.mechanisms:
            start = time.perf_counter() if clock is not None else 0.0
            reported = mechanism.run(pop, p, self.streams.get(mechanism.name), week)
            if reported:
                stats.update(reported)
            if clock is not None:
                clock[mechanism.name] = clock.get(mechanism.name, 0.0) + (
                    time.perf_counter() - start)
        if not collect:
            return
        start = time.perf_counter() if clock is not None else 0.0
        metrics = step_metrics(pop, p, stats)
        for name in self._outputs:  # a week a mechanism does not report it: NaN
            metrics[name] = float(stats.get(name, np.nan))
        self.metrics = metrics
        if week >= 0:
            self._watch(week)
        if clock is not None:
            clock["data collection"] = clock.get("data collection", 0.0) + (
                time.perf_counter() - start)


def _plan(config: Scenario, pop: Population) -> Plan:
    """The schedule of ``config`` over the agencies of ``pop``."""
    s, A = pop.staff, pop.agencies
    posts = np.bincount(s.agency, minlength=len(A))
    frontline = np.bincount(s.agency, weights=s.job == FRONTLINE, minlength=len(A))
    return Plan(config, A.central, A.region, frontline / np.maximum(posts, 1),
                pop.region_names)


def build_worlds(config: Scenario, seed: int, *,
                 calibration: Mapping[str, float] | None = None,
                 reference: Scenario | None = None,
                 mechanisms: Registry = STEP,
                 channels: Mapping[str, float] | None = None) -> tuple[World, World | None]:
    """The worlds of one run, built side by side: the policy world and its reference world.

    Both start from the same population, drawn once from the run's ``population`` stream
    (the reference gets a copy: static columns shared, the rest copied), and draw from the
    same named streams. ``reference`` is the scenario of the second world (``None``: no
    second world); a reference of another size draws its own population from the same seed.

    Each world first settles under its office-only institutions for ``warmup_weeks``
    (:func:`warm_up`). Before the policy starts the policy world and its office-only twin
    are the same world, so the warm-up runs once and the twin continues from a copy of it;
    a reference with other institutions (a validation target's contrast world) warms up on
    its own. ``channels`` gates the policy world's channels of flexiwork (the reference keeps
    them all on; they act only where flexiwork is).
    """
    v = config.values
    pop = draw_population(v, seed, mechanisms)
    shared = False
    twin_pop = None
    if reference is not None:
        r = reference.values
        same = (r["n_asn"], r["citizens_per_asn"]) == (v["n_asn"], v["citizens_per_asn"])
        shared = same and office_only(reference).hash == office_only(config).hash
        if not shared:
            twin_pop = pop.copy() if same else draw_population(r, seed, mechanisms)
    start = warm_up(config, seed, pop, calibration, mechanisms)
    twin_start = start
    if reference is not None:
        if shared:
            twin_pop = pop.copy()
        else:
            twin_start = warm_up(reference, seed, twin_pop, calibration, mechanisms)
    world = World(config, seed, pop, calibration, mechanisms, start, channels)
    # the twin's triggered changes are the policy world's (the same schedule, positions and
    # all, without flexiwork); a reference with a schedule of its own watches its own outputs
    follows = reference is not None and reference.schedule == office_only_schedule(
        config.schedule)
    twin = (World(reference, seed, twin_pop, calibration, mechanisms, twin_start,
                  follow=world if follows else None)
            if reference is not None else None)
    return world, twin


def draw_population(values: Mapping[str, Any], seed: int,
                    mechanisms: Registry = STEP) -> Population:
    """The population of a run: drawn from its seed's ``population`` stream, with the
    columns the mechanisms add (the same people for every world of that seed and size)."""
    return build_population(values["n_asn"], values["citizens_per_asn"],
                            streams.generator(seed, "population"),
                            columns=mechanisms.columns(), recruit_seed=streams.recruit_seed(seed))


def warm_up(config: Scenario, seed: int, pop: Population,
            calibration: Mapping[str, float] | None = None,
            mechanisms: Registry = STEP) -> World | None:
    """The office-only world of ``config`` run for its ``warmup_weeks`` (weeks -W..-1).

    The warm-up lets the institutions that exist without flexiwork -- leaders' beliefs,
    checks and sanctions, citizens' trust, vacancies, appraisal -- settle from the drawn
    population into their steady state before the policy starts (docs/ODD.md, "Warm-up").
    Nothing of it is reported; ``pop`` is changed in place. ``None`` when there is no
    warm-up (``warmup_weeks = 0``).
    """
    weeks = int(config.values["warmup_weeks"])
    if weeks <= 0:
        return None
    start = World(office_only(config), seed, pop, calibration, mechanisms)
    for week in range(-weeks, 0):
        start.step(week, collect=False)
    return start


def office_only(config: Scenario) -> Scenario:
    """The same scenario without flexiwork: the counterfactual twin's levers, and its
    schedule without the flexiwork levers (:func:`~flexisim.schedule.office_only_schedule`)."""
    twin = config.with_values(source="counterfactual", flexiwork_enabled=False)
    return dataclasses.replace(twin, schedule=office_only_schedule(config.schedule))


def has_flexiwork(config: Scenario) -> bool:
    """Whether flexiwork is in force anywhere at any time: nationally, or in some agencies
    from some week of the schedule."""
    return bool(config.values["flexiwork_enabled"]) or any(
        c.values.get("flexiwork_enabled") for c in config.schedule)


def _seed_from(rng: Any) -> int:
    """An integer seed from what ``mesa.Model`` accepts as ``rng``."""
    if rng is None:
        return int(np.random.SeedSequence().generate_state(1)[0])
    if isinstance(rng, (int, np.integer)):
        return int(rng)
    if isinstance(rng, np.random.Generator):
        return int(rng.integers(2**32))
    return int(np.random.default_rng(rng).integers(2**32))


class FlexiworkModel(mesa.Model):
    """Agent-based model of flexible work in Indonesia's civil service.

    Parameters
    ----------
    scenario : Scenario, str, Path or None
        A scenario (object, file path or name in ``scenarios/``); default
        ``permenpan_4_2025``.
    rng : int, numpy Generator or None
        Seed of the run. ``None`` draws a fresh one (Mesa's convention: ``mesa.batch_run``
        with ``rng=[None] * n`` or ``iterations=n`` gives n different runs); the seed drawn
        is ``model.seed`` and in ``model.summary()``. The scenario's ``[run] seed`` is the
        CLI's default, ``rng=scenario.values["seed"]`` here.
    counterfactual : bool
        Also run a reference world with the same seed, for the paired comparison: the
        office-only twin, or ``reference``.
    reference : Scenario, str, Path or None
        The reference world's scenario, if not the office-only twin (e.g. a validation
        target's contrast world).
    calibration : mapping, optional
        Overrides of behavioural coefficients (``flexisim/data/calibration.toml``).
    mechanisms : Registry, optional
        The weekly mechanisms (default: the registry's ``STEP``).
    channels : mapping, optional
        Gates of the policy world's channels of flexiwork (:mod:`flexisim.channels`), e.g.
        ``{"coordination": 0}`` to run the policy without its coordination loss.
    **levers
        Any lever of the scenario schema by keyword, e.g. ``verification_rate=0.4``,
        ``n_asn=20000``, ``flexiwork_enabled=False`` (validated; see ``flexisim.scenario``).

    Examples
    --------
    >>> model = FlexiworkModel(scenario="trust_but_verify", rng=1, n_asn=2000)
    >>> model.run(52)  # doctest: +SKIP
    """

    def __init__(self, *, scenario: Scenario | str | Path | None = None, rng: Any = None,
                 counterfactual: bool = True, reference: Scenario | str | Path | None = None,
                 calibration: Mapping[str, float] | None = None,
                 mechanisms: Registry | None = None,
                 channels: Mapping[str, float] | None = None, **levers: Any) -> None:
        if isinstance(scenario, MesaScenario):
            # SolaraViz's Reset passes an empty Scenario of Mesa's own; ours are TOML files
            scenario = None
        base = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        self.config = base.with_values(source="FlexiworkModel(...)", **levers) if levers else base
        self.seed = _seed_from(rng)
        if rng is None:  # the seed drawn is the run's: recorded with its scenario
            self.config = self.config.with_values(seed=self.seed)
        super().__init__(rng=self.seed)
        self.calibration = dict(calibration or {})
        if reference is not None and not isinstance(reference, Scenario):
            reference = load_scenario(reference)
        if reference is None and counterfactual and has_flexiwork(self.config):
            reference = office_only(self.config)
        if not counterfactual:
            reference = None
        self.world, self.counterfactual = build_worlds(
            self.config, self.seed, calibration=self.calibration, reference=reference,
            mechanisms=mechanisms or STEP, channels=channels)
        self._views: dict[tuple[str, int], mesa.Agent] = {}
        names = (*OUTPUTS, *self.world.mechanisms.outputs(),
                 *region_columns(self.pop.region_names))
        reporters = {name: (lambda m, k=name: m.metrics[k]) for name in names}
        self.datacollector = mesa.DataCollector(model_reporters=reporters)

    # ------------------------------------------------------------------ the world
    @property
    def pop(self) -> Population:
        """The policy world's state."""
        return self.world.pop

    @property
    def p(self) -> Params:
        """The policy world's parameters."""
        return self.world.p

    @property
    def metrics(self) -> dict[str, float]:
        """The outputs of the last week (the counterfactual columns included)."""
        return self.world.metrics

    @property
    def public_trust_start(self) -> float:
        return self.world.public_trust_start

    @property
    def scenario_hash(self) -> str:
        return self.config.hash

    @property
    def n_asn(self) -> int:
        return int(self.config.values["n_asn"])

    # ------------------------------------------------------------------ the week
    def step(self) -> None:
        """Simulate one working week (and the reference world's)."""
        week = self.steps - 1  # mesa increments steps before calling step()
        # this week's levers, set here in the calling thread (the twin may step in another)
        self.world.begin(week)
        if self.counterfactual is not None:
            self.counterfactual.begin(week)
        step_side_by_side(self.world, self.counterfactual, week)
        metrics = self.world.metrics
        twin_metrics = (self.counterfactual.metrics if self.counterfactual is not None
                        else metrics)
        for column, output in COUNTERFACTUAL_OF.items():
            metrics[column] = twin_metrics[output]
        self.datacollector.collect(self)

    def change_levers(self, *, label: str = "", agencies: Mapping[str, Any] | None = None,
                      **levers: Any) -> None:
        """Change levers from the next week on, and record it in the scenario's schedule.

        What the dashboard does when a lever is moved during a run: ``self.config`` gains a
        :class:`~flexisim.schedule.Change` from the next week, so ``self.config.to_toml()``
        reproduces the run. The twin gets the change without its flexiwork levers.

        Parameters
        ----------
        label : str
            What the change is, in words.
        agencies : mapping, optional
            A selector of agencies (``government``, ``regions``, ``frontline_share``,
            ``share``), as in a scenario file; then only agency levers may be given.
        **levers
            Lever keywords and their new values.

        Raises
        ------
        ScenarioError
            On an unknown lever, a bad value or selector, or a national lever given with
            ``agencies``; nothing changes.
        """
        change = change_from_levers(levers, from_week=int(self.steps) + 1,
                                    agencies=agencies, label=label,
                                    source="change_levers(...)")
        self.config = self.config.with_change(change)
        self.world.replan(self.config)
        twin = self.counterfactual
        if twin is not None:
            twin.replan(twin.config.with_change(office_only_schedule([change])[0]))

    def change_weeks(self) -> list[int]:
        """The weeks so far (1-based, the timeseries' ``step``) from which a change of the
        schedule applied: a dated change once its week is reached, a triggered one once it
        fired."""
        starts = change_starts(self.config.schedule, self.world.fired)
        return sorted({s + 1 for s in starts if s is not None and s < self.steps})

    def run(self, steps: int | None = None) -> pd.DataFrame:
        """Step ``steps`` weeks (default: the scenario's ``[run] steps``); return the timeseries."""
        for _ in range(steps if steps is not None else self.config.values["steps"]):
            self.step()
        return self.timeseries()

    # ------------------------------------------------------------------ results
    def timeseries(self) -> pd.DataFrame:
        """One row per simulated week, one column per output."""
        df = self.datacollector.get_model_vars_dataframe()
        df.index = pd.RangeIndex(1, len(df) + 1, name="step")
        return df

    def summary(self) -> dict[str, Any]:
        """Scalar outcomes of the run so far, with its provenance.

        Raises
        ------
        ValueError
            Before the first week (there is nothing to summarize yet).
        """
        from flexisim import __version__

        if self.steps == 0:
            raise ValueError("summary(): no week has run yet (call step() or run(weeks) "
                             "first)")
        cf_start = (self.counterfactual.public_trust_start if self.counterfactual is not None
                    else self.public_trust_start)
        return {
            "scenario": self.config.name,
            "scenario_hash": self.config.hash,
            "package_version": __version__,
            "seed": self.seed,
            "steps": int(self.steps),
            "warmup_weeks": int(self.config.values["warmup_weeks"]),
            # how the scenario departs from Permenpan RB 4/2025 ("" when inside the rules)
            "outside_rules": " | ".join(self.config.outside_rules),
            # the changes of the schedule and the weeks they applied from ("" without one)
            "schedule": schedule_text(self.config.schedule, self.world.fired),
            # the week each change applied from, in schedule order ("-": not triggered)
            "schedule_weeks": " ".join("-" if s is None else str(s + 1) for s in
                                       self.world.plan.starts(self.world.fired)),
            "n_asn": self.n_asn,
            "n_citizens": len(self.pop.citizens),
            "scale_factor": self.pop.scale,
            **summarize(self.timeseries(), public_trust_start=self.public_trust_start,
                        public_trust_start_counterfactual=cf_start),
        }

    def _repr_html_(self) -> str:
        """How a notebook shows the model (:func:`flexisim.display.model_html`)."""
        from flexisim.display import model_html

        return model_html(self)

    # ------------------------------------------------------------------ agent views
    def asn(self, row: int) -> ASN:
        """The civil servant in staff row ``row``, as a ``mesa.Agent`` view."""
        return self._view(ASN, "asn", row, len(self.pop.staff))

    def leader(self, row: int) -> Leader:
        """The leader in row ``row``, as a ``mesa.Agent`` view."""
        return self._view(Leader, "leader", row, len(self.pop.leaders))

    def citizen(self, row: int) -> Citizen:
        """The citizen in row ``row``, as a ``mesa.Agent`` view."""
        return self._view(Citizen, "citizen", row, len(self.pop.citizens))

    def _view(self, cls: type, kind: str, row: int, n: int) -> Any:
        if not 0 <= row < n:
            raise IndexError(f"{kind} row {row} out of range 0..{n - 1}")
        key = (kind, int(row))
        if key not in self._views:
            self._views[key] = cls(self, int(row))
        return self._views[key]
