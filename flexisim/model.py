"""FlexiworkModel: civil servants, leaders and citizens under flexible work, week by week.

The story of one week (``step``), in the order of MODEL.md:

1. eligibility and approval (Permenpan RB No. 4/2025) -> who may work flexibly;
2. work-mode choice -> how many flexible days each person takes;
3. effort and shirking -> how hard each person works, in the office and away;
4. production -> quantity, quality and timeliness of output;
5. oversight and measurement -> checks, beliefs, sanctions, false accusations;
6. service delivery and citizens -> who is served, and public trust;
7. workforce dynamics -> well-being, exits, retirement, recruitment;
8. appraisal -> ratings and the share "performing".

Agents are rows of numpy columns (see ``population.py``); each mechanism is one vectorised
function with its own random stream, so switching a policy does not shift the draws of
unrelated mechanisms. Unless ``counterfactual=False``, the model runs beside it the same
world without flexiwork (same seed, same population, same draws), so the effect of the policy
is measured against that world and not against luck.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import mesa
import numpy as np
import pandas as pd

from flexisim import mechanisms as mech
from flexisim.agents import ASN, Citizen, Leader
from flexisim.mechanisms.common import apply_levers, infrastructure_levels, make_params
from flexisim.metrics import (
    COUNTERFACTUAL_OF,
    OUTPUTS,
    region_columns,
    step_metrics,
    summarize,
)
from flexisim.population import build_population
from flexisim.scenario import Scenario, load_scenario

_STREAMS = ("population", *mech.STEP_ORDER, "recruits")

#: Handed from a policy world to the office-only twin it builds: (key, population copy).
#: The twin takes it when its seed and size match, instead of drawing the population again.
_twin_template: tuple | None = None

#: Step the office-only twin in a second thread while the policy world steps (the compiled
#: mechanisms release the GIL); results do not depend on it. Off: FLEXISIM_THREADS=1.
PARALLEL_TWIN = os.environ.get("FLEXISIM_THREADS", "") != "1" and (os.cpu_count() or 1) > 1
_pool: ThreadPoolExecutor | None = None


def twin_in_thread_in_workers() -> None:
    """In a worker process of a parallel sweep, step the twin in the calling thread.

    Runs are already parallel across processes: a second thread per run would only take a
    core from the next worker. Results do not depend on it (tests/test_scale.py). A no-op in
    the main process, so a sequential caller keeps the default.
    """
    global PARALLEL_TWIN
    if multiprocessing.parent_process() is not None:
        PARALLEL_TWIN = False


def _twin_pool() -> ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="flexisim-twin")
    return _pool


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
        Seed of the run. ``None`` takes the scenario's ``[run] seed``.
    counterfactual : bool
        Also run the office-only world with the same seed, for the paired comparison.
    calibration : mapping, optional
        Overrides of behavioural coefficients (``flexisim/data/calibration.toml``).
    **levers
        Any lever of the scenario schema by keyword, e.g. ``verification_rate=0.4``,
        ``n_asn=20000``, ``flexiwork_enabled=False`` (validated; see ``flexisim.scenario``).

    Examples
    --------
    >>> model = FlexiworkModel(scenario="trust_but_verify", rng=1, n_asn=2000)
    >>> model.run(52)  # doctest: +SKIP
    """

    def __init__(self, *, scenario: Scenario | str | Path | None = None, rng: Any = None,
                 counterfactual: bool = True, calibration: Mapping[str, float] | None = None,
                 **levers: Any) -> None:
        base = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        self.config = base.with_values(source="FlexiworkModel(...)", **levers) if levers else base
        self.seed = _seed_from(rng if rng is not None else self.config.values["seed"])
        super().__init__(rng=self.seed)
        values = self.config.values
        self.calibration = dict(calibration or {})
        self.p = make_params(values, self.calibration)

        sequences = np.random.SeedSequence(self.seed).spawn(len(_STREAMS))
        self.streams = {name: np.random.default_rng(ss) for name, ss in zip(_STREAMS, sequences,
                                                                               strict=True)}
        self.recruit_seed = int(sequences[-1].generate_state(1, np.uint64)[0])
        global _twin_template
        template, _twin_template = _twin_template, None
        if template is not None and template[0] == (self.seed, values["n_asn"],
                                                    values["citizens_per_asn"]):
            self.pop = template[1]  # the policy world's population, copied (same seed)
        else:
            self.pop = build_population(values["n_asn"], values["citizens_per_asn"],
                                        self.streams["population"])
        wants_twin = counterfactual and values["flexiwork_enabled"]
        twin_pop = self.pop.copy() if wants_twin else None
        apply_levers(self.pop, self.p)
        self.public_trust_start = 100.0 * float(self.pop.citizens.trust.mean())
        self.metrics: dict[str, float] = {}
        self._views: dict[tuple[str, int], mesa.Agent] = {}

        self.counterfactual: FlexiworkModel | None = None
        if wants_twin:
            _twin_template = ((self.seed, values["n_asn"], values["citizens_per_asn"]), twin_pop)
            self.counterfactual = FlexiworkModel(
                scenario=self.config.with_values(source="counterfactual", flexiwork_enabled=False),
                rng=self.seed, counterfactual=False, calibration=self.calibration)

        reporters = {name: (lambda m, k=name: m.metrics[k]) for name in OUTPUTS}
        reporters |= {name: (lambda m, k=name: m.metrics[k])
                      for name in region_columns(self.pop.region_names)}
        self.datacollector = mesa.DataCollector(model_reporters=reporters)

    # ------------------------------------------------------------------ properties
    @property
    def scenario_name(self) -> str:
        return self.config.name

    @property
    def scenario_hash(self) -> str:
        return self.config.hash

    @property
    def n_asn(self) -> int:
        return int(self.config.values["n_asn"])

    # ------------------------------------------------------------------ the week
    def step(self) -> None:
        """Simulate one working week (and the counterfactual's)."""
        week = self.steps - 1  # mesa increments steps before calling step()
        twin = None
        if self.counterfactual is not None:
            if PARALLEL_TWIN:  # the worlds share no mutable state: step the twin alongside
                twin = _twin_pool().submit(self.counterfactual.step)
            else:
                self.counterfactual.step()
        try:
            self._step_world(week)
        finally:
            if twin is not None:
                twin.result()
        twin_metrics = (self.counterfactual.metrics if self.counterfactual is not None
                        else self.metrics)
        for column, output in COUNTERFACTUAL_OF.items():
            self.metrics[column] = twin_metrics[output]
        self.datacollector.collect(self)

    def _step_world(self, week: int) -> None:
        """The eight mechanisms of one week in this world, and the week's outputs."""
        pop, p, rng = self.pop, self.p, self.streams
        if p.investment_per_year > 0:
            infrastructure_levels(pop, p, week / 52.0)
        mech.eligibility_and_approval(pop, p, rng["eligibility"], week)
        mech.work_mode_choice(pop, p, rng["workmode"], week)
        mech.effort_and_shirking(pop, p, rng["effort"], week)
        mech.produce_output(pop, p, rng["production"], week)
        mech.oversee(pop, p, rng["oversight"], week)
        service = mech.serve_citizens(pop, p, rng["citizens"], week)
        staffing = mech.workforce_dynamics(pop, p, rng["workforce"], week, self.recruit_seed)
        pop.refresh_counts()  # exits and hires changed who is in post
        mech.appraise(pop, p, rng["appraisal"], week)

        self.metrics = step_metrics(pop, p, service, staffing)

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
        """Scalar outcomes of the run so far, with its provenance."""
        from flexisim import __version__

        cf_start = (self.counterfactual.public_trust_start if self.counterfactual is not None
                    else self.public_trust_start)
        return {
            "scenario": self.config.name,
            "scenario_hash": self.config.hash,
            "package_version": __version__,
            "seed": self.seed,
            "steps": int(self.steps),
            "n_asn": self.n_asn,
            "n_citizens": len(self.pop.citizens),
            "scale_factor": self.pop.scale,
            **summarize(self.timeseries(), public_trust_start=self.public_trust_start,
                        public_trust_start_counterfactual=cf_start),
        }

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
