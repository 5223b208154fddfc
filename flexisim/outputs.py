"""Output folders of `flexisim run` and `explain`: never delete what flexisim did not write.

A result folder carries a marker file (:data:`MARKER`) naming what wrote it. Writing goes to
a sibling ``<out>.partial`` folder made *before* the simulation (so an output location that
cannot be written is reported at once, not after the work), and is then published file by
file with :func:`os.replace`:

* ``--out`` does not exist: the partial folder is renamed to it;
* it exists, is empty: the files are moved in;
* it exists with the marker (or holds nothing but this command's own files, as written
  before the marker existed) and ``--force``: only flexisim's own files (the ones this
  command writes, and the marker) are replaced; anything else in the folder stays;
* anything else (a non-empty folder without the marker, a file, the current directory or one
  of its parents) is refused with a clear line, ``--force`` or not.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable
from pathlib import Path

from flexisim.errors import UsageError

__all__ = ["MARKER", "prepare", "publish"]

#: the marker of a flexisim result folder
MARKER = ".flexisim-result"


def _problem(out: Path, why: str) -> UsageError:
    return UsageError([f"{out}: {why}"])


def prepare(out: Path, *, force: bool, kind: str, files: Iterable[str] = ()) -> Path:
    """Check ``out`` and make the partial folder to write into; returns it.

    ``files`` are the names the command writes: a folder holding nothing but some of them
    (a result of a flexisim version before the marker) counts as flexisim's too.

    Raises
    ------
    UsageError
        ``out`` may not be written (see the module docstring), or its parent cannot be.
    """
    out = Path(out)
    resolved = out.resolve()
    here = Path.cwd().resolve()
    if resolved == here or resolved in here.parents:
        raise _problem(out, "is the current folder or one of its parents: refusing to write "
                            "results there (choose a new folder for --out)")
    if out.exists() and not out.is_dir():
        raise _problem(out, "exists and is not a folder (choose another --out)")
    if out.is_dir() and any(out.iterdir()):
        earlier = {p.name for p in out.iterdir()} <= set(files)
        if not (out / MARKER).is_file() and not earlier:
            raise _problem(out, "folder is not empty and is not a flexisim result (no "
                                f"{MARKER}): refusing to write into it, with --force or not "
                                "(choose another --out)")
        if not force:
            raise _problem(out, "output folder exists and is not empty (choose another "
                                "--out, or add --force to replace its flexisim files)")
    tmp = out.with_name(out.name + ".partial")
    try:
        if tmp.exists():
            if not (tmp / MARKER).is_file() and any(tmp.iterdir()):
                raise _problem(tmp, "exists and is not flexisim's (no marker): remove it or "
                                    "choose another --out")
            shutil.rmtree(tmp)
        tmp.mkdir(parents=True)
        (tmp / MARKER).write_text(json.dumps({"written_by": f"flexisim {kind}"}) + "\n")
    except OSError as err:
        raise _problem(out, f"cannot be written: {err.strerror or err}") from None
    return tmp


def publish(tmp: Path, out: Path, files: Iterable[str]) -> None:
    """Move ``files`` (and the marker) from the partial folder into ``out``."""
    out = Path(out)
    if not out.exists():
        tmp.rename(out)
        return
    for name in (*files, MARKER):
        os.replace(tmp / name, out / name)
    shutil.rmtree(tmp)
