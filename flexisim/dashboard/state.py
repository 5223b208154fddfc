"""What one browser session has chosen, and the model class SolaraViz re-creates on Reset.

Mesa's Reset button re-creates the model as ``type(model)(**model_params)``. We pass one fixed
parameter, ``settings``: the session's reactive :class:`Settings`. The sliders write there, so
the next Reset builds exactly what the page shows -- and a scenario file saved from the page
is what that Reset ran.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Mapping
from typing import Any

import solara
from mesa.experimental.scenarios import Scenario as MesaScenario

from flexisim.dashboard import memory
from flexisim.locations import named_files
from flexisim.model import FlexiworkModel
from flexisim.scenario import (
    DEFAULT_SCENARIO,
    Scenario,
    list_scenarios,
    load_scenario,
)
from flexisim.schedule import national_levers_at

#: Population of the workshop default. The model step is ~10 ms here; the page update is what
#: costs, and a smaller population would only make the curves noisier (docs/dashboard.md,
#: "Speed"; measured numbers in benchmarks/README.md, "Workshop dashboard").
WORKSHOP_N_ASN = 5000
#: Population presets of the size selector (the lever itself allows up to 6 million, which a
#: projector does not need and a laptop cannot step interactively).
POPULATION_CHOICES: tuple[int, ...] = (1000, 2000, 5000, 10000, 20000, 50000)

#: The levers shown first, in this order (issue 4's list); the others sit under "More levers".
MAIN_LEVERS: tuple[str, ...] = (
    "flexiwork_enabled",
    "max_flex_days",
    "eligible_families",
    "trust_culture",
    "results_based_share",
    "verification_rate",
    "sanction_severity",
    "measurement_credibility",
    "device_access",
    "internet_quality",
    "regional_gap",
    "training_share",
    "communication_policy",
    "min_onsite_frontline",
)
#: Levers the page sets elsewhere (population selector, seed) or that make no sense live.
HIDDEN_LEVERS: frozenset[str] = frozenset({"n_asn", "seed", "steps", "warmup_weeks"})


@dataclasses.dataclass(frozen=True)
class Settings:
    """What the page shows, what was run, and what the next Reset will run.

    Attributes
    ----------
    scenario : Scenario
        The scenario the model runs: validated lever values (population size and seed
        included) and its schedule, with every lever changed mid-run recorded as a
        :class:`~flexisim.schedule.Change` from its week -- so a saved file reproduces the
        run, policy shocks included.
    origin : str
        Name of the scenario file the settings started from, or of the uploaded file.
    modified : bool
        True once a lever was moved after choosing or loading a scenario.
    edits : dict
        Levers moved on the page and not yet applied: Reset starts over with them (from
        week 1), or :meth:`DashboardModel.apply_edits` applies them from the next week of the
        running model.
    at_week : int
        The week (0-based) whose levers in force the page shows: 0, or the week of the last
        change applied during the run.
    """

    scenario: Scenario
    origin: str = DEFAULT_SCENARIO
    modified: bool = False
    edits: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    at_week: int = 0

    def shown(self) -> dict[str, Any]:
        """Every lever's value as the page shows it: in force at :attr:`at_week`, with the
        edits."""
        return {**national_levers_at(self.scenario, self.at_week), **self.edits}

    def with_lever(self, kwarg: str, value: Any) -> Settings:
        """A copy with one lever moved (validated with the other edits; raises ScenarioError
        when invalid). Moving it back to the value in force drops the edit."""
        edits = {**self.edits, kwarg: value}
        self.next_scenario(edits)  # validates
        in_force = national_levers_at(self.scenario, self.at_week)
        edits = {k: v for k, v in edits.items() if _differs(v, in_force[k])}
        return dataclasses.replace(self, edits=edits, modified=True)

    def next_scenario(self, edits: Mapping[str, Any] | None = None) -> Scenario:
        """What Reset runs: the scenario with the edits from week 1 (its schedule kept)."""
        edits = self.edits if edits is None else edits
        return self.scenario.with_values(source="dashboard", **edits) if edits else self.scenario

    def started(self, model: FlexiworkModel) -> Settings:
        """The settings of a model just built from :meth:`next_scenario`: nothing pending."""
        return dataclasses.replace(self, scenario=model.config, edits={}, at_week=0)

    def applies_to(self, model: FlexiworkModel) -> bool:
        """Whether the page shows what ``model`` runs (no edit pending)."""
        return not self.edits and (self.scenario.values, self.scenario.schedule) == (
            model.config.values, model.config.schedule)

    def download_name(self) -> str:
        stem = self.origin.removesuffix(".toml") or "scenario"
        return f"{stem}-custom.toml" if self.modified else f"{stem}.toml"

    def to_toml(self) -> str:
        """The file to save: what Reset would run (changes made during the run included)."""
        return self.next_scenario().to_toml()

    def model_kwargs(self) -> dict[str, Any]:
        scenario = self.next_scenario()
        return {"scenario": scenario, "rng": int(scenario.values["seed"])}


def _differs(a: Any, b: Any) -> bool:
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return sorted(a) != sorted(b)
    return bool(a != b)


_scenarios_lock = threading.Lock()
_scenarios_cache: tuple[tuple[Any, ...], dict[str, Scenario]] | None = None


def available_scenarios() -> dict[str, Scenario]:
    """The valid scenario files of ``scenarios/`` by name, in name order.

    Parsed once per server and again only when a file there changes (name, size or
    modification time), not on every page open: reading and validating all of them costs
    about 0.2 s, paid before the first paint.
    """
    global _scenarios_cache
    files = list(named_files("scenarios").values())  # ./scenarios and the shipped ones
    key = tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files)
    with _scenarios_lock:
        if _scenarios_cache is None or _scenarios_cache[0] != key:
            valid = {s.name: s for s in list_scenarios()
                     if not s.description.startswith("INVALID")}
            _scenarios_cache = (key, valid)
        return _scenarios_cache[1]


def workshop_settings(name: str = DEFAULT_SCENARIO, n_asn: int = WORKSHOP_N_ASN) -> Settings:
    """Settings of a scenario file at the workshop population size.

    The population size is a speed choice of the room, not part of the policy, so it is kept
    when another scenario is chosen.
    """
    known = available_scenarios().get(name)
    scenario = (known or load_scenario(name)).with_values(source="dashboard", n_asn=n_asn)
    return Settings(scenario=scenario, origin=name)


def warm_up() -> None:
    """Build and step a small model once, so the first visitor does not wait for it.

    The first model of a server process pays one-off costs (compiled kernels loaded, caches
    filled) that would otherwise land on the first page opened. ``app.py`` calls this at
    server start.
    """
    model = DashboardModel(settings=workshop_settings(n_asn=POPULATION_CHOICES[0]))
    model.step()
    model.timeseries()


def population(scenario: Scenario) -> tuple[int, float]:
    """A scenario's ASN agents and citizen agents per ASN agent: what its memory depends on."""
    return int(scenario.values["n_asn"]), float(scenario.values["citizens_per_asn"])


