"""The wheel runs everything from an empty folder (issue 17, item 1).

Builds the wheel (``pip wheel --no-deps .``), installs it with ``--no-deps`` into a fresh venv
and runs the commands a researcher would, in an empty temporary folder: ``flexisim
scenarios``, ``flexisim run --steps 2 --asn 600``, ``FlexiworkModel(rng=1)``, the validation
targets, ``flexisim sweep quick`` and ``flexisim dashboard`` (until its page answers 200).

The fresh venv does not download the dependencies again: a ``.pth`` file adds the main
venv's site-packages to its ``sys.path`` *as a plain folder*. Python processes ``.pth`` files
only in its own site folders, so the repository's editable install (``__editable__*.pth`` and
its finder in the main venv) stays invisible, and ``import flexisim`` finds the wheel's copy:
the test checks that it does. The dependencies' data files (Jupyter's and Solara's under
``etc/`` and ``share/``, which the dashboard reads from ``sys.prefix``) are linked from the
main venv too. Takes about two to three minutes (most of it compiling the model's kernels
afresh for the new install); marked slow.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]


def _tail(text: str, n: int = 40) -> str:
    return "\n".join(text.splitlines()[-n:])


def _step(name: str, command: list[str], *, cwd: Path, env: dict[str, str],
          timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run one step; fail the test naming the step, the command and its output's end."""
    try:
        done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"step '{name}' took more than {timeout:.0f} s: {' '.join(command)}\n"
                    f"{_tail(str(exc.stdout or ''))}\n{_tail(str(exc.stderr or ''))}")
    if done.returncode != 0:
        pytest.fail(f"step '{name}' failed (exit {done.returncode}): {' '.join(command)}\n"
                    f"--- stdout\n{_tail(done.stdout)}\n--- stderr\n{_tail(done.stderr)}")
    return done


