"""How objects show in a notebook (flexisim/display.py) and the sweep's progress in a kernel."""

from __future__ import annotations

import dataclasses
import io
import re
import sys
import types
from pathlib import Path

import pytest

from flexisim import FlexiworkModel, load_scenario
from flexisim.display import in_jupyter_kernel
from flexisim.experiment import (
    SequentialExecutor,
    load_results,
    parse_experiment,
    run_experiment,
    runner,
)
from flexisim.scenario import LEVERS, parse_scenario_text

HOSTILE = '<script>alert("x")</script> & <b>'


def rows(html: str) -> list[list[str]]:
    """The cells of every table row with cells (header rows left out)."""
    found = (re.findall(r"<td>(.*?)</td>", row) for row in re.findall(r"<tr[^>]*>(.*?)</tr>",
                                                                       html))
    return [r for r in found if r]


# --------------------------------------------------------------------------- scenario

def test_scenario_shows_its_name_description_and_the_levers_it_sets() -> None:
    scenario = load_scenario("trust_but_verify")
    html = scenario._repr_html_()
    assert "Scenario trust_but_verify" in html
    assert "Trust, but verify: high trust" in html
    assert scenario.hash in html and "trust_but_verify.toml" in html
    # the levers it sets, with value and default, shown before the folded table
    shown, folded = html.split("<details>")
    assert ["oversight.verification_rate", "0.3", "share of outputs per week", "0.1"] in \
        rows(shown)
    assert ["leadership.trust_culture", "0.75", LEVERS["trust_culture"].unit, "0.35"] in \
        rows(shown)
    assert "oversight.sanction_weeks" not in shown  # at its default: only in the full table
    changed = sum((tuple(v) if isinstance(v, list) else v) != lv.default
                  for lv, v in ((LEVERS[k], scenario.values[k]) for k in LEVERS))
    assert changed >= 6
    assert f"{changed} of {len(LEVERS)} levers set by this scenario" in shown
    # the folded table: every lever once, the set ones in bold
    assert [r[0] for r in rows(folded)] == [lv.key for lv in LEVERS.values()]
    assert folded.count('<tr class="set">') == changed


def test_scenario_at_its_defaults_and_outside_the_rules() -> None:
    default = dataclasses.replace(load_scenario("permenpan_4_2025"),
                                  values={k: (list(v.default) if isinstance(v.default, tuple)
                                              else v.default) for k, v in LEVERS.items()})
    assert f"every one of the {len(LEVERS)} levers at its default" in default._repr_html_()
    decree = load_scenario("wfh_2020_decree")._repr_html_()
    assert "outside Permenpan RB No. 4/2025: a cap of 5 flexible days a week" in decree
    assert "outside Permenpan RB" not in load_scenario("permenpan_4_2025")._repr_html_()


def test_scenario_schedule_is_listed() -> None:
    html = load_scenario("pilot_then_rollout")._repr_html_()
    items = re.findall(r"<li>(.*?)</li>", html)
    assert items[0].startswith("Pilot in half of the central offices")
    assert "National rollout: from week 53" in items
    assert any("scandals_press &gt; 0" in item for item in items)  # escaped '>'


def test_scenario_text_is_escaped() -> None:
    scenario = parse_scenario_text(f"""description = '{HOSTILE}'
[[schedule]]
label = "<img src=x onerror=alert(1)>"
from_week = 3
oversight = {{ verification_rate = 0.4 }}
""")
    assert scenario.description == HOSTILE
    scenario = dataclasses.replace(scenario, name="<i>name</i>")
    html = scenario._repr_html_()
    assert "<script>" not in html and "<img" not in html and "<i>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;: from week 3" in html
    assert "Scenario &lt;i&gt;name&lt;/i&gt;" in html


def test_invalid_scenario_shows_without_values() -> None:
    broken = dataclasses.replace(load_scenario("permenpan_4_2025"), values={},
                                 description="INVALID: <oops>")
    html = broken._repr_html_()
    assert "invalid scenario" in html and "INVALID: &lt;oops&gt;" in html
    assert "<details>" not in html


