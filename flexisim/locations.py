"""Where flexisim finds its scenario and experiment files, and where an install writes.

The files live at the repository's top level (``scenarios/``, ``experiments/``, with the
validation targets in ``experiments/validation/``); a wheel carries copies of them in
``flexisim/_packaged/`` (copied at build time by ``setup.py``), read with
:mod:`importlib.resources`. A folder is looked up in this order (docs/design.md,
"Scenario and experiment files in an install"):

1. an explicit path (a file named on the command line, ``--targets DIR``, ...);
2. ``$FLEXISIM_SCENARIOS`` / ``$FLEXISIM_EXPERIMENTS`` when set and non-empty;
3. ``./scenarios`` / ``./experiments`` in the current directory;
4. the repository's folder beside the package (a source checkout);
5. the copies packaged in the wheel.

A name is looked up file by file (:func:`find_file`): the first folder that holds it wins, so
a ``./scenarios`` of one's own adds to the shipped scenarios (and may override one by giving a
file its name) instead of hiding them; listings (:func:`named_files`) are the union.

Outputs that a source checkout writes into its own tree (``flexisim calibrate --write`` into
``flexisim/data/calibration.toml``, ``flexisim validate-model`` into ``docs/validation.md``)
go to the current directory when flexisim runs from an install: :func:`source_checkout`
tells the two apart.
"""

from __future__ import annotations

import atexit
import contextlib
import os
from importlib import resources
from pathlib import Path
from typing import NamedTuple

__all__ = ["Location", "data_folder", "find_file", "locations", "named_files", "packaged",
           "search_path", "source_checkout"]

PACKAGE = Path(__file__).resolve().parent

#: environment variable naming each kind of folder
ENV = {"scenarios": "FLEXISIM_SCENARIOS", "experiments": "FLEXISIM_EXPERIMENTS"}

_extracted: contextlib.ExitStack | None = None


class Location(NamedTuple):
    """A folder flexisim may read, and what put it there (for messages)."""

    path: Path
    source: str


def source_checkout() -> Path | None:
    """The repository's root when flexisim runs from a source checkout (an editable install or
    ``PYTHONPATH``), else None (a wheel installed in site-packages)."""
    root = PACKAGE.parent
    if ((root / "pyproject.toml").is_file() and (root / "scenarios").is_dir()
            and (root / "experiments").is_dir()):
        return root
    return None


def packaged(kind: str) -> Path | None:
    """The wheel's copy of the repository's folder `kind` (``"scenarios"`` or
    ``"experiments"``), or None when there is none (a source checkout)."""
    global _extracted
    try:
        folder = resources.files("flexisim._packaged").joinpath(kind)
    except ModuleNotFoundError:
        return None
    if not folder.is_dir():
        return None
    if isinstance(folder, Path):
        return folder
    # installed as a zip: extract once, removed when the process ends
    if _extracted is None:
        _extracted = contextlib.ExitStack()
        atexit.register(_extracted.close)
    return Path(_extracted.enter_context(resources.as_file(folder)))


def locations(kind: str) -> list[Location]:
    """Every folder of `kind` in lookup order (steps 2-5 of the module docstring), existing
    or not; the environment variable only when set."""
    found = []
    env = os.environ.get(ENV[kind])
    if env:
        found.append(Location(Path(env), f"${ENV[kind]}"))
    found.append(Location(Path.cwd() / kind, "the current directory"))
    root = source_checkout()
    if root is not None:
        found.append(Location(root / kind, "the source checkout"))
    copy = packaged(kind)
    if copy is not None:
        found.append(Location(copy, "the copy installed with flexisim"))
    return found


def data_folder(kind: str) -> Location:
    """The folder of `kind` to use: ``$FLEXISIM_...`` if set (even if it does not exist: an
    explicit choice is never replaced), else the first existing folder of :func:`locations`,
    else ``./<kind>`` (which does not exist; messages name it)."""
    options = locations(kind)
    if os.environ.get(ENV[kind]):
        return options[0]
    for option in options:
        if option.path.is_dir():
            return option
    return options[0]


def search_path(kind: str) -> list[Location]:
    """The existing folders a name of `kind` is looked up in, in order (each once).

    ``$FLEXISIM_...`` naming a folder that does not exist is the whole search path: an
    explicit choice is reported as missing, never replaced by the shipped files.
    """
    options = locations(kind)
    if os.environ.get(ENV[kind]) and not options[0].path.is_dir():
        return options[:1]
    seen: set[Path] = set()
    found = []
    for option in options:
        try:
            resolved = option.path.resolve()
            exists = option.path.is_dir()
        except OSError:
            continue
        if exists and resolved not in seen:  # ./scenarios of a checkout run from its root
            seen.add(resolved)
            found.append(option)
    return found


def find_file(kind: str, file_name: str) -> Path | None:
    """The file `file_name` in the first folder of :func:`search_path` that holds it."""
    for option in search_path(kind):
        candidate = option.path / file_name
        try:
            if candidate.is_file():
                return candidate
        except (OSError, ValueError):  # a name no file can have (too long, a NUL byte)
            return None
    return None


def named_files(kind: str, suffix: str = ".toml") -> dict[str, Path]:
    """Every ``*<suffix>`` file of the search path by name (its stem), sorted by name; a name
    in an earlier folder hides the same name in a later one."""
    found: dict[str, Path] = {}
    for option in search_path(kind):
        for path in option.path.glob(f"*{suffix}"):
            if path.is_file():
                found.setdefault(path.stem, path)
    return dict(sorted(found.items()))
