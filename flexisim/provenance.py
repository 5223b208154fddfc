"""What made a result: the model's code and calibration, the commit, the libraries.

Every run's record and every results folder carry :func:`provenance`. Two hashes decide
whether results may be mixed (a resumed sweep refuses a folder started with other ones):

* :func:`code_hash` -- the model: the package's Python sources and data files, except the
  calibration (hashed apart) and the dashboard (a view: editing it changes no run). Docs,
  tests and benchmarks are outside the package, so editing them never blocks a resume.
* :func:`calibration_hash` -- ``flexisim/data/calibration.toml``, the behavioural
  coefficients that ``flexisim calibrate --write`` rewrites.

The version (:func:`package_version`) comes from git through setuptools-scm: the installed
metadata's in a wheel, the checkout's own (``git describe``) in a source checkout, where an
editable install's metadata keeps the version of the day it was installed.

The commit and its dirty flag come from git when the package runs from a source checkout
(``None`` otherwise); they are recorded, not compared: the hashes already say whether the
model differs, and a commit that only touched docs must not block a resume.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import platform
import re
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = ["FALLBACK_VERSION", "calibration_hash", "code_hash", "git_state", "package_version",
           "provenance", "utc_now"]

_PACKAGE = Path(__file__).resolve().parent
_CALIBRATION = _PACKAGE / "data" / "calibration.toml"
#: parts of the package that are not the model (relative to the package folder)
_NOT_MODEL = ("dashboard",)
#: the model's data: files of ``data/`` with these suffixes (not editor backups, ``.DS_Store``
#: and the like, which would refuse a legitimate resume)
_DATA_SUFFIXES = (".toml", ".csv", ".json")
#: data files read by the dashboard only (the levers' sources in Bahasa Indonesia)
_NOT_MODEL_DATA = ("lever_sources_id.json",)
#: the libraries whose versions can change a run's numbers
LIBRARIES = ("numpy", "numba", "scipy", "SALib", "pandas", "pyarrow", "mesa")


def _model_files() -> list[Path]:
    """The package's Python sources and the model's data files (``data/``), calibration and
    dashboard excepted: what can change a run's numbers."""
    files = []
    for path in sorted(_PACKAGE.rglob("*")):
        rel = path.relative_to(_PACKAGE)
        if not path.is_file() or rel.parts[0] in _NOT_MODEL or "__pycache__" in rel.parts:
            continue
        data = (rel.parts[0] == "data" and path.suffix in _DATA_SUFFIXES
                and path.name not in _NOT_MODEL_DATA and path != _CALIBRATION)
        if path.suffix == ".py" or data:
            files.append(path)
    return files


@functools.cache
def code_hash() -> str:
    """Hash of the model's code and data (16 hex digits; see the module docstring)."""
    digest = hashlib.sha256()
    for path in _model_files():
        digest.update(path.relative_to(_PACKAGE).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


@functools.cache
def calibration_hash() -> str:
    """Hash of ``flexisim/data/calibration.toml`` (16 hex digits)."""
    return hashlib.sha256(_CALIBRATION.read_bytes()).hexdigest()[:16]


@functools.cache
def git_state() -> tuple[str | None, bool | None]:
    """``(commit, dirty)`` of the source checkout the package runs from, or ``(None, None)``.

    ``dirty``: tracked files differ from the commit (untracked files are ignored).
    """
    root = _PACKAGE.parent
    if not (root / ".git").exists():
        return None, None
    try:
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], check=True,
                                capture_output=True, text=True, timeout=10).stdout.strip()
        status = subprocess.run(["git", "-C", str(root), "status", "--porcelain",
                                 "--untracked-files=no"], check=True, capture_output=True,
                                text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None, None
    return commit, bool(status.strip())


#: the version of a tree without git metadata and without an install (pyproject.toml,
#: ``[tool.setuptools_scm] fallback_version``; tests check that the two agree)
FALLBACK_VERSION = "0.1.dev0"


def _installed_version() -> str | None:
    try:
        return metadata.version("flexisim")
    except metadata.PackageNotFoundError:
        return None


@functools.cache
def package_version() -> str:
    """flexisim's version (PEP 440), as setuptools-scm derives it from git.

    From an install (a wheel): the version in its metadata. From a source checkout: the
    checkout's version now -- ``0.1.devN+g<commit>``, with ``.d<date>`` when tracked files are
    modified -- since an editable install's metadata keeps the version of its install day.
    When the metadata already names the current commit of a clean checkout it is used as it
    is; otherwise setuptools-scm computes it (the ``dev`` extra and ./run.sh's .venv have it;
    without it the installed version stands, and ``commit`` in :func:`provenance` says
    which code ran). Without git metadata and without an install: :data:`FALLBACK_VERSION`.
    """
    installed = _installed_version()
    commit, dirty = git_state()
    if commit is None:
        return installed or FALLBACK_VERSION
    node = re.search(r"\+g([0-9a-f]{7,40})$", installed or "")
    if node and commit.startswith(node.group(1)) and not dirty:
        return installed  # type: ignore[return-value]
    try:
        import setuptools_scm
    except ImportError:
        return installed or FALLBACK_VERSION
    try:
        return setuptools_scm.get_version(root=str(_PACKAGE.parent),
                                          fallback_version=FALLBACK_VERSION)
    except Exception:  # noqa: BLE001 - a broken git must not stop a run
        return installed or FALLBACK_VERSION


def utc_now() -> str:
    """The time now, UTC, ISO 8601 to the second: ``2026-12-03T08:15:02Z``."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@functools.cache
def _versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def provenance() -> dict[str, Any]:
    """What made a result, as JSON-able data.

    Keys: ``package_version``, ``code_hash``, ``calibration_hash``, ``commit`` and ``dirty``
    (``None`` outside a source checkout), ``versions`` (Python and :data:`LIBRARIES`).
    """
    commit, dirty = git_state()
    return {"package_version": package_version(), "code_hash": code_hash(),
            "calibration_hash": calibration_hash(), "commit": commit, "dirty": dirty,
            "versions": dict(_versions())}