# --------------------------------------------------------------------------- model

def test_model_shows_week_n_of_N_and_the_effect() -> None:
    model = FlexiworkModel(scenario="trust_but_verify", rng=3, n_asn=600, warmup_weeks=4,
                           steps=20)
    before = model._repr_html_()
    assert "week 0 of 20" in before and "not run yet" in before
    assert "trust_but_verify" in before and "seed 3" in before and "600 ASN" in before
    assert "office-only twin" in before and "<table" not in before
    model.run(5)
    html = model._repr_html_()
    assert "week 5 of 20" in html and "after 4 warm-up weeks" in html
    s = model.summary()
    table = rows(html)
    perf = next(r for r in table if r[0].startswith("performance"))
    assert perf == ["performance (mean so far)", f"{s['performance_mean']:.4g}",
                    f"{s['performance_counterfactual_mean']:.4g}",
                    f"{s['performance_change_pct']:+.2f} %"]
    trust = next(r for r in table if r[0].startswith("public trust"))
    assert trust[3] == f"{s['trust_effect_pp']:+.2f} pp"
    assert s["performance_change_pct"] != 0.0  # a real effect is being shown


def test_model_without_twin_shows_no_effect_column() -> None:
    model = FlexiworkModel(rng=1, n_asn=600, warmup_weeks=0, counterfactual=False)
    model.run(2)
    html = model._repr_html_()
    assert "no reference world" in html and "week 2 of" in html
    assert "<th>effect</th>" not in html
    assert all(len(r) == 2 for r in rows(html))


def test_model_reports_schedule_changes_and_escapes_labels() -> None:
    model = FlexiworkModel(rng=1, n_asn=600, warmup_weeks=0)
    model.run(1)
    model.change_levers(label=HOSTILE, max_flex_days=1)
    model.run(2)
    html = model._repr_html_()
    assert "<script>" not in html
    assert "<li>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;: from week 2" \
        "</li>" in html


# --------------------------------------------------------------------------- results

@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> tuple[runner.SweepReport, Path]:
    text = """description = "display <test> & co"
scenario = "permenpan_4_2025"
steps = 3
replications = 2
seed = 5
[design]
kind = "grid"
[parameters]
trust_culture = [0.2, 0.8]
[fixed]
n_asn = 600
warmup_weeks = 2
"""
    out = tmp_path_factory.mktemp("display") / "r<&>"
    exp = parse_experiment(text, "t.toml", name="disp")
    report = run_experiment(exp, executor=SequentialExecutor(), out=out, progress=False)
    return report, out


def test_results_show_design_runs_and_effects(sweep) -> None:
    report, out = sweep
    results = load_results(out)
    html = results._repr_html_()
    assert "Results of experiment disp" in html
    assert "display &lt;test&gt; &amp; co" in html and "<test>" not in html
    assert "r&lt;&amp;&gt;" in html  # the folder, escaped
    assert "grid design: 2 points x 2 replications; 4 of 4 runs recorded, 4 ok, 0 failed" \
        in html
    assert ["trust_culture", "0.2, 0.8"] in rows(html)
    means = results.data.groupby("point_id")["performance_change_pct"].mean()
    effect_rows = [r for r in rows(html) if len(r) == 5]
    assert [r[:2] for r in effect_rows] == [["0", "0.2"], ["1", "0.8"]]
    assert [r[2] for r in effect_rows] == [f"{m:+.2f} %" for m in means]


def test_results_list_many_values_as_a_range() -> None:
    from flexisim.display import _levels

    assert _levels([0.1, 0.2]) == "0.1, 0.2"
    assert _levels([i / 100 for i in range(20)]) == "20 values from 0 to 0.19"


