"""Build step of flexisim (metadata: pyproject.toml).

The repository keeps its scenario and experiment files at the top level (``scenarios/``,
``experiments/`` with the validation targets in ``experiments/validation/``), where people edit
them. A wheel must run without the repository, so ``build_py`` copies both folders into the
built package as ``flexisim/_packaged/scenarios/`` and ``flexisim/_packaged/experiments/``
(read with importlib.resources by flexisim.locations, the last place looked). An editable
install (``pip install -e .``, what ./run.sh and ./test.sh use) copies nothing: it reads the
folders of the checkout itself. Why a build step and not a ``package-dir`` mapping or
``data-files``: docs/design.md, "Scenario and experiment files in an install".

The long description is README.md with its relative links and images made absolute
(:func:`long_description`): on a package index they would point nowhere.
"""

from __future__ import annotations

import re
import shutil
import subprocess
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

#: The project's public repository, the base of the long description's absolute links
#: (GitHub's layout: ``/blob/<ref>/`` shows a file, ``/raw/<ref>/`` serves an image). Neither
#: CITATION.cff nor pyproject.toml names a repository yet: this is the one place to change
#: when it is published (then add it to CITATION.cff as ``repository-code`` and to
#: ``[project.urls]``).
REPOSITORY_URL = "https://github.com/flexisim/flexisim"
#: files served raw (shown as images), the others as pages
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp")
#: a Markdown link or image target: ``](target`` (a title after a space is kept)
_TARGET = re.compile(r"\]\((?P<target>[^)\s]+)")
#: an HTML ``src=`` or ``href=`` attribute
_ATTRIBUTE = re.compile(r"""(?P<attr>\b(?:src|href)=)(?P<quote>["'])(?P<target>[^"']+)(?P=quote)""")


def _is_relative(target: str) -> bool:
    return not re.match(r"^(?:[a-z][a-z0-9+.-]*:|#|//)", target, re.IGNORECASE)


def absolute_url(target: str, ref: str, base: str = REPOSITORY_URL) -> str:
    """`target`, a path relative to the repository's root (``docs/ODD.md#warm-up``), as a
    URL of the repository at `ref`; other targets (URLs, ``#anchors``) unchanged."""
    if not _is_relative(target):
        return target
    path, hash_, fragment = target.partition("#")
    path = path.removeprefix("./")
    kind = "raw" if path.lower().endswith(IMAGE_SUFFIXES) else "blob"
    return f"{base.rstrip('/')}/{kind}/{ref}/{path}{hash_}{fragment}"


def absolute_links(markdown: str, ref: str, base: str = REPOSITORY_URL) -> str:
    """`markdown` with every relative link and image (Markdown ``](...)``, HTML ``src=`` and
    ``href=``) made absolute (:func:`absolute_url`); fenced code blocks are left as they are."""
    out, fenced = [], False
    for line in markdown.splitlines(keepends=True):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        elif not fenced:
            line = _TARGET.sub(lambda m: "](" + absolute_url(m["target"], ref, base), line)
            line = _ATTRIBUTE.sub(lambda m: m["attr"] + m["quote"]
                                  + absolute_url(m["target"], ref, base) + m["quote"], line)
        out.append(line)
    return "".join(out)


def _ref() -> str:
    """The commit being built (links then show the files as they were), else ``main``."""
    if (ROOT / ".git").exists():
        try:
            return subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], check=True,
                                  capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            pass
    return "main"


def long_description() -> str:
    """README.md for a package index: relative links and images made absolute."""
    return absolute_links((ROOT / "README.md").read_text(encoding="utf-8"), _ref())


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


if __name__ == "__main__":  # setuptools runs setup.py as __main__; tests import it
    setup(cmdclass={"build_py": BuildPyWithData}, long_description=long_description(),
          long_description_content_type="text/markdown")
