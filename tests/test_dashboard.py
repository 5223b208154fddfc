"""Headless tests of the workshop dashboard (no browser): components render, levers reach the
model after Reset, Step advances it, translations are complete, uploads are validated."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import ipyvuetify as v
import pandas as pd
import pytest
import solara

from flexisim.dashboard import charts, compare, echarts, floor, i18n, panels
from flexisim.dashboard.echarts import ChartWidget
from flexisim.dashboard.page import Page
from flexisim.dashboard.state import MAIN_LEVERS, DashboardModel, workshop_settings
from flexisim.dashboard.upload import UploadWidget
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
    assert page.find(UploadWidget).widget is not None
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


def _upload(rc: Any, name: str, content: bytes) -> list[int]:
    """Choose a file in the page's Load control as the browser does: its name and size first,
    its bytes only when the server asks for them (answered here). Returns the sizes of the
    pieces sent; waits until the page is done with the file (it empties the control)."""
    widget = rc.find(UploadWidget).widget
    sent: list[int] = []

    def browser(message: dict[str, Any], buffers: Any = None) -> None:
        if message.get("method") == "read":
            asked = message["args"][0]
            piece = content[asked["offset"]:asked["offset"] + asked["length"]]
            sent.append(len(piece))
            widget.vue_upload({**asked, "length": len(piece)}, [memoryview(piece)])

    widget.send = browser
    threads = threading.active_count()
    widget.file_info = [{"name": name, "size": len(content), "type": "", "lastModified": 0}]
    deadline = time.monotonic() + 120
    # the page reads the file in a thread of its own, which renders what it changed; a click
    # made while it renders is rendered by it, after the click returns: wait for the thread
    # to end, then for the render in progress
    while widget.file_info or threading.active_count() > threads:
        assert time.monotonic() < deadline, "the page did not take the file"
        time.sleep(0.01)
    with rc.thread_lock:
        pass
    return sent


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


def test_oversized_upload_is_refused_before_its_bytes_are_sent(page: Any) -> None:
    """Issue 16: the size check ran only after the whole file had arrived (and a 30 MB file
    never arrived: the server closed the connection on its one 31 MB message)."""
    sent = _upload(page, "huge.toml", b"#" * (MAX_UPLOAD_BYTES + 1))
    alerts = " ".join(str(w.children[0]) for w in page.find(v.Alert).widgets)
    assert "huge.toml: 257 KB, more than the 256 KB allowed: not read." in alerts
    assert sent == []  # refused on the size the browser gave: not a byte was asked for
    # a file within the limit is asked for exactly its bytes (and no more are kept)
    assert _upload(page, "ok.toml", b"[oversight]\nverification_rate = 0.3\n") == [36]


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


def _download(rc: Any, timeout: float = 60.0) -> bytes:
    """Press "Download results folder" as the browser does; the bytes the page sends."""
    from solara.components.file_download import FileDownloadWidget

    widget = rc.find(FileDownloadWidget, filename=compare.ZIP_NAME).widget
    widget.request_download = True
    deadline = time.monotonic() + timeout
    while widget.bytes is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert widget.bytes is not None
    return widget.bytes


def test_the_comparison_downloads_as_a_results_folder_analyze_reads(
        page: Any, no_saved_runs: Any, monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    import io
    import zipfile

    from flexisim.cli import main
    from flexisim.experiment.analysis import load_results
    from flexisim.experiment.compact import read_dataset

    pool = ThreadPoolExecutor(2)
    monkeypatch.setattr(compare, "shared_executor", lambda: pool)
    monkeypatch.setattr(compare, "COMPARE_ASN_CHOICES", (600,))
    _tab(page, 2)
    page.find(v.Slider, label="Replications per setting").widget.v_model = 3
    page.find(v.Slider, label="Weeks").widget.v_model = 4
    page.find(v.Select, label="ASN agents per run").widget.v_model = 600
    page.find(v.Btn, class_="compare-run").widget.click()
    assert compare.comparison._last_finished_event.wait(120)
    assert compare.comparison.finished, compare.comparison.exception
    _summaries(page, 2)
    saved = compare.saved_runs.value
    with zipfile.ZipFile(io.BytesIO(_download(page))) as archive:
        archive.extractall(tmp_path)
    pool.shutdown()
    folder = tmp_path / "runs_1-2"
    assert [p.name for p in tmp_path.iterdir()] == ["runs_1-2"]
    assert main(["analyze", str(folder)]) == 0
    assert (folder / "analysis" / "bands.csv").is_file()
    results = load_results(folder)
    assert results.identity["provenance"]["code_hash"] and (folder / "experiment.toml").is_file()
    runs = results.runs.sort_values(["point_id", "replication"])
    assert (runs["status"] == "ok").all() and len(runs) == 2 * 3
    # common random numbers: replication r has the comparison's seed r at both settings
    seeds = compare.replication_seeds(saved[0].seed, 3)
    assert runs.groupby("point_id")["seed"].apply(list).tolist() == [seeds, seeds]
    assert runs["setting"].drop_duplicates().tolist() == ["1_permenpan_4_2025",
                                                          "2_trust_but_verify"]
    assert results.identity["spec"]["base_values"]["n_asn"] == 600  # the room's population
    # the folder's runs are the page's runs, week by week
    ts = read_dataset(folder, "timeseries").sort_values(["point_id", "replication", "step"])
    for point, entry in enumerate(saved):
        for rep, run in enumerate(entry.runs):
            weekly = ts[(ts["point_id"] == point) & (ts["replication"] == rep)]
            for column in ("performance", "public_trust_counterfactual"):
                assert weekly[column].tolist() == run[column].tolist()


def test_a_comparison_through_the_results_folder_equals_the_plain_runs(tmp_path: Path) -> None:
    a = load_scenario("permenpan_4_2025").with_values(n_asn=600)
    b = load_scenario("control_heavy").with_values(n_asn=600, verification_rate=0.35)
    with ThreadPoolExecutor(2) as pool:
        plain = compare.run_replications({"A": a, "B": b}, 2, 3, 11, executor=pool)
        stored = compare.run_replications({"A": a, "B": b}, 2, 3, 11, executor=pool,
                                          out=tmp_path / "results")
    for name in ("A", "B"):
        for x, y in zip(plain[name], stored[name], strict=True):
            pd.testing.assert_frame_equal(x, y)
    text = compare.comparison_experiment({"A": a, "B": b}, 2, 3, 11)
    assert 'seeds = "common"' in text and "n_asn = 600" in text
    assert "verification_rate = 0.35" in text  # every lever in which a setting differs


def test_a_setting_with_a_schedule_is_left_out_of_the_results_folder(
        page: Any, no_saved_runs: Any) -> None:
    import io
    import zipfile

    from flexisim.schedule import Change

    plain = load_scenario("permenpan_4_2025").with_values(n_asn=600)
    timed = plain.with_change(Change(values={"verification_rate": 0.4}, from_week=2))
    with pytest.raises(compare.NotAnExperiment):
        compare.comparison_experiment({"A": timed}, 2, 4, 7)
    with ThreadPoolExecutor(2) as pool:
        compare.run_and_save([("permenpan_4_2025", False, plain)], 2, 4, 7, executor=pool)
        compare.run_and_save([("permenpan_4_2025", True, timed)], 2, 4, 7, executor=pool)
    assert [s.folder is None for s in compare.saved_runs.value] == [False, True]
    i18n.language.set("id")
    _tab(page, 2)
    warning = page.find(v.Alert, class_="compare-not-exported").widget
    assert "Putaran 2 tidak masuk folder hasil" in warning.children[0]
    with zipfile.ZipFile(io.BytesIO(_download(page))) as archive:
        assert {n.split("/")[0] for n in archive.namelist()} == {"runs_1"}
    # nothing to export: no button, only the reason
    compare.saved_runs.set(compare.saved_runs.value[1:])
    assert page.find(v.Alert, class_="compare-not-exported").widgets
    from solara.components.file_download import FileDownloadWidget

    assert not page.find(FileDownloadWidget, filename=compare.ZIP_NAME).widgets


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
    for w in rc.find(UploadWidget).widgets:
        out.append(w.label)
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
    _explained_in_indonesian(text, indonesian)


@pytest.mark.parametrize("text, indonesian", [
    (b"a = " + b"[" * 40 + b"]" * 40,
     "larik atau tabel sebaris bersarang lebih dari 32 tingkat (yang diperbolehkan: paling "
     "banyak 32 tingkat)"),
    (b"[" + b".".join([b"t"] * 40) + b"]\n",
     "tabel bersarang lebih dari 32 tingkat (yang diperbolehkan: paling banyak 32 tingkat)"),
    (b'[oversight]\nverification_rate = "' + b"k" * 5000 + b'"\n',
     "… (5.000 karakter): seharusnya bilangan, tetapi berupa teks (yang diperbolehkan: "
     "bilangan dari 0.0 sampai 1.0)"),
], ids=["arrays-too-deep", "tables-too-deep", "long-value"])
def test_a_hostile_file_is_explained_in_indonesian(text: bytes, indonesian: str) -> None:
    _explained_in_indonesian(text, indonesian)


def _explained_in_indonesian(text: bytes, indonesian: str) -> None:
    from flexisim.scenario import ScenarioError

    with pytest.raises(ScenarioError) as caught:
        parse_scenario_text(text, source="jadwal.toml")
    lines = [i18n.problem_text(line, "id") for line in caught.value.problems]
    assert any(indonesian in line for line in lines), lines


# --- memory: one tab cannot exhaust the laptop (issue 16, item 2) ---------------------------

from flexisim.dashboard import memory  # noqa: E402

GB = 1000 * memory.MB


def _rss() -> int:
    """This process's resident memory, bytes (the server's, in a headless test)."""
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) * 1024 for line in status
                    if line.startswith("VmRSS:"))


def _population_shown(rc: Any) -> int:
    """The population the running model has, as the selector shows it."""
    return int(rc.find(v.Select, class_="population-select").widget.v_model)


def _alerts(rc: Any) -> str:
    return " ".join(str(w.children[0]) for w in rc.find(v.Alert).widgets)


def test_the_estimate_is_the_benchmarks_bytes_per_agent_with_a_safety_factor() -> None:
    # benchmarks/README.md: 380 bytes per ASN (both worlds, 0.5 citizens per ASN), x 1.5
    assert memory.model_bytes(5_600_000) == 5_600_000 * 380 * 1.5
    assert memory.model_bytes(2 * 100_000) == 2 * memory.model_bytes(100_000)  # linear
    # ten times the default citizens cost more; a tenth of them less
    assert memory.model_bytes(100_000, 5.0) > memory.model_bytes(100_000) \
        > memory.model_bytes(100_000, 0.05) > 0
    # a comparison holds one model per worker at a time, plus the workers it starts
    one = memory.estimate(10_000, available=8 * GB)
    pool = memory.estimate(10_000, models=2, new_processes=2, in_workers=True,
                           available=8 * GB)
    assert pool.needed == 2 * one.needed + 2 * 1.5 * 250 * memory.MB


def test_the_estimate_against_the_memory_free() -> None:
    # 2 GB available, less the 500 MB left to the system and the browser: 1,500 MB for models
    est = memory.estimate(6_000_000, available=2 * GB)
    assert est.needed == 3_420 * memory.MB and est.available == 1_500 * memory.MB
    assert not est.fits and est.on_request
    assert est.largest == 2_600_000  # 1.5e9 / 570 = 2,631,578, read as 2.6 million
    assert memory.estimate(est.largest, available=2 * GB).fits
    assert memory.estimate(100_000, available=2 * GB).fits
    assert not memory.estimate(100_000, available=2 * GB).on_request
    assert memory.estimate(6_000_000, available=100 * GB).largest == 6_000_000  # the lever's max
    nothing = memory.estimate(1000, available=400 * memory.MB)
    assert not nothing.fits and nothing.largest == 0
    # a computer that does not say: nothing above what is built without asking
    monkey = memory.system_available
    try:
        memory.system_available = lambda: None
        assert memory.estimate(memory.BUILD_ON_REQUEST_ASN).fits
        assert not memory.estimate(memory.BUILD_ON_REQUEST_ASN + 1).fits
    finally:
        memory.system_available = monkey
    assert memory.system_available() > 0  # /proc/meminfo here


def test_other_sessions_models_count_and_a_reservation_ends_with_its_model(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import gc
    import weakref

    monkeypatch.setattr(memory, "system_available", lambda: 2 * GB)
    memory.collect()  # earlier tests' models, dropped but not yet collected
    before = memory.held()
    with memory.admit(1_000_000):  # this session: 570 MB admitted (not counted against itself)
        assert memory.held() - before == 570 * memory.MB
        assert memory.estimate(1_000_000).available == 1_500 * memory.MB
        with monkeypatch.context() as other:  # ... but against another tab
            other.setattr(memory, "session_id", lambda: "another tab")
            # (the registry may also hold an earlier test's model, still alive: "before")
            assert memory.estimate(1_000_000).available == (930 * memory.MB - before)
            with pytest.raises(memory.MemoryCapExceeded) as refused:
                memory.admit(2_000_000)
            largest = refused.value.estimate.largest  # 1,600,000 less what "before" holds
            assert 1_000_000 <= largest <= 1_600_000 and memory.estimate(largest).fits
    assert memory.held() == before

    class Owner:
        pass

    owner = Owner()
    memory.admit(100_000).attach(owner)
    assert memory.held() - before == memory.model_bytes(100_000)
    ref = weakref.ref(owner)
    del owner
    gc.collect()
    assert ref() is None and memory.held() == before


def test_an_oversized_population_upload_is_refused_with_the_reason(
        page: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 16: a 94-byte file asking for 6 million ASN was built at once (365 MB -> 4.6 GB).
    Here the computer has 2 GB available: the page says what the model needs, what is free
    and what fits, and neither builds the model nor grows."""
    monkeypatch.setattr(memory, "system_available", lambda: 2 * GB)
    memory.collect()
    held, rss = memory.held(), _rss()
    _upload(page, "huge.toml", b"[population]\nn_asn = 6000000\n")
    assert ("A model of 6,000,000 ASN agents needs about 3,420 MB of memory; the dashboard "
            "has 1,500 MB free") in _alerts(page)
    assert "The largest population that fits: 2,600,000 ASN agents." in _alerts(page)
    assert "huge.toml was not loaded:" in _alerts(page)
    assert _population_shown(page) == SMALL and memory.held() == held  # nothing built
    assert _rss() - rss < 50 * memory.MB  # a 6-million model would be 2.5 GB
    assert not page.find(v.Btn, class_="build-model").widgets
    _button(page, "Step").click()  # the running model goes on
    assert _step_text(page) == "Week 1"
    # in Bahasa Indonesia, every word from the catalogue
    i18n.language.set("id")
    _upload(page, "besar.toml", b"[population]\nn_asn = 6000000\n")
    assert ("Model dengan 6.000.000 agen ASN memerlukan memori sekitar 3.420 MB; dasbor hanya "
            "memiliki 1.500 MB") in _alerts(page)
    assert "Populasi terbesar yang muat: 2.600.000 agen ASN." in _alerts(page)
    assert not _not_in_catalogue(page)


