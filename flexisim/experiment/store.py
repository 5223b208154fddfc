"""The results folder of a sweep: three Parquet datasets written one part file per run.

Layout::

    DIR/experiment.json   the definition's hash and canonical form (the folder's identity)
    DIR/experiment.toml   a copy of the experiment file as given
    DIR/points.parquet    the design points (parameter values and SALib coordinates)
    DIR/runs/part-<run id>.parquet        one row: id, point, replication, seed, parameters,
                                          status, error, wall time of the run itself (not the
                                          writing of its files), version, scenario hash
    DIR/timeseries/part-<run id>.parquet  one row per week of a successful run
    DIR/summary/part-<run id>.parquet     one row of scalar outcomes of a successful run

``pandas.read_parquet(DIR / "runs")`` reads a whole dataset.

Exactly once
------------
Every file is written under a hidden temporary name (``.tmp-...``, which Parquet readers
skip), flushed to the disk (``fsync``), and then given its name -- :func:`os.replace` for
the timeseries and summary parts, an exclusive ``os.link`` for the ``runs`` part -- after
which the folder itself is flushed, so a run that counts as done survives a power cut too.
A reader sees either no file or the complete file. A run's ``runs`` part is written *last*,
so it is the run's commit record, and it is never overwritten: a second driver that ran the
same run (a driver paused past its claim's expiry, a Dask retry after a lost worker) finds
the record there and keeps it. A sweep killed at any moment (SIGKILL included) therefore
leaves each run either committed, or with at most some ``timeseries``/``summary`` parts and
no ``runs`` part; the next sweep re-runs the latter, and because part names are the run id,
the rerun's parts *replace* the stale ones instead of adding a second copy.
``experiment.json`` (the identity) is written first, the same way; a folder that holds
nothing but a killed driver's temporary files counts as empty.

Which driver runs which run is decided by :mod:`flexisim.experiment.claims` (the
``drivers/`` and ``claims/`` folders). Provenance: each run records the hashes of the model
code and calibration it ran with (:mod:`flexisim.provenance`), and a folder refuses a driver
whose hashes differ from those it was started with.
"""

from __future__ import annotations

import errno
import json
import os
import socket
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from flexisim.errors import FolderError
from flexisim.experiment.definition import Experiment

__all__ = ["DATASETS", "RUN_TAIL", "FolderError", "ResultStore", "StoreWriteError",
           "VOLATILE", "atomic_write", "run_id", "runs_schema", "write_error_reason",
           "write_part"]

DATASETS = ("runs", "timeseries", "summary")
_TMP_PREFIX = ".tmp-"
#: this host, in temporary files' names: ``.tmp-<host>~<pid>~<random>~<name>`` says who writes
#: it, so that a cleanup removes only the files of writers that are gone (a host name has no
#: "~")
_HOST = socket.gethostname()
#: age (s) after which any temporary file is an abandoned one, whoever wrote it (the same
#: bound as a driver's lock, flexisim.experiment.claims.STALE_S)
_TMP_STALE_S = 120.0


def abandoned(tmp: Path, now: float | None = None) -> bool:
    """Whether the temporary file ``tmp`` was left by a writer that is gone: a process of
    this host that no longer exists, or any file older than :data:`_TMP_STALE_S`."""
    host, named, rest = tmp.name[len(_TMP_PREFIX):].partition("~")
    if not named:  # no writer in its name: left by an older flexisim, which cannot be
        return True  # running here (a folder refuses other code)
    pid = rest.partition("~")[0]
    if host == _HOST and pid.isdigit():
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            pass
    try:
        return (now or time.time()) - tmp.stat().st_mtime > _TMP_STALE_S
    except FileNotFoundError:
        return False
_IDENTITY = "experiment.json"
#: names of a results folder's own bookkeeping (left by a killed driver: not results)
_BOOKKEEPING = ("drivers", "claims", "compact", *DATASETS)
#: columns of the ``runs`` dataset that say when and where a run ran: they differ between two
#: executions of the same run, every other column is bit-identical
VOLATILE = ("wall_time_s", "worker", "started_utc", "ended_utc")
#: the last columns of the ``runs`` dataset, after the parameters and factor levers
RUN_TAIL = (("status", pa.string()), ("error", pa.string()), ("wall_time_s", pa.float64()),
            ("package_version", pa.string()), ("code_hash", pa.string()),
            ("calibration_hash", pa.string()), ("scenario_hash", pa.string()),
            ("worker", pa.string()), ("started_utc", pa.string()), ("ended_utc", pa.string()))