class DashboardModel(FlexiworkModel):
    """``FlexiworkModel`` built from a session's :class:`Settings`, as SolaraViz's Reset needs.

    Stops running (Mesa's Play stops) at the scenario's horizon, ``[run] steps`` weeks. Every
    one is admitted by :func:`flexisim.dashboard.memory.admit` before anything is allocated
    (raises :class:`~flexisim.dashboard.memory.MemoryCapExceeded` when it does not fit) and
    stays in its registry until it is garbage.
    """

    def __init__(self, *, settings: solara.Reactive[Settings] | Settings | None = None,
                 scenario: Any = None, rng: Any = None, **levers: Any) -> None:
        if isinstance(scenario, MesaScenario):
            # Mesa's Reset adds an empty mesa Scenario of its own; our scenarios are TOML ones.
            scenario = None
        chosen = None
        if settings is not None:
            chosen = settings.value if isinstance(settings, solara.Reactive) else settings
            kwargs = chosen.model_kwargs()
            scenario, rng = kwargs["scenario"], kwargs["rng"]
        base = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        n_asn, citizens = population(base.with_values(**levers) if levers else base)
        admitted = memory.admit(n_asn, citizens)  # whichever path builds it: Reset included
        try:
            super().__init__(scenario=scenario, rng=rng, **levers)
        except BaseException:
            admitted.release()
            raise
        admitted.attach(self)
        self.memory_bytes = admitted.nbytes  # the estimate it was admitted with
        self.horizon = int(self.config.values["steps"])
        if isinstance(settings, solara.Reactive) and chosen is not None:
            # Mesa's Reset: the edits are now the model's; the page shows week 1's levers
            started = chosen.started(self)
            if started != chosen:
                settings.set(started)

    def apply_edits(self, settings: Settings) -> Settings:
        """Apply the page's edits from the next week of this run (a policy shock).

        The change is recorded in the model's scenario (:meth:`FlexiworkModel.change_levers`),
        and returned settings hold that scenario, so a saved file replays the shock.
        """
        week = int(self.steps) + 1
        self.change_levers(label=f"changed on the dashboard during the run, from week {week}",
                           **settings.edits)
        return dataclasses.replace(settings, scenario=self.config, edits={},
                                   at_week=int(self.steps))

    def step(self) -> None:
        super().step()
        if self.steps >= self.horizon:
            self.running = False

    def release(self) -> None:
        """Let go of everything this model holds (both worlds, their agents and tables); it is
        unusable afterwards. Called when its session has closed
        (:func:`flexisim.dashboard.memory.release_session`): closures of Solara and Mesa may
        keep the model object itself reachable, but not what it held."""
        self.__dict__.clear()
