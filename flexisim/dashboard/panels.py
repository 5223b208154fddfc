"""The sidebar of the workshop page: language, scenario, levers, save and load.

Everything here edits the session's :class:`~flexisim.dashboard.state.Settings`; the running
model only changes when Mesa's Reset builds a new one from them (or at once, when a scenario
is chosen or a file loaded -- those are "start over" actions).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import solara
from mesa.visualization.utils import force_update, update_counter

from flexisim.dashboard import i18n, memory
from flexisim.dashboard.i18n import (
    change_text,
    choice_label,
    lever_help,
    lever_label,
    lever_source,
    memory_text,
    number,
    problem_text,
    scenario_description,
    scenario_title,
    t,
    unit_text,
)
from flexisim.dashboard.state import (
    HIDDEN_LEVERS,
    MAIN_LEVERS,
    POPULATION_CHOICES,
    WORKSHOP_N_ASN,
    DashboardModel,
    Settings,
    available_scenarios,
    population,
    workshop_settings,
)
from flexisim.dashboard.upload import FileLoad
from flexisim.scenario import (
    LEVERS,
    MAX_UPLOAD_BYTES,
    ScenarioError,
    outside_rules,
    parse_scenario_text,
)


@solara.component
def LanguageToggle() -> None:
    """Bahasa Indonesia / English for the whole page (this session only)."""
    solara.ToggleButtonsSingle(value=i18n.language,
                               classes=["language-toggle"], dense=True,
                               children=[solara.Button(label=label, value=code,
                                                       classes=[f"lang-{code}"], text=True)
                                         for code, label in i18n.LANGUAGES.items()])


def sets_population(content: bytes) -> bool:
    """Whether a scenario file itself sets ``[population] n_asn`` (the text is already
    validated; a file that ``extends`` another counts as not setting it unless it does)."""
    import tomllib

    try:
        data = tomllib.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    population = data.get("population")
    return isinstance(population, dict) and "n_asn" in population


#: The session's presenting mode: large type for a projector, the sidebar hidden (the app
#: bar keeps Step, Play and Reset within reach), per session like the language.
presenting = solara.reactive(False)

#: Large type for the back of the room; the settings drawer out of the way.
PRESENTING_CSS = """
.v-navigation-drawer { display: none !important; }
.v-main, .v-content { padding-left: 0 !important; }
.headline-title { font-size: 18px !important; }
.headline-value { font-size: 40px !important; }
.headline-note { font-size: 15px !important; }
.flexisim-chart-title { font-size: 18px !important; line-height: 22px !important; }
.flexisim-chart-legend { font-size: 15px !important; line-height: 22px !important; }
.v-tab { font-size: 16px !important; }
.room-controls button { font-size: 18px !important; min-width: 52px !important; }
"""


@solara.component
def RoomControls() -> None:
    """Step, Play and Reset in the app bar (always visible, also with the sidebar hidden or
    at 150 % zoom), keyboard shortcuts named in their tooltips, and the presenting switch.

    The buttons press Mesa's own controls in the browser (``flexisimControl`` in
    ``assets/custom.js``): one play loop, one Reset, whichever button the facilitator uses.
    """
    # the accessible name says what the button does in other words than the sidebar's
    # labels, so "the Step button" stays one button for assistive tools (and for tests)
    buttons = "".join(
        f'<button type="button" class="room-control room-{action}" title="{t(f"room.{action}")}"'
        f' aria-label="{t(f"room.aria.{action}")}" '
        f'onclick="window.flexisimControl && window.flexisimControl(\'{action}\')">'
        f'{label}</button>'
        for action, label in (("reset", t("mesa.Reset")), ("play", "▶ ❚❚"),
                              ("step", t("mesa.Step"))))
    with solara.Row(gap="4px", style={"align-items": "center", "background": "transparent"},
                    classes=["room-bar"]):
        solara.HTML(tag="div", unsafe_innerHTML=buttons, classes=["room-controls"])
        solara.Button(icon_name="mdi-projector-screen", icon=True, text=True,
                      on_click=lambda: presenting.set(not presenting.value),
                      classes=["presenting-toggle"], outlined=presenting.value,
                      attributes={"title": t("room.presenting")})
        if presenting.value:
            solara.Style(PRESENTING_CSS)
        solara.Style(ROOM_CSS)


ROOM_CSS = """
.room-controls { display: flex; gap: 4px; }
.room-controls button { color: inherit; border: 1px solid rgba(255, 255, 255, 0.6);
  border-radius: 4px; padding: 2px 8px; font-size: 14px; min-width: 40px; line-height: 1.4;
  text-transform: uppercase; letter-spacing: 0.05em; white-space: nowrap; }