class StoreWriteError(RuntimeError):
    """The results folder could not be written (a full disk, a read-only file system).

    Not the run's failure: the run is not recorded, and the sweep stops.
    """

    @classmethod
    def from_os_error(cls, folder: Path, rid: str, exc: OSError) -> StoreWriteError:
        return cls(f"{folder}: cannot write the results of run {rid}: "
                   f"{write_error_reason(exc)} ({exc})")


#: why a write to a results folder failed, in words, by errno
_WRITE_ERRORS = {errno.ENOSPC: "disk full", errno.EDQUOT: "disk quota exceeded",
                 errno.EROFS: "read-only file system", errno.EACCES: "permission denied"}


def write_error_reason(exc: OSError) -> str:
    """Why writing failed: ``disk full``, ``read-only file system``, ... or the error's text."""
    return _WRITE_ERRORS.get(exc.errno, exc.strerror or type(exc).__name__)


def run_id(point: int, replication: int) -> str:
    """The id of a run: ``p000012-r03`` (sorts in design order)."""
    return f"p{point:06d}-r{replication:03d}"


_ARROW_TYPES = {"float": pa.float64(), "int": pa.int64(), "bool": pa.bool_(),
                "str": pa.string(), "list[str]": pa.string(), "factor": pa.string()}


def runs_schema(experiment: Experiment) -> pa.Schema:
    """Schema of the ``runs`` dataset: fixed columns, then one per parameter and factor lever.

    Declared up front so that every part file has the same schema (a failed run's empty
    columns would otherwise be typed ``null`` and the dataset would not read as one table).
    """
    from flexisim.scenario import LEVERS

    fields = [pa.field("run_id", pa.string()), pa.field("point_id", pa.int32()),
              pa.field("replication", pa.int32()), pa.field("seed", pa.int64())]
    for param in experiment.parameters:
        fields.append(pa.field(param.name, _ARROW_TYPES[param.lever_type]))
    for param in experiment.parameters:
        if param.kind == "factor":  # the levers a factor sets, for tools that need numbers
            for lever in param.sets[param.values[0]]:
                fields.append(pa.field(lever, _ARROW_TYPES[LEVERS[lever].type]))
    fields += [pa.field(name, kind) for name, kind in RUN_TAIL]
    return pa.schema(fields)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, write: Callable[[Path], None], *, overwrite: bool = True,
                 durable: bool = True) -> bool:
    """Write ``path`` through ``write(tmp)`` atomically and durably; True if written.

    ``write`` fills a temporary file beside ``path``; it is flushed to the disk, given its
    name (:func:`os.replace`, or with ``overwrite=False`` an ``os.link`` that keeps an
    existing file and returns False), and the folder is flushed too (``durable=False``: no
    flushing, for files that need not survive a power cut). On any error the temporary
    file is removed.
    """
    tmp = path.with_name(f"{_TMP_PREFIX}{_HOST}~{os.getpid()}~{uuid.uuid4().hex[:8]}~"
                         f"{path.name}")
    try:
        write(tmp)
        if durable:
            _fsync(tmp)
        if overwrite:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)
            except FileExistsError:
                return False
    finally:
        tmp.unlink(missing_ok=True)
    if durable:
        _fsync(path.parent)
    return True


def write_part(folder: Path, dataset: str, rid: str, table: pa.Table, *,
               overwrite: bool = True) -> bool:
    """Write one run's part file atomically and durably (see :func:`atomic_write`)."""
    return atomic_write(folder / dataset / f"part-{rid}.parquet",
                        lambda tmp: pq.write_table(table, tmp, compression="zstd"),
                        overwrite=overwrite)


