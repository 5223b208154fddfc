"""The dashboard in a real browser: Playwright driving Debian's Chromium against `solara run`.

Every wait is on a condition (text shown, chart drawn), never a fixed sleep. Timings are not
asserted here (they go to benchmarks/bench_dashboard.py). Screenshots go to a temporary
folder, so a test run leaves the working tree clean; to refresh the ones in the docs:
``FLEXISIM_SCREENSHOTS=docs/img ./test.sh -m browser``.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flexisim.dashboard import testing as bt

pytestmark = pytest.mark.browser

playwright_api = pytest.importorskip("playwright.sync_api")
if not os.path.exists(bt.CHROMIUM):
    pytest.skip("Chromium is not installed (./test.sh installs it when run as root)",
                allow_module_level=True)

#: JavaScript: no tab is sliding in (Vuetify marks the window while a transition runs).
WINDOW_STILL_JS = "() => !document.querySelector('.v-window__container--is-active')"
TIMEOUT = 60_000  # ms; generous for a loaded CI machine, never waited on when things work


@pytest.fixture(scope="module")
def img(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the screenshots go: ``$FLEXISIM_SCREENSHOTS`` (e.g. docs/img) or a temporary folder."""
    folder = os.environ.get("FLEXISIM_SCREENSHOTS")
    out = Path(folder) if folder else tmp_path_factory.mktemp("screenshots")
    out.mkdir(parents=True, exist_ok=True)
    return out


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with bt.serve() as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as p:
        b = bt.launch(p)
        yield b
        b.close()


@pytest.fixture
def page(server: str, browser: Any) -> Iterator[Any]:
    """A fresh session on the dashboard, loaded and interactive; every request recorded."""
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT)
    requests: list[str] = []
    pg.on("request", lambda r: requests.append(r.url))
    pg.on("websocket", lambda ws: requests.append(ws.url))
    pg.goto(server)
    pg.get_by_role("button", name="Langkah").wait_for()
    pg.wait_for_function(f"() => ({bt.DRAWN_CHARTS_JS})() >= 6")  # charts drawn, not blank
    pg.requests = requests  # type: ignore[attr-defined]
    yield pg
    # Offline workshops: nothing this page asked for may leave the machine.
    assert requests and not bt.non_local_requests(requests), bt.non_local_requests(requests)
    context.close()


def _week(page: Any, n: int, lang: str = "id") -> None:
    text = f"Minggu ke-{n}" if lang == "id" else f"Week {n}"
    page.get_by_text(text, exact=True).first.wait_for()


def test_page_loads_and_charts_render(page: Any, img: Path) -> None:
    _week(page, 0)
    assert page.evaluate(f"({bt.DRAWN_CHARTS_JS})()") >= 6
    # titles and legends (HTML over each chart)
    titles = page.locator(".flexisim-chart-title").all_inner_texts()
    assert len(titles) == 6 and all(titles), titles
    assert page.locator(".flexisim-chart-legend .flexisim-legend-item").count() >= 6 * 2
    for _ in range(8):
        page.get_by_role("button", name="Langkah").click()
    _week(page, 8)
    page.wait_for_function(f"() => ({bt.CHART_WEEKS_JS})().every(n => n === 8)")
    # steps merge only the data: the charts' own settings stay (animation off: a step must
    # redraw at once, and an animating chart keeps redrawing for a second)
    assert page.evaluate(f"() => {bt._CHARTS_JS}.map(c => c.getOption().animation)") == [False] * 6
    page.screenshot(path=str(img / "dashboard-charts.png"))


def test_step_advances_the_counter_and_the_charts(page: Any) -> None:
    ms = page.evaluate(bt.STEP_JS, ["Langkah", 1])
    assert ms > 0
    _week(page, 1)
    assert page.evaluate(f"({bt.CHART_WEEKS_JS})()")[:6] == [1] * 6


def _set_slider(page: Any, lever_class: str, key: str) -> None:
    """Move a lever's slider with the keyboard (End = maximum, Home = minimum)."""
    page.locator(f".{lever_class} .v-slider__thumb-container").first.focus()
    page.keyboard.press(key)