/* tabs that fit a 1024-pixel window: normal case, less padding, arrows when they do not */
.v-tab { text-transform: none !important; letter-spacing: normal !important;
  padding: 0 12px !important; min-width: 60px !important; font-size: 15px; }
.room-controls button:hover { background: rgba(255, 255, 255, 0.15); }
"""


#: Room above a slider for its value label (always shown, for the back of the room).
SLIDER_STYLE = "margin-top: 26px"
#: Long lever labels wrap in the narrow sidebar instead of running into the help below.
LEVER_CSS = """
.lever-card .v-input .v-label { height: auto; line-height: 1.25; white-space: normal; }
.lever-card .v-input__slider .v-input__slot > .v-label { max-width: 55%; }
.lever-card .v-select, .lever-card .lever-eligible_families { margin-top: 12px; }
"""


def _range_text(kwarg: str) -> str:
    """Unit, range and the default's source: what a room asks about a slider."""
    lever = LEVERS[kwarg]
    lang = i18n.language.value
    unit = t("unit", unit=unit_text(lever.unit, lang), lo=number(lever.min, lang),
             hi=number(lever.max, lang))
    return f"{unit}. {lever_source(kwarg, lang)}" if lever.source else unit


@solara.component
def LeverInput(kwarg: str, value: Any, on_value: Callable[[str, Any], None],
               main: bool = True) -> Any:
    """One lever as a widget chosen by its type in the schema, with its help text below.

    The help text is the input's own (persistent) hint rather than a text widget beside it,
    and the input carries the ``lever-<kwarg>`` class itself: one widget per lever instead
    of three keeps the sidebar light to send, draw and update.
    """
    lever = LEVERS[kwarg]
    label = lever_label(kwarg) if main else lever_help(kwarg)
    help_text = lever_help(kwarg) if main else ""
    css = f"lever-{kwarg}"

    def changed(new: Any) -> None:
        on_value(kwarg, new)

    if lever.type in ("int", "float"):
        assert lever.min is not None and lever.max is not None
        hint = (help_text + " — " if help_text else "") + _range_text(kwarg)
        if lever.type == "int":
            return solara.v.Slider(label=label, v_model=int(value), min=int(lever.min),
                                   max=int(lever.max), step=1, thumb_label="always",
                                   hint=hint, persistent_hint=True, class_=css,
                                   style_=SLIDER_STYLE,
                                   on_v_model=lambda new: changed(int(new)))
        return solara.v.Slider(label=label, v_model=float(value), min=lever.min, max=lever.max,
                               step=(lever.max - lever.min) / 100.0, thumb_label="always",
                               hint=hint, persistent_hint=True, class_=css,
                               style_=SLIDER_STYLE,
                               on_v_model=lambda new: changed(float(new)))
    if help_text and lever.source:
        help_text = f"{help_text}. {lever_source(kwarg)}"
    hints: dict[str, Any] = ({"hint": help_text, "persistent_hint": True} if help_text
                             else {"hide_details": True})
    if lever.type == "bool":
        return solara.v.Switch(label=label, v_model=bool(value), class_=css, **hints,
                               on_v_model=lambda new: changed(bool(new)))
    if lever.type == "str":
        items = [{"text": choice_label(c), "value": c} for c in lever.choices or ()]
        return solara.v.Select(label=label, items=items, v_model=value, on_v_model=changed,
                               dense=True, class_=css, **hints)
    # list[str]: one checkbox per choice, so a removed family is one click
    chosen = list(value)
    with solara.Column(gap="0px", classes=[css]) as column:
        solara.Text(label)
        with solara.Row(gap="2px", style={"flex-wrap": "wrap"}):
            for choice in lever.choices or ():
                def toggle(on: bool, choice: str = choice) -> None:
                    new = [c for c in chosen if c != choice] + ([choice] if on else [])
                    changed(new)

                solara.Checkbox(label=choice_label(choice), value=choice in chosen,
                                on_value=toggle, style="margin-right: 8px")
        if help_text:
            solara.Text(help_text, style={"font-size": "0.8em", "color": "#666",
                                          "margin-bottom": "6px"})
    return column


