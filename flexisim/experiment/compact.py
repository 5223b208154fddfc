"""Compaction of a results folder: one file per dataset, with units, once a sweep is complete.

A sweep writes one part file per run and dataset (``runs/part-<run_id>.parquet`` ...): the
journal that makes a sweep resumable and safe for several drivers. Read back, thousands of
small files are slow -- a one-row summary part is ~11 KB, mostly Parquet footer, and 5,000
of them took 13 s to read with pandas against 0.03 s for one file. So when every run of the
experiment is recorded, the driver that sees it writes ``DIR/compact/``:

- ``runs.parquet``, ``timeseries.parquet``, ``summary.parquet``: each dataset in one file,
  sorted by run (and week), every field carrying its unit and description as Parquet field
  metadata (``unit``, ``description``);
- ``regions.parquet``: the regional outputs (the timeseries' ``performance[Java-Bali]``
  columns) as a long table: ``run_id, point_id, replication, step, output, region, value``;
- ``data_dictionary.csv``: every column of every file with its unit and description;
- ``manifest.json`` (written last): the part files each dataset held when it was compacted,
  with their sizes and modification times.

The parts stay: they are the journal. A reader uses the compacted files only while the
manifest names exactly the parts present, unchanged (:func:`read_dataset`); a folder changed since
(``--retry-failed``, parts deleted by hand) is read from its parts until compacted again.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from flexisim.experiment.store import DATASETS, RUN_TAIL, atomic_write

__all__ = ["COMPACT", "compact", "data_dictionary", "is_compacted", "read_dataset"]

#: the folder of the compacted files, inside a results folder
COMPACT = "compact"
#: a regional output's column: ``output[Region]``
_REGIONAL = re.compile(r"^(?P<output>[^\[\]]+)\[(?P<region>[^\[\]]+)\]$")
#: the keys each dataset is sorted by
_KEYS = {"runs": ["run_id"], "timeseries": ["run_id", "step"], "summary": ["run_id"]}

#: units and descriptions of the bookkeeping columns (the model's outputs come from
#: :data:`flexisim.metrics.OUTPUTS` and the mechanisms' own outputs, the parameters from
#: levers.toml, the decomposed outcomes from :data:`flexisim.explain.OUTCOMES`, the other
#: summary outcomes from :data:`flexisim.metrics.SUMMARY_OUTPUTS`)
_BOOKKEEPING: dict[str, tuple[str, str]] = {
    "run_id": ("", "the run: p<point>-r<replication>"),
    "point_id": ("", "the design point (a row of points.parquet)"),
    "replication": ("", "the replication at its point, from 0"),
    "seed": ("", "the run's random seed"),
    "step": ("week", "the week of the run, from 1 (after the warm-up)"),
    "output": ("", "a regional output (flexisim.metrics.OUTPUTS)"),
    "region": ("", "a region of Indonesia (flexisim/data/regions.csv)"),
    "value": ("", "the output's value in the region (the output's unit)"),
    "status": ("", "ok or failed"),
    "error": ("", "why a failed run failed"),
    "wall_time_s": ("s", "wall time of the run on its worker"),
    "package_version": ("", "flexisim version that ran it"),
    "code_hash": ("", "hash of the model's code and data that ran it"),
    "calibration_hash": ("", "hash of the calibration that ran it"),
    "scenario_hash": ("", "hash of the run's scenario (all lever values)"),
    "worker": ("", "host:pid of the worker process"),
    "started_utc": ("UTC", "when the run started"),
    "ended_utc": ("UTC", "when the run ended"),
    "n_citizens": ("agents", "citizen agents simulated"),
    "scale_factor": ("ASN per agent", "the national civil service each ASN agent stands for"),
}
assert {n for n, _ in RUN_TAIL} <= set(_BOOKKEEPING), "every column of a run record is described"


def describe(column: str) -> tuple[str, str]:
    """(unit, description) of a column of any dataset; ("", "") when unknown."""
    from flexisim.explain import OUTCOMES
    from flexisim.mechanisms.registry import STEP
    from flexisim.metrics import OUTPUTS as MODEL_OUTPUTS
    from flexisim.metrics import SUMMARY_OUTPUTS
    from flexisim.scenario import LEVERS

    OUTPUTS = {**MODEL_OUTPUTS, **STEP.outputs()}  # noqa: N806 (the model's and its mechanisms')
    if column in _BOOKKEEPING:
        return _BOOKKEEPING[column]
    if column in OUTPUTS:
        return OUTPUTS[column]
    regional = _REGIONAL.match(column)
    if regional and regional["output"] in OUTPUTS:
        unit, description = OUTPUTS[regional["output"]]
        return unit, f"{description}, in {regional['region']}"
    if column in LEVERS:
        lever = LEVERS[column]
        return ("" if lever.unit == "-" else lever.unit), f"lever {lever.key}: {lever.en}"
    if column in OUTCOMES:
        label, unit = OUTCOMES[column]
        return unit, label
    if column in SUMMARY_OUTPUTS:
        return SUMMARY_OUTPUTS[column]
    return "", ""


def _with_units(table: pa.Table) -> pa.Table:
    fields = []
    for field in table.schema:
        unit, description = describe(field.name)
        fields.append(field.with_metadata({"unit": unit, "description": description}))
    return table.cast(pa.schema(fields, metadata=table.schema.metadata))


def _parts(folder: Path, name: str) -> list[str]:
    return sorted(p.name for p in (folder / name).glob("part-*.parquet"))


def _journal(folder: Path, name: str, parts: Sequence[str]) -> list[list[Any]]:
    """Each part's name, size and modification time: a run re-recorded under the same name
    (``--retry-failed``) is a different file."""
    out = []
    for part in parts:
        stat = (folder / name / part).stat()
        out.append([part, stat.st_size, stat.st_mtime_ns])
    return out


def _read_parts(folder: Path, name: str, parts: Sequence[str]) -> pa.Table:
    tables = [pq.read_table(folder / name / part) for part in parts]
    if not tables:
        return pa.table({})
    table = pa.concat_tables(tables, promote_options="default")
    keys = [k for k in _KEYS[name] if k in table.column_names]
    return table.sort_by([(k, "ascending") for k in keys])


def _regions_long(timeseries: pa.Table) -> pd.DataFrame:
    regional = [c for c in timeseries.column_names if _REGIONAL.match(c)]
    ids = [c for c in ("run_id", "point_id", "replication", "step")
           if c in timeseries.column_names]
    frame = timeseries.select(ids + regional).to_pandas()
    long = frame.melt(id_vars=ids, value_vars=regional, var_name="column", value_name="value")
    parts = long["column"].str.extract(_REGIONAL)
    long.insert(len(ids), "output", parts["output"])
    long.insert(len(ids) + 1, "region", parts["region"])
    return long.drop(columns="column").sort_values([*ids, "output", "region"],
                                                   ignore_index=True)


def data_dictionary(tables: dict[str, pa.Table]) -> pd.DataFrame:
    """Every column of every compacted file with its type, unit and description."""
    rows = [{"file": f"{name}.parquet", "column": field.name, "type": str(field.type),
             "unit": unit, "description": description}
            for name, table in tables.items() for field in table.schema
            for unit, description in [describe(field.name)]]
    return pd.DataFrame(rows, columns=["file", "column", "type", "unit", "description"])


def compact(folder: str | Path) -> Path:
    """Write ``folder/compact/`` from the part files present now; return that folder.

    Safe beside other drivers: every file is written atomically, the manifest last, and a
    compaction that raced with a new part is simply not current (:func:`is_compacted`).
    """
    folder = Path(folder)
    out = folder / COMPACT
    out.mkdir(exist_ok=True)
    manifest: dict[str, Any] = {"parts": {}}
    tables: dict[str, pa.Table] = {}
    for name in DATASETS:
        parts = _parts(folder, name)
        journal = _journal(folder, name, parts)  # before reading: a later change shows
        table = _with_units(_read_parts(folder, name, parts))
        atomic_write(out / f"{name}.parquet", lambda tmp, t=table: pq.write_table(t, tmp))
        manifest["parts"][name] = journal
        tables[name] = table
    regions = pa.Table.from_pandas(_regions_long(tables["timeseries"]), preserve_index=False)
    regions = _with_units(regions)
    atomic_write(out / "regions.parquet", lambda tmp: pq.write_table(regions, tmp))
    tables["regions"] = regions
    dictionary = data_dictionary(tables)
    atomic_write(out / "data_dictionary.csv",
                 lambda tmp: dictionary.to_csv(tmp, index=False, encoding="utf-8"))
    text = json.dumps(manifest, indent=1) + "\n"
    atomic_write(out / "manifest.json", lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return out


def is_compacted(folder: str | Path) -> bool:
    """Whether ``folder/compact/`` holds exactly the part files present now."""
    folder = Path(folder)
    try:
        manifest = json.loads((folder / COMPACT / "manifest.json").read_text())
    except (OSError, ValueError):
        return False
    try:
        return all(manifest.get("parts", {}).get(name)
                   == _journal(folder, name, _parts(folder, name)) for name in DATASETS)
    except OSError:  # a part removed while looking: not current
        return False


def read_dataset(folder: str | Path, name: str,
                 columns: Sequence[str] | None = None) -> pd.DataFrame:
    """One dataset of a results folder: its compacted file while current, else its parts."""
    folder = Path(folder)
    cols = list(columns) if columns is not None else None
    if is_compacted(folder):
        return pd.read_parquet(folder / COMPACT / f"{name}.parquet", columns=cols)
    return pd.read_parquet(folder / name, columns=cols)
