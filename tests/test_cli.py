"""The `flexisim` command end to end: listing, validation, runs and every kind of bad input."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from flexisim.cli import main
from flexisim.scenario import load_scenario, scenarios_dir

FLEXISIM = [sys.executable, "-m", "flexisim.cli"]


def cli(*args: str) -> tuple[int, str, str]:
    """Run the real command in a subprocess: exit status, stdout, stderr."""
    done = subprocess.run([*FLEXISIM, *args], capture_output=True, text=True, timeout=300)
    return done.returncode, done.stdout, done.stderr


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


# ------------------------------------------------------------------------ scenarios
def test_scenarios_lists_every_file_with_a_description(capsys):
    assert main(["scenarios"]) == 0
    out = capsys.readouterr().out.splitlines()
    names = sorted(p.stem for p in scenarios_dir().glob("*.toml"))
    assert [line.split()[0] for line in out] == names
    assert all(len(line.split(maxsplit=1)) == 2 for line in out)  # each has a description


def test_scenarios_shows_a_files_description_safely(tmp_path, monkeypatch, capsys):
    # a description is a file's text: escape codes must not reach the terminal, and a huge
    # one is cut with its length shown
    (tmp_path / "hostile.toml").write_text(
        'description = "red \\u001b[31m alert"\n')
    (tmp_path / "long.toml").write_text(f'description = "{"d" * 5000}"\n')
    monkeypatch.setenv("FLEXISIM_SCENARIOS", str(tmp_path))
    assert main(["scenarios"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\\x1b[31m" in out
    long_line = next(line for line in out.splitlines() if line.startswith("long"))
    assert len(long_line) < 400 and "5,000 characters" in long_line


# ------------------------------------------------------------------------ validate
def test_validate_good_file(capsys):
    assert main(["validate", str(scenarios_dir() / "trust_but_verify.toml")]) == 0
    assert "OK" in capsys.readouterr().out


BAD_FILES = {
    "unknown_key": ('[oversight]\nverfication_rate = 0.3\n',
                    "oversight.verfication_rate: 0.3: unknown field (did you mean "
                    "'verification_rate'?)"),
    "wrong_type": ('[flexiwork]\nmax_flex_days = "two"\n',
                   "flexiwork.max_flex_days: \"two\""),
    "out_of_range": ('[oversight]\nverification_rate = 1.5\n',
                     "oversight.verification_rate: 1.5: above the maximum (allowed: a number "
                     "from 0.0 to 1.0)"),
    "malformed": ('[oversight]\nverification_rate = = 0.3\n', "line 2"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_validate_bad_file_exit_2_with_one_precise_line(tmp_path, capsys, case):
    text, expected = BAD_FILES[case]
    path = write(tmp_path / f"{case}.toml", text)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith(str(path))
    assert expected in err[0]


def test_validate_missing_file_and_circular_extends(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "nope.toml")]) == 2
    assert "file not found" in capsys.readouterr().err
    write(tmp_path / "a.toml", 'extends = "b.toml"\n')
    write(tmp_path / "b.toml", 'extends = "a.toml"\n')
    assert main(["validate", str(tmp_path / "a.toml")]) == 2
    assert "circular extends" in capsys.readouterr().err


def test_validate_reports_every_problem(tmp_path, capsys):
    path = write(tmp_path / "many.toml",
                 '[oversight]\nverification_rate = 2.0\n[leadership]\ntrust_culture = -1\n')
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2


# ------------------------------------------------------------------------ run: bad input
@pytest.mark.parametrize("args, expected", [
    (["--steps", "0"], "steps: 0: below the minimum"),
    (["--asn", "100"], "n_asn: 100: below the minimum (allowed: an integer from 600"),
    (["--seed", "-3"], "seed: -3: below the minimum"),
    (["--steps", "abc"], "invalid int value: 'abc'"),
    (["no_such_scenario"], "no_such_scenario: file not found (available scenarios:"),
    (["trust_but_verfy"], "trust_but_verfy: file not found (did you mean 'trust_but_verify'?) "
                          "(available scenarios:"),
])
def test_run_bad_input_exit_2_and_writes_nothing(tmp_path, capsys, args, expected):
    out = tmp_path / "out"
    assert main(["run", *args, "--out", str(out)]) == 2
    assert expected in capsys.readouterr().err
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_run_refuses_a_non_empty_output_folder(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("precious")
    assert main(["run", "--steps", "2", "--asn", "800", "--out", str(out)]) == 2
    assert "not empty" in capsys.readouterr().err
    assert (out / "keep.txt").read_text() == "precious"


def test_bad_scenario_file_in_run_writes_nothing(tmp_path, capsys):
    path = write(tmp_path / "bad.toml", '[leadership]\ntrust_cultur = 0.5\n')
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out)]) == 2
    assert "did you mean 'trust_culture'" in capsys.readouterr().err
    assert not out.exists()


# ------------------------------------------------------------------------ run: end to end
def assert_provenance(record: dict) -> None:
    """What made a run folder, as a sweep's folder records it (issue 17 item 2)."""
    from flexisim.provenance import LIBRARIES, provenance

    assert record["provenance"] == provenance()  # hashes, commit and dirty flag, versions
    assert set(record["provenance"]["versions"]) == {"python", *LIBRARIES}
    assert len(record["provenance"]["code_hash"]) == 16
    assert record["provenance"]["commit"]  # a source checkout
    for key in ("started_utc", "ended_utc"):
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", record[key]), key
    assert record["started_utc"] <= record["ended_utc"]


