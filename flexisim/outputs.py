"""Output locations of `flexisim run`, `explain`, `validate-model` and `calibrate`: checked
before the work, never half-written, never deleting what flexisim did not write.

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

A location under a regular file, on a read-only filesystem or with less than
:data:`MIN_FREE_BYTES` free is refused before the work too (:func:`prepare`,
:func:`check_location`). A disk that fills up while the files are written is reported as
"disk full" (:func:`writing`), and the partial folder is removed: nothing is left behind.
All of these are :class:`~flexisim.errors.FolderError` (exit status 2).
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from flexisim.errors import FolderError, format_where

__all__ = ["MARKER", "MIN_FREE_BYTES", "check_location", "disk_full_reported", "discarded",
           "prepare", "publish", "writing"]

#: the marker of a flexisim result folder
MARKER = ".flexisim-result"

#: free space an output location needs before the work starts: a run writes about 0.5 MB
#: (a 5,200-week one about 3 MB), a decomposition less; below this the disk is as good as
#: full, and finding out after an hour's simulation is what this check is for
MIN_FREE_BYTES = 8 * 1024 * 1024

#: the errors of a full disk (or a full quota)
_FULL = (errno.ENOSPC, errno.EDQUOT)


def _problem(out: Path, why: str) -> FolderError:
    return FolderError([format_where(str(out), None, why)])


def _free_space(folder: Path, out: Path) -> None:
    """Refuse `out` if the filesystem of `folder` (an existing folder) is (nearly) full."""
    try:
        free = shutil.disk_usage(folder).free
    except OSError:  # no statistics (some network filesystems): writing will tell
        return
    if free < MIN_FREE_BYTES:
        raise _problem(out, f"disk full: {free / 1e6:.1f} MB free (allowed: at least "
                            f"{MIN_FREE_BYTES / 1e6:.0f} MB free; free some space or choose "
                            "another location)")


def _unwritable(out: Path, err: OSError, when: str = "") -> FolderError:
    """The line for an error of the filesystem at `out`; `when` says when it was met."""
    if err.errno in _FULL:
        return _problem(out, f"disk full{when}: {err.strerror or err}; free some space or "
                             "choose another location")
    return _problem(out, f"cannot be written{when}: {err.strerror or err}")


def prepare(out: Path, *, force: bool, kind: str, files: Iterable[str] = ()) -> Path:
    """Check ``out`` and make the partial folder to write into; returns it.

    ``files`` are the names the command writes: a folder holding nothing but some of them
    (a result of a flexisim version before the marker) counts as flexisim's too.

    Raises
    ------
    FolderError
        ``out`` may not be written (see the module docstring), or its parent cannot be: it
        is under a file, on a read-only filesystem, its name is too long, or its disk has
        less than :data:`MIN_FREE_BYTES` free. Nothing is left behind.
    """
    out = Path(out)
    try:
        resolved = out.resolve()
        here = Path.cwd().resolve()
        if resolved == here or resolved in here.parents:
            raise _problem(out, "is the current folder or one of its parents: refusing to "
                                "write results there (choose a new folder for --out)")
        if out.exists() and not out.is_dir():
            raise _problem(out, "exists and is not a folder (choose another --out)")
        if out.is_dir() and any(out.iterdir()):
            earlier = {p.name for p in out.iterdir()} <= set(files)
            if not (out / MARKER).is_file() and not earlier:
                raise _problem(out, "folder is not empty and is not a flexisim result (no "
                                    f"{MARKER}): refusing to write into it, with --force or "
                                    "not (choose another --out)")
            if not force:
                raise _problem(out, "output folder exists and is not empty (choose another "
                                    "--out, or add --force to replace its flexisim files)")
    except OSError as err:  # a name too long for the filesystem, a folder we may not list
        raise _unwritable(out, err) from None
    tmp = out.with_name(out.name + ".partial")
    try:
        if tmp.exists():
            if not (tmp / MARKER).is_file() and any(tmp.iterdir()):
                raise _problem(tmp, "exists and is not flexisim's (no marker): remove it or "
                                    "choose another --out")
            shutil.rmtree(tmp)
        tmp.mkdir(parents=True)
    except OSError as err:
        raise _unwritable(out, err) from None
    with discarded(tmp):
        try:
            (tmp / MARKER).write_text(json.dumps({"written_by": f"flexisim {kind}"}) + "\n")
        except OSError as err:
            raise _unwritable(out, err) from None
        _free_space(tmp, out)
    return tmp


def check_location(path: Path, *, folder: bool) -> None:
    """Check, writing nothing that stays, that `path` can be written: a file (``folder``
    False) or a folder to be made or filled.

    The nearest existing folder on the way is probed with a temporary file, removed at
    once: permissions alone do not say whether a filesystem is read-only or full.

    Raises
    ------
    FolderError
        `path` is a folder where a file is expected (or a file where a folder is), lies
        under a regular file, cannot be written there, or its disk has less than
        :data:`MIN_FREE_BYTES` free.
    """
    path = Path(path)
    try:
        if path.exists() and path.is_dir() != folder:
            raise _problem(path, "is a folder, not a file" if not folder
                           else "exists and is not a folder")
        existing = path if folder else path.parent
        while not existing.exists():
            existing = existing.parent
        if not existing.is_dir():
            raise _problem(path, f"cannot be written: {existing} is a file, not a folder")
        handle, probe = tempfile.mkstemp(dir=existing, prefix=".flexisim-probe-")
        os.close(handle)
        os.unlink(probe)
        if not folder and path.exists():  # opened for writing, not truncated: unchanged
            os.close(os.open(path, os.O_WRONLY))
    except OSError as err:
        raise _unwritable(path, err) from None
    _free_space(existing, path)


@contextmanager
def discarded(tmp: Path) -> Iterator[None]:
    """Remove the partial folder `tmp` if the block fails in any way (an error, Ctrl-C)."""
    try:
        yield
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


@contextmanager
def disk_full_reported(out: Path) -> Iterator[None]:
    """A full disk met in the block becomes a :class:`~flexisim.errors.FolderError` naming
    the file being written (or `out`), not a traceback; other errors pass."""
    try:
        yield
    except OSError as err:
        if err.errno not in _FULL:
            raise
        where = Path(err.filename) if isinstance(err.filename, str | Path) else out
        raise _unwritable(where, err, " while writing") from None


@contextmanager
def writing(tmp: Path, out: Path) -> Iterator[None]:
    """Around writing the files of `out` into the partial folder `tmp` and publishing them:
    any failure removes `tmp`; a full disk, or any other error of the filesystem, is a
    :class:`~flexisim.errors.FolderError` saying that nothing was written."""
    with discarded(tmp):
        try:
            yield
        except OSError as err:
            raise _unwritable(out, err, " while writing the results (nothing written)"
                              ) from None


def publish(tmp: Path, out: Path, files: Iterable[str]) -> None:
    """Move ``files`` (and the marker) from the partial folder into ``out``."""
    out = Path(out)
    if not out.exists():
        tmp.rename(out)
        return
    for name in (*files, MARKER):
        os.replace(tmp / name, out / name)
    shutil.rmtree(tmp)