def test_a_large_population_is_built_only_when_asked_for(page: Any) -> None:
    """A file asking for more than 200,000 ASN that fits: shown with its estimate and a
    button; the model is built when it is pressed, not when the file is loaded."""
    n = 250_000
    mb = i18n.number(memory.megabytes(memory.model_bytes(n), up=True), "en", 0)
    memory.collect()
    rss = _rss()
    _upload(page, "large.toml", f"[population]\nn_asn = {n}\n".encode())
    assert _population_shown(page) == SMALL  # not built
    assert _rss() - rss < 50 * memory.MB
    assert mb == "143"  # 250,000 x 570 bytes, rounded up
    assert "large.toml asks for 250,000 ASN agents: a large model (about 143 MB" \
        in _alerts(page)
    button = page.find(v.Btn, class_="build-model").widget
    assert button.children == [f"Build model (≈ {mb} MB)"]
    button.click()  # builds in a thread: the page says so meanwhile
    deadline = time.monotonic() + 120
    while page.find(v.Html, class_="memory-building").widgets or _population_shown(page) != n:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert not page.find(v.Btn, class_="build-model").widgets
    _button(page, "Step").click()
    assert _step_text(page) == "Week 1"
    # "Keep the current model" forgets a file asking for a large one
    _upload(page, "large-again.toml", f"[population]\nn_asn = {n + 1000}\n".encode())
    page.find(v.Btn, class_="keep-model").widget.click()
    # the upload's thread renders its last change (the emptied chooser) concurrently: wait
    deadline = time.monotonic() + 30
    while page.find(v.Btn, class_="build-model").widgets:
        assert time.monotonic() < deadline, "the build button stayed"
        time.sleep(0.02)
    assert _population_shown(page) == n