def test_run_writes_the_results_folder(tmp_path, capsys):
    out = tmp_path / "res"
    assert main(["run", "trust_but_verify", "--steps", "14", "--seed", "9", "--asn", "1200",
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Performance vs office-only twin" in printed
    assert sorted(p.name for p in out.iterdir()) == [".flexisim-result", "overview.png",
                                                     "scenario.toml", "summary.json",
                                                     "timeseries.csv"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["scenario"] == "trust_but_verify"
    assert summary["seed"] == 9 and summary["steps"] == 14 and summary["n_asn"] == 1200
    assert_provenance(summary)
    ts = pd.read_csv(out / "timeseries.csv", index_col="step")
    assert len(ts) == 14 and "performance_counterfactual" in ts
    assert (out / "overview.png").stat().st_size > 50_000  # a real multi-panel figure
    # the scenario as run is a valid scenario file with the same identity
    again = load_scenario(out / "scenario.toml")
    assert again.hash == summary["scenario_hash"]


def test_a_scenario_outside_the_rules_is_marked_by_validate_and_run(tmp_path, capsys):
    assert main(["validate", "wfh_2020_decree", "permenpan_4_2025"]) == 0
    printed = capsys.readouterr().out.splitlines()
    notes = [line for line in printed if "note: outside Permenpan RB No. 4/2025" in line]
    assert len(notes) == 2 and all(n.startswith("wfh_2020_decree: ") for n in notes)
    out = tmp_path / "res"
    assert main(["run", "three_flexible_days", "--steps", "2", "--asn", "600",
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "! outside Permenpan RB No. 4/2025: a cap of 3 flexible days a week" in printed
    summary = json.loads((out / "summary.json").read_text())
    assert "3 flexible days" in summary["outside_rules"]
    assert main(["run", "permenpan_4_2025", "--steps", "2", "--asn", "600",
                 "--out", str(tmp_path / "inside")]) == 0
    assert "outside Permenpan" not in capsys.readouterr().out


def test_run_with_a_calibration_preset_records_it(tmp_path, capsys):
    out = tmp_path / "oecd"
    assert main(["run", "office_only", "--steps", "2", "--asn", "600", "--out", str(out),
                 "--calibration", "trust_oecd", "--quiet"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["calibration"] == "trust_oecd"
    assert summary["calibration_overrides"]["trust_anchor_mean"] == 0.5
    default = tmp_path / "default"
    assert main(["run", "office_only", "--steps", "2", "--asn", "600", "--out", str(default),
                 "--quiet"]) == 0
    other = json.loads((default / "summary.json").read_text())
    assert other["calibration_overrides"] == {}
    assert other["public_trust_start"] != summary["public_trust_start"]


@pytest.mark.parametrize("text, expected", [
    (None, "no_such_preset: no such calibration preset or file (presets: trust_oecd)"),
    ("score_wel = 0.5\n", "score_wel: unknown calibration coefficient (did you mean "
                           "'score_well'?)"),
    ("score_well = -1\n", "score_well: -1: not allowed (a finite number >= 0)"),
    ("score_well = = 1\n", "not a valid TOML file of coefficients"),
])
def test_a_bad_calibration_is_refused_before_the_run(tmp_path, capsys, text, expected):
    spec = "no_such_preset"
    if text is not None:
        spec = str(write(tmp_path / "cal.toml", text))
    out = tmp_path / "res"
    code, stdout, stderr = cli("run", "--steps", "2", "--asn", "600", "--out", str(out),
                               "--calibration", spec)
    assert code == 2 and expected in stderr, stderr
    assert not out.exists()


@pytest.mark.slow
def test_the_installed_command_runs_the_default_scenario(tmp_path):
    """The real entry point in a subprocess; default scenario; same seed -> same summary."""
    outs = []
    for name in ("a", "b"):
        code, stdout, stderr = cli("run", "--steps", "6", "--asn", "1000",
                                   "--out", str(tmp_path / name))
        assert code == 0, stderr
        assert "Traceback" not in stderr
        outs.append(json.loads((tmp_path / name / "summary.json").read_text()))
    assert outs[0]["scenario"] == "permenpan_4_2025"
    for key in ("performance_change_pct", "public_trust_end", "shirking_rate"):
        assert outs[0][key] == outs[1][key]
    code, _, stderr = cli("run", "--steps", "0")
    assert code == 2 and "Traceback" not in stderr


def test_run_by_path_with_extends_from_another_folder(tmp_path, capsys):
    variant = write(tmp_path / "my_variant.toml",
                    'description = "more checks"\nextends = "permenpan_4_2025"\n'
                    '[oversight]\nverification_rate = 0.4\n')
    out = tmp_path / "o"
    assert main(["run", str(variant), "--steps", "3", "--asn", "700", "--out", str(out)]) == 0
    scenario = load_scenario(out / "scenario.toml")
    assert scenario.values["verification_rate"] == 0.4
    shutil.rmtree(out)


# ----------------------------------------------------------- never delete what we did not write
def _run(out, *extra):
    return main(["run", "--steps", "2", "--asn", "1000", "--seed", "1", "--quiet",
                 "--out", str(out), *extra])


def test_force_replaces_only_flexisims_own_files(tmp_path):
    out = tmp_path / "res"
    assert _run(out) == 0
    thesis = out / "thesis.docx"
    thesis.write_text("two years of work")
    before = (out / "summary.json").read_text()
    assert _run(out, "--seed", "2", "--force") == 0
    assert thesis.read_text() == "two years of work"  # untouched
    assert (out / "summary.json").read_text() != before  # replaced (another seed)
    assert not out.with_name("res.partial").exists()


def test_force_refuses_a_folder_flexisim_did_not_write(tmp_path, capsys):
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep")
    assert _run(foreign, "--force") == 2
    assert "not a flexisim result" in capsys.readouterr().err
    assert [p.name for p in foreign.iterdir()] == ["notes.txt"]


def test_out_of_the_current_folder_or_a_parent_is_refused(tmp_path, monkeypatch, capsys):
    work = tmp_path / "work"
    work.mkdir()
    (work / "data.csv").write_text("x")
    monkeypatch.chdir(work)
    for out in (".", ".."):
        assert _run(Path(out), "--force") == 2
        assert "current folder or one of its parents" in capsys.readouterr().err
    assert (work / "data.csv").read_text() == "x"


def test_an_unwritable_output_location_is_reported_before_the_simulation(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("a file, not a folder")
    assert _run(blocker / "res") == 2
    err = capsys.readouterr().err
    assert "cannot be written" in err and "Traceback" not in err


def test_output_cut_off_by_its_reader_is_not_a_traceback() -> None:
    # `flexisim scenarios | head -0`: the reader is gone before the first line (it closes
    # the pipe while the command is still importing: the list is written to a closed pipe)
    proc = subprocess.Popen([sys.executable, "-m", "flexisim.cli", "scenarios"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()
    err = proc.stderr.read()
    proc.wait(timeout=120)
    assert b"Traceback" not in err and b"BrokenPipeError" not in err, err
    assert proc.returncode == 141
