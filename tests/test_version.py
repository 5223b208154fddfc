"""flexisim's version comes from git through setuptools-scm (issue 17, docs/design.md
"Version numbers"): a PEP 440 version, the one provenance records, the live one in a checkout
(an editable install's metadata is frozen at install time), the fallback without git."""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
from packaging.version import Version

import flexisim
from flexisim import provenance as prov

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def fresh_version():
    prov.package_version.cache_clear()
    yield
    prov.package_version.cache_clear()


def test_the_version_is_pep_440_and_what_provenance_records():
    version = prov.package_version()
    assert str(Version(version)) == version  # valid and normalised
    assert flexisim.__version__ == version
    assert prov.provenance()["package_version"] == version
    from flexisim import __version__

    assert __version__ == version


def test_in_this_checkout_the_version_is_the_live_one_of_setuptools_scm():
    setuptools_scm = pytest.importorskip("setuptools_scm")
    assert prov.git_state()[0] is not None, "the tests run from a source checkout"
    assert prov.package_version() == setuptools_scm.get_version(
        root=str(ROOT), fallback_version=prov.FALLBACK_VERSION)
    commit = prov.git_state()[0]
    assert f"+g{commit[:7]}" in prov.package_version() or "+" not in prov.package_version()


def test_the_fallback_is_the_one_pyproject_declares():
    scm = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools_scm"]
    assert scm["fallback_version"] == prov.FALLBACK_VERSION
    assert str(Version(prov.FALLBACK_VERSION)) == prov.FALLBACK_VERSION


def test_without_git_or_install_the_fallback(monkeypatch, fresh_version):
    monkeypatch.setattr(prov, "git_state", lambda: (None, None))
    monkeypatch.setattr(prov, "_installed_version", lambda: None)
    assert prov.package_version() == prov.FALLBACK_VERSION
    prov.package_version.cache_clear()
    monkeypatch.setattr(prov, "_installed_version", lambda: "0.2.0")
    assert prov.package_version() == "0.2.0"  # a wheel: its metadata


def test_metadata_naming_the_clean_head_is_used_without_setuptools_scm(monkeypatch,
                                                                       fresh_version):
    import sys

    monkeypatch.setattr(prov, "git_state", lambda: ("abc1234def" + "0" * 30, False))
    monkeypatch.setattr(prov, "_installed_version", lambda: "0.1.dev9+gabc1234de")
    monkeypatch.setitem(sys.modules, "setuptools_scm", None)  # import fails if tried
    assert prov.package_version() == "0.1.dev9+gabc1234de"
    prov.package_version.cache_clear()
    # another commit (the install is stale) and no setuptools-scm: the installed version
    monkeypatch.setattr(prov, "git_state", lambda: ("fff" + "0" * 37, False))
    assert prov.package_version() == "0.1.dev9+gabc1234de"


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
@pytest.mark.filterwarnings("ignore:.*is shallow:UserWarning")
def test_a_tree_without_git_and_a_shallow_clone_give_a_version(tmp_path):
    setuptools_scm = pytest.importorskip("setuptools_scm")
    bare = tmp_path / "tarball"
    bare.mkdir()
    shutil.copy(ROOT / "pyproject.toml", bare / "pyproject.toml")
    assert setuptools_scm.get_version(root=str(bare),
                                      fallback_version=prov.FALLBACK_VERSION) == "0.1.dev0"
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", ROOT.as_uri(), str(shallow)],
                   check=True, capture_output=True, timeout=120)
    version = setuptools_scm.get_version(root=str(shallow),
                                         fallback_version=prov.FALLBACK_VERSION)
    assert str(Version(version)) == version
