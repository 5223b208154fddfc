"""Where scenario, experiment and validation files are found, and where an install writes
(flexisim.locations; issue 17 item 1). The wheel itself: tests/test_wheel.py."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from flexisim import locations
from flexisim.errors import ExperimentError, ScenarioError
from flexisim.experiment.definition import experiments_dir, load_experiment
from flexisim.scenario import load_scenario, scenarios_dir
from flexisim.validation.cli import calibration_target, default_report
from flexisim.validation.targets import validation_dir

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _clean(monkeypatch, tmp_path):
    monkeypatch.delenv("FLEXISIM_SCENARIOS", raising=False)
    monkeypatch.delenv("FLEXISIM_EXPERIMENTS", raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def installed(monkeypatch, tmp_path):
    """As from a wheel: no source checkout, the packaged copies in ``pkg/``."""
    pkg = tmp_path / "pkg"
    shutil.copytree(ROOT / "scenarios", pkg / "scenarios")
    shutil.copytree(ROOT / "experiments", pkg / "experiments")
    monkeypatch.setattr(locations, "source_checkout", lambda: None)
    monkeypatch.setattr(locations, "packaged", lambda kind: pkg / kind)
    return pkg


def test_checkout_reads_its_own_folders():
    assert locations.source_checkout() == ROOT
    assert scenarios_dir() == ROOT / "scenarios"
    assert experiments_dir() == ROOT / "experiments"
    assert validation_dir() == ROOT / "experiments" / "validation"
    # a checkout has no packaged copies (the build step makes them)
    assert locations.packaged("scenarios") is None
    assert calibration_target() == ROOT / "flexisim" / "data" / "calibration.toml"
    assert default_report() == ROOT / "docs" / "validation.md"


def test_lookup_order(tmp_path, monkeypatch, installed):
    assert scenarios_dir() == installed / "scenarios"  # last: the packaged copies
    assert validation_dir() == installed / "experiments" / "validation"
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "experiments").mkdir()
    assert scenarios_dir() == tmp_path / "scenarios"  # ./scenarios before them
    assert experiments_dir() == tmp_path / "experiments"
    # ./experiments without validation/: the targets come from the next folder that has them
    assert validation_dir() == installed / "experiments" / "validation"
    own = tmp_path / "own"
    monkeypatch.setenv("FLEXISIM_SCENARIOS", str(own))
    monkeypatch.setenv("FLEXISIM_EXPERIMENTS", str(own))
    assert scenarios_dir() == own and experiments_dir() == own  # the variable first ...
    monkeypatch.setenv("FLEXISIM_SCENARIOS", "")
    assert scenarios_dir() == tmp_path / "scenarios"  # ... when set and non-empty


def test_checkout_folder_before_packaged(tmp_path, monkeypatch):
    pkg = tmp_path / "pkg"
    (pkg / "scenarios").mkdir(parents=True)
    monkeypatch.setattr(locations, "packaged", lambda kind: pkg / kind)
    assert scenarios_dir() == ROOT / "scenarios"
    assert [loc.source for loc in locations.locations("scenarios")] == [
        "the current directory", "the source checkout", "the copy installed with flexisim"]


def test_a_folder_of_one_s_own_adds_to_the_shipped_files(installed, tmp_path, capsys):
    """A ./scenarios or ./experiments of one's own does not hide the shipped files: a name is
    looked up file by file (the referee's case: a variant extending the default, in a folder
    that holds only it), a file of one's own overrides a shipped one by its name, and the
    listing is the union."""
    from flexisim.cli import main

    own = tmp_path / "scenarios"
    own.mkdir()
    (own / "mine.toml").write_text('description = "mine"\nextends = "permenpan_4_2025"\n'
                                   '[oversight]\nverification_rate = 0.4\n')
    (own / "office_only.toml").write_text('description = "my office"\n')
    assert load_scenario("mine").values["verification_rate"] == 0.4
    default = load_scenario("permenpan_4_2025")
    assert default.path == installed / "scenarios" / "permenpan_4_2025.toml"
    assert load_scenario("office_only").description == "my office"  # one's own first
    assert main(["scenarios"]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    shipped = sorted(p.stem for p in (installed / "scenarios").glob("*.toml"))
    assert listed == sorted({*shipped, "mine"})
    (tmp_path / "experiments").mkdir()
    (tmp_path / "experiments" / "notes.toml").write_text("not an experiment")
    assert load_experiment("quick").name == "quick"
    with pytest.raises(ScenarioError) as err:
        load_scenario("no_such_scenario")
    assert err.value.problems[0].endswith(
        "; looked in scenarios (the current directory); pkg/scenarios (the copy installed "
        "with flexisim))")


def test_a_missing_folder_named_by_the_variable_is_reported_not_replaced(installed, tmp_path,
                                                                       monkeypatch):
    monkeypatch.setenv("FLEXISIM_SCENARIOS", str(tmp_path / "typo"))
    with pytest.raises(ScenarioError) as err:
        load_scenario("permenpan_4_2025")
    assert err.value.problems == [
        "permenpan_4_2025: file not found (no scenario files; looked in typo "
        "($FLEXISIM_SCENARIOS))"]


def test_installed_runs_from_the_packaged_copies(installed):
    assert load_scenario().name == "permenpan_4_2025"
    assert load_scenario("trust_but_verify").values["verification_rate"] > 0  # extends works
    assert load_experiment("quick").name == "quick"


def test_unknown_names_say_where_they_looked(installed, tmp_path):
    with pytest.raises(ScenarioError) as err:
        load_scenario("no_such_scenario")
    (message,) = err.value.problems
    assert message.startswith("no_such_scenario: file not found (available scenarios: ")
    # the folder relative to the current directory when inside it
    assert message.endswith("; looked in pkg/scenarios (the copy installed with flexisim))")
    with pytest.raises(ExperimentError) as err:
        load_experiment("no_such_experiment")
    assert "the copy installed with flexisim" in err.value.problems[0]


def test_no_folder_anywhere_names_every_place(monkeypatch, tmp_path):
    monkeypatch.setattr(locations, "source_checkout", lambda: None)
    monkeypatch.setattr(locations, "packaged", lambda kind: None)
    with pytest.raises(ScenarioError) as err:
        load_scenario("permenpan_4_2025")
    assert err.value.problems == [
        "permenpan_4_2025: file not found (no scenario files; looked in scenarios (the "
        "current directory))"]


def test_install_writes_to_the_current_folder(installed):
    assert calibration_target() == Path("calibration.toml")
    assert calibration_target(Path("x.toml")) == Path("x.toml")
    assert default_report() == Path("validation") / "validation.md"


def test_calibrate_write_outside_the_package(tmp_path):
    from importlib import resources

    from flexisim.params import calibration_preset
    from flexisim.validation.calibrate import write_calibration

    installed = Path(str(resources.files("flexisim.data").joinpath("calibration.toml")))
    before = installed.read_bytes()
    out = tmp_path / "calibration.toml"
    write_calibration({"approval_slope": 7.5}, {"approval_slope": "T1"}, path=out,
                      base=installed)
    assert installed.read_bytes() == before
    values = calibration_preset(str(out))
    assert values["approval_slope"] == 7.5
    assert "fitted by flexisim calibrate to T1" in out.read_text()


def test_dashboard_command_line():
    from flexisim.cli import build_parser
    from flexisim.launch import solara_command

    args = build_parser().parse_args(["dashboard"])
    assert (args.host, args.port, args.open) == ("127.0.0.1", 8765, False)
    command = solara_command("127.0.0.1", 9000)
    assert command[1:5] == ["-m", "solara", "run", "flexisim.dashboard_app"]
    assert {"--production", "--no-check-version", "--no-open"} <= set(command)
    assert command[command.index("--port") + 1] == "9000"


def test_report_names_targets_in_an_install(installed, tmp_path):
    from flexisim.validation.report import _shown, code_version

    assert code_version().endswith(", installed (no commit)")
    shipped = installed / "experiments" / "validation" / "e1_bloom_wfh.toml"
    assert _shown(shipped) == "experiments/validation/e1_bloom_wfh.toml"
    assert _shown(tmp_path / "mine" / "x.toml") == str(tmp_path / "mine" / "x.toml")


@pytest.mark.parametrize("port", ["0", "70000", "http"])
def test_dashboard_refuses_a_bad_port(port, capsys):
    from flexisim.cli import main

    assert main(["dashboard", "--port", port]) == 2
    assert "argument --port:" in capsys.readouterr().err


def test_dashboard_on_a_busy_port_is_one_line_and_exit_2(capsys):
    """Refused before Solara starts (which would print that it is starting, then fail; a
    browser at that port would show the other program's page)."""
    import socket

    from flexisim.cli import main

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["dashboard", "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert err == (f"dashboard: port {port} is already in use on 127.0.0.1 (another dashboard, "
                   "or another program); choose a free one with --port\n")


def test_dashboard_on_an_unknown_host_is_one_line_and_exit_2(capsys):
    from flexisim.cli import main

    assert main(["dashboard", "--host", "no-such-host.invalid"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("dashboard: --host no-such-host.invalid: unknown address (")
    assert err.count("\n") == 1