def test_reset_and_compare_refuse_what_does_not_fit(page: Any, no_saved_runs: Any,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Mesa's Reset re-creates the model in its click: without room, the page says so (it
    used to be a traceback), and the comparison starts no run."""
    _button(page, "Step").click()
    with monkeypatch.context() as full:
        full.setattr(memory, "system_available", lambda: 400 * memory.MB)
        _button(page, "Reset").click()
        assert "Not even the smallest population fits now" in _alerts(page)
        assert _step_text(page) == "Week 1"  # the model was kept
        _tab(page, 2)
        page.find(v.Btn, class_="compare-run").widget.click()
        assert "runs at a time in background processes" in _alerts(page)
        assert not compare.comparison.pending
    _tab(page, 0)
    _button(page, "Reset").click()
    assert _step_text(page) == "Week 0" and "fits now" not in _alerts(page)


def test_a_status_change_keeps_the_saved_runs_mounted(page: Any, no_saved_runs: Any,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A message appearing above the saved runs (a comparison ending, a refusal) must not mount
    their charts anew: the browser test lost a click on "download" that way in CI (the new
    button did not know it had been pressed)."""
    compare.saved_runs.set((_saved(1, "permenpan_4_2025"), _saved(2, "trust_but_verify")))
    _tab(page, 2)
    _summaries(page, 2)
    before = [id(w) for w in page.find(ChartWidget).widgets]
    assert before
    monkeypatch.setattr(memory, "system_available", lambda: 400 * memory.MB)
    page.find(v.Btn, class_="compare-run").widget.click()
    assert "runs at a time in background processes" in _alerts(page)  # a new element above
    assert [id(w) for w in page.find(ChartWidget).widgets] == before


