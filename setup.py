"""Build step of flexisim (metadata: pyproject.toml).

The repository keeps its scenario and experiment files at the top level (``scenarios/``,
``experiments/`` with the validation targets in ``experiments/validation/``), where people edit
them. A wheel must run without the repository, so ``build_py`` copies both folders into the
built package as ``flexisim/_packaged/scenarios/`` and ``flexisim/_packaged/experiments/``
(read with importlib.resources by flexisim.locations, the last place looked). An editable
install (``pip install -e .``, what ./run.sh and ./test.sh use) copies nothing: it reads the
folders of the checkout itself. Why a build step and not a ``package-dir`` mapping or
``data-files``: docs/design.md, "Scenario and experiment files in an install".
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
#: top-level folders copied into the wheel, and the files of them that are data
FOLDERS = ("scenarios", "experiments")
SUFFIXES = (".toml", ".md")


def _data_files() -> list[tuple[Path, Path]]:
    """(source, path inside the package) of every file to copy, sorted."""
    files = []
    for name in FOLDERS:
        source = ROOT / name
        if not source.is_dir():
            raise SystemExit(f"setup.py: {source} is missing: cannot build flexisim without "
                             f"its {name}/ folder (an sdist must include it: MANIFEST.in)")
        for path in sorted(source.rglob("*")):
            rel = path.relative_to(source)
            if (path.is_file() and path.suffix in SUFFIXES and "__pycache__" not in rel.parts
                    and not any(part.startswith(".") for part in rel.parts)):
                files.append((path, Path("flexisim", "_packaged", name, rel)))
    return files


class BuildPyWithData(build_py):
    """``build_py`` that also copies scenarios/ and experiments/ into the package."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        # a fresh copy: a file since deleted from the source must not linger in build/
        for name in FOLDERS:
            stale = Path(self.build_lib, "flexisim", "_packaged", name)
            if stale.is_dir():
                shutil.rmtree(stale)
        for source, rel in _data_files():
            target = Path(self.build_lib) / rel
            self.mkpath(str(target.parent))
            self.copy_file(str(source), str(target), preserve_mode=False)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        outputs = list(super().get_outputs(include_bytecode))
        if not getattr(self, "editable_mode", False):
            outputs += [str(Path(self.build_lib) / rel) for _, rel in _data_files()]
        return outputs


setup(cmdclass={"build_py": BuildPyWithData})
