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

__all__ = ["Location", "data_folder", "locations", "packaged", "source_checkout"]

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