def test_report_shows_what_the_call_did(sweep) -> None:
    report, out = sweep
    html = report._repr_html_()
    assert "Sweep report" in html and "complete" in html and "incomplete" not in html
    assert ["done by this call", "4"] in rows(html)
    assert ["of which failed", "0"] in rows(html)
    broken = dataclasses.replace(report, done=1, skipped=0, failed=1,
                                 errors=["p0-r0: ValueError: <bad> & worse"])
    html = broken._repr_html_()
    assert "incomplete: run the same call again to finish" in html
    assert "ValueError: &lt;bad&gt; &amp; worse" in html and "<bad>" not in html


# --------------------------------------------------------------------------- kernel detection

class _Shell:
    def __init__(self, kernel: object | None) -> None:
        if kernel is not None:
            self.kernel = kernel


def _fake_ipython(monkeypatch: pytest.MonkeyPatch, get_ipython) -> None:
    module = types.ModuleType("IPython")
    module.get_ipython = get_ipython
    monkeypatch.setitem(sys.modules, "IPython", module)


def test_kernel_detection(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    _fake_ipython(monkeypatch, lambda: _Shell(kernel=object()))
    assert not in_jupyter_kernel()  # IPython alone (a console) is not a kernel
    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    assert in_jupyter_kernel()
    _fake_ipython(monkeypatch, lambda: None)  # IPython imported, no shell running
    assert not in_jupyter_kernel()
    _fake_ipython(monkeypatch, lambda: _Shell(kernel=None))  # a terminal IPython shell
    assert not in_jupyter_kernel()

    def broken():
        raise RuntimeError("half initialised")

    _fake_ipython(monkeypatch, broken)
    assert not in_jupyter_kernel()
    monkeypatch.delitem(sys.modules, "IPython")
    assert not in_jupyter_kernel()


def test_not_a_kernel_here() -> None:
    assert not in_jupyter_kernel()  # pytest is no Jupyter kernel


class _Recorder:
    made: list[dict] = []

    def __init__(self, **kwargs) -> None:
        _Recorder.made.append(kwargs)
        self.n = 0

    def set_postfix(self, **kwargs) -> None:
        pass

    def refresh(self) -> None:
        pass

    def close(self) -> None:
        pass


def test_progress_uses_tqdm_auto_in_a_kernel(monkeypatch: pytest.MonkeyPatch,
                                             capsys) -> None:
    import tqdm.auto

    _Recorder.made = []
    monkeypatch.setattr(tqdm.auto, "tqdm", _Recorder)
    monkeypatch.setattr(runner, "in_jupyter_kernel", lambda: True)
    bar = runner._Progress("exp", todo=5, skipped=0, enabled=True)
    assert isinstance(bar.bar, _Recorder)
    assert _Recorder.made == [{"total": 5, "unit": "run", "desc": "exp"}]
    bar.update(runner.SweepReport(out=Path("."), total=5, done=2))
    assert bar.bar.n == 2
    bar.close(runner.SweepReport(out=Path("."), total=5, done=5))
    assert capsys.readouterr().err == ""  # no log lines beside the widget


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_outside_a_kernel_is_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    import tqdm.auto

    monkeypatch.setattr(tqdm.auto, "tqdm", _Recorder)
    monkeypatch.setattr(runner, "in_jupyter_kernel", lambda: False)
    _Recorder.made = []
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    bar = runner._Progress("exp", todo=3, skipped=0, enabled=True)
    from tqdm import tqdm

    assert type(bar.bar) is tqdm and _Recorder.made == []  # the terminal's text bar
    bar.close(runner.SweepReport(out=Path("."), total=3, done=3))
    assert "exp" in terminal.getvalue()
    log = io.StringIO()  # a batch job: log lines
    monkeypatch.setattr(sys, "stderr", log)
    bar = runner._Progress("exp", todo=3, skipped=1, enabled=True)
    assert bar.bar is None and "sweep exp: 3 runs to do, 1 already done" in log.getvalue()
    assert _Recorder.made == []