def test_slider_and_reset_change_the_results(page: Any) -> None:
    page.get_by_role("button", name="Langkah").click()
    _week(page, 1)
    # true and detected shirking: more verification deters shirking from week 1 (a week's
    # detected count alone can coincide, e.g. 38 of 4,695 staff in both settings)
    before = [bt.series_data(page, 2, k) for k in (0, 1)]
    _set_slider(page, "lever-verification_rate", "End")
    page.get_by_text("Perubahan berlaku setelah Reset.").wait_for()
    page.get_by_role("button", name="Reset").click()
    _week(page, 0)
    page.get_by_text("Model berjalan dengan pengaturan ini.").wait_for()
    page.get_by_role("button", name="Langkah").click()
    _week(page, 1)
    page.wait_for_function(f"() => ({bt.CHART_WEEKS_JS})()[2] === 1")
    after = [bt.series_data(page, 2, k) for k in (0, 1)]
    assert after != before


def test_language_toggle_switches_labels(page: Any) -> None:
    page.get_by_role("button", name="English").click()
    page.get_by_role("button", name="Step", exact=True).wait_for()
    page.get_by_text("Live charts").wait_for()
    page.wait_for_function("() => document.body.innerText.includes('Policy levers')")
    assert page.get_by_role("button", name="Langkah").count() == 0
    page.get_by_role("button", name="Bahasa Indonesia").click()
    page.get_by_role("button", name="Langkah").wait_for()


def test_bad_upload_shows_the_error(page: Any, img: Path) -> None:
    broken = b"[oversight]\nverfication_rate = 0.3\n"
    page.locator(UPLOAD).set_input_files(files=[{"name": "broken.toml", "mimeType": "text/plain",
                                                 "buffer": broken}])
    # the validator's report, in the page's language
    page.get_by_text("kolom tidak dikenal (maksud Anda 'verification_rate'?)",
                     exact=False).wait_for()
    page.locator(".upload-error").screenshot(path=str(img / "dashboard-upload-error.png"))
    # the app keeps running
    page.get_by_role("button", name="Langkah").click()
    _week(page, 1)


#: The file input of the settings' Load control.
UPLOAD = ".flexisim-upload input[type=file]"


def test_oversized_uploads_cost_the_server_nothing(server: str, browser: Any,
                                                   tmp_path: Path) -> None:
    """Issue 16: a 30 MB file was read whole in the browser and sent as one 31 MB websocket
    message (which the server refused, closing the connection: no word on the page), and a
    94-byte file asking for 6 million ASN was built at once (365 MB -> 4.6 GB in 16 s). Now the
    browser sends the file's name and size only, and a large model waits for a request."""
    pg = browser.new_page()
    pg.set_default_timeout(TIMEOUT)
    sent: list[int] = []
    pg.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(len(payload))))
    pg.goto(server)
    pg.get_by_role("button", name="Langkah").wait_for()
    pid = bt.server_pid(server)
    before = bt.rss(pid)
    huge = tmp_path / "huge.toml"
    huge.write_bytes(b"#" * (30 * 1024 * 1024))
    sent.clear()
    pg.locator(UPLOAD).set_input_files(str(huge))
    pg.get_by_text("huge.toml: 30.720 KB, melebihi batas 256 KB: tidak dibaca.").wait_for()
    assert sum(sent) < 10_000, sent  # the name and the size, not the 30 MB
    pg.locator(UPLOAD).set_input_files(files=[{"name": "besar.toml", "mimeType": "text/plain",
                                               "buffer": b"[population]\nn_asn = 6000000\n"}])
    # whether 3.4 GB fit depends on the machine: a button to build it, or the reason it cannot
    asked = pg.get_by_role("button", name="Bangun model (≈ 3.420 MB)")
    refused = pg.get_by_text("Populasi terbesar yang muat", exact=False)
    asked.or_(refused).first.wait_for()
    assert bt.rss(pid) - before < 50_000_000  # bytes: nothing was built
    pg.get_by_role("button", name="Langkah").click()  # the room's model goes on
    _week(pg, 1)
    pg.close()


