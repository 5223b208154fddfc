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
Every part file is written under a hidden temporary name (``.tmp-...``, which Parquet
readers skip) and then renamed with :func:`os.replace`, which is atomic on POSIX file
systems: a reader sees either no file or the complete file. A run's ``runs`` part is
written *last*, so it is the run's commit record. A sweep killed at any moment (SIGKILL
included) therefore leaves each run either committed, or with at most some
``timeseries``/``summary`` parts and no ``runs`` part; the next sweep re-runs the latter,
and because part names are the run id, the rerun's parts *replace* the stale ones instead
of adding a second copy. Two workers running the same run (a Dask retry after a lost
worker) also end with one file per run.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from flexisim.errors import FolderError
from flexisim.experiment.definition import Experiment

__all__ = ["DATASETS", "FolderError", "ResultStore", "run_id", "runs_schema", "write_part"]

DATASETS = ("runs", "timeseries", "summary")
_TMP_PREFIX = ".tmp-"
_IDENTITY = "experiment.json"


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
    fields += [pa.field("status", pa.string()), pa.field("error", pa.string()),
               pa.field("wall_time_s", pa.float64()), pa.field("package_version", pa.string()),
               pa.field("scenario_hash", pa.string()), pa.field("worker", pa.string())]
    return pa.schema(fields)


def write_part(folder: Path, dataset: str, rid: str, table: pa.Table) -> None:
    """Write one run's part file atomically (temporary name, then :func:`os.replace`)."""
    target = folder / dataset / f"part-{rid}.parquet"
    tmp = target.with_name(f"{_TMP_PREFIX}{rid}-{uuid.uuid4().hex[:8]}.parquet")
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, target)


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

    def check(self, experiment: Experiment, points_hash: str) -> None:
        """Refuse a folder that holds anything but this experiment's results.

        Raises
        ------
        FolderError
            If the folder is a file, or is non-empty without ``experiment.json``, or
            ``experiment.json`` names another definition (the differing parts listed).
        """
        f = self.folder
        if f.exists() and not f.is_dir():
            raise FolderError([f"{f}: exists and is not a folder (choose another --out)"])
        if not f.exists() or not any(f.iterdir()):
            return
        stored = self.identity()
        if stored is None:
            raise FolderError([f"{f}: not empty and not a flexisim results folder "
                               "(no experiment.json); choose another --out"])
        mine = _identity(experiment, points_hash)
        if stored.get("hash") == mine["hash"]:
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
                source_text: str | None = None) -> None:
        """Create the folder (or accept an existing one of the same experiment).

        Leftover temporary files of a killed sweep are removed: they were never renamed, so
        they belong to no committed run.
        """
        self.check(experiment, points_hash)
        f = self.folder
        f.mkdir(parents=True, exist_ok=True)
        # identity first: whatever a kill leaves behind is then recognisably this experiment's
        stored = self.identity()
        if stored is None or stored.get("analysis") != experiment.analysis:
            # the analysis settings are not part of the identity: keep the latest ones
            _atomic_text(f / _IDENTITY, json.dumps(_identity(experiment, points_hash),
                                                   indent=1, sort_keys=True) + "\n")
        if not (f / "points.parquet").is_file():
            tmp = f / f"{_TMP_PREFIX}points-{uuid.uuid4().hex[:8]}.parquet"
            pq.write_table(pa.Table.from_pandas(points, preserve_index=False), tmp)
            os.replace(tmp, f / "points.parquet")
        if source_text is not None and not (f / "experiment.toml").is_file():
            _atomic_text(f / "experiment.toml", source_text)
        for tmp in f.glob(_TMP_PREFIX + "*"):
            tmp.unlink(missing_ok=True)
        for name in DATASETS:
            (f / name).mkdir(exist_ok=True)
            for tmp in (f / name).glob(_TMP_PREFIX + "*"):
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

    def remove_partial(self) -> None:
        """Delete timeseries/summary parts of runs that never committed (no ``runs`` part)."""
        done = self.finished()
        for name in ("timeseries", "summary"):
            for part in (self.folder / name).glob("part-*.parquet"):
                if part.name[len("part-"):-len(".parquet")] not in done:
                    part.unlink(missing_ok=True)


def _identity(experiment: Experiment, points_hash: str) -> dict[str, Any]:
    from flexisim import __version__

    return {"name": experiment.name, "hash": experiment.hash, "points_hash": points_hash,
            "package_version": __version__, "spec": experiment.spec(),
            "description": experiment.description, "analysis": experiment.analysis}


def _diff(old: Any, new: Any) -> str:
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        keys = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
        return "; ".join(f"{k}: {_short(old.get(k))} -> {_short(new.get(k))}" for k in keys[:6])
    return f"{_short(old)} -> {_short(new)}"


def _short(value: Any) -> str:
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= 60 else text[:59] + "…"


def _atomic_text(path: Path, text: str) -> None:
    tmp = path.with_name(f"{_TMP_PREFIX}{path.name}-{uuid.uuid4().hex[:8]}")
    tmp.write_text(text)
    os.replace(tmp, path)