def _package_files(site: Path) -> set[str]:
    """The installed package's files, caches left out (numba writes its cache there)."""
    return {str(p.relative_to(site)) for p in (site / "flexisim").rglob("*")
            if p.is_file() and "__pycache__" not in p.parts}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_page(url: str, proc: subprocess.Popen[str], timeout: float) -> tuple[int, bytes]:
    """Poll `url` until it answers 200 (or the server exits, or `timeout` passes)."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return -1, f"the server exited with status {proc.returncode}".encode()
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:  # 500: the app failed to load; keep the reason
            last = f"HTTP {exc.code}"
        except OSError as exc:  # not listening yet
            last = exc
        time.sleep(0.5)
    return 0, f"no answer within {timeout:.0f} s (last: {last})".encode()


def test_wheel_runs_everything_from_an_empty_folder(tmp_path):
    start = time.perf_counter()
    base_env = {k: v for k, v in os.environ.items()
                if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "FLEXISIM_SCENARIOS",
                             "FLEXISIM_EXPERIMENTS", "PYTHONSTARTUP")}

    # 1. build the wheel
    dist = tmp_path / "dist"
    _step("build the wheel", [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
                              "-w", str(dist), str(ROOT)], cwd=ROOT, env=base_env)
    wheels = sorted(dist.glob("flexisim-*.whl"))
    assert len(wheels) == 1, f"expected one flexisim wheel in {dist}, found {wheels}"
    wheel = wheels[0]
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        metadata = next(zf.read(n).decode() for n in names if n.endswith(".dist-info/METADATA"))
    for required in ("flexisim/_packaged/scenarios/permenpan_4_2025.toml",
                     "flexisim/_packaged/experiments/quick.toml",
                     "flexisim/_packaged/experiments/validation/e1_bloom_wfh.toml",
                     "flexisim/_packaged/experiments/validation/face/face_validity.toml",
                     "flexisim/_packaged/experiments/validation/notes.md",
                     "flexisim/dashboard_app.py", "flexisim/data/calibration.toml"):
        assert required in names, f"the wheel lacks {required}"
    shipped = {p.name for p in (ROOT / "scenarios").glob("*.toml")}
    packed = {Path(n).name for n in names if n.startswith("flexisim/_packaged/scenarios/")}
    assert packed == shipped, f"scenarios in the wheel differ: {sorted(packed ^ shipped)}"
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names), "no LICENSE"
    assert "License-Expression: MIT" in metadata
    # the long description: README.md with absolute links (setup.py, tests/test_readme.py)
    assert "Description-Content-Type: text/markdown" in metadata
    assert "](docs/" not in metadata and "](https://" in metadata
    # the version comes from git (setuptools-scm): the checkout's, PEP 440
    from packaging.version import Version

    built = next(line.split(":", 1)[1].strip() for line in metadata.splitlines()
                 if line.startswith("Version:"))
    assert str(Version(built)) == built
    try:
        import setuptools_scm
    except ImportError:
        pass
    else:
        from flexisim.provenance import FALLBACK_VERSION

        assert built == setuptools_scm.get_version(root=str(ROOT),
                                                   fallback_version=FALLBACK_VERSION)
    # the dashboard's packages are the `dashboard` extra, not core dependencies
    requires = [line.split(":", 1)[1].strip() for line in metadata.splitlines()
                if line.startswith("Requires-Dist:")]
    core = [r for r in requires if "extra ==" not in r]
    dashboard = [r for r in requires if r.replace("'", '"').endswith('extra == "dashboard"')]
    assert "Provides-Extra: dashboard" in metadata
    assert any(r.startswith("mesa[network]") for r in core), core
    assert not [r for r in core if r.startswith(("solara", "ipyvue", "mesa[rec]"))], core
    for name in ("mesa[rec]", "solara==1.58.2", "solara-assets==1.58.2", "ipyvue", "ipyvuetify"):
        assert any(r.replace(" ", "").startswith(name) for r in dashboard), (name, dashboard)

    # 2. a fresh venv: the wheel installed without dependencies, which come from the main
    #    venv's site-packages as a plain folder on sys.path (its .pth files, the editable
    #    install's among them, are not processed)
    venv = tmp_path / "venv"
    _step("create the venv", [sys.executable, "-m", "venv", "--without-pip", str(venv)],
          cwd=tmp_path, env=base_env)
    python = venv / "bin" / "python"
    # with the dashboard extra, as the README says for a workshop laptop (--no-deps: the
    # extra's packages are the main venv's, checked below before the dashboard runs)
    _step("install the wheel", [sys.executable, "-m", "pip", "--python", str(python),
                                "install", "--no-deps", "--no-index", "-q",
                                f"flexisim[dashboard] @ {wheel.as_uri()}"],
          cwd=tmp_path, env=base_env)
    site = Path(_step("find the venv's site-packages",
                      [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()"
                       "['purelib'])"], cwd=tmp_path, env=base_env).stdout.strip())
    main_site = Path(sysconfig.get_paths()["purelib"])
    (site / "_flexisim_test_dependencies.pth").write_text(f"{main_site}\n")
    for folder in ("etc", "share"):  # the dependencies' data files (Jupyter, Solara)
        if (Path(sys.prefix) / folder).is_dir():
            (venv / folder).symlink_to(Path(sys.prefix) / folder)
    before = _package_files(site)

    empty = tmp_path / "empty"
    empty.mkdir()
    env = dict(base_env, PATH=f"{venv / 'bin'}{os.pathsep}{base_env.get('PATH', '')}")
    flexisim = str(venv / "bin" / "flexisim")

    # 3. the wheel's copy is the one imported, and it is not a source checkout
    where = _step("import the wheel's flexisim", [str(python), "-c", (
        "import flexisim, json; from flexisim.locations import source_checkout; "
        "from flexisim.scenario import scenarios_dir; "
        "from flexisim.experiment.definition import experiments_dir; "
        "from flexisim.validation.targets import validation_dir; "
        "from flexisim.provenance import provenance; "
        "print(json.dumps({'file': flexisim.__file__, 'checkout': str(source_checkout()), "
        "'version': flexisim.__version__, 'recorded': provenance()['package_version'], "
        "'scenarios': str(scenarios_dir()), 'experiments': str(experiments_dir()), "
        "'validation': str(validation_dir())}))")], cwd=empty, env=env)
    found = json.loads(where.stdout)
    assert Path(found["file"]).resolve().is_relative_to(site.resolve()), (
        f"imported {found['file']}, not the wheel's copy in {site}")
    assert found["checkout"] == "None"
    assert found["version"] == found["recorded"] == built  # the wheel's metadata
    for kind in ("scenarios", "experiments", "validation"):
        assert Path(found[kind]).resolve().is_relative_to((site / "flexisim" / "_packaged")
                                                          .resolve()), found

    # 4. the commands, from the empty folder
    listed = _step("flexisim scenarios", [flexisim, "scenarios"], cwd=empty, env=env)
    assert "permenpan_4_2025" in listed.stdout and "trust_but_verify" in listed.stdout

    missing = subprocess.run([flexisim, "run", "no_such_scenario"], cwd=empty, env=env,
                             capture_output=True, text=True, timeout=300, check=False)
    assert missing.returncode == 2, missing.stderr
    assert "no_such_scenario: file not found (available scenarios: " in missing.stderr
    assert "the copy installed with flexisim" in missing.stderr, missing.stderr

    _step("flexisim run", [flexisim, "run", "--steps", "2", "--asn", "600", "--quiet"],
          cwd=empty, env=env)
    summaries = list((empty / "results").glob("*/summary.json"))
    assert len(summaries) == 1, f"expected one run under results/, found {summaries}"
    assert json.loads(summaries[0].read_text())["steps"] == 2

    model = _step("FlexiworkModel(rng=1) and the validation targets", [str(python), "-c", (
        "from flexisim.model import FlexiworkModel; m = FlexiworkModel(rng=1, n_asn=600); "
        "m.step(); from flexisim.validation import load_targets; "
        "from flexisim.validation.cli import calibration_target, default_report; "
        "print(len(load_targets()), calibration_target(), default_report())")],
        cwd=empty, env=env)
    count, calibration, report = model.stdout.split()
    assert int(count) == len(list((ROOT / "experiments" / "validation").glob("*.toml")))
    assert (calibration, report) == ("calibration.toml", "validation/validation.md")

    sweep = _step("flexisim sweep quick", [flexisim, "sweep", "quick", "--workers", "2"],
                  cwd=empty, env=env)
    assert "8 runs done (0 failed)" in sweep.stdout + sweep.stderr
    assert (empty / "results" / "quick" / "experiment.toml").is_file()

    # 5. the dashboard answers (its extra's packages are there)
    extra = _step("the dashboard extra is installed", [str(python), "-c", (
        "from flexisim.launch import missing_dashboard; print(missing_dashboard())")],
        cwd=empty, env=env)
    assert extra.stdout.strip() == "[]", extra.stdout
    port = _free_port()
    log = tmp_path / "dashboard.log"
    with log.open("w") as out:
        proc = subprocess.Popen([flexisim, "dashboard", "--port", str(port)], cwd=empty,
                                env=env, stdout=out, stderr=subprocess.STDOUT, text=True)
        try:
            status, body = _wait_for_page(f"http://127.0.0.1:{port}/", proc, timeout=180)
            asset = b""
            if status == 200:  # our chart assets are served: the app module set itself up
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/assets/custom.js",
                                            timeout=10) as response:
                    asset = response.read()
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=30)
    if status != 200:
        pytest.fail(f"step 'flexisim dashboard': the page did not load ({status}: "
                    f"{body[:200]!r})\n{_tail(log.read_text())}")
    assert b"<html" in body.lower()
    assert asset == (ROOT / "flexisim" / "dashboard" / "assets" / "custom.js").read_bytes()

    # 6. nothing was written into site-packages (caches aside), and the empty folder holds
    #    only what the commands wrote there
    assert _package_files(site) == before, sorted(_package_files(site) ^ before)
    assert sorted(p.name for p in empty.iterdir()) == ["results"]
    shutil.rmtree(venv)
    print(f"wheel smoke test: {time.perf_counter() - start:.0f} s")
