"""Why an effect: the policy's effect against its twin, decomposed by channel.

Every difference between the policy world and its office-only twin enters through a channel
(:mod:`flexisim.channels`): a point where a mechanism reads who is approved or how many
flexible days a person takes. With every channel's gate off the policy world *is* the twin
(bit for bit, same seed, same draws), so the effect ``v(S)`` of running the policy with only
the channels in ``S`` on is 0 for the empty set and the run's effect for all channels.

The decomposition gives each channel its **Shapley value**: the mean, over orders of switching
the channels on one by one, of the change it makes when it is switched on. The values add up
to the total exactly in every order (they telescope), and no order decides the answer.
Exact Shapley values over 25 channels need all 33,554,432 subsets; here they are estimated from
``orders`` random orders, drawn in antithetic pairs (an order and its reverse), with common
random numbers: every subset is one run of the policy world from the same warmed-up state
with the same streams. The approximation error of each channel's value is the standard error
over the order pairs; the interval over replications (different seeds) is a Student-t 95%
interval of the mean. Cost: at most ``2 + orders x (channels - 1)`` runs of one world per
replication (the subsets orders share are run once), in up to two threads. The twin runs
first and its weekly reported results and public cases are recorded: a run with a path
channel off (:data:`flexisim.channels.PATHS`) sees those instead of its own.

>>> from flexisim.explain import explain
>>> result = explain("trust_but_verify", n_asn=3000, steps=52)  # doctest: +SKIP
>>> result.table()  # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from flexisim.channels import CHANNELS, PATHS
from flexisim.engine.twin import twin_thread
from flexisim.errors import UsageError
from flexisim.experiment.analysis import mean_ci
from flexisim.mechanisms.registry import STEP, Registry
from flexisim.metrics import effects
from flexisim.model import World, draw_population, office_only, warm_up
from flexisim.provenance import utc_now
from flexisim.scenario import Scenario, load_scenario

__all__ = ["OUTCOMES", "Decomposition", "explain", "explain_point"]

#: what is decomposed: name -> (label, unit)
OUTCOMES: dict[str, tuple[str, str]] = {
    "performance_change_pct": ("performance vs office-only twin", "%"),
    "trust_effect_pp": ("public trust vs office-only twin at the end", "points"),
    # the default trust outcome of the risk analyses (a risk map's cell is red by it)
    "trust_worst_effect_pp": ("public trust vs office-only twin, worst week", "points"),
}


@dataclass(frozen=True)
class Decomposition:
    """The channel decomposition of one scenario's effects, over replications.

    Attributes
    ----------
    scenario : Scenario
        The scenario explained (its levers as run).
    seeds : tuple of int
        One seed per replication.
    steps, n_asn, warmup_weeks, orders : int
        Policy weeks, ASN agents, warm-up weeks, orders sampled per replication.
    channels : tuple of str
        The channels, in the order of :data:`flexisim.channels.CHANNELS`.
    values : DataFrame
        One row per replication and channel: ``replication``, ``seed``, ``channel``, each
        outcome's Shapley value and its approximation error (``<outcome>_se``).
    totals : DataFrame
        One row per replication: each outcome's total effect and the sum of the channels'
        values (equal up to rounding), and the runs it took.
    wall_time_s : float
        Seconds the decomposition took.
    """

    scenario: Scenario
    seeds: tuple[int, ...]
    steps: int
    n_asn: int
    warmup_weeks: int
    orders: int
    channels: tuple[str, ...]
    values: pd.DataFrame
    totals: pd.DataFrame
    wall_time_s: float
    calibration: Mapping[str, float] = field(default_factory=dict)
    design_point: str = ""  # "EXPERIMENT point P" when it explains a sweep's design point
    started_utc: str = ""  # when the decomposition started and ended (UTC, ISO 8601)
    ended_utc: str = ""

    def table(self) -> pd.DataFrame:
        """Per channel (and the total): the mean over replications of each outcome's value,
        a 95% interval over replications and the mean approximation error."""
        rows = []
        groups = [(c, self.values[self.values["channel"] == c]) for c in self.channels]
        total = self.totals.rename(columns={f"{o}_total": o for o in OUTCOMES})
        for name, frame in [*groups, ("total", total)]:
            row: dict[str, Any] = {"channel": name,
                                   "label": CHANNELS[name].en if name in CHANNELS else "Total"}
            for outcome in OUTCOMES:
                # Student-t 95% interval over replications (NaN bounds for one)
                row[outcome], row[f"{outcome}_low"], row[f"{outcome}_high"] = mean_ci(
                    frame[outcome].to_numpy(dtype=float))
                se = frame.get(f"{outcome}_se")
                row[f"{outcome}_se"] = (float(np.sqrt((se.to_numpy() ** 2).mean()))
                                        if se is not None else 0.0)
            rows.append(row)
        return pd.DataFrame(rows)

    def provenance(self) -> dict[str, Any]:
        """What made this decomposition (written next to every output)."""
        from flexisim import __version__
        from flexisim.provenance import provenance

        return {"scenario": self.scenario.name, "scenario_hash": self.scenario.hash,
                "design_point": self.design_point,
                "package_version": __version__, "seeds": list(self.seeds),
                "steps": self.steps, "n_asn": self.n_asn, "warmup_weeks": self.warmup_weeks,
                "orders": self.orders, "channels": list(self.channels),
                "calibration": dict(self.calibration),
                "method": "Shapley values over channels, permutation sampling in antithetic "
                          "pairs, common random numbers (flexisim.explain)",
                "wall_time_s": round(self.wall_time_s, 3),
                "started_utc": self.started_utc, "ended_utc": self.ended_utc,
                # the model's code and calibration hashes, commit, libraries (as a sweep's)
                "provenance": provenance()}


class _Replication:
    """One seed: the shared warm-up and twin, and the policy world run for any subset of
    channels (each from a copy of the same warmed-up state)."""

    def __init__(self, config: Scenario, seed: int, steps: int,
                 calibration: Mapping[str, float], mechanisms: Registry) -> None:
        self.config, self.seed, self.steps = config, seed, steps
        self.calibration, self.mechanisms = calibration, mechanisms
        pop = draw_population(config.values, seed, mechanisms)
        self.start = warm_up(config, seed, pop, calibration, mechanisms)
        self.pop = pop  # the warmed-up state: every run starts from a copy
        # the twin's weekly values of every path channel's quantity (reported results, public
        # cases, back-office delays): what a policy world with a path channel off sees
        self.references: dict[tuple[str, str], list[np.ndarray]] = {
            CHANNELS[c].reference: [] for c in PATHS}
        self.twin = self.run(self._world(office_only(config), None), record=True)

    def _world(self, config: Scenario, channels: Mapping[str, float] | None) -> World:
        # Worlds are made in the calling thread (their views are built there); only their
        # weeks run in worker threads
        return World(config, self.seed, self.pop.copy(), self.calibration, self.mechanisms,
                     self.start, channels, references=channels is not None)

    def run(self, world: World, record: bool = False) -> dict[str, np.ndarray]:
        """The weekly performance and public trust of ``world`` over the policy weeks (the
        twin's reported results and public cases recorded, or fed to a policy world)."""
        perf = np.empty(self.steps)
        trust = np.empty(self.steps)
        pop = world.pop
        for week in range(self.steps):
            if not record:
                for (table, column), weeks in self.references.items():
                    getattr(getattr(pop, table), f"{column}_reference")[:] = weeks[week]
            world.step(week)
            if record:
                for (table, column), weeks in self.references.items():
                    weeks.append(getattr(getattr(pop, table), column).copy())
            perf[week] = world.metrics["performance"]
            trust[week] = world.metrics["public_trust"]
        return {"performance": perf, "public_trust": trust}

    def world(self, on: frozenset[str]) -> World:
        return self._world(self.config, {c: float(c in on) for c in CHANNELS})

    def effects(self, series: Mapping[str, np.ndarray]) -> dict[str, float]:
        """The outcomes of a run against the twin (:func:`flexisim.metrics.effects`)."""
        return effects(series["performance"], self.twin["performance"],
                       series["public_trust"], self.twin["public_trust"])


def _orders(channels: Sequence[str], n: int, rng: np.random.Generator) -> list[tuple[str, ...]]:
    """``n`` orders of the channels in antithetic pairs (an order, then its reverse)."""
    out: list[tuple[str, ...]] = []
    while len(out) < n:
        order = tuple(channels[k] for k in rng.permutation(len(channels)))
        out.append(order)
        if len(out) < n:
            out.append(order[::-1])
    return out


def explain(scenario: Scenario | str | Path | None = None, *, n_asn: int | None = None,
            steps: int | None = None, replications: int = 1, seed: int | None = None,
            orders: int = 4, channels: Sequence[str] | None = None,
            calibration: Mapping[str, float] | None = None,
            levers: Mapping[str, Any] | None = None, mechanisms: Registry = STEP,
            threads: int | None = None,
            progress: Callable[[int, int], None] | None = None) -> Decomposition:
    """Decompose a scenario's effects against its office-only twin by channel.

    Parameters
    ----------
    scenario : Scenario, str, Path or None
        The scenario (default ``permenpan_4_2025``).
    n_asn, steps : int, optional
        ASN agents and policy weeks (default: the scenario's).
    replications : int
        Seeds ``seed, seed + 1, ...``; the table gives intervals over them.
    seed : int, optional
        The first seed (default: the scenario's).
    orders : int
        Orders of the channels sampled per replication (an even number: antithetic pairs).
        More orders, smaller approximation error; at most ``2 + orders x (K - 1)`` runs.
    channels : sequence of str, optional
        The channels to decompose over (default: all of :data:`~flexisim.channels.CHANNELS`).
        Channels left out stay off in every run, so the total is the effect through the
        listed channels only (the run's effect only with all of them).
    calibration : mapping, optional
        Coefficient overrides, as for ``FlexiworkModel``.
    levers : mapping, optional
        Lever overrides (a design point of a sweep), as for ``FlexiworkModel``.
    threads : int, optional
        Runs in parallel threads (default: 2 where the run core would use a twin thread).
    progress : callable, optional
        ``progress(done, total)`` after each run.

    Returns
    -------
    Decomposition
    """
    base = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    overrides = dict(levers or {})
    if n_asn is not None:
        overrides["n_asn"] = n_asn
    if steps is not None:
        overrides["steps"] = steps
    if seed is not None:
        overrides["seed"] = seed
    config = base.with_values(source="explain(...)", **overrides) if overrides else base
    names = tuple(CHANNELS) if channels is None else tuple(channels)
    unknown = [c for c in names if c not in CHANNELS]
    problems = []
    if unknown:
        problems.append(f"unknown channel(s) {unknown} (channels: {', '.join(CHANNELS)})")
    if len(set(names)) != len(names) or not names:
        problems.append("channels: each channel once, at least one")
    if int(replications) < 1:
        problems.append(f"replications: {replications}: must be a whole number >= 1")
    if int(orders) < 2 or int(orders) % 2:
        problems.append(f"orders: {orders}: must be an even number >= 2 (antithetic pairs)")
    if not config.values["flexiwork_enabled"]:
        problems.append(f"{config.name}: flexiwork is off in this scenario: there is no "
                        "effect to explain")
    if problems:
        raise UsageError(problems)
    v = config.values
    weeks = int(v["steps"])
    cal = dict(calibration or {})
    workers = threads if threads is not None else (2 if twin_thread() else 1)
    seeds = tuple(int(v["seed"]) + r for r in range(int(replications)))
    value_rows, total_rows = [], []
    started_utc = utc_now()
    started = time.perf_counter()
    done = 0
    full = frozenset(names)
    for r, s in enumerate(seeds):
        rep = _Replication(config, s, weeks, cal, mechanisms)
        sampled = _orders(names, int(orders), np.random.default_rng([s, 0x5EA]))
        subsets = sorted({frozenset(order[:k]) for order in sampled
                          for k in range(1, len(order) + 1)}, key=len)
        total = len(subsets) * len(seeds)
        value: dict[frozenset[str], dict[str, float]] = {frozenset(): dict.fromkeys(OUTCOMES, 0.0)}
        # channels outside ``names`` stay off: a subset's run has exactly its channels on
        width = max(1, int(workers))
        with ThreadPoolExecutor(max_workers=width) as pool:
            for first in range(0, len(subsets), width):
                batch = subsets[first:first + width]
                # worlds are made here, in the calling thread; their weeks run in the pool
                futures = [pool.submit(rep.run, rep.world(subset)) for subset in batch]
                for subset, future in zip(batch, futures, strict=True):
                    value[subset] = rep.effects(future.result())
                    done += 1
                    if progress is not None:
                        progress(done, total)
        # Shapley: each channel's marginal change in each order, averaged over orders
        marginal = {c: {o: [] for o in OUTCOMES} for c in names}
        for order in sampled:
            on: frozenset[str] = frozenset()
            for c in order:
                nxt = on | {c}
                for o in OUTCOMES:
                    marginal[c][o].append(value[nxt][o] - value[on][o])
                on = nxt
        for c in names:
            row: dict[str, Any] = {"replication": r, "seed": s, "channel": c}
            for o in OUTCOMES:
                x = np.array(marginal[c][o])
                pairs = x.reshape(-1, 2).mean(axis=1)  # antithetic pairs are the samples
                row[o] = float(x.mean())
                row[f"{o}_se"] = (float(pairs.std(ddof=1) / np.sqrt(len(pairs)))
                                  if len(pairs) > 1 else float("nan"))
            value_rows.append(row)
        totals = {"replication": r, "seed": s, "runs": len(subsets) + 1}
        for o in OUTCOMES:
            totals[f"{o}_total"] = value[full][o]
            totals[f"{o}_sum"] = float(sum(row[o] for row in value_rows[-len(names):]))
        total_rows.append(totals)
    return Decomposition(scenario=config, seeds=seeds, steps=weeks, n_asn=int(v["n_asn"]),
                         warmup_weeks=int(v["warmup_weeks"]), orders=int(orders),
                         channels=names, values=pd.DataFrame(value_rows),
                         totals=pd.DataFrame(total_rows),
                         wall_time_s=time.perf_counter() - started, calibration=cal,
                         started_utc=started_utc, ended_utc=utc_now())


def explain_point(experiment: Any, point: int, *, replications: int | None = None,
                  orders: int = 4, channels: Sequence[str] | None = None,
                  calibration: Mapping[str, float] | None = None,
                  threads: int | None = None,
                  progress: Callable[[int, int], None] | None = None) -> Decomposition:
    """Decompose one design point of an experiment (a cell of a risk map) by channel.

    The point's levers, the experiment's base scenario, horizon and the seeds of the point's
    replications are exactly those of the sweep's runs (so the total is what the sweep
    recorded for them); ``replications`` takes the first ones (default: all).

    Parameters
    ----------
    experiment : Experiment, str or Path
        The experiment (object, file or name in ``experiments/``).
    point : int
        The design point (``point_id`` in the results folder).
    """
    from flexisim.experiment.definition import Experiment, load_experiment, split_calibration
    from flexisim.experiment.design import build_design, run_seeds

    exp = experiment if isinstance(experiment, Experiment) else load_experiment(experiment)
    design = build_design(exp)
    if not 0 <= int(point) < len(design):
        raise UsageError([f"{exp.name}: point {point} does not exist (points 0 to "
                          f"{len(design) - 1})"])
    levers, point_calibration = split_calibration(design.levers(exp, int(point)))
    seeds = run_seeds(exp, len(design))[int(point)]
    n = exp.replications if replications is None else int(replications)
    if not 1 <= n <= exp.replications:
        raise UsageError([f"replications: {replications}: the point has "
                          f"{exp.replications} (1 to {exp.replications})"])
    config = exp.base.with_values(source=f"{exp.name}, point {point}", steps=exp.steps,
                                  **levers)
    # which point this is, in its written scenario.toml and the table's header: the base's
    # own description ("... (all defaults)") would misdescribe it
    varied = ", ".join(f"{k} = {v:g}" if isinstance(v, float) else f"{k} = {v}"
                       for k, v in {**levers, **point_calibration}.items())
    label = f"{exp.name} point {int(point)}" + (f" ({varied})" if varied else "")
    config = replace(config, description=f"{label}, on {exp.base.name}: "
                                 f"{exp.base.description}")
    cal = {**point_calibration, **(calibration or {})}
    parts = [explain(config, seed=int(s), replications=1, orders=orders, channels=channels,
                     calibration=cal, threads=threads, progress=progress)
             for s in seeds[:n]]
    values = pd.concat([p.values.assign(replication=r) for r, p in enumerate(parts)],
                       ignore_index=True)
    totals = pd.concat([p.totals.assign(replication=r) for r, p in enumerate(parts)],
                       ignore_index=True)
    first = parts[0]
    return Decomposition(scenario=config, seeds=tuple(int(s) for s in seeds[:n]),
                         steps=first.steps, n_asn=first.n_asn,
                         warmup_weeks=first.warmup_weeks, orders=first.orders,
                         channels=first.channels, values=values, totals=totals,
                         wall_time_s=sum(p.wall_time_s for p in parts),
                         started_utc=parts[0].started_utc, ended_utc=parts[-1].ended_utc,
                         calibration=first.calibration,
                         design_point=label)