class ResultStore:
    """The results folder of one experiment.

    Parameters
    ----------
    folder : Path
        The output folder (created by :meth:`prepare`).
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    # ------------------------------------------------------------------ identity
    def identity(self) -> dict[str, Any] | None:
        """The stored ``experiment.json``, or None if there is none."""
        path = self.folder / _IDENTITY
        if not path.is_file():
            return None
        return json.loads(path.read_text())

    def _empty(self) -> bool:
        """Nothing in the folder but what a driver killed before the identity was named left."""
        for entry in self.folder.iterdir():
            if entry.name.startswith((_TMP_PREFIX, ".stale-")):
                continue
            if entry.name in ("drivers", "claims"):
                continue  # who was running: no results
            if entry.name in DATASETS and entry.is_dir() and not any(
                    p for p in entry.iterdir() if not p.name.startswith(_TMP_PREFIX)):
                continue
            return False
        return True

    def check(self, experiment: Experiment, points_hash: str) -> None:
        """Refuse a folder that holds anything but this experiment's results, or holds them
        from another model or calibration.

        Raises
        ------
        FolderError
            If the folder is a file, or is non-empty without ``experiment.json``, or
            ``experiment.json`` names another definition (the differing parts listed), or
            was started with other model code or calibration (:mod:`flexisim.provenance`).
        """
        f = self.folder
        if f.exists() and not f.is_dir():
            raise FolderError([f"{f}: exists and is not a folder (choose another --out)"])
        if not f.exists() or self._empty():
            return
        stored = self.identity()
        if stored is None:
            raise FolderError([f"{f}: not empty and not a flexisim results folder "
                               "(no experiment.json); choose another --out"])
        mine = _identity(experiment, points_hash)
        if stored.get("hash") == mine["hash"]:
            _check_provenance(f, stored.get("provenance"))
            return
        lines = [f"{f}: holds results of a different experiment definition "
                 f"({stored.get('name')!r}, hash {stored.get('hash')}; this one is "
                 f"{experiment.name!r}, hash {mine['hash']}); results are never mixed: "
                 "choose another --out, or delete the folder to start again"]
        old, new = stored.get("spec", {}), mine["spec"]
        for key in sorted(set(old) | set(new)):
            if old.get(key) != new.get(key):
                lines.append(f"{f}: differs in {key}: "
                             + _diff(old.get(key), new.get(key)))
        if stored.get("points_hash") != points_hash and len(lines) == 1:
            lines.append(f"{f}: differs in the design points (another SALib or SciPy version "
                         "samples differently)")
        raise FolderError(lines)

    def prepare(self, experiment: Experiment, points: pd.DataFrame, points_hash: str,
                source_text: str | None = None, *, alone: bool = True) -> None:
        """Create the folder (or accept an existing one of the same experiment).

        With ``alone`` (no other driver is live on the folder), leftover temporary files of
        a killed sweep are removed: they were never renamed, so they belong to no committed
        run. With other drivers live they may be those drivers' files being written.
        """
        self.check(experiment, points_hash)
        f = self.folder
        f.mkdir(parents=True, exist_ok=True)
        # identity first: whatever a kill leaves behind is then recognisably this experiment's
        stored = self.identity()
        if stored is None or stored.get("analysis") != experiment.analysis:
            # the analysis settings are not part of the identity: keep the latest ones, and
            # the provenance the folder was started with
            identity = _identity(experiment, points_hash)
            if stored is not None:
                identity["provenance"] = stored.get("provenance")
                identity["created_utc"] = stored.get("created_utc")
            _atomic_text(f / _IDENTITY, json.dumps(identity, indent=1, sort_keys=True) + "\n")
        if not (f / "points.parquet").is_file():
            table = pa.Table.from_pandas(points, preserve_index=False)
            atomic_write(f / "points.parquet", lambda tmp: pq.write_table(table, tmp))
        if source_text is not None and not (f / "experiment.toml").is_file():
            _atomic_text(f / "experiment.toml", source_text)
        for name in DATASETS:
            (f / name).mkdir(exist_ok=True)
        if alone:
            # a driver starting at the same moment may be writing one right now: only those
            # whose writer is gone
            for sub in ("", *_BOOKKEEPING):
                for tmp in (f / sub).glob(_TMP_PREFIX + "*"):
                    if abandoned(tmp):
                        tmp.unlink(missing_ok=True)

    # ------------------------------------------------------------------ contents
    def finished(self) -> set[str]:
        """Ids of committed runs (those with a ``runs`` part), from file names alone."""
        folder = self.folder / "runs"
        if not folder.is_dir():
            return set()
        return {p.name[len("part-"):-len(".parquet")] for p in folder.glob("part-*.parquet")}

    def failed(self) -> set[str]:
        """Ids of committed runs whose status is ``failed``."""
        if not self.finished():
            return set()
        runs = pd.read_parquet(self.folder / "runs", columns=["run_id", "status"])
        return set(runs.loc[runs["status"] != "ok", "run_id"])

    def read(self, dataset: str, columns: list[str] | None = None) -> pd.DataFrame:
        """A whole dataset as one DataFrame, sorted by run (and step)."""
        df = pd.read_parquet(self.folder / dataset, columns=columns)
        keys = [k for k in ("run_id", "step") if k in df.columns]
        return df.sort_values(keys, kind="stable").reset_index(drop=True) if keys else df

    def points(self) -> pd.DataFrame:
        """The design points table."""
        return pd.read_parquet(self.folder / "points.parquet")

    def orphans(self) -> set[str]:
        """Ids of runs with timeseries or summary parts but no record: cut off while being
        written, or being written now by another driver (delete them only under the run's
        claim, and only after :meth:`committed` says no again)."""
        done = self.finished()
        found = set()
        for name in ("timeseries", "summary"):
            for part in (self.folder / name).glob("part-*.parquet"):
                rid = part.name[len("part-"):-len(".parquet")]
                if rid not in done:
                    found.add(rid)
        return found

    def status(self, rid: str) -> str | None:
        """The recorded status of run ``rid`` (``ok``/``failed``), None when not recorded."""
        try:
            table = pq.read_table(self.folder / "runs" / f"part-{rid}.parquet",
                                  columns=["status"])
        except FileNotFoundError:
            return None
        return str(table.column("status")[0].as_py())

    def committed(self, rid: str) -> bool:
        """True when run ``rid`` has its record (it is done)."""
        return (self.folder / "runs" / f"part-{rid}.parquet").is_file()

    def discard(self, rid: str) -> None:
        """Delete every part of run ``rid`` (its record first: the run is then not done)."""
        for name in DATASETS:
            (self.folder / name / f"part-{rid}.parquet").unlink(missing_ok=True)

    def discard_uncommitted(self, rid: str) -> None:
        """Delete run ``rid``'s timeseries and summary parts unless the run is committed.

        Never its record: call it only under the run's claim (another driver that took the
        claim over may be writing the same parts, and must find its record in place)."""
        for name in ("timeseries", "summary"):
            if self.committed(rid):
                return
            (self.folder / name / f"part-{rid}.parquet").unlink(missing_ok=True)


def _identity(experiment: Experiment, points_hash: str) -> dict[str, Any]:
    from flexisim.provenance import provenance, utc_now

    prov = provenance()
    return {"name": experiment.name, "hash": experiment.hash, "points_hash": points_hash,
            "package_version": prov["package_version"], "spec": experiment.spec(),
            "description": experiment.description, "analysis": experiment.analysis,
            "provenance": prov, "created_utc": utc_now()}


def _check_provenance(folder: Path, stored: Mapping[str, Any] | None) -> None:
    """Refuse to add runs of another model code or calibration to ``folder``."""
    from flexisim.provenance import provenance

    mine = provenance()
    if not stored:
        raise FolderError([f"{folder}: was started by a flexisim that recorded no model "
                           "hash, so runs of this version could silently mix with its runs; "
                           "choose another --out (the folder stays readable by analyze)"])
    lines = []
    for key, what in (("code_hash", "model code"), ("calibration_hash", "calibration")):
        if stored.get(key) != mine[key]:
            lines.append(f"{folder}: was started with another {what} ({key} "
                         f"{stored.get(key)}, commit {_commit(stored)}; this flexisim has "
                         f"{mine[key]}, commit {_commit(mine)})")
    if lines:
        raise FolderError([*lines, f"{folder}: results of different models are never mixed: "
                           "choose another --out for this version, or go back to the version "
                           "that started the folder to finish it"])


def _commit(prov: Mapping[str, Any]) -> str:
    commit = prov.get("commit")
    if not commit:
        return "unknown"
    return commit[:10] + (" with uncommitted changes" if prov.get("dirty") else "")


def _diff(old: Any, new: Any) -> str:
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        keys = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
        return "; ".join(f"{k}: {_short(old.get(k))} -> {_short(new.get(k))}" for k in keys[:6])
    return f"{_short(old)} -> {_short(new)}"


def _short(value: Any) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= 60 else text[:59] + "…"


def _atomic_text(path: Path, text: str) -> None:
    atomic_write(path, lambda tmp: tmp.write_text(text))
