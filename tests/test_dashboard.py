"""Headless tests of the workshop dashboard (no browser): components render, levers reach the
model after Reset, Step advances it, translations are complete, uploads are validated."""

from __future__ import annotations

import dataclasses
import datetime
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import ipyvuetify as v
import ipywidgets
import pandas as pd
import pytest
import solara

from flexisim.dashboard import charts, compare, echarts, floor, i18n, panels
from flexisim.dashboard.echarts import ChartWidget
from flexisim.dashboard.page import Page
from flexisim.dashboard.state import MAIN_LEVERS, DashboardModel, workshop_settings
from flexisim.scenario import LEVERS, MAX_UPLOAD_BYTES, load_scenario, parse_scenario_text

SMALL = 1000  # population of the page under test: fast to build and step


@pytest.fixture(params=["1", "0"], ids=["fast-renderer", "default-renderer"])
def page(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Any:
    """The whole page (inside the app layout, as `solara run` serves it), English, small.

    Under both of reacton's renderers: app.py serves the page with the fast one
    (REACTON_FAST=1), and the page must behave the same with the default one.
    """
    monkeypatch.setenv("REACTON_FAST", request.param)
    monkeypatch.setattr("flexisim.dashboard.state.WORKSHOP_N_ASN", SMALL)
    monkeypatch.setattr("flexisim.dashboard.page.workshop_settings",
                        lambda: workshop_settings(n_asn=SMALL))
    i18n.language.set("en")
    box, rc = solara.render(solara.AppLayout(children=[Page()]), handle_error=False)
    yield rc
    rc.close()
    i18n.language.set(i18n.DEFAULT_LANGUAGE)


def _button(rc: Any, label: str) -> Any:
    return rc.find(v.Btn, children=[label]).widget


def _step_text(rc: Any) -> str:
    texts = [w.children[0] for w in rc.find(v.Html, tag="span").widgets
             if w.children and isinstance(w.children[0], str)]
    return next(t for t in texts if re.fullmatch(r"Week \d+|Minggu ke-\d+", t))


def _charts(rc: Any) -> list[dict[str, Any]]:
    """The options of every chart on the page, in page order."""
    return [option for w in rc.find(ChartWidget).widgets for option in w.options]


def _slider(rc: Any, label: str) -> Any:
    return rc.find(v.Slider, label=label).widget


def test_page_has_the_controls_charts_and_levers(page: Any) -> None:
    for label in ("Reset", "Step", "▶"):
        _button(page, label)
    assert any("Save settings (TOML)" in w.children for w in page.find(v.Btn).widgets)
    labels = {w.label for w in page.find(v.Slider).widgets}
    for kwarg in MAIN_LEVERS:
        lever = LEVERS[kwarg]
        if lever.type in ("int", "float"):
            assert i18n.lever_label(kwarg, "en") in labels, kwarg
    # help texts come from the lever schema, shown under each lever
    hints = {w.hint for w in page.find(v.Slider).widgets if w.persistent_hint}
    assert any(LEVERS["verification_rate"].en in h for h in hints)
    assert page.find(v.Switch, class_="lever-flexiwork_enabled").widget.hint
    assert page.find(ipywidgets.FileUpload).widget is not None
    assert len(page.find(v.Tab).widgets) == 4
    assert len(_charts(page)) == 6  # the live charts page is the one shown first
    assert len(page.find(ChartWidget).widgets) == 1  # ... in one widget: one message a step
    # Mesa's draggable grid is replaced by a plain column (no vue-grid-layout to load)
    assert not page.find(solara.widgets.GridLayout).widgets
    assert _step_text(page) == "Week 0"


def test_step_advances_the_model_and_the_charts(page: Any) -> None:
    _button(page, "Step").click()
    _button(page, "Step").click()
    assert _step_text(page) == "Week 2"
    performance = _charts(page)[0]
    assert performance["xAxis"]["data"] == [1, 2]
    assert all(len(s["data"]) == 2 for s in performance["series"])


def test_lever_change_reaches_the_model_after_reset(page: Any) -> None:
    label = i18n.lever_label("verification_rate", "en")
    _slider(page, label).v_model = 0.9
    # pending until Reset: the page says so
    assert page.find(v.Alert, children=[i18n.t("pending", "en")]).widgets
    _button(page, "Step").click()
    before = _charts(page)[2]
    _button(page, "Reset").click()
    assert _step_text(page) == "Week 0"
    assert not page.find(v.Alert, children=[i18n.t("pending", "en")]).widgets
    _button(page, "Step").click()
    after = _charts(page)[2]
    # detected shirking (series 1) differs: four in ten outputs are now checked, not one in ten
    assert after["series"][1]["data"] != before["series"][1]["data"]


def test_more_levers_are_built_when_opened_and_reach_the_model(page: Any) -> None:
    kwarg = next(k for k in panels.MORE_LEVERS if LEVERS[k].type == "float")
    label = i18n.lever_help(kwarg, "en")
    pending = [i18n.t("pending", "en")]
    assert not page.find(v.Slider, label=label).widgets  # closed: not even created
    page.find(v.ExpansionPanels, class_="more-levers").widget.v_model = 0  # open it
    _slider(page, label).v_model = LEVERS[kwarg].max
    assert page.find(v.Alert, children=pending).widgets
    _button(page, "Reset").click()
    # the rebuilt model runs the settings shown, this lever included
    assert not page.find(v.Alert, children=pending).widgets
    assert _slider(page, label).v_model == LEVERS[kwarg].max
    page.find(v.ExpansionPanels, class_="more-levers").widget.v_model = None  # close it
    assert not page.find(v.Slider, label=label).widgets


def test_a_step_re_renders_only_the_charts_and_the_week(page: Any) -> None:
    """The sidebar (levers, scenario card) must not be rebuilt by a step: that is the cost
    that made a step slow (issue 4's speed target)."""
    sidebar = (panels.LeverPanel, panels.LeverInput, panels.ScenarioCard, panels.MoreLevers)
    before = [c.render_count for c in sidebar]
    _button(page, "Step").click()
    _button(page, "Step").click()
    assert _step_text(page) == "Week 2"
    assert [c.render_count for c in sidebar] == before


def test_reset_builds_the_settings_shown() -> None:
    settings = workshop_settings(n_asn=SMALL).with_lever("verification_rate", 0.7)
    model = DashboardModel(settings=settings)
    assert model.config.values["verification_rate"] == 0.7
    assert model.n_asn == SMALL
    # Mesa's Reset adds an (empty) mesa Scenario of its own; it must be ignored
    from mesa.experimental.scenarios import Scenario as MesaScenario

    again = DashboardModel(settings=settings, scenario=MesaScenario())
    assert again.config.values == model.config.values


def test_model_stops_at_the_horizon() -> None:
    settings = workshop_settings(n_asn=SMALL).with_lever("steps", 3)
    model = DashboardModel(settings=settings)
    for _ in range(3):
        model.step()
    assert model.running is False


def test_language_toggle_switches_every_mesa_label(page: Any) -> None:
    i18n.language.set("id")
    buttons = {tuple(map(str, w.children)) for w in page.find(v.Btn).widgets}
    assert ("Langkah",) in buttons and ("Step",) not in buttons
    titles = [w.children[0] for w in page.find(v.CardTitle).widgets]
    assert "Kendali" in titles and "Controls" not in titles
    tabs = [w.children[0] for w in page.find(v.Tab).widgets]
    assert tabs == [i18n.t(k, "id") for k in ("tab_charts", "tab_agents", "tab_compare",
                                              "tab_why")]
    assert _step_text(page) == "Minggu ke-0"
    chart = _charts(page)[0]
    assert chart["title"]["text"] == i18n.t("chart.performance", "id")
    # none of Mesa's English texts is left
    english = {k.removeprefix("mesa.") for k in i18n.TEXTS if k.startswith("mesa.")}
    english -= {"Reset"}  # the same word in Indonesian
    shown = {str(c) for w in page.find(v.Html, tag="span").widgets for c in (w.children or [])}
    shown |= {w.label for w in page.find(v.Slider).widgets}
    assert not english & shown


#: Catalogue entries written the same in both languages (names, symbols, abbreviations).
SAME_TEXT = {"mesa.Reset", "axis.percent"}


def test_every_text_has_both_languages() -> None:
    for key, entry in i18n.TEXTS.items():
        assert set(entry) == set(i18n.LANGUAGES), key
        assert all(entry.values()), key
        # an "Indonesian" text that is the English one is a translation left undone
        assert key in SAME_TEXT or entry["id"] != entry["en"], key
    for kwarg, lever in LEVERS.items():
        assert lever.en and lever.id, kwarg
    for scenario in ("permenpan_4_2025", "trust_but_verify"):
        assert i18n.scenario_description(scenario, "x", "id") != "x"


def test_mesa_texts_are_translated() -> None:
    assert i18n.mesa_text("Time: 12.0", "id") == "Minggu ke-12"
    assert i18n.mesa_text("Time: 3", "en") == "Week 3"
    assert i18n.mesa_text("error in step: boom", "id") == "galat pada langkah: boom"
    assert i18n.mesa_text("something else", "id") == "something else"


def test_custom_js_preloads_the_echarts_the_charts_use() -> None:
    script = (echarts.ASSETS / "custom.js").read_text()
    assert echarts.ECHARTS_PATH in script and echarts.ECHARTS_PATH in echarts.TEMPLATE


def test_saved_settings_load_back_unchanged() -> None:
    settings = workshop_settings("trust_but_verify", n_asn=SMALL).with_lever("max_flex_days", 1)
    text = settings.to_toml()
    again = parse_scenario_text(text, "saved.toml")
    assert again.values == settings.next_scenario().values
    assert again.values["max_flex_days"] == 1
    assert settings.download_name() == "trust_but_verify-custom.toml"


def _upload(rc: Any, name: str, content: bytes) -> None:
    widget = rc.find(ipywidgets.FileUpload).widget
    widget.value = ({"name": name, "type": "", "size": len(content), "content": memoryview(content),
                     "last_modified": datetime.datetime.now(datetime.UTC)},)


def test_bad_upload_shows_the_cli_message_and_keeps_running(page: Any) -> None:
    _upload(page, "broken.toml", b"[oversight]\nverfication_rate = 0.3\n")
    alerts = [w.children[0] for w in page.find(v.Alert).widgets]
    message = next(a for a in alerts if "broken.toml" in str(a))
    assert "oversight.verfication_rate: 0.3: unknown field (did you mean 'verification_rate'?)" \
        in message
    _button(page, "Step").click()  # still running
    assert _step_text(page) == "Week 1"


def test_good_upload_restarts_with_its_settings(page: Any) -> None:
    text = load_scenario("control_heavy").with_values(n_asn=SMALL).to_toml().encode()
    _button(page, "Step").click()
    _upload(page, "mine.toml", text)
    assert _step_text(page) == "Week 0"
    assert any("mine.toml" in str(w.children[0]) for w in page.find(v.Alert).widgets)


def test_oversized_upload_is_refused_before_parsing(page: Any) -> None:
    _upload(page, "huge.toml", b"#" * (MAX_UPLOAD_BYTES + 1))
    alerts = " ".join(str(w.children[0]) for w in page.find(v.Alert).widgets)
    assert "too large" in alerts


def test_office_floor_and_citizens() -> None:
    model = DashboardModel(settings=workshop_settings(n_asn=SMALL))
    model.step()
    option = floor.floor_option(model)
    points = [p for s in option["series"] for p in s["data"]]
    assert len(points) == sum(len(rows) for _, _, rows in floor.floor_sample(model)) > 50
    assert "effort" in points[0]["name"] or "upaya" in points[0]["name"]
    assert len(option["yAxis"]["data"]) == len(floor.floor_sample(model))
    citizens = charts.citizens_option(model)
    assert len(citizens["series"][0]["data"]) == len(model.pop.region_names)


def test_compare_runs_replications_with_common_seeds() -> None:
    a = load_scenario("permenpan_4_2025").with_values(n_asn=600)
    b = load_scenario("trust_but_verify").with_values(n_asn=600)
    seen: list[tuple[int, int]] = []
    with ThreadPoolExecutor(2) as pool:
        results = compare.run_replications({"A": a, "B": b}, 3, 4, 7, executor=pool,
                                           on_progress=lambda d, t: seen.append((d, t)))
    assert seen[0] == (0, 6) and seen[-1] == (6, 6)
    assert [len(r) for r in results.values()] == [3, 3]
    assert all(len(ts) == 4 for ts in results["A"])
    band = compare.bands(results["A"], "performance")
    assert (band["lo"] <= band["mean"]).all() and (band["mean"] <= band["hi"]).all()
    assert compare.replication_seeds(7, 3) == compare.replication_seeds(7, 3)
    assert all(len(ts) == 4 for ts in results["B"])


def _saved(index: int, scenario: str, n: int = 3, weeks: int = 4) -> compare.SavedRun:
    config = load_scenario(scenario).with_values(n_asn=600)
    with ThreadPoolExecutor(2) as pool:
        runs = compare.run_replications({"x": config}, n, weeks, 7, executor=pool)["x"]
    return compare.SavedRun(index=index, scenario=scenario, runs=tuple(runs), replications=n,
                            weeks=weeks, n_asn=600, seed=7)


@pytest.fixture
def no_saved_runs() -> Any:
    compare.saved_runs.set(())
    yield
    compare.saved_runs.set(())


def test_comparison_plots_effects_against_the_office_only_world() -> None:
    i18n.language.set("en")
    saved = [_saved(1, "permenpan_4_2025"), _saved(2, "trust_but_verify", weeks=6)]
    performance, trust, shirking, uptake = (compare.band_option(m, saved)
                                            for m in compare.MEASURES["effects"])
    # each setting against its own twin, week by week: (policy - twin) / twin, in %
    expected = pd.concat([100 * (r["performance"] - r["performance_counterfactual"])
                          / r["performance_counterfactual"] for r in saved[0].runs],
                         axis=1).mean(axis=1)
    a_mean, b_mean = "1. Permenpan RB 4/2025 (today): mean", "2. Trust, but verify: mean"
    mean = next(s for s in performance["series"] if s["name"] == a_mean)["data"]
    assert mean[:4] == pytest.approx(expected.round(3).tolist())
    assert mean[4:] == [None, None]  # A ran 4 weeks, B 6: one week axis, gaps after A's end
    assert performance["xAxis"]["data"] == [1, 2, 3, 4, 5, 6]
    trust_mean = next(s for s in trust["series"] if s["name"] == b_mean)["data"]
    b = saved[1].runs
    assert trust_mean == pytest.approx(pd.concat(
        [r["public_trust"] - r["public_trust_counterfactual"] for r in b], axis=1)
        .mean(axis=1).round(3).tolist())
    # axes say what they plot, with units; the zero line is the office-only world
    assert performance["yAxis"]["name"] == "% vs office only"
    assert trust["yAxis"]["name"] == "points vs office only"
    assert shirking["yAxis"]["name"] == "% of work days"
    zero = [s["markLine"]["data"] for s in performance["series"] if "markLine" in s]
    assert zero == [[{"yAxis": 0, "label": {"formatter": "office only (same world)"}}]]
    # bands below zero: stacked whatever the sign (ECharts' default stacks same signs only)
    stacked = [x for x in performance["series"] if "stack" in x]
    assert len(stacked) == 4 and all(x["stackStrategy"] == "all" for x in stacked)
    # a legend that wraps (every run's name readable), not one that scrolls out of sight
    assert performance["legend"].get("type") != "scroll"
    # levels are the option
    level = compare.band_option(compare.MEASURES["levels"][0], saved)
    assert level["yAxis"]["name"] == "performance index (0-100)"
    level_mean = next(s for s in level["series"] if s["name"] == a_mean)["data"][:4]
    assert level_mean == pytest.approx(pd.concat([r["performance"] for r in saved[0].runs],
                                                 axis=1).mean(axis=1).round(3).tolist())


def test_comparison_summary_is_written_as_the_reader_writes_numbers() -> None:
    saved = _saved(1, "permenpan_4_2025")
    text = compare.summary_text(saved, "id")
    s = compare.effect_summary(saved.runs)
    assert f"{i18n.signed(s['perf'], 'id')}%" in text and "600 ASN" in text
    assert not re.search(r"[-+]0,0(?!\d)", text) and "+-" not in text
    assert "." not in i18n.signed(s["perf"], "id")  # a decimal comma in Indonesian
    assert i18n.signed(-0.04, "en") == "0.0" and i18n.signed(-0.04, "id") == "0,0"
    assert i18n.signed(1.26, "id") == "+1,3" and i18n.signed(-1, "en") == "-1.0"
    assert i18n.signed(1234.5, "id") == "+1.234,5"


def _tab(rc: Any, index: int) -> None:
    rc.find(v.Tabs).widget.v_model = index


def _summaries(rc: Any, n: int, timeout: float = 5.0) -> list[str]:
    """The comparison summaries shown, once there are ``n`` (a task may still be running)."""
    deadline = time.monotonic() + timeout
    while True:
        texts = [w.children[0] for w in rc.find(v.Html, class_="compare-summary").widgets]
        if len(texts) == n or time.monotonic() > deadline:
            assert len(texts) == n, texts
            return texts
        time.sleep(0.02)


def test_comparisons_survive_tab_and_language_switches(page: Any, no_saved_runs: Any) -> None:
    compare.saved_runs.set((_saved(1, "permenpan_4_2025"),
                            _saved(2, "trust_but_verify")))
    _tab(page, 2)
    _summaries(page, 2)
    assert len(_charts(page)) == 4
    _tab(page, 0)
    assert not page.find(v.Html, class_="compare-summary").widgets
    i18n.language.set("id")
    _tab(page, 2)
    texts = _summaries(page, 2)
    assert all("dibanding hanya di kantor" in x for x in texts)
    # any number of runs: a third and fourth are added to the same charts
    compare.saved_runs.set(compare.saved_runs.value + (_saved(3, "control_heavy"),
                                                       _saved(4, "office_only")))
    _summaries(page, 4)
    assert len(_charts(page)[0]["series"]) == 4 * 3
    # one removed, then all
    page.find(v.Btn, class_="compare-remove").widgets[0].click()  # the first, "1. A"
    assert [x[:2] for x in _summaries(page, 3)] == ["2.", "3.", "4."]
    page.find(v.Btn, class_="compare-clear").widget.click()
    _summaries(page, 0)
    assert not _charts(page)


def test_the_run_button_adds_both_settings(page: Any, no_saved_runs: Any,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    pool = ThreadPoolExecutor(2)
    monkeypatch.setattr(compare, "shared_executor", lambda: pool)
    monkeypatch.setattr(compare, "COMPARE_ASN_CHOICES", (600,))
    _tab(page, 2)
    panel = page.find(v.Slider, label="Replications per setting")
    panel.widget.v_model = 2
    page.find(v.Slider, label="Weeks").widget.v_model = 4
    page.find(v.Select, label="ASN agents per run").widget.v_model = 600
    page.find(v.Btn, class_="compare-run").widget.click()
    # the task re-renders the page from its own thread as it ends (Solara's server serialises
    # that with the session's events; a test must wait for the thread's last render itself)
    assert compare.comparison._last_finished_event.wait(120)
    assert compare.comparison.finished and not page.find(v.Btn, children=["Cancel"]).widgets
    _summaries(page, 2)
    labels = [s.label("en") for s in compare.saved_runs.value]
    assert labels == ["1. Permenpan RB 4/2025 (today)", "2. Trust, but verify"]
    assert [s.n_asn for s in compare.saved_runs.value] == [600, 600]
    # what the button ran is kept when the panel is re-mounted (another tab, the language)
    _tab(page, 1)
    i18n.language.set("id")
    _tab(page, 2)
    assert [x.split(" (")[0] for x in _summaries(page, 2)] == [
        "1. Permenpan RB 4/2025", "2. Percaya, tapi verifikasi"]
    pool.shutdown()


def test_compare_cancel_stops_the_runs_not_started() -> None:
    import threading

    a = load_scenario("permenpan_4_2025").with_values(n_asn=600)
    cancel = threading.Event()
    seen: list[int] = []

    def progress(done: int, total: int) -> None:
        seen.append(done)
        if done == 1:
            cancel.set()  # the facilitator presses Cancel after the first run

    with ThreadPoolExecutor(1) as pool, pytest.raises(InterruptedError):
        compare.run_replications({"A": a}, 12, 2, 1, executor=pool, on_progress=progress,
                                 cancel=cancel)
    assert max(seen) < 12


@pytest.mark.slow
def test_compare_in_worker_processes() -> None:
    """The default path: the shared spawn-based process pool."""
    a = load_scenario("permenpan_4_2025").with_values(n_asn=600)
    results = compare.run_replications({"A": a}, 2, 2, 1)
    assert len(results["A"]) == 2


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as f:
            return not any(line.startswith("State:") and "Z" in line for line in f)
    except FileNotFoundError:
        return False


@pytest.mark.slow
def test_compare_workers_exit_when_the_server_is_killed() -> None:
    """A killed server (not shut down) must not leave its pool's workers behind."""
    code = ("import os, sys, time\n"
            "from flexisim.dashboard import compare\n"
            "pool = compare.shared_executor()\n"
            "pool.submit(os.getpid).result()\n"
            "print(*pool._processes, flush=True)\n"
            "time.sleep(60)\n")
    server = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        workers = [int(pid) for pid in server.stdout.readline().split()]
        assert workers and all(_alive(pid) for pid in workers)
    finally:
        server.kill()
        server.wait()
    deadline = time.monotonic() + 15
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [pid for pid in workers if _alive(pid)]



def _outside_rules_alerts(rc: Any) -> list[Any]:
    return [w for w in rc.find(v.Alert).widgets if "outside-rules" in (w.class_ or "")]


def test_a_cap_above_two_days_is_marked_outside_the_rules(page: Any) -> None:
    assert not _outside_rules_alerts(page)
    _slider(page, i18n.lever_label("max_flex_days", "en")).v_model = 3
    alerts = _outside_rules_alerts(page)
    assert len(alerts) == 1
    text = str(alerts[0].children)
    assert "Outside Permenpan RB No. 4/2025" in text and "3 flexible days" in text
    _slider(page, i18n.lever_label("max_flex_days", "en")).v_model = 2
    assert not _outside_rules_alerts(page)


def test_the_decree_scenario_is_marked_in_indonesian_too(page: Any) -> None:
    page.find(v.Select, class_="scenario-select").widget.v_model = "wfh_2020_decree"
    text = str(_outside_rules_alerts(page)[0].children)
    assert "decree" in text and "5 flexible days" in text
    i18n.language.set("id")
    text = str(_outside_rules_alerts(page)[0].children)
    assert "Di luar Permenpan RB No. 4/2025" in text and "secara wajib" in text


# ------------------------------------------------------------------ a lever changed mid-run


def test_a_lever_changed_during_the_run_applies_from_the_next_week_and_is_saved() -> None:
    """Issue 15 item 6 / issue 14: tighten verification at week 4 of a run; the run is the
    same as without it up to week 4 and differs from week 5; the saved file records the change
    in the schedule format and replays the run exactly."""
    settings = workshop_settings(n_asn=SMALL).with_lever("steps", 10)
    settings = settings.started(DashboardModel(settings=settings))
    shocked, plain = DashboardModel(settings=settings), DashboardModel(settings=settings)
    for _ in range(4):
        shocked.step()
        plain.step()
    edited = settings.with_lever("verification_rate", 0.9)
    assert edited.edits == {"verification_rate": 0.9} and not edited.applies_to(shocked)
    after = shocked.apply_edits(edited)
    assert after.applies_to(shocked) and after.edits == {}
    assert after.shown()["verification_rate"] == 0.9  # the sliders stay where they were moved
    assert after.next_scenario().values["verification_rate"] == settings.scenario.values[
        "verification_rate"]  # ... while the scenario starts from its own value
    for _ in range(6):
        shocked.step()
        plain.step()
    a, b = shocked.timeseries(), plain.timeseries()
    column = "detected_shirking_rate"
    assert a[column].loc[:4].equals(b[column].loc[:4])
    assert (a[column].loc[5:] > b[column].loc[5:]).all()  # 9 in 10 checked, not 1 in 10
    assert shocked.change_weeks() == [5]
    text = after.to_toml()
    assert "[[schedule]]" in text and "from_week = 5" in text
    replay = DashboardModel(settings=dataclasses.replace(
        settings, scenario=parse_scenario_text(text, "saved.toml")))
    pd.testing.assert_frame_equal(replay.run(10), a)


def test_reset_starts_over_with_the_edits_and_replays_recorded_changes() -> None:
    settings = workshop_settings(n_asn=SMALL).with_lever("steps", 8)
    model = DashboardModel(settings=settings)
    settings = settings.started(model)
    for _ in range(2):
        model.step()
    after = model.apply_edits(settings.with_lever("verification_rate", 0.9))
    reactive = solara.Reactive(after.with_lever("trust_culture", 0.2))
    again = DashboardModel(settings=reactive)  # what Mesa's Reset does
    assert again.config.values["trust_culture"] == 0.2  # the edit, from week 1
    assert again.config.schedule == model.config.schedule  # the recorded change, at week 3
    assert reactive.value.edits == {} and reactive.value.at_week == 0
    assert reactive.value.shown()["verification_rate"] == settings.scenario.values[
        "verification_rate"]  # week 1's levers again
    assert reactive.value.applies_to(again)


def test_moving_a_lever_back_drops_the_edit() -> None:
    settings = workshop_settings(n_asn=SMALL)
    value = settings.shown()["verification_rate"]
    moved = settings.with_lever("verification_rate", 0.9).with_lever("verification_rate", value)
    assert moved.edits == {}


def test_apply_during_the_run_on_the_page(page: Any) -> None:
    label = i18n.lever_label("verification_rate", "en")
    assert not page.find(v.Btn, class_="apply-now").widgets
    _slider(page, label).v_model = 0.9
    assert not page.find(v.Btn, class_="apply-now").widgets  # week 0: Reset is the same
    for _ in range(3):
        _button(page, "Step").click()
    button = page.find(v.Btn, class_="apply-now").widget
    assert button.children == [i18n.t("apply_now", "en", week=4)]
    button.click()
    assert not page.find(v.Btn, class_="apply-now").widgets
    assert not page.find(v.Alert, children=[i18n.t("pending", "en")]).widgets
    assert _slider(page, label).v_model == 0.9
    recorded = [w.children[0] for w in page.find(v.Html, tag="span").widgets
                if w.children and str(w.children[0]).startswith("• ")]
    assert recorded == ["• " + i18n.lever_label("verification_rate", "en") + " = 0.9: from week 4"]
    _button(page, "Step").click()
    marks = _charts(page)[0]["series"][0]["markLine"]["data"]
    assert [m["xAxis"] for m in marks] == [3]  # week 4, the fourth category


def test_events_mark_press_scandals_and_changes() -> None:
    model = DashboardModel(settings=workshop_settings(n_asn=SMALL))
    for _ in range(3):
        model.step()
    ts = charts.timeseries(model)
    ts = ts.assign(scandals_press=[0.0, 1.0, 0.0])
    marks = charts.events(model, ts)
    assert [(w, label) for w, label, _ in marks] == [(2, i18n.t("scandal.marker"))]
    option = charts.performance_option(ts, marks)
    assert option["series"][0]["markLine"]["data"][0]["xAxis"] == 1
    assert "markLine" not in charts.performance_option(ts)["series"][0]


@pytest.mark.parametrize(("value", "en", "id_"), [
    (5000, "5,000", "5.000"), (0.25, "0.25", "0,25"), (-0.0001, "0", "0"),
    (1234.5, "1,234.5", "1.234,5"), (2.0, "2", "2")])
def test_numbers_are_written_as_the_reader_writes_them(value: float, en: str, id_: str) -> None:
    assert i18n.number(value, "en") == en
    assert i18n.number(value, "id") == id_


def test_headline_shows_the_runs_effect_trust_and_week() -> None:
    from flexisim.dashboard import headline
    from flexisim.metrics import summarize

    model = DashboardModel(settings=workshop_settings(n_asn=SMALL))
    ts = charts.timeseries(model)
    h = headline.headline(ts, model.horizon)
    assert h.week == 0 and "–" in headline.headline_html(h, "en")
    for _ in range(6):
        model.step()
    ts = charts.timeseries(model)
    h = headline.headline(ts, model.horizon)
    # the CLI's summary of the same run: one equation for the effect
    summary = summarize(ts, public_trust_start=0.0, public_trust_start_counterfactual=0.0)
    assert h.performance_change_pct == pytest.approx(summary["performance_change_pct"])
    assert h.trust_effect_pp == pytest.approx(summary["trust_effect_pp"])
    weekly = 100 * (ts["performance"] - ts["performance_counterfactual"]) \
        / ts["performance_counterfactual"]
    assert (h.weekly_lo, h.weekly_hi) == pytest.approx((weekly.quantile(0.05),
                                                        weekly.quantile(0.95)))
    text = headline.headline_html(h, "id")
    assert f"{i18n.signed(h.performance_change_pct, 'id')} %" in text
    assert f"Minggu</div><div class=\"headline-value\">6 dari {model.horizon}<" in text
    assert not h.finished and "Putaran selesai" not in text
    done = headline.headline(ts, 6)
    assert done.finished and "Putaran selesai" in headline.headline_html(done, "id")


def test_the_page_shows_the_headline_and_how_to_read_it(page: Any) -> None:
    _button(page, "Step").click()
    _button(page, "Step").click()
    html = next(w.unsafe_innerHTML for w in page.find(solara.widgets.HTML).widgets
                if (w.attributes or {}).get("class") == "headline")
    assert "2 of " in html and "against the office-only world" in html
    # the app bar's "how to read" (its portal is drawn by the served page only; the
    # browser test clicks it there)
    from flexisim.dashboard.headline import About

    _, rc = solara.render(About(), handle_error=False)
    rc.find(v.Btn, class_="about-button").widget.click()
    assert rc.find(v.Dialog).widget.v_model is True
    text = " ".join(w.unsafe_innerHTML for w in rc.find(solara.widgets.HTML).widgets)
    assert "office only" in text and "Permenpan RB No. 4/2025" in text
    rc.close()


def test_reset_overlays_the_previous_run(page: Any) -> None:
    for _ in range(3):
        _button(page, "Step").click()
    before = _charts(page)[0]["series"][0]["data"]
    assert all(s["name"] != "previous run (before Reset)" for s in _charts(page)[0]["series"])
    _slider(page, i18n.lever_label("verification_rate", "en")).v_model = 0.9
    _button(page, "Reset").click()
    _button(page, "Step").click()
    _button(page, "Step").click()
    for chart in _charts(page)[:2]:  # performance and trust
        previous = [s for s in chart["series"] if s["name"] == "previous run (before Reset)"]
        assert len(previous) == 1 and len(previous[0]["data"]) == 2
    previous = next(s for s in _charts(page)[0]["series"]
                    if s["name"] == "previous run (before Reset)")
    assert previous["data"] == before[:2]  # the old run at the same weeks
    # a Reset at week 0 keeps the run before it
    _button(page, "Reset").click()
    _button(page, "Step").click()
    assert any(s["name"] == "previous run (before Reset)" for s in _charts(page)[0]["series"])


def test_lever_hints_give_the_unit_and_the_source_in_the_readers_language(page: Any) -> None:
    i18n.language.set("id")
    hints = {w.hint for w in page.find(v.Slider).widgets if w.persistent_hint}
    verification = next(h for h in hints if LEVERS["verification_rate"].id in h)
    assert "porsi keluaran per minggu" in verification and "Sumber nilai bawaan:" in verification
    assert "share of outputs" not in verification
    for kwarg, lever in LEVERS.items():
        assert lever.unit in i18n.UNITS_ID, (kwarg, lever.unit)


def test_the_channel_waterfall_adds_up_to_the_effect() -> None:
    from flexisim.dashboard import why

    i18n.language.set("en")
    scenario = load_scenario("permenpan_4_2025").with_values(n_asn=600, steps=6)
    seen: list[tuple[int, int]] = []
    with ThreadPoolExecutor(1) as pool:  # the worker function as the process pool runs it
        table = why.decompose(scenario, on_progress=lambda d, n: seen.append((d, n)),
                              submit=pool.submit, poll=0.01)
    assert seen and seen[-1][0] <= seen[-1][1]  # progress read from the worker's file
    total = table.set_index("channel").loc["total"]
    channels = table[table["channel"] != "total"]
    for outcome in why.OUTCOME_UNITS:
        assert channels[outcome].sum() == pytest.approx(total[outcome], abs=1e-6)
        option = why.waterfall_option(table, outcome, top=5)
        base, size = (s["data"] for s in option["series"])
        sizes = [d["value"] for d in size]
        assert len(base) == 5 + 2  # five channels, the rest summed, the total
        # the five largest channels, then the rest summed: each bar starts where the
        # previous ended, and they end at the effect; the last bar is the effect from zero
        ranked = channels[outcome].abs().sort_values(ascending=False).index
        values = [*channels.loc[ranked[:5], outcome], channels.loc[ranked[5:], outcome].sum()]
        end = 0.0
        for b, d, value in zip(base[:-1], sizes[:-1], values, strict=True):
            assert (b, d) == pytest.approx((min(end, end + value), abs(value)), abs=1e-4)
            end += value
        assert end == pytest.approx(total[outcome], abs=1e-6)
        assert (base[-1], sizes[-1]) == pytest.approx((min(0.0, total[outcome]),
                                                       abs(total[outcome])), abs=1e-4)
        assert option["yAxis"]["data"][-1] == i18n.t("why.total")


def test_the_why_tab_explains_the_current_settings(page: Any,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from flexisim.dashboard import why

    pool = ThreadPoolExecutor(1)
    monkeypatch.setattr(why, "shared_executor", lambda: pool)
    monkeypatch.setattr(why, "WHY_ASN_CHOICES", (600,))
    why.result.set(None)
    _tab(page, 3)
    page.find(v.Select, label="ASN agents per run").widget.v_model = 600
    page.find(v.Slider, label="Weeks").widget.v_model = 4
    page.find(v.Btn, class_="why-run").widget.click()
    assert why.explanation._last_finished_event.wait(120)  # see test_the_run_button_...
    assert why.result.value is not None
    what, table = why.result.value
    assert what["n_asn"] == 600 and what["weeks"] == 4
    assert len(_charts(page)) == 2
    summary = page.find(v.Html, class_="why-summary").widget.children[0]
    assert summary.startswith("Permenpan RB 4/2025 (today), 600 ASN x 4 weeks")
    # kept across a tab switch
    _tab(page, 0)
    _tab(page, 3)
    assert len(_charts(page)) == 2
    pool.shutdown()
    why.result.set(None)


def test_every_chart_offers_export_with_what_made_it(page: Any) -> None:
    _button(page, "Step").click()
    widget = page.find(ChartWidget).widget
    assert set(widget.tools) == {"png", "csv"} and all(widget.tools.values())
    assert widget.caption.startswith("flexisim ") and "permenpan_4_2025" in widget.caption
    assert "seed 42" in widget.caption and "week 1" in widget.caption
    # a band's table columns are its edges, not the stacked height
    saved = [_saved(1, "permenpan_4_2025")]
    option = compare.band_option(compare.MEASURES["effects"][0], saved)
    names = [s.get("csvName") for s in option["series"] if s.get("stack")]
    assert names == ["1. Permenpan RB 4/2025 (today): 5th percentile of runs",
                     "1. Permenpan RB 4/2025 (today): 95th percentile of runs"]


def test_a_shipped_scenario_file_keeps_the_rooms_population(page: Any) -> None:
    from flexisim.scenario import scenarios_dir

    text = (scenarios_dir() / "trust_but_verify.toml").read_bytes()
    assert b"n_asn" not in text  # a shipped file names no size
    _upload(page, "trust_but_verify.toml", text)
    model = page.find(ChartWidget).widget  # the page restarted ...
    assert model is not None
    alerts = " ".join(str(w.children[0]) for w in page.find(v.Alert).widgets)
    assert "1,000 ASN agents kept" in alerts  # ... at the room's size, and says so
    select = page.find(v.Select, label="Population size (ASN agents)").widget
    assert select.v_model == SMALL
    # a file that sets its size gets it
    sized = load_scenario("control_heavy").with_values(n_asn=2000).to_toml().encode()
    _upload(page, "sized.toml", sized)
    assert page.find(v.Select, label="Population size (ASN agents)").widget.v_model == 2000


def test_workforce_chart_uses_the_clis_yearly_rates() -> None:
    from flexisim.metrics import summarize

    model = DashboardModel(settings=workshop_settings(n_asn=SMALL))
    for _ in range(8):
        model.step()
    ts = charts.timeseries(model)
    option = charts.workforce_option(ts)
    exits, hires = (s["data"] for s in option["series"])
    summary = summarize(ts, public_trust_start=0.0, public_trust_start_counterfactual=0.0)
    assert sum(exits) / len(exits) == pytest.approx(100 * summary["attrition_rate_annual"],
                                                    rel=1e-3)
    assert hires == pytest.approx((ts["recruits"] / ts["active_staff"] * 5200).round(3))
    assert len(option["yAxis"]) == 1  # one unit, one axis


def test_regions_and_the_floor_speak_indonesian() -> None:
    i18n.language.set("id")
    try:
        model = DashboardModel(settings=workshop_settings(n_asn=SMALL))
        model.step()
        ts = charts.timeseries(model)
        names = {s["name"] for s in charts.regions_option(ts, model.pop.region_names)["series"]}
        assert {"Jawa-Bali", "Sumatera"} <= names and "Java-Bali" not in names
        option = floor.floor_option(model)
        assert option["tooltip"]["htmlName"] and option["tooltip"]["confine"]
        labels = " ".join(option["yAxis"]["data"])
        assert "Java-Bali" not in labels and "Jawa-Bali" in labels
        card = option["series"][0]["data"][0]["name"] if option["series"][0]["data"] else \
            next(s["data"][0]["name"] for s in option["series"] if s["data"])
        assert card.startswith("<b>ASN #") and "upaya: " in card and "," in card
    finally:
        i18n.language.set("en")


# ----------------------------------------------------------- every text from the catalogue
#: Words that are the same in both languages (names, abbreviations, file formats).
SAME_IN_BOTH = {"asn", "png", "csv", "toml", "reset", "flexisim", "permenpan", "rb", "pns",
                "pppk", "id", "x", "rp", "e-kinerja", "shapley", "solara"}


def _indonesian_vocabulary() -> set[str]:
    from flexisim.channels import CHANNELS

    texts = [entry["id"] for entry in i18n.TEXTS.values()]
    texts += [lever.id for lever in LEVERS.values()]
    texts += [*i18n.SCENARIO_DESCRIPTIONS_ID.values(), *i18n.UNITS_ID.values(),
              *i18n.REGIONS_ID.values(), *(c.id for c in CHANNELS.values()),
              *(v["id"] for v in i18n.SCENARIO_TITLES.values()),
              *(v["id"] for v in i18n.sources_id().values())]
    words = {w.lower() for text in texts for w in _words(re.sub(r"\{[^}]*\}", " ", text))}
    return words | SAME_IN_BOTH


def _words(text: str) -> list[str]:
    return re.findall(r"[A-Za-zÀ-ÿ]+(?:-[A-Za-zÀ-ÿ]+)*", text)


def _shown_texts(rc: Any) -> list[str]:
    """Every text the page shows: widget labels, hints, items, buttons, alerts, HTML, and
    the charts' titles, legends, axis names, categories and marks."""
    out: list[str] = []
    for w in rc.find(v.Html).widgets:
        out += [c for c in (w.children or []) if isinstance(c, str)]
    for cls in (v.Btn, v.Alert, v.Tab, v.CardTitle, v.ExpansionPanelHeader):
        for w in rc.find(cls).widgets:
            out += [c for c in (w.children or []) if isinstance(c, str)]
    for cls in (v.Slider, v.Select, v.Checkbox, v.Switch, v.TextField):
        for w in rc.find(cls).widgets:
            out += [x for x in (getattr(w, "label", None), getattr(w, "hint", None),
                                getattr(w, "placeholder", None)) if isinstance(x, str)]
            out += [i["text"] for i in (getattr(w, "items", None) or [])
                    if isinstance(i, dict) and isinstance(i.get("text"), str)]
    for w in rc.find(solara.widgets.HTML).widgets:
        out.append(re.sub(r"<[^>]+>", " ", w.unsafe_innerHTML or ""))
    for w in rc.find(ipywidgets.FileUpload).widgets:
        out.append(w.description)
    for w in rc.find(ChartWidget).widgets:
        out += list((w.tools or {}).values())
        for option in w.options:
            for part in ("title", "legend", "xAxis", "yAxis", "series"):
                for c in ([option.get(part)] if isinstance(option.get(part), dict)
                          else option.get(part) or []):
                    if not isinstance(c, dict):
                        continue
                    out += [c.get(k) for k in ("text", "subtext", "name") if
                            isinstance(c.get(k), str)]
                    if part in ("xAxis", "yAxis"):
                        out += [d for d in c.get("data") or [] if isinstance(d, str)]
                    for mark in (c.get("markLine") or {}).get("data") or []:
                        label = (mark.get("label") or {}).get("formatter")
                        out += [label] if isinstance(label, str) else []
                    for d in c.get("data") or []:
                        if isinstance(d, dict) and isinstance(d.get("name"), str):
                            out.append(re.sub(r"<[^>]+>", " ", d["name"]))
    return [x for x in out if x and x.strip()]


def _not_in_catalogue(rc: Any) -> list[tuple[str, str]]:
    vocabulary = _indonesian_vocabulary()
    missing = []
    for text in _shown_texts(rc):
        missing += [(w, text) for w in _words(text) if w.lower() not in vocabulary]
    return missing


def test_every_levers_source_has_its_indonesian_text() -> None:
    sources = i18n.sources_id()
    for kwarg, lever in LEVERS.items():
        if lever.source:
            # stored beside the English it translates: a changed source needs a new one
            assert sources[kwarg]["en"] == lever.source, kwarg
            assert sources[kwarg]["id"] and sources[kwarg]["id"] != lever.source or \
                lever.source.startswith("Permenpan RB"), kwarg
    assert "Sumber nilai bawaan: Permenpan RB No. 4/2025: paling banyak 2 hari kerja" in \
        i18n.lever_source("max_flex_days", "id")
    assert i18n.lever_source("max_flex_days", "en").startswith(
        "Source of the default: Permenpan RB No. 4/2025: at most 2 working days")


def test_every_view_in_indonesian_uses_only_the_catalogue(page: Any,
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          no_saved_runs: Any) -> None:
    from flexisim.dashboard import why

    _button(page, "Step").click()
    _button(page, "Step").click()
    i18n.language.set("id")
    page.find(v.ExpansionPanels, class_="more-levers").widget.v_model = 0  # open it
    compare.saved_runs.set((_saved(1, "permenpan_4_2025"), _saved(2, "trust_but_verify")))
    scenario = load_scenario("permenpan_4_2025").with_values(n_asn=600, steps=4)
    with ThreadPoolExecutor(1) as pool:
        table = why.decompose(scenario, submit=pool.submit, poll=0.01)
    why.result.set(({"origin": "permenpan_4_2025", "modified": False, "n_asn": 600,
                     "weeks": 4},
                    table))
    missing: list[tuple[str, str]] = []
    try:
        for tab in range(4):
            _tab(page, tab)
            missing += _not_in_catalogue(page)
    finally:
        why.result.set(None)
    if missing and os.environ.get("FLEXISIM_I18N_REPORT"):
        Path(os.environ["FLEXISIM_I18N_REPORT"]).write_text(
            "\n".join(sorted({w for w, _ in missing})) + "\n\n"
            + "\n\n".join(sorted({x for _, x in missing})))
    assert not missing, sorted({w for w, _ in missing})


def test_a_bad_file_is_explained_in_indonesian(page: Any) -> None:
    i18n.language.set("id")
    _upload(page, "buruk.toml", b"[oversight]\nverfication_rate = 0.3\nsanction_severity = 7\n"
                                b"[leadership]\ntrust_culture = \"tinggi\"\n")
    alerts = " ".join(str(w.children[0]) for w in page.find(v.Alert).widgets)
    assert "buruk.toml tidak dimuat:" in alerts
    assert "kolom tidak dikenal (maksud Anda 'verification_rate'?)" in alerts
    assert "di atas nilai maksimum (yang diperbolehkan:" in alerts
    assert "seharusnya bilangan, tetapi berupa teks" in alerts
    for english in ("unknown field", "did you mean", "above the maximum", "expected", "got"):
        assert english not in alerts, english
    # the CLI's wording is untouched (the same report in English)
    assert i18n.problem_text("x: y: 1: below the minimum", "en") == "x: y: 1: below the minimum"


@pytest.mark.parametrize("text, indonesian", [
    (b"[[schedule]]\nfrom_week = 0\n[schedule.oversight]\nverification_rate = 0.5\n",
     "bukan minggu yang sah (yang diperbolehkan: bilangan bulat dari 1 sampai"),
    (b"[[schedule]]\nfrom_week = 3\n", "tidak menetapkan instrumen apa pun"),
    (b"[[schedule]]\nfrom_week = 3\n[schedule.population]\nn_asn = 600\n",
     "ditetapkan sekali untuk satu putaran dan tidak dapat diubah dalam jadwal"),
    (b"[[schedule]]\nfrom_week = 3\nagencies = { share = 2.0 }\n"
     b"[schedule.oversight]\nverification_rate = 0.5\n",
     "bukan porsi (yang diperbolehkan: bilangan di atas 0 dan paling besar 1)"),
    (b"[[schedule]]\nwhen = { output = \"public_trust\" }\n"
     b"[schedule.oversight]\nverification_rate = 0.5\n",
     "berikan tepat satu dari above, below"),
    (b"[[schedule]]\nwhen = { output = \"public_trus\", above = 3 }\n"
     b"[schedule.oversight]\nverification_rate = 0.5\n",
     "bukan keluaran mingguan (maksud Anda 'public_trust'?)"),
])
def test_a_bad_schedule_is_explained_in_indonesian(text: bytes, indonesian: str) -> None:
    from flexisim.scenario import ScenarioError

    with pytest.raises(ScenarioError) as caught:
        parse_scenario_text(text, source="jadwal.toml")
    lines = [i18n.problem_text(line, "id") for line in caught.value.problems]
    assert any(indonesian in line for line in lines), lines