#: ``apply(settings, requested=False)`` of :class:`~flexisim.dashboard.page.SettingsPanel`:
#: start over with new settings; None once built, else the estimate of a model that was not
#: (too large for the memory free, or large and waiting for the facilitator's request).
Apply = Callable[..., "memory.Estimate | None"]


@solara.component
def ScenarioCard(settings: solara.Reactive[Settings], apply: Apply,
                 pending: solara.Reactive[Settings | None]) -> None:
    """Scenario chooser with its description, population size, save and load.

    A large population (above :data:`~flexisim.dashboard.memory.BUILD_ON_REQUEST_ASN`) is
    not built by choosing or loading it: ``pending`` holds it until "Build model" is pressed
    (:class:`BuildNotice`); one that does not fit the memory is refused with the reason.
    """
    scenarios = available_scenarios()
    current = settings.value
    upload_message = solara.use_reactive(None)  # (ok, [lines]) of the last upload

    def start_over(new: Settings) -> list[str] | None:
        """Apply ``new``; the reason in words when nothing was built now."""
        memory.refused.set(None)
        need = apply(new)
        return None if need is None or need.fits else [memory_text(need)]

    def choose(name: str) -> None:
        if name in scenarios:
            refused = start_over(workshop_settings(name, n_asn=int(current.shown()["n_asn"])))
            upload_message.set((False, [t("load_failed", name=scenario_title(name)),
                                        *refused]) if refused else None)

    def set_population(n: int) -> None:
        refused = start_over(current.with_lever("n_asn", int(n)))
        upload_message.set((False, refused) if refused else None)

    def uploaded(name: str, content: bytes) -> None:
        try:
            scenario = parse_scenario_text(content, source=name)
        except ScenarioError as exc:
            problem(name, exc.problems)
            return
        message = t("loaded", name=name)
        if not sets_population(content):
            # a shipped scenario names no population size: the room's size stays (the
            # file's default of 10,000 would silently double every step's time)
            n_asn = int(current.shown()["n_asn"])
            scenario = scenario.with_values(source=name, n_asn=n_asn)
            message += " " + t("loaded_population_kept", n=number(n_asn, None, 0))
        refused = start_over(Settings(scenario=scenario, origin=name))
        if refused:
            problem(name, refused)
        else:  # built, or waiting for "Build model" (said below the levers' card title)
            upload_message.set(None if pending.value is not None else (True, [message]))

    def problem(name: str, lines: list[str]) -> None:
        upload_message.set((False, [t("load_failed", name=name), *lines]))

    origin = current.origin if current.origin in scenarios else None
    n_asn = int(current.shown()["n_asn"])
    with solara.Card(t("scenario"), margin=0, classes=["scenario-card"]):
        solara.v.Select(label=t("scenario"), v_model=origin,
                        items=[{"text": scenario_title(n), "value": n} for n in scenarios],
                        placeholder=t("scenario_custom"), on_v_model=choose, dense=True,
                        class_="scenario-select")
        description = current.scenario.description
        if origin:
            description = scenario_description(origin, description)
        solara.Text(description + (" " + t("scenario_custom") if current.modified else ""),
                    classes=["scenario-description"],
                    style={"font-style": "italic", "display": "block", "margin-bottom": "16px"})
        # a loaded file's population is offered too, so the selector shows what runs
        solara.v.Select(label=t("population"), v_model=n_asn,
                        items=[{"text": number(n, None, 0), "value": n}
                               for n in sorted({*POPULATION_CHOICES, n_asn})],
                        on_v_model=set_population, dense=True, class_="population-select")
        solara.Text(t("population_help", n=number(WORKSHOP_N_ASN, None, 0)),
                    style={"font-size": "0.8em", "color": "#666"})
        with solara.Row(style={"flex-wrap": "wrap", "align-items": "center"}):
            solara.FileDownload(current.to_toml, filename=current.download_name(),
                                label=t("save"), mime_type="application/toml")
        FileLoad(t("load"), MAX_UPLOAD_BYTES, uploaded, problem, accept=".toml,text/plain")
        solara.Text(t("load_help", kb=MAX_UPLOAD_BYTES // 1024),
                    style={"font-size": "0.8em", "color": "#666"})
        if upload_message.value is not None:
            ok, lines = upload_message.value
            if ok:
                solara.Success(lines[0], dense=True, classes=["upload-ok"])
            else:
                with solara.Column(classes=["upload-error"]):
                    solara.Error("\n".join([lines[0], *map(problem_text, lines[1:])]),
                                 dense=True)
        BuildNotice(pending, apply)


@solara.component
def BuildNotice(pending: solara.Reactive[Settings | None], apply: Apply) -> None:
    """A large model waiting for the facilitator: its estimate and "Build model (≈ N MB)";
    and why the last build asked for (here, or by Reset) was refused."""

    asked, set_asked = solara.use_state(0)  # presses of "Build model"

    def build(cancel: threading.Event) -> None:
        new = pending.value
        if asked and new is not None:
            memory.refused.set(apply(new, requested=True))  # None once built

    # building a large model takes seconds to a minute: in a thread, and the page says so.
    # (Not solara.lab.use_task: each use registers a callback in a process-wide list that is
    # never emptied, and its closure would keep this session's model alive after it closed.)
    building = solara.use_thread(build, [asked], intrusive_cancel=False)  # a build completes
    new = pending.value
    if asked and new is not None and building.state in (solara.ResultState.STARTING,
                                                       solara.ResultState.RUNNING):
        n = number(population(new.next_scenario())[0], None, 0)
        solara.ProgressLinear(True)
        solara.Text(t("memory.building", n=n), classes=["memory-building"])
        return
    if memory.refused.value is not None:
        solara.Error(memory_text(memory.refused.value), dense=True, classes=["memory-refused"])
    if new is None:
        return
    need = memory.estimate(*population(new.next_scenario()))
    mb = number(memory.megabytes(need.needed, up=True), None, 0)
    name = new.origin if new.origin.endswith(".toml") else scenario_title(new.origin)
    with solara.Column(gap="4px", classes=["build-on-request"]):
        solara.Info(t("memory.large", name=name, n=number(need.n_asn, None, 0), need=mb),
                    dense=True)
        with solara.Row(style={"flex-wrap": "wrap"}):
            solara.Button(t("memory.build", need=mb), on_click=lambda: set_asked(asked + 1),
                          color="primary", classes=["build-model"])
            solara.Button(t("memory.keep"), on_click=lambda: pending.set(None), text=True,
                          classes=["keep-model"])


#: The levers under "More levers" (neither in issue 4's main list nor set elsewhere).
MORE_LEVERS: tuple[str, ...] = tuple(k for k in LEVERS
                                     if k not in MAIN_LEVERS and k not in HIDDEN_LEVERS)


@solara.component
def LeverPanel(settings: solara.Reactive[Settings], applied: bool,
               model: solara.Reactive[DashboardModel] | None = None) -> None:
    """Sliders and switches for the main levers; the rest under 'More levers'.

    The sliders show the levers in force (the scenario's, or those of the last change made
    during the run) with the page's edits. Edits wait for Reset (start over with them), or
    for "apply from week n" (:class:`ApplyDuringRun`): a policy shock in the running model.
    """
    values = settings.value.shown()

    def set_lever(kwarg: str, value: Any) -> None:
        try:
            settings.set(settings.value.with_lever(kwarg, value))
        except ScenarioError:
            pass  # the widgets only offer allowed values; ignore a transient out-of-range

    # the same function every render (settings is the session's reactive), so moving one
    # lever re-renders that lever only, not all of them
    on_value = solara.use_memo(lambda: set_lever, [settings])

    with solara.Card(t("levers"), margin=0, classes=["lever-card"]):
        solara.Style(LEVER_CSS)
        if applied:
            solara.Text(t("applied"), style={"font-size": "0.85em", "color": "#2e7d32"})
        else:
            solara.Warning(t("pending"), dense=True, classes=["pending-warning"])
        # always there (empty when not applicable): a child that comes and goes would shift
        # the ones after it, and "More levers" would be rebuilt closed
        if model is not None:
            ApplyDuringRun(settings, model)
        RecordedChanges(settings.value.scenario.schedule)
        notes = outside_rules(values, i18n.language.value)
        if notes:  # a cap above two days or a decree: say so where the levers are set
            solara.Warning(t("outside_rules", notes="; ".join(notes)), dense=True,
                           classes=["outside-rules"])
        for kwarg in MAIN_LEVERS:
            LeverInput(kwarg, values[kwarg], on_value, True)
        MoreLevers({k: values[k] for k in MORE_LEVERS}, on_value)


@solara.component
def MoreLevers(values: dict[str, Any], on_value: Callable[[str, Any], None]) -> None:
    """The other levers, in a closed panel whose widgets exist only while it is open.

    Half of the sidebar's widgets live here; creating them only on demand keeps them out of
    the first page load (``solara.Details`` would build them while closed).
    """
    is_open, set_open = solara.use_state(False)
    with solara.v.ExpansionPanels(v_model=0 if is_open else None,
                                  on_v_model=lambda index: set_open(index == 0),
                                  class_="more-levers"):
        with solara.v.ExpansionPanel():
            solara.v.ExpansionPanelHeader(children=[t("more_levers")])
            with solara.v.ExpansionPanelContent():
                if is_open:
                    for kwarg in MORE_LEVERS:
                        LeverInput(kwarg, values[kwarg], on_value, False)


@solara.component
def ApplyDuringRun(settings: solara.Reactive[Settings],
                   model: solara.Reactive[DashboardModel]) -> None:
    """'Apply from week n+1': the edits as a policy shock in the running model.

    Its own component, subscribed to the week counter: it follows the run (the week on its
    button) while the rest of the sidebar is not re-rendered by a step.
    """
    update_counter.get()  # re-render after each step
    m = model.value
    if not settings.value.edits or not (0 < m.steps < m.horizon):
        # nothing moved, or the run not started (Reset is the same thing) or at its end
        return

    def apply_now() -> None:
        settings.set(model.value.apply_edits(settings.value))
        force_update()

    with solara.Row(style={"align-items": "center", "flex-wrap": "wrap"}):
        solara.Button(t("apply_now", week=m.steps + 1), on_click=apply_now, color="primary",
                      outlined=True, dense=True, classes=["apply-now"])
        solara.Text(t("apply_now_help"), style={"font-size": "0.8em", "color": "#666"})


@solara.component
def RecordedChanges(schedule: tuple[Any, ...]) -> None:
    """The scenario's schedule in words: changes made during the run are saved with it."""
    if not schedule:
        return
    with solara.Column(gap="0px", classes=["recorded-changes"]):
        solara.Text(t("recorded_changes"), style={"font-size": "0.85em", "font-weight": "bold"})
        for change in schedule:
            solara.Text("• " + change_text(change),
                        style={"font-size": "0.8em", "color": "#444"})