def test_a_closed_tab_gives_its_large_model_back(server: str, browser: Any) -> None:
    """A large population is built on request; closing the tab returns its memory to the
    system (measured by hand at 1,000,000 ASN: 387 -> 801 MB, and 386 MB a second after the
    tab closed)."""
    pg = browser.new_page()
    pg.set_default_timeout(TIMEOUT)
    pg.goto(server)
    pg.get_by_role("button", name="Langkah").wait_for()
    pid = bt.server_pid(server)
    before = bt.rss(pid)
    pg.locator(UPLOAD).set_input_files(files=[{"name": "besar.toml", "mimeType": "text/plain",
                                               "buffer": b"[population]\nn_asn = 400000\n"}])
    pg.get_by_role("button", name="Bangun model (≈ 228 MB)").click()
    pg.get_by_text("400.000", exact=True).first.wait_for()  # the population selector
    pg.locator(".memory-building").wait_for(state="detached")
    built = bt.rss(pid)
    assert built - before > 100_000_000  # bytes: the model is there
    # a tab that closes (or leaves the page) sends Solara's close beacon on "beforeunload",
    # and the session ends at once; Playwright's page.close() sends none (the session would
    # be culled after the 60 s a lost connection gets: test_dashboard.py tests that path), so
    # leave the page the way a closing tab does
    pg.goto("about:blank")
    pg.close()
    # then the session's model is released and collected
    deadline = time.monotonic() + 30
    while bt.rss(pid) - before > (built - before) / 2:
        assert time.monotonic() < deadline, (before, built, bt.rss(pid))
        time.sleep(0.2)


def test_sessions_have_their_own_models(page: Any, server: str, browser: Any) -> None:
    other = browser.new_page()
    other.set_default_timeout(TIMEOUT)
    other.goto(server)
    other.get_by_role("button", name="Langkah").wait_for()
    for _ in range(3):
        page.get_by_role("button", name="Langkah").click()
    _week(page, 3)
    _week(other, 0)
    other.close()


def test_office_floor_and_comparison(page: Any, img: Path) -> None:
    for _ in range(4):
        page.get_by_role("button", name="Langkah").click()
    _week(page, 4)
    page.get_by_role("tab", name="Kantor dan warga").click()
    page.locator(".office-floor canvas").first.wait_for()
    page.wait_for_function(f"() => ({bt.DRAWN_CHARTS_JS})() >= 2")
    page.wait_for_function(WINDOW_STILL_JS)  # the tab has finished sliding in
    page.screenshot(path=str(img / "dashboard-office-floor.png"))

    page.get_by_role("tab", name="Bandingkan").click()
    # weeks (the panel's last slider): 24, enough for bands to show and quick to run
    weeks = page.locator(".compare-panel [role=slider]").last
    for key, value in [("Home", 4), *(("ArrowRight", w) for w in range(8, 25, 4))]:
        weeks.focus()  # again each time: the slider may be re-rendered by the last change
        page.keyboard.press(key)
        playwright_api.expect(weeks).to_have_attribute("aria-valuenow", str(value))
    page.get_by_role("button", name="Jalankan perbandingan").click()
    page.locator(".compare-summary").first.wait_for(timeout=180_000)
    # both summaries (A and B) render in the same update, but the browser may paint the
    # first before the second arrives: wait for the condition, do not count at once
    playwright_api.expect(page.locator(".compare-summary")).to_have_count(2)
    page.wait_for_function(f"() => ({bt.DRAWN_CHARTS_JS})() >= 4")
    assert page.evaluate(f"({bt.CHART_WEEKS_JS})()") == [24] * 4
    page.wait_for_function(WINDOW_STILL_JS)
    page.screenshot(path=str(img / "dashboard-compare.png"), full_page=True)


def _run_short_comparison(page: Any) -> None:
    """Open the comparison tab and run its smallest setting (2 runs of 4 weeks)."""
    page.get_by_role("tab", name="Bandingkan").click()
    for slider, key in ((0, "Home"), (-1, "Home")):  # replications 2, weeks 4
        handle = page.locator(".compare-panel [role=slider]").nth(slider)
        handle.focus()
        page.keyboard.press(key)
    playwright_api.expect(page.locator(".compare-panel [role=slider]").last
                          ).to_have_attribute("aria-valuenow", "4")
    page.get_by_role("button", name="Jalankan perbandingan").click()
    playwright_api.expect(page.locator(".compare-summary")).to_have_count(2, timeout=180_000)
    # and the comparison over (its runs are saved just before the task ends)
    playwright_api.expect(page.locator(".compare-run")).to_be_enabled(timeout=180_000)


