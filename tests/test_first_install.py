"""The first install shows its progress and compiles the kernels once, with a message
(issue 17): flexisim.warmup, and tools/venv.sh's stamp (./run.sh, ./test.sh)."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from flexisim import warmup

ROOT = Path(__file__).resolve().parents[1]


def test_warm_up_runs_every_kernel_and_prints_the_message():
    from flexisim.engine import KERNELS

    out = io.StringIO()
    seconds = warmup.warm_up(out, message=True)
    lines = out.getvalue().splitlines()
    assert lines[0] == warmup.MESSAGE
    assert lines[0].startswith("Compiling the simulation kernels once (about ")
    assert lines[1].startswith("Kernels compiled and cached in ")
    assert seconds > 0
    assert sum(bool(k._entries) for k in KERNELS.values()) >= 10  # compiled or loaded
    quiet = io.StringIO()
    warmup.warm_up(quiet, message=False)
    assert quiet.getvalue() == ""


def test_a_cold_cache_is_told_by_its_missing_index_files(tmp_path, monkeypatch):
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    a, b = tmp_path / "mechanisms", tmp_path / "engine"
    (a / "__pycache__").mkdir(parents=True)
    b.mkdir()
    assert warmup.cache_is_cold((a, b))
    (a / "__pycache__" / "x.compiled-12.py312.nbc").write_bytes(b"")
    assert warmup.cache_is_cold((a, b))  # data without an index: not a cache numba reads
    (a / "__pycache__" / "x.kernel-12.py312.nbi").write_bytes(b"")
    assert not warmup.cache_is_cold((a, b))
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "elsewhere"))
    assert not warmup.cache_is_cold((tmp_path / "empty",))  # kept elsewhere: not claimed


def test_the_message_is_printed_only_when_cold(monkeypatch):
    out = io.StringIO()
    monkeypatch.setattr(warmup, "cache_is_cold", lambda: False)
    assert not warmup.notice_if_cold(out) and out.getvalue() == ""
    monkeypatch.setattr(warmup, "cache_is_cold", lambda: True)
    assert warmup.notice_if_cold(out) and out.getvalue() == warmup.MESSAGE + "\n"


def test_the_checkout_cache_is_warm():
    # ./test.sh and this suite ran the kernels beside the sources (unless numba keeps its
    # cache elsewhere, which cache_is_cold never claims to be cold)
    assert not warmup.cache_is_cold()


FAKE_PYTHON = """#!/usr/bin/env bash
echo "$*" >> "$CALLS"
if [ "$1 $2" = "-m pip" ] && [ "$3" = install ] && [ "$4" != --quiet ]; then
    echo "Requirement already satisfied: numpy"
    echo "Collecting mesa"
    echo "Successfully installed flexisim"
    exit "${PIP_STATUS:-0}"
fi
if [ "$1 $2" = "-m flexisim.warmup" ]; then exit "${WARM_STATUS:-0}"; fi
"""


def _fake_checkout(tmp: Path) -> Path:
    """A folder with a pyproject.toml and a .venv whose python logs its calls; the stamp."""
    (tmp / ".venv" / "bin").mkdir(parents=True)
    python = tmp / ".venv" / "bin" / "python"
    python.write_text(FAKE_PYTHON)
    python.chmod(0o755)
    (tmp / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    return tmp / ".venv" / ".flexisim-installed"


def _ensure(tmp: Path, extras: str = "", **env: str) -> tuple[list[str], str]:
    calls = tmp / "calls.txt"
    calls.unlink(missing_ok=True)
    done = subprocess.run(["bash", "-c", f'set -euo pipefail; source "{ROOT}/tools/venv.sh"; '
                           f'ensure_venv "{extras}"'], cwd=tmp, capture_output=True, text=True,
                          timeout=60, check=False,
                          env={**os.environ, "CALLS": str(calls), **env})
    assert done.returncode == int(env.get("PIP_STATUS", "0")), done.stderr
    lines = calls.read_text().splitlines() if calls.exists() else []
    return lines, done.stderr


@pytest.mark.skipif(shutil.which("bash") is None or shutil.which("sha256sum") is None,
                    reason="needs bash and sha256sum")
def test_venv_sh_installs_with_progress_warms_once_and_then_skips(tmp_path):
    stamp = _fake_checkout(tmp_path)

    calls, err = _ensure(tmp_path)  # first run: install (pip's lines shown), then warm up
    assert [c.split()[:3] for c in calls] == [["-m", "pip", "install"]] * 2 + [
        ["-m", "flexisim.warmup"]]
    assert "--progress-bar on" in calls[1] and "--quiet" not in calls[1]
    assert "Installing flexisim into .venv (first run only" in err
    assert "Collecting mesa" in err and "Successfully installed flexisim" in err
    assert "Requirement already satisfied" not in err
    assert stamp.read_text().splitlines()[1:] == ["warm"]

    assert _ensure(tmp_path) == ([], "")  # nothing changed: nothing run
    calls, _ = _ensure(tmp_path, "dev")  # the test tools asked for: install and warm again
    assert "-e .[dev]" in calls[1] and calls[-1] == "-m flexisim.warmup"
    assert _ensure(tmp_path, "dev")[0] == [] and _ensure(tmp_path)[0] == []

    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'y'\n")  # changed: reinstall
    assert len(_ensure(tmp_path)[0]) == 3


@pytest.mark.skipif(shutil.which("bash") is None or shutil.which("sha256sum") is None,
                    reason="needs bash and sha256sum")
def test_venv_sh_failures(tmp_path):
    stamp = _fake_checkout(tmp_path)

    _ensure(tmp_path, PIP_STATUS="1")  # a failed install: no stamp, no warm-up
    assert not stamp.exists()
    calls, err = _ensure(tmp_path, WARM_STATUS="1")  # a failed warm-up is not fatal...
    assert "warm-up failed" in err and len(stamp.read_text().splitlines()) == 1
    assert _ensure(tmp_path)[0] == ["-m flexisim.warmup"]  # ...and is tried again
    assert _ensure(tmp_path)[0] == []


@pytest.mark.parametrize("cold", [True, False])
def test_flexisim_run_says_it_compiles_when_the_cache_is_cold(tmp_path, monkeypatch, capsys,
                                                              cold):
    from flexisim.cli import main

    monkeypatch.setattr(warmup, "cache_is_cold", lambda: cold)
    assert main(["run", "--steps", "1", "--asn", "600", "--out", str(tmp_path / "r")]) == 0
    err = capsys.readouterr().err
    assert (warmup.MESSAGE in err) is cold
    assert err.count(warmup.MESSAGE) <= 1
    assert main(["run", "--steps", "1", "--asn", "600", "--quiet", "--force",
                 "--out", str(tmp_path / "r")]) == 0
    assert warmup.MESSAGE not in capsys.readouterr().err  # --quiet: nothing
