"""The workshop page: Mesa's SolaraViz around the flexisim model, plus our own panels.

Layout
------
* App bar: title and Mesa's theme toggle (SolaraViz); ours: Reset / Play / Step, presenting
  mode, "how to read this page", the language.
* Sidebar: Mesa's controls (Reset / Play / Step, play speed), then "Settings" -- Mesa's
  model-parameter card, which here holds our scenario chooser, save/load and levers (Mesa's
  own parameter widgets cannot show help text, translate, or follow a loaded scenario) --
  and Mesa's information card with the week counter.
* Main area (SolaraViz tabs): headline cards and the live charts; the
  office floor and citizens' trust by region; comparisons of settings as effects with bands;
  the channel waterfall of the current settings ("why").

Every session (browser tab) gets its own settings and its own model: both are created by
hooks inside :func:`Page`, and Mesa's step counter and our language live in
``solara.reactive`` variables, which Solara scopes per session.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import solara
from mesa.visualization import SolaraViz
from mesa.visualization.utils import force_update

from flexisim.dashboard import charts, i18n, memory, mesa_i18n
from flexisim.dashboard.compare import ComparePanel
from flexisim.dashboard.floor import AgentsView
from flexisim.dashboard.headline import About
from flexisim.dashboard.panels import LanguageToggle, LeverPanel, RoomControls, ScenarioCard
from flexisim.dashboard.state import DashboardModel, Settings, population, workshop_settings
from flexisim.dashboard.why import WhyPanel

#: Mesa's play loop sleeps this long between steps; the step itself adds ~20-60 ms.
PLAY_INTERVAL_MS = 150


@solara.component
def SettingsPanel(settings: solara.Reactive[Settings],
                  model: solara.Reactive[DashboardModel]) -> None:
    """Scenario, levers, save/load. Choosing or loading a scenario restarts the model -- at
    once, unless its population is large (then on request) or does not fit the memory."""
    pending = solara.use_reactive(None)  # large settings waiting for "Build model"

    def apply(new: Settings, requested: bool = False) -> memory.Estimate | None:
        """Start over with ``new``: None once built, else the model's estimate (it did not fit
        the memory free, or it is large and now waits in ``pending`` for a request)."""
        need = memory.estimate(*population(new.next_scenario()))
        if need.fits and need.on_request and not requested:
            pending.set(new)
            return need
        if need.fits:
            try:
                started = DashboardModel(settings=new)
            except memory.MemoryCapExceeded as exc:  # another tab took the memory meanwhile
                need = exc.estimate
            else:
                settings.set(new.started(started))
                model.set(started)
                force_update()
                pending.set(None)  # last: the page shows "building" until the model runs
                return None
        pending.set(None)
        return need

    applied = settings.value.applies_to(model.value)
    with solara.Column(gap="8px", style={"width": "100%"}):
        ScenarioCard(settings, apply, pending)
        LeverPanel(settings, applied, model)


def _parameters_panel(model: solara.Reactive[DashboardModel],
                      model_params: dict[str, Any]) -> Any:
    return SettingsPanel(model_params["settings"], model)


mesa_i18n.parameters_panel = _parameters_panel


def _components(settings: solara.Reactive[Settings],
                previous: solara.Reactive[pd.DataFrame | None]) -> list[tuple[Any, int]]:
    def Live(model: DashboardModel) -> Any:  # noqa: N802 (component naming)
        return charts.LiveView(model, previous.value)

    def Compare(model: DashboardModel) -> Any:  # noqa: N802 (component naming)
        return ComparePanel(settings)

    def Why(model: DashboardModel) -> Any:  # noqa: N802 (component naming)
        return WhyPanel(settings)

    # One component per page: see charts.LiveCharts for why.
    return [(Live, 0), (AgentsView, 1), (Compare, 2), (Why, 3)]


@solara.component
def Page() -> None:
    """One session's dashboard."""
    mesa_i18n.install()
    initial = solara.use_memo(workshop_settings, [])
    settings = solara.use_reactive(initial)
    first_model = solara.use_memo(lambda: DashboardModel(settings=initial), [])
    model = solara.use_reactive(first_model)
    # the run before the last Reset (or scenario change), overlaid on the live charts
    previous = solara.use_reactive(None)
    shown = solara.use_ref(first_model)
    current = model.value

    def remember_previous() -> None:
        old = shown.current
        if old is not current:
            if old.steps:  # a Reset at week 0 keeps the run before it
                previous.set(charts.timeseries(old))
            shown.current = current
            if old.n_asn > memory.BUILD_ON_REQUEST_ASN:
                memory.collect_soon()  # give a large model's memory back now, not in minutes

    solara.use_effect(remember_previous, [current])
    components = solara.use_memo(lambda: _components(settings, previous), [])

    solara.Title(i18n.t("title"))  # the browser tab's title
    with solara.AppBar():
        RoomControls()
        About()
        LanguageToggle()
    SolaraViz(
        model,
        components=components,
        # Mesa's Reset re-creates the model as DashboardModel(settings=...): the session's
        # settings object, so Reset runs what the sliders show.
        model_params={"settings": settings},
        name=i18n.t("title"),
        play_interval=PLAY_INTERVAL_MS,
    )
