"""The sidebar of the workshop page: language, scenario, levers, save and load.

Everything here edits the session's :class:`~flexisim.dashboard.state.Settings`; the running
model only changes when Mesa's Reset builds a new one from them (or at once, when a scenario
is chosen or a file loaded -- those are "start over" actions).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets
import solara

from flexisim.dashboard import i18n
from flexisim.dashboard.i18n import (
    choice_label,
    lever_help,
    lever_label,
    scenario_description,
    t,
)
from flexisim.dashboard.state import (
    HIDDEN_LEVERS,
    MAIN_LEVERS,
    POPULATION_CHOICES,
    WORKSHOP_N_ASN,
    Settings,
    workshop_settings,
)
from flexisim.scenario import (
    LEVERS,
    MAX_UPLOAD_BYTES,
    ScenarioError,
    list_scenarios,
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


def _range_text(kwarg: str) -> str:
    lever = LEVERS[kwarg]
    return t("unit", unit=lever.unit, lo=lever.min, hi=lever.max)


@solara.component
def LeverInput(kwarg: str, value: Any, on_value: Callable[[str, Any], None],
               main: bool = True) -> None:
    """One lever as a widget chosen by its type in the schema, with its help text below."""
    lever = LEVERS[kwarg]
    label = lever_label(kwarg) if main else lever_help(kwarg)
    help_text = lever_help(kwarg) if main else ""

    def changed(new: Any) -> None:
        on_value(kwarg, new)

    with solara.Column(gap="0px", classes=[f"lever-{kwarg}"]):
        if lever.type == "bool":
            solara.Switch(label=label, value=bool(value), on_value=changed)
        elif lever.type in ("int", "float"):
            assert lever.min is not None and lever.max is not None
            if lever.type == "int":
                solara.SliderInt(label, value=int(value), min=int(lever.min),
                                 max=int(lever.max), on_value=changed, thumb_label="always")
            else:
                step = (lever.max - lever.min) / 100.0
                solara.SliderFloat(label, value=float(value), min=lever.min, max=lever.max,
                                   step=step, on_value=changed, thumb_label="always")
            help_text = (help_text + " — " if help_text else "") + _range_text(kwarg)
        elif lever.type == "str":
            items = [{"text": choice_label(c), "value": c} for c in lever.choices or ()]
            solara.v.Select(label=label, items=items, v_model=value, on_v_model=changed,
                            dense=True)
        else:  # list[str]: one checkbox per choice, so a removed family is one click
            solara.Text(label)
            chosen = list(value)
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


@solara.component
def ScenarioCard(settings: solara.Reactive[Settings], apply: Callable[[Settings], None]) -> None:
    """Scenario chooser with its description, population size, save and load."""
    scenarios = {s.name: s for s in list_scenarios()
                 if not s.description.startswith("INVALID")}
    current = settings.value
    upload_message = solara.use_reactive(None)  # (ok, [lines]) of the last upload
    upload_key = solara.use_reactive(0)  # new key -> fresh upload widget after each file

    def choose(name: str) -> None:
        if name in scenarios:
            apply(workshop_settings(name, n_asn=int(current.scenario.values["n_asn"])))
            upload_message.set(None)

    def set_population(n: int) -> None:
        apply(current.with_lever("n_asn", int(n)))

    def uploaded(files: Any) -> None:
        if not files:
            return
        info = files[0]
        name = str(info.get("name", "upload.toml"))
        size = int(info.get("size", 0))
        try:
            if size > MAX_UPLOAD_BYTES:  # refuse before touching the bytes at all
                raise ScenarioError([f"{name}: too large: {size} bytes "
                                     f"(allowed: at most {MAX_UPLOAD_BYTES} bytes)"])
            scenario = parse_scenario_text(bytes(info["content"]), source=name)
        except ScenarioError as exc:
            upload_message.set((False, [t("load_failed", name=name), *exc.problems]))
        else:
            apply(Settings(scenario=scenario, origin=name))
            upload_message.set((True, [t("loaded", name=name)]))
        upload_key.set(upload_key.value + 1)

    origin = current.origin if current.origin in scenarios else None
    with solara.Card(t("scenario"), margin=0, classes=["scenario-card"]):
        solara.v.Select(label=t("scenario"), v_model=origin,
                        items=[{"text": n, "value": n} for n in scenarios],
                        placeholder=t("scenario_custom"), on_v_model=choose, dense=True,
                        class_="scenario-select")
        description = current.scenario.description
        if origin:
            description = scenario_description(origin, description)
        solara.Text(description + (" " + t("scenario_custom") if current.modified else ""),
                    classes=["scenario-description"], style={"font-style": "italic"})
        solara.v.Select(label=t("population"), v_model=int(current.scenario.values["n_asn"]),
                        items=[{"text": f"{n:,}", "value": n} for n in POPULATION_CHOICES],
                        on_v_model=set_population, dense=True)
        solara.Text(t("population_help", n=f"{WORKSHOP_N_ASN:,}"),
                    style={"font-size": "0.8em", "color": "#666"})
        with solara.Row(style={"flex-wrap": "wrap", "align-items": "center"}):
            solara.FileDownload(current.scenario.to_toml, filename=current.download_name(),
                                label=t("save"), mime_type="application/toml")
        solara.Text(t("load"), style={"margin-top": "8px"})
        ipywidgets.FileUpload.element(accept=".toml,text/plain", multiple=False,
                                      description=t("load"),
                                      on_value=uploaded, layout={"width": "auto"}
                                      ).key(f"upload-{upload_key.value}")
        solara.Text(t("load_help", kb=MAX_UPLOAD_BYTES // 1024),
                    style={"font-size": "0.8em", "color": "#666"})
        if upload_message.value is not None:
            ok, lines = upload_message.value
            if ok:
                solara.Success(lines[0], dense=True, classes=["upload-ok"])
            else:
                with solara.Column(classes=["upload-error"]):
                    solara.Error("\n".join(lines), dense=True)


@solara.component
def LeverPanel(settings: solara.Reactive[Settings], applied: bool) -> None:
    """Sliders and switches for the main levers; the rest under 'More levers'."""
    values = settings.value.scenario.values

    def on_value(kwarg: str, value: Any) -> None:
        try:
            settings.set(settings.value.with_lever(kwarg, value))
        except ScenarioError:
            pass  # the widgets only offer allowed values; ignore a transient out-of-range

    with solara.Card(t("levers"), margin=0, classes=["lever-card"]):
        if applied:
            solara.Text(t("applied"), style={"font-size": "0.85em", "color": "#2e7d32"})
        else:
            solara.Warning(t("pending"), dense=True, classes=["pending-warning"])
        for kwarg in MAIN_LEVERS:
            LeverInput(kwarg, values[kwarg], on_value, True)
        with solara.Details(t("more_levers")):
            for kwarg in LEVERS:
                if kwarg not in MAIN_LEVERS and kwarg not in HIDDEN_LEVERS:
                    LeverInput(kwarg, values[kwarg], on_value, False)