def test_app_bounds_how_long_a_disconnected_session_lives(monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    """Solara keeps a disconnected session (its model with it) for 24 h by default."""
    import importlib.util

    import solara.server.settings

    monkeypatch.setattr(solara.server.settings.kernel, "cull_timeout", "24h")
    monkeypatch.delenv("SOLARA_KERNEL_CULL_TIMEOUT", raising=False)
    spec = importlib.util.spec_from_file_location(
        "flexisim_app", Path(__file__).resolve().parents[1] / "app.py")
    assert spec is not None and spec.loader is not None
    spec.loader.exec_module(importlib.util.module_from_spec(spec))  # what `solara run` does
    assert solara.server.settings.kernel.cull_timeout == memory.CULL_TIMEOUT == "60s"
    assert memory._free_on_close in [c.callback for c in
                                     solara.lifecycle._on_kernel_start_callbacks]
    # the environment wins (a facilitator may want longer)
    monkeypatch.setenv("SOLARA_KERNEL_CULL_TIMEOUT", "10m")
    solara.server.settings.kernel.cull_timeout = "10m"
    memory.install()
    assert solara.server.settings.kernel.cull_timeout == "10m"


#: A session as `solara run` has it (the server's patches: widgets per session), whose browser
#: goes away without saying goodbye (a closed lid): closed after the cull time, and then?
#: Prints what the registry held, and the server's memory, before and after.
CULL_SCRIPT = """
import gc, json, sys, time
import ipyvuetify as v
import solara, solara.server.settings
import solara.server.app  # the server's patches, as `solara run` applies them
from solara.server import kernel, kernel_context
import flexisim.dashboard.page as page
from flexisim.dashboard import memory
from flexisim.dashboard.state import workshop_settings

page.workshop_settings = lambda: workshop_settings(n_asn=int(sys.argv[1]))
if sys.argv[2] == "install":
    memory.install()  # what app.py does
solara.server.settings.kernel.cull_timeout = "0.2s"


def rss():
    with open("/proc/self/status") as status:
        return next(int(x.split()[1]) * 1024 for x in status if x.startswith("VmRSS:"))


gc.collect()
gc.disable()  # only what the close does may free the model, not a collection by chance
context = kernel_context.VirtualKernelContext(id="a-tab", kernel=kernel.Kernel(),
                                              session_id="a-browser")
with context:
    box, rc = solara.render(solara.AppLayout(children=[page.Page()]), handle_error=False)
    context.app_object = rc
    rc.find(v.Btn, children=["Langkah"]).widget.click()  # a new session speaks Indonesian
held, before = memory.held(session="a-tab"), rss()
context.page_connect("page-1")
context.page_disconnect("page-1")
closed = context.closed_event.wait(30)
del box, rc, context
deadline = time.monotonic() + 30
while (memory.held(session="a-tab") or before - rss() < held / 3) \
        and time.monotonic() < deadline:
    time.sleep(0.1)
print(json.dumps({"closed": closed, "held": held, "held_after": memory.held(session="a-tab"),
                  "rss_before": before, "rss_after": rss()}))
"""


@pytest.mark.slow
def test_a_disconnected_tabs_model_is_freed_when_its_session_is_culled() -> None:
    """Solara culls a session whose browser went away after ``cull_timeout``; app.py's
    ``memory.install()`` then releases its model and gives the memory back (a 250,000-ASN
    model: about 110 MB). Without it the model stays (measured: not a MB back): Mesa's play
    loop uses Solara's ``use_task``, whose process-wide callback list keeps every session's
    model reachable."""
    import json

    n = 250_000
    done = subprocess.run([sys.executable, "-c", CULL_SCRIPT, str(n), "install"],
                          capture_output=True, text=True, timeout=300,
                          cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["closed"] and out["held"] == memory.model_bytes(n)
    assert out["held_after"] == 0
    # most of the model's memory is back (its estimate has the safety factor in it)
    assert out["rss_before"] - out["rss_after"] > out["held"] / memory.SAFETY_FACTOR / 2, out