@pytest.mark.parametrize("production", [False, True], ids=["development", "production"])
def test_nothing_leaves_the_machine_on_a_first_start(production: bool, browser: Any,
                                                     tmp_path: Path) -> None:
    """Offline workshops: the README's command (development mode) and production mode, on a
    machine that never ran Solara (an empty Solara home), with the browser *and* the server
    process watched: no request from the page, and no name look-up or connection by the
    server or its worker processes, to anything but this machine.

    Solara skips its version check when ``PYTEST_CURRENT_TEST`` is set, so the server gets
    this process's environment without it: the check must be off by our doing.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}
    audit = tmp_path / "network.log"
    with bt.serve(production=production, solara_home=tmp_path / "solara-home", audit=audit,
                  env=env) as url:
        context = browser.new_context(viewport={"width": 1600, "height": 1000})
        pg = context.new_page()
        pg.set_default_timeout(TIMEOUT)
        requests: list[str] = []
        pg.on("request", lambda r: requests.append(r.url))
        pg.on("websocket", lambda ws: requests.append(ws.url))
        pg.goto(url)
        pg.get_by_role("button", name="Langkah").click()
        _week(pg, 1)
        pg.wait_for_function(f"() => ({bt.DRAWN_CHARTS_JS})() >= 6")
        pg.get_by_role("tab", name="Kantor dan warga").click()
        pg.locator(".office-floor canvas").first.wait_for()
        _run_short_comparison(pg)
        pg.wait_for_function(f"() => ({bt.DRAWN_CHARTS_JS})() >= 4")
        pg.wait_for_load_state("networkidle")
        context.close()
    assert requests and not bt.non_local_requests(requests), bt.non_local_requests(requests)
    assert audit.read_text() == "", audit.read_text()


#: JavaScript: the weeks (category positions) marked by a vertical line on each live chart.
MARKED_JS = f"""() => {bt._CHARTS_JS}.map(c => (c.getOption().series || [])
  .flatMap(s => (s.markLine && s.markLine.data) || []).map(d => d.xAxis))"""


def test_a_lever_moved_during_the_run_applies_from_the_next_week(page: Any, img: Path) -> None:
    for _ in range(3):
        page.get_by_role("button", name="Langkah").click()
    _week(page, 3)
    _set_slider(page, "lever-verification_rate", "End")
    apply = page.get_by_role("button", name="Terapkan mulai minggu ke-4")
    apply.click()
    # recorded as a change of the schedule, in words; the edit is gone (the model runs it)
    page.locator(".recorded-changes").get_by_text("mulai minggu ke-4", exact=False).wait_for()
    page.get_by_text("Model berjalan dengan pengaturan ini.").wait_for()
    playwright_api.expect(apply).to_have_count(0)
    page.get_by_role("button", name="Langkah").click()
    _week(page, 4)
    # the week the change applied from is marked on the live week-by-week charts (the sixth,
    # by region, has no marks); week 4 is the fourth category, position 3
    page.wait_for_function(f"() => ({MARKED_JS})().slice(0, 5).every(m => m.includes(3))")
    # the sidebar scrolls by itself (a full-page shot would not show its end): a taller view
    page.set_viewport_size({"width": 1600, "height": 1350})
    page.locator(".recorded-changes").scroll_into_view_if_needed()
    page.screenshot(path=str(img / "dashboard-change-during-run.png"))
    # Reset starts over and replays the change: still recorded, still marked after week 4
    page.get_by_role("button", name="Reset").click()
    _week(page, 0)
    page.locator(".recorded-changes").get_by_text("mulai minggu ke-4", exact=False).wait_for()
    for _ in range(4):
        page.get_by_role("button", name="Langkah").click()
    _week(page, 4)
    page.wait_for_function(f"() => ({MARKED_JS})()[0].includes(3)")


def test_why_tab_draws_the_channel_waterfalls(page: Any, img: Path) -> None:
    page.get_by_role("tab", name="Mengapa?").click()
    weeks = page.locator(".why-panel [role=slider]").last
    weeks.focus()
    page.keyboard.press("Home")  # 4 weeks: quick
    playwright_api.expect(weeks).to_have_attribute("aria-valuenow", "4")
    page.get_by_role("button", name="Uraikan per kanal").click()
    page.locator(".why-summary").wait_for(timeout=180_000)
    page.wait_for_function(f"() => ({bt.DRAWN_CHARTS_JS})() >= 2")
    titles = page.locator(".why-panel .flexisim-chart-title").all_inner_texts()
    assert len(titles) == 2 and "Kinerja dibanding hanya di kantor" in titles[0], titles
    page.wait_for_function(WINDOW_STILL_JS)
    page.screenshot(path=str(img / "dashboard-why.png"), full_page=True)


def test_headline_cards_follow_the_run(page: Any) -> None:
    cards = page.locator(".headline-cards")
    playwright_api.expect(cards).to_contain_text("0 dari 104")
    for _ in range(2):
        page.get_by_role("button", name="Langkah").click()
    playwright_api.expect(cards).to_contain_text("2 dari 104")
    playwright_api.expect(page.locator(".headline-effect .headline-value")).to_contain_text("%")
    page.locator(".about-button").click()
    page.get_by_text("dunia yang sama tanpa kerja fleksibel", exact=False).wait_for()
    page.locator(".about-close").click()
    playwright_api.expect(page.locator(".about-panel")).to_be_hidden()


def test_each_chart_exports_its_picture_and_its_data(page: Any, img: Path) -> None:
    for _ in range(3):
        page.get_by_role("button", name="Langkah").click()
    _week(page, 3)
    page.wait_for_function(f"() => ({bt.CHART_WEEKS_JS})().every(n => n === 3)")
    box = page.locator(".live-charts .flexisim-chart-box").first
    box.hover()
    with page.expect_download() as download:
        box.locator(".flexisim-export-csv").click()
    assert download.value.suggested_filename.endswith(".csv")
    comment, *lines = Path(download.value.path()).read_text().splitlines()
    # what made it first (a comment line), then the table as drawn
    assert comment.startswith("# flexisim ") and "permenpan_4_2025" in comment
    assert "seed 42" in comment and "week 3" in comment
    assert lines[0].split(",")[:3] == ["minggu", "dengan kerja fleksibel",
                                        "hanya di kantor (dunia yang sama)"]
    assert [line.split(",")[0] for line in lines[1:]] == ["1", "2", "3"]
    drawn = bt.series_data(page, 0, 0)
    assert [float(line.split(",")[1]) for line in lines[1:]] == pytest.approx(drawn)
    with page.expect_download() as download:
        box.locator(".flexisim-export-png").click()
    png = Path(download.value.path()).read_bytes()
    assert download.value.suggested_filename.endswith(".png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    # the picture drew title and legend in ECharts; on the page they are HTML again
    assert page.evaluate(f"() => {bt._CHARTS_JS}[0].getOption().title[0].show") is False
    (img / "dashboard-export.png").write_bytes(png)


def test_the_comparison_downloads_as_a_results_folder_in_the_browser(
        page: Any, tmp_path: Path) -> None:
    # the button in a real browser: the zip arrives, unpacks into one results folder per Run
    # press and `flexisim analyze` accepts it (its contents: tests/test_dashboard.py)
    import zipfile

    from flexisim.cli import main

    _run_short_comparison(page)
    button = page.locator(".compare-download").get_by_text("Unduh folder hasil")
    with page.expect_download() as download:
        button.click()
    assert download.value.suggested_filename == "flexisim-comparison-results.zip"
    with zipfile.ZipFile(download.value.path()) as archive:
        archive.extractall(tmp_path)
    folders = [p.name for p in tmp_path.iterdir()]
    assert folders == ["runs_1-2"]
    assert main(["analyze", str(tmp_path / "runs_1-2")]) == 0
    assert (tmp_path / "runs_1-2" / "analysis" / "bands.csv").is_file()


#: JavaScript: the page's layout as boxes [left, top, right, bottom] (CSS pixels).
LAYOUT_JS = """() => {
  const box = (el) => { const b = el.getBoundingClientRect();
                        return [b.left, b.top, b.right, b.bottom]; };
  const all = (css) => Array.from(document.querySelectorAll(css)).map(box);
  const nav = document.querySelector('.v-navigation-drawer');
  return { scrollWidth: document.documentElement.scrollWidth, width: innerWidth,
           height: innerHeight,
           drawer: nav ? { open: nav.classList.contains('v-navigation-drawer--open'),
                           mobile: nav.classList.contains('v-navigation-drawer--is-mobile'),
                           box: box(nav) } : null,
           controls: all('.room-controls button, .presenting-toggle, .about-button, '
                         + '.language-toggle'),
           tabs: all('.v-tab'), cards: all('.headline-card'),
           charts: all('.live-charts .flexisim-chart-box'),
           banner: document.body.innerText.includes('This website runs on') };
}"""


def _overlap(a: list[float], b: list[float]) -> bool:
    return a[0] < b[2] - 1 and b[0] < a[2] - 1 and a[1] < b[3] - 1 and b[1] < a[3] - 1


@pytest.mark.parametrize("size", [(1024, 768, 1), (1280, 720, 1), (1920, 1080, 1),
                                  (853, 480, 1.5)],
                         ids=["1024x768", "1280x720", "1920x1080", "1280x720-at-150pct"])
def test_layout_fits_the_room(size: tuple[int, int, float], server: str, browser: Any,
                              img: Path) -> None:
    """No horizontal scroll, nothing on top of anything, Reset / Play / Step within the
    window without scrolling, every tab reachable -- at the sizes of a room's screens
    (150 % zoom on a 1280 x 720 projector is an 853 x 480 window of 1.5 device pixels)."""
    width, height, scale = size
    context = browser.new_context(viewport={"width": width, "height": height},
                                  device_scale_factor=scale)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    page.goto(server)
    page.locator(".room-step").wait_for()
    page.wait_for_function(f"() => ({bt.DRAWN_CHARTS_JS})() >= 6")
    if width < 960:  # Vuetify's mobile drawer: our custom.js closes it once on opening
        page.wait_for_function("() => !document.querySelector('.v-navigation-drawer--open')")
    layout = page.evaluate(LAYOUT_JS)
    assert layout["scrollWidth"] <= layout["width"], layout
    assert not layout["banner"]
    controls = layout["controls"]
    assert len(controls) == 6
    for i, a in enumerate(controls):
        assert 0 <= a[0] and a[2] <= layout["width"] and 0 <= a[1] and a[3] <= layout["height"]
        assert not any(_overlap(a, b) for b in controls[i + 1:]), controls
    assert len(layout["tabs"]) == 4 and max(t[2] for t in layout["tabs"]) <= layout["width"]
    boxes = layout["cards"] + layout["charts"]
    assert len(layout["charts"]) == 6
    for i, a in enumerate(boxes):
        assert a[0] >= 0 and a[2] <= layout["width"], a
        assert not any(_overlap(a, b) for b in boxes[i + 1:]), (a, boxes)
    drawer = layout["drawer"]
    if drawer["open"]:  # beside the charts, never over them
        assert not drawer["mobile"]
        assert all(c[0] >= drawer["box"][2] - 1 for c in boxes)
    # the app bar's Step works with the drawer closed
    page.locator(".room-step").click()
    page.get_by_text("1 dari 104").wait_for()
    page.screenshot(path=str(img / f"dashboard-layout-{width}x{height}@{scale}.png"))
    context.close()


def test_keyboard_shortcuts_and_presenting_mode(page: Any) -> None:
    page.locator("body").click(position={"x": 5, "y": 300})  # focus on the page, not a field
    page.keyboard.press("s")
    _week(page, 1)
    page.keyboard.press("l")
    _week(page, 2)
    page.keyboard.press("r")
    _week(page, 0)
    page.keyboard.press("p")  # play ...
    page.get_by_role("button", name="❚❚").first.wait_for()
    page.keyboard.press("p")  # ... and pause
    page.get_by_role("button", name="▶").first.wait_for()
    # presenting: the drawer out of the way, large type
    size = page.evaluate("() => getComputedStyle(document.querySelector('.headline-value'))"
                         ".fontSize")
    page.locator(".presenting-toggle").click()
    page.wait_for_function("() => getComputedStyle(document.querySelector("
                           "'.v-navigation-drawer')).display === 'none'")
    bigger = page.evaluate("() => getComputedStyle(document.querySelector('.headline-value'))"
                           ".fontSize")
    assert float(bigger.removesuffix("px")) > float(size.removesuffix("px"))
    page.locator(".room-step").click()  # the controls stay within reach
    page.get_by_text(re.compile(r"^\d+ dari 104$")).wait_for()
    page.locator(".presenting-toggle").click()
    page.wait_for_function("() => getComputedStyle(document.querySelector("
                           "'.v-navigation-drawer')).display !== 'none'")


def _luminance(css_colour: str) -> float:
    r, g, b = (float(x) for x in re.findall(r"[\d.]+", css_colour)[:3])
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


def test_dark_theme_keeps_titles_and_legends_readable(page: Any, img: Path) -> None:
    toggle = page.locator(".v-app-bar button:has(.mdi-brightness-auto), "
                          ".v-app-bar button:has(.mdi-weather-sunny), "
                          ".v-app-bar button:has(.mdi-weather-night)").first
    for _ in range(3):  # the toggle cycles auto -> light -> dark
        if page.locator(".v-application.theme--dark").count():
            break
        toggle.click()
        page.wait_for_timeout(0)  # let the click reach the page before looking again
    page.locator(".v-application.theme--dark").wait_for()
    for css in (".flexisim-chart-title", ".flexisim-chart-legend", ".headline-value"):
        colour = page.evaluate(f"() => getComputedStyle(document.querySelector('{css}')).color")
        assert _luminance(colour) > 0.7, (css, colour)  # light text on the dark page
    page.screenshot(path=str(img / "dashboard-dark.png"))
