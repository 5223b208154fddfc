"""Validation against published evidence (issue 6): every target's reduced experiment meets its
band, the target files are checked at the boundary, the calibration and report machinery work.

The reduced experiments use each target's ``reduced_replications`` runs at ``reduced_n_asn``
staff with the target's fixed seeds, so they are deterministic: a change to the model that
moves a target out of its band fails here. Targets the model is known to miss are strict
xfails that name the finding (docs/validation.md): if a change makes one pass, the test fails
too, so the docs are updated.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from flexisim.errors import TargetError
from flexisim.validation import load_target, load_targets, run_targets, summarize_results
from flexisim.validation.calibrate import blocks, calibrate, write_calibration
from flexisim.validation.face import face_verdicts, load_face, run_face
from flexisim.validation.measures import TRUSTING, make_probe
from flexisim.validation.targets import validation_dir

TARGETS = {t.id: t for t in load_targets()}

#: targets the calibrated model misses, each a finding reported in docs/validation.md (not a
#: tolerance to loosen): the reason, and where the reduced run's mean is expected to stay.
#: The test fails if the model starts to meet the target (update the docs) *or* drifts out of
#: the stated range (the finding changed: look at why).
KNOWN_DISAGREEMENTS: dict[str, tuple[str, tuple[float, float]]] = {
    "E1": ("with a fair twin (no grant signal) one remote-day gain cannot meet both E1 and E6: "
           "the joint fit of remote_gain lands just below E1's band (and high in E6's)",
           (4.5, 6.0)),
    "E8": ("persistent non-users are calibrated to the Indonesian survey (T1: about 4% would "
           "not work flexibly), fewer than the 13% of eligible US staff who never teleworked: "
           "about 95% of the eligible use a day in the year", (0.93, 0.965)),
    "E8b": ("teleworkers' well-being only about 4 points above others' (OPM: 19); the OPM gap "
            "is a raw difference between self-selected groups", (0.0, 8.0)),
    "E11": ("location flexibility only, and an Indonesian job mix (40% frontline, few "
            "ICT-doable): about 46% use it against the APS's 80% for any arrangement",
            (0.40, 0.55)),
    "E7": ("fully remote staff are rated about 0.16 of 5 below hybrid staff, just beyond the "
           "band's edge (-0.15); it was at the edge before recruits' ages followed the data "
           "and the refit of issue 14 (items 4-5) moved it by 0.01", (-0.25, -0.10)),
    "O6": ("about 35% of staff-days idle under unverified full WFH, above the weak 30% upper "
           "bound", (0.30, 0.42)),
    "P2": ("the predisposition fitted to Indonesia's spread of trust (P1b) is two camps, so "
           "service experience explains little of the cross-section: about 1 pp per SD of "
           "satisfaction against the OECD's 6", (-1.0, 2.0)),
    "P3": ("the 2020 decree costs about 11 points of trust in the civil service against its "
           "twin in 35 weeks, twice the 5 points Edelman measured for government as a whole",
           (-14.0, -10.0)),
}

REQUIRED_IDS = {"E1", "E4", "E6", "E7", "E8", "E11", "E13", "D1", "O4", "O5", "P1", "P1b", "P2",
                "P3", "B40", "T1", "D3"}


def test_every_required_target_has_an_experiment() -> None:
    assert REQUIRED_IDS <= set(TARGETS)
    for t in TARGETS.values():
        assert t.replications >= 20, f"{t.id}: validate-model needs at least 20 replications"
        assert t.band[0] <= t.target <= t.band[1], f"{t.id}: published value outside its band"


@pytest.mark.slow
@pytest.mark.parametrize("target_id", sorted(TARGETS))
def test_reduced_validation_meets_band(target_id: str) -> None:
    """The reduced experiment (fixed seeds, ``reduced_replications`` runs at ``reduced_n_asn``
    staff). Tolerance: the run's own 95% Monte-Carlo interval must reach the target's band
    (``reduced_band`` where a target states one) -- a calibrated target at the edge of its band
    must not fail on the luck of six runs, while a change that moves it by more than its
    interval does fail. A known disagreement must stay outside the band (interval and all) and
    inside the range the finding describes."""
    target = TARGETS[target_id]
    runs = run_targets([target], reduced=True)
    row = summarize_results([target], runs, reduced=True).iloc[0]
    assert row["failed_runs"] == 0
    shown = (f"{target_id}: model mean {row['mean']:.4g} (95% CI {row['ci_low']:.4g}.."
             f"{row['ci_high']:.4g}); band [{row['band_low']:g}, {row['band_high']:g}]")
    if target_id in KNOWN_DISAGREEMENTS:
        reason, (lo, hi) = KNOWN_DISAGREEMENTS[target_id]
        assert not row["ci_overlaps_band"], f"{shown}: now reaches the band -- update the docs"
        assert lo <= row["mean"] <= hi, f"{shown}: the finding ({reason}) moved out of [{lo}, {hi}]"
    else:
        assert row["ci_overlaps_band"], shown


def test_same_seed_same_value() -> None:
    target = TARGETS["O5"]
    a = run_targets([target], replications=2, reduced=True)
    b = run_targets([target], replications=2, reduced=True)
    pd.testing.assert_frame_equal(a.drop(columns="wall_time_s"), b.drop(columns="wall_time_s"))


def test_summary_interval_and_pass() -> None:
    target = TARGETS["B40"]
    runs = pd.DataFrame({"id": "B40", "replication": range(4), "value": [0.38, 0.40, 0.42, 0.40]})
    row = summarize_results([target], runs).iloc[0]
    assert row["mean"] == pytest.approx(0.40)
    # t(0.975, 3) = 3.182; sd = 0.01633; half width = 3.182 * 0.01633 / 2
    assert row["ci_high"] - row["mean"] == pytest.approx(3.1824 * 0.016330 / 2, rel=1e-3)
    assert row["pass"]
    runs["value"] = [0.6, 0.6, 0.6, np.nan]
    row = summarize_results([target], runs).iloc[0]
    assert not row["pass"] and row["failed_runs"] == 1


# ------------------------------------------------------------------ probes
class _Staff:
    def __init__(self, **cols: np.ndarray) -> None:
        self.__dict__.update(cols)


class _World:
    def __init__(self, staff: _Staff, citizens: object | None = None) -> None:
        self.pop = type("P", (), {"staff": staff, "citizens": citizens})()


def _staff(output: list[float], flex: list[int], hires: list[int] | None = None) -> _Staff:
    n = len(output)
    return _Staff(active=np.ones(n, bool), hires=np.array(hires or [0] * n),
                  job=np.ones(n, np.int8), output=np.array(output, np.float32),
                  quality=np.ones(n, np.float32), flex_days=np.array(flex, np.int8),
                  shirk_days=np.zeros(n, np.int8))


def test_treated_change_pairs_the_same_people() -> None:
    probe = make_probe("treated_change", {})
    here = _staff([1.2, 1.0, 5.0], [2, 0, 2], hires=[0, 0, 1])
    there = _staff([1.0, 1.0, 1.0], [0, 0, 0], hires=[0, 0, 0])
    probe.observe(_World(here), _World(there))
    # row 1 works in the office, row 2 is a different person (refilled): only row 0 counts
    assert probe.value() == pytest.approx(20.0)


def test_shirking_ratio_is_this_over_reference() -> None:
    probe = make_probe("shirking_share", {"ratio": True})
    here, there = _staff([1, 1], [0, 0]), _staff([1, 1], [0, 0])
    here.shirk_days[:] = [1, 0]
    there.shirk_days[:] = [2, 2]
    probe.observe(_World(here), _World(there))
    assert probe.value() == pytest.approx(0.25)


def test_trust_satisfaction_slope_sign() -> None:
    rng = np.random.default_rng(1)
    experience = rng.uniform(0, 1, 5000)
    citizens = type("C", (), {"experience": experience,
                              "trust": np.where(experience > 0.5, 0.9, 0.1)})()
    probe = make_probe("trust_satisfaction_slope", {})
    probe.observe(_World(None, citizens), None)
    assert probe.value() > 30  # trusting iff satisfied: a steep, positive slope
    citizens.trust = np.where(experience > 0.5, 0.1, 0.9)
    probe = make_probe("trust_satisfaction_slope", {})
    probe.observe(_World(None, citizens), None)
    assert probe.value() < -30
    assert 0.5 < TRUSTING < 0.6


def test_probe_options_are_checked() -> None:
    with pytest.raises(ValueError, match="unknown job family"):
        make_probe("group_change", {"families": ["teachers"]})
    with pytest.raises(ValueError, match="unknown option"):
        make_probe("group_change", {"familes": ["frontline"]})
    with pytest.raises(ValueError, match="unknown metric"):
        make_probe("mean_metric", {"metric": "happiness"})


# ------------------------------------------------------------------ target files
def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "t.toml"
    path.write_text(text)
    return path


GOOD = (validation_dir() / "b40_performing.toml").read_text()


@pytest.mark.parametrize(("change", "expected"), [
    (("role = \"calibrated\"", "role = \"fitted\""),
     "role: \"fitted\": not one of the choices (allowed: calibrated, hand-set, held-out, input)"),
    (("measure = \"final_metric\"", "measure = \"final_metrc\""),
     "measure: \"final_metrc\": unknown measure (did you mean 'final_metric'?)"),
    (("band = [0.35, 0.45]", "band = [0.45, 0.35]"), "band: [0.45, 0.35]: low end above high end"),
    (("steps = 52", "steps = 0"), "steps: 0: not a whole number >= 1"),
    (("fitted = [\"performing_standard\"]", "fitted = [\"performing_standart\"]"),
     "fitted: [\"performing_standart\"]: not a list of calibration coefficients"),
    (("scenario = \"office_only\"", "scenario = \"office\""), "office"),
    (("metric = \"share_performing\"", "metric = \"performing\""), "unknown metric"),
    (("target = 0.40", "target = \"forty\""), "target: \"forty\": not a finite number"),
])
def test_bad_target_files_name_file_field_value(tmp_path: Path, change: tuple[str, str],
                                                expected: str) -> None:
    old, new = change
    assert old in GOOD
    path = _write(tmp_path, GOOD.replace(old, new))
    with pytest.raises(TargetError) as err:
        load_target(path)
    text = str(err.value)
    assert str(path) in text and expected in text, text


def test_unknown_lever_and_missing_field(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD.replace("[measure_options]",
                                         "[levers]\nverification_rat = 0.2\n\n[measure_options]"))
    with pytest.raises(TargetError, match="verification_rat.*did you mean 'verification_rate'"):
        load_target(path)
    path = _write(tmp_path, GOOD.replace("unit = \"share\"\n", ""))
    with pytest.raises(TargetError, match="unit: missing"):
        load_target(path)


def test_only_unknown_id_is_an_error() -> None:
    with pytest.raises(TargetError, match="unknown target id.*E99"):
        load_targets(only=["E99"])


# ------------------------------------------------------------------ calibration
def test_blocks_follow_shared_coefficients_and_order() -> None:
    found = [(b.coefficients, [t.id for t in b.targets]) for b in blocks(list(TARGETS.values()))]
    assert found[0] == (["nonuser_preference"], ["T1"])
    assert found[1] == (["temptation_office", "effort_deterrence"], ["O4", "O5"])
    assert found[-1] == (["performing_standard"], ["B40"])
    held_out = {t.id for t in TARGETS.values() if t.role != "calibrated"}
    assert not held_out & {i for _, ids in found for i in ids}


@pytest.mark.slow
def test_calibration_moves_toward_the_target() -> None:
    from dataclasses import replace

    # B40 alone, from a deliberately wrong start: the fit must reduce the loss
    target = replace(TARGETS["B40"], reduced_n_asn=600)
    import flexisim.validation.calibrate as cal

    start = dict(cal.calibration_defaults())
    start["performing_standard"] = 0.7
    original = cal.calibration_defaults
    cal.calibration_defaults = lambda: start  # type: ignore[assignment]
    try:
        result = calibrate([target], replications=2, max_evaluations=8, log=lambda s: None)
    finally:
        cal.calibration_defaults = original  # type: ignore[assignment]
    block = result.blocks[0]
    assert block.objective < block.objective_start
    assert block.fitted["performing_standard"] < 0.7


def test_write_calibration_keeps_comments(tmp_path: Path) -> None:
    src = Path(__file__).parents[1] / "flexisim" / "data" / "calibration.toml"
    copy = tmp_path / "calibration.toml"
    shutil.copy(src, copy)
    write_calibration({"remote_gain": 0.1234}, {"remote_gain": "E1, E6"}, copy)
    text = copy.read_text()
    line = next(ln for ln in text.splitlines() if ln.startswith("remote_gain"))
    assert line.startswith("remote_gain = 0.1234")
    assert "fitted by flexisim calibrate to E1, E6" in line
    write_calibration({"remote_gain": 0.2}, {"remote_gain": "E1, E6"}, copy)
    line = next(ln for ln in copy.read_text().splitlines() if ln.startswith("remote_gain"))
    assert line.count("fitted by") == 1  # re-fitting replaces the tag
    assert len(text.splitlines()) == len(src.read_text().splitlines())



def test_a_calibration_write_cut_off_by_a_full_disk_leaves_the_old_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    src = Path(__file__).parents[1] / "flexisim" / "data" / "calibration.toml"
    copy = tmp_path / "calibration.toml"
    shutil.copy(src, copy)
    before = copy.read_bytes()
    real = Path.write_text

    def half_then_full(self: Path, text: str, *args: object, **kwargs: object) -> int:
        real(self, text[: len(text) // 2], *args, **kwargs)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_text", half_then_full)
    with pytest.raises(OSError):
        write_calibration({"remote_gain": 0.1234}, {"remote_gain": "E1, E6"}, copy)
    assert copy.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["calibration.toml"]  # no temporary left

# ------------------------------------------------------------------ face validity
@pytest.mark.slow
def test_face_validity_machinery() -> None:
    design = load_face()
    assert set(design.remove) == {"measurement", "infrastructure", "trust", "leadership"}
    runs = run_face(design, replications=3, n_asn=1000)
    assert len(runs) == 3 * len(design.configurations())
    verdicts = face_verdicts(design, runs)
    assert len(verdicts) == len(design.remove) + 2 * len(design.alternatives)
    assert np.isfinite(verdicts["performance_change_pct"]).all()
    assert set(verdicts["agrees"]) <= {True, False}
    # the first version's largest effect (a culture of control instead of trust: about -3.4
    # points at full size) came from the approval signal the twin lacked; with a fair twin it
    # is small (docs/validation.md): every comparison has an interval around its estimate
    table = verdicts.set_index("comparison")
    assert (table["performance_change_pct_low"] <= table["performance_change_pct"]).all()
    assert (table["performance_change_pct"] <= table["performance_change_pct_high"]).all()


# ------------------------------------------------------------------ command line
def _cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flexisim.cli", *args], capture_output=True,
                          text=True, timeout=600, cwd=cwd)


@pytest.mark.slow
def test_cli_validate_model_only_writes_report(tmp_path: Path) -> None:
    out = tmp_path / "validation.md"
    proc = _cli("validate-model", "--only", "E13", "--replications", "2", "--workers", "1",
                "--out", str(out), "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert "E13" in proc.stdout and "pass" in proc.stdout
    text = out.read_text()
    assert "| E13 |" in text and "![E13](img/validation/E13.png)" in text
    assert (tmp_path / "img" / "validation" / "E13.png").stat().st_size > 1000


@pytest.mark.slow
def test_cli_validate_model_bad_input() -> None:
    proc = _cli("validate-model", "--only", "E99", "--no-docs")
    assert proc.returncode == 2
    assert "unknown target id(s) ['E99']" in proc.stderr
    proc = _cli("validate-model", "--replications", "0")
    assert proc.returncode == 2 and "whole number >= 1" in proc.stderr


@pytest.mark.slow
def test_cli_exit_code_reports_failure(tmp_path: Path) -> None:
    # a target whose band the model cannot meet: exit 1 (a finding), the table still printed
    text = GOOD.replace("band = [0.35, 0.45]", "band = [0.0, 0.01]").replace(
        "target = 0.40", "target = 0.005").replace("seed = 4001",
                                                   "seed = 4001\nreduced_n_asn = 600")
    folder = tmp_path / "targets"
    folder.mkdir()
    (folder / "b40.toml").write_text(text)
    proc = _cli("validate-model", "--targets", str(folder), "--reduced", "--replications", "2",
                "--workers", "1", "--no-docs", "--quiet")
    assert proc.returncode == 1, proc.stderr
    assert "FAIL" in proc.stdout and "0 of 1 targets inside their band" in proc.stdout


@pytest.mark.slow
def test_cli_report_only_rebuilds_from_saved_runs(tmp_path: Path) -> None:
    saved = tmp_path / "saved"
    saved.mkdir()
    pd.DataFrame({"id": "E13", "replication": [0, 1, 2], "seed": [1, 2, 3], "n_asn": 4000,
                  "value": [0.079, 0.080, 0.081], "wall_time_s": 0.1}).to_csv(
        saved / "targets.csv", index=False)
    out = tmp_path / "v.md"
    proc = _cli("validate-model", "--only", "E13", "--report-only", "--results", str(saved),
                "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "0.080 [0.078, 0.082]" in out.read_text()
    proc = _cli("validate-model", "--only", "E1", "--report-only", "--results", str(saved),
                "--out", str(out))
    assert proc.returncode == 2 and "no runs of ['E1']" in proc.stderr


def test_unpinned_sensitivity_machinery() -> None:
    from flexisim.validation.sensitivity import UNPINNED, run_unpinned, unpinned_table

    runs = run_unpinned(scenarios=("permenpan_4_2025",), replications=2, n_asn=600, steps=26,
                        coefficients=("temptation_remote",))
    table = unpinned_table(runs).set_index("level")
    assert set(table.index) == {"x0.5", "x1.5"}
    # less temptation to idle at home -> more output against the office-only world, and more
    # -> less: the paired differences have opposite signs
    assert table.loc["x0.5", "performance_change_pct"] > 0 > table.loc[
        "x1.5", "performance_change_pct"]
    assert "temptation_remote" in UNPINNED
