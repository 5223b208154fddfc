"""A complete sweep is compacted: one file per dataset with units, a long regional table, a data
dictionary; the parts stay as the journal and win whenever the folder changed since."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from flexisim.experiment import analysis, load_experiment, run_experiment
from flexisim.experiment.compact import COMPACT, is_compacted, read_dataset
from flexisim.experiment.store import DATASETS


@pytest.fixture
def experiment(tmp_path: Path) -> Path:
    path = tmp_path / "exp.toml"
    path.write_text(textwrap.dedent("""\
        description = "compaction"
        scenario = "permenpan_4_2025"
        steps = 3
        replications = 2
        seed = 4
        [design]
        kind = "grid"
        [parameters]
        verification_rate = [0.1, 0.4]
        [fixed]
        n_asn = 600
        """))
    return path


def _parts(folder: Path, name: str) -> pd.DataFrame:
    keys = ["run_id", "step"] if name == "timeseries" else ["run_id"]
    return pd.read_parquet(folder / name).sort_values(keys).reset_index(drop=True)


def test_a_complete_sweep_is_compacted_with_units(experiment: Path, tmp_path: Path) -> None:
    out = tmp_path / "r"
    assert run_experiment(load_experiment(experiment), workers=1, out=out,
                          progress=False).complete
    assert is_compacted(out)
    for name in DATASETS:
        compacted = pd.read_parquet(out / COMPACT / f"{name}.parquet")
        pd.testing.assert_frame_equal(compacted, _parts(out, name), check_exact=True,
                                      check_dtype=False, obj=name)
    fields = pq.read_schema(out / COMPACT / "timeseries.parquet")
    assert fields.field("public_trust").metadata == {
        b"unit": b"points", b"description": b"mean citizens' trust in the civil service, 0-100"}
    assert fields.field("cost_digital").metadata[b"unit"] == b"Rp billion/week"  # a mechanism's
    runs = pq.read_schema(out / COMPACT / "runs.parquet")
    assert runs.field("verification_rate").metadata[b"description"].startswith(b"lever ")
    # every regional column of the wide timeseries is a (output, region) row of the long table
    wide = _parts(out, "timeseries")
    regions = pd.read_parquet(out / COMPACT / "regions.parquet")
    regional = [c for c in wide.columns if "[" in c]
    assert regional and len(regions) == len(wide) * len(regional)
    row = regions.iloc[7]
    column = f"{row['output']}[{row['region']}]"
    expected = wide.loc[(wide["run_id"] == row["run_id"]) & (wide["step"] == row["step"]), column]
    assert row["value"] == expected.item()
    dictionary = pd.read_csv(out / COMPACT / "data_dictionary.csv")
    for name in (*DATASETS, "regions"):
        columns = pq.read_schema(out / COMPACT / f"{name}.parquet").names
        assert set(dictionary.loc[dictionary["file"] == f"{name}.parquet", "column"]) \
            == set(columns)
    # every column of every file has a description (a new output without one fails here)
    undescribed = dictionary[dictionary["description"].isna()]
    assert undescribed.empty, undescribed[["file", "column"]].to_string()
    described = dictionary.set_index(["file", "column"])
    assert described.loc[("summary.parquet", "attrition_rate_annual"), "unit"] == "share/year"
    assert described.loc[("summary.parquet", "cost_total_bn"), "unit"] == "Rp billion"


def test_the_parts_win_once_the_folder_changed(experiment: Path, tmp_path: Path) -> None:
    out = tmp_path / "r"
    run_experiment(load_experiment(experiment), workers=1, out=out, progress=False)
    before = analysis.load_results(out).data
    # a part removed by hand: the compacted files are no longer the folder's contents
    (out / "summary" / "part-p000001-r000.parquet").unlink()
    assert not is_compacted(out)
    assert len(read_dataset(out, "summary")) == len(before) - 1
    assert len(analysis.load_results(out).data) == len(before) - 1
    # the folder is complete by its runs records: a rerun leaves it as it is; compacting it
    # again follows the parts
    from flexisim.experiment.compact import compact

    compact(out)
    assert is_compacted(out) and len(read_dataset(out, "summary")) == len(before) - 1


def test_analysis_reads_the_same_from_compacted_files_and_from_parts(
        experiment: Path, tmp_path: Path) -> None:
    out = tmp_path / "r"
    run_experiment(load_experiment(experiment), workers=1, out=out, progress=False)
    compacted = analysis.load_results(out).data
    (out / COMPACT / "manifest.json").unlink()
    from_parts = analysis.load_results(out).data
    pd.testing.assert_frame_equal(compacted, from_parts, check_dtype=False)


def test_a_shard_compacts_only_when_the_whole_sweep_is_recorded(experiment: Path,
                                                               tmp_path: Path) -> None:
    out = tmp_path / "r"
    run_experiment(load_experiment(experiment), workers=1, out=out, progress=False,
                   shard=(1, 2))
    assert not (out / COMPACT).exists()  # half the runs: nothing to compact yet
    run_experiment(load_experiment(experiment), workers=1, out=out, progress=False,
                   shard=(2, 2))
    assert is_compacted(out)
    assert len(read_dataset(out, "runs")) == 4


def test_a_run_recorded_again_under_its_name_makes_the_compaction_stale(
        experiment: Path, tmp_path: Path) -> None:
    """--retry-failed records a run again under the same part name: not the compacted file."""
    import os

    out = tmp_path / "r"
    run_experiment(load_experiment(experiment), workers=1, out=out, progress=False)
    part = out / "summary" / "part-p000000-r001.parquet"
    table = pq.read_table(part)
    rewritten = table.set_column(table.schema.get_field_index("performance_mean"),
                                 "performance_mean", [[123.0]])
    stat = part.stat()
    pq.write_table(rewritten, part)
    os.utime(part, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1))  # whatever the clock's grain
    assert not is_compacted(out)
    # the next driver on the complete folder compacts it again
    assert run_experiment(load_experiment(experiment), workers=1, out=out,
                          progress=False).done == 0
    assert is_compacted(out)
    summary = read_dataset(out, "summary").set_index("run_id")
    assert summary.loc["p000000-r001", "performance_mean"] == 123.0


# ------------------------------------------------------------------- flexisim compact DIR

def test_flexisim_compact_makes_a_changed_folder_current_again(
        experiment: Path, tmp_path: Path, capsys) -> None:
    from flexisim.cli import main

    out = tmp_path / "r"
    run_experiment(load_experiment(experiment), workers=1, out=out, progress=False)
    assert main(["compact", str(out)]) == 0
    assert "is current: it holds the 4 of 4 recorded runs" in capsys.readouterr().err
    (out / "summary" / "part-p000001-r000.parquet").unlink()
    assert not is_compacted(out)
    assert main(["compact", str(out)]) == 0
    assert "compacted 4 of 4 recorded runs" in capsys.readouterr().err
    assert is_compacted(out) and len(read_dataset(out, "summary")) == 3
    assert (out / "summary").is_dir()  # the parts stay: they are the journal


def test_flexisim_compact_compacts_an_unfinished_sweep_and_says_so(
        experiment: Path, tmp_path: Path, capsys) -> None:
    from flexisim.cli import main

    out = tmp_path / "r"
    run_experiment(load_experiment(experiment), workers=1, out=out, progress=False,
                   shard=(1, 2))
    assert main(["compact", str(out)]) == 0
    err = capsys.readouterr().err
    assert "compacted 2 of 4 recorded runs" in err and "2 runs missing" in err
    assert is_compacted(out) and len(read_dataset(out, "runs")) == 2
    # the rest of the sweep adds runs: stale, then the last run compacts the whole folder
    run_experiment(load_experiment(experiment), workers=1, out=out, progress=False,
                   shard=(2, 2))
    assert is_compacted(out) and len(read_dataset(out, "runs")) == 4


def test_flexisim_compact_refuses_what_is_not_a_results_folder(tmp_path: Path,
                                                              capsys) -> None:
    from flexisim.cli import main

    (tmp_path / "thesis.txt").write_text("mine")
    assert main(["compact", str(tmp_path)]) == 2
    assert "not a flexisim results folder" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["thesis.txt"]  # nothing written
    assert main(["compact", str(tmp_path / "missing")]) == 2


def test_flexisim_compact_onto_a_read_only_file_system_is_exit_2_with_the_parts_kept(
        experiment: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    import errno

    from flexisim.cli import main
    from flexisim.experiment import compact as compact_mod

    out = tmp_path / "r"
    run_experiment(load_experiment(experiment), workers=1, out=out, progress=False)
    (out / "summary" / "part-p000001-r000.parquet").unlink()

    def read_only(path, write, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system", str(path))

    monkeypatch.setattr(compact_mod, "atomic_write", read_only)
    assert main(["compact", str(out)]) == 2
    assert "cannot write: read-only file system" in capsys.readouterr().err
    assert len(pd.read_parquet(out / "summary")) == 3
    assert len(read_dataset(out, "summary")) == 3  # the parts are read meanwhile
