"""Cluster recipes, generated: Dask workers in SLURM jobs, or a SLURM job array of shards.

docs/cluster.md explains both routes; this module builds them, so that tests can check what
a site's SLURM would receive (tests/test_cluster.py):

* :func:`slurm_cluster`: a ``dask_jobqueue.SLURMCluster`` whose worker jobs leave before
  their walltime (``--lifetime`` with a stagger, so ``cluster.adapt`` replaces them instead of
  SLURM killing them mid-run), quote their local directory, listen on the given network
  interface, ask for the memory the population needs and warm the numba cache once per job;
  its scheduler's dashboard listens on 127.0.0.1 only (reach it through an SSH tunnel);
* :func:`slurm_array_script`: the text of an sbatch job array without Dask, task K running
  ``flexisim sweep EXP --shard K/N`` into one shared results folder.

Memory
------
:func:`run_memory_mib` is the measured peak of a run (benchmarks/README.md) times a safety
factor: :data:`BASE_MIB` of interpreter and libraries plus a share per ASN fitted to the
largest national peak measured, :data:`NATIONAL_PEAK_MIB` at :data:`NATIONAL_ASN` (both
worlds and their citizens, ``citizens_per_asn = 0.5``).

The numba cache
---------------
The kernels are compiled with ``cache=True``. Numba looks for a cache in ``$NUMBA_CACHE_DIR``
first when it is set, else in ``__pycache__`` beside the sources when that is writable, else
in ``~/.cache/numba``; an entry is used only by a machine with the same CPU model and
features. Setting ``NUMBA_CACHE_DIR`` to node-local disk therefore does not reuse a cache
warmed beside the sources: every job would compile again. The recipe is to warm the cache
once in the same environment before submitting (:func:`warm_up_command`, on a node with the
workers' CPU) and to leave ``NUMBA_CACHE_DIR`` unset; each job also runs the warm-up once
before its workers start (a few seconds once warm), so a job on another CPU model compiles
once per job rather than once per worker process.

``dask_jobqueue`` is imported only by :func:`slurm_cluster` (the ``cluster`` extra).
"""

from __future__ import annotations

import math
import re
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# the warm-up run (small and short, it calls every kernel of a run once): flexisim.warmup
from flexisim.warmup import WARM_UP_ASN, WARM_UP_STEPS

__all__ = ["BASE_MIB", "NATIONAL_ASN", "NATIONAL_PEAK_MIB", "SAFETY", "experiment_asn",
           "lifetime_minutes", "run_memory_mib", "shell_word", "slurm_array_script",
           "slurm_cluster", "walltime_seconds", "warm_up_command"]

#: Staff of the national run (benchmarks/README.md).
NATIONAL_ASN = 5_600_000
#: Peak memory of a national run, rounded up from the largest measured in benchmarks/README.md
#: (2,593 MiB: ``shifts_and_dynamic_hours``, 5.6 M ASN x 52 weeks, issue 14, 2 Dec 2026; the
#: plain national run measured 2,361-2,592 MB).
NATIONAL_PEAK_MIB = 2_600
#: Memory of a run that does not depend on its size: interpreter, numpy, numba, pandas,
#: pyarrow (benchmarks/README.md, issue 5: "a fixed ~250 MB"; a 10,000-ASN run peaks at 258 MB).
BASE_MIB = 250
#: Factor on the measured peak. A Dask worker pauses at 80 % of its memory limit and is
#: killed at 95 %; with 1.5 a run's measured peak is 67 % of the limit, and the rest covers
#: the worker's own process (distributed) and runs larger than measured.
SAFETY = 1.5
#: Citizens per ASN of the measured runs (the default).
_MEASURED_CITIZENS = 0.5


# --------------------------------------------------------------------------- memory

def run_memory_mib(asn: int, citizens_per_asn: float = _MEASURED_CITIZENS, *,
                   safety: float = SAFETY) -> int:
    """Memory (MiB, a multiple of 64) to allow one run of `asn` ASN: measured peak x `safety`.

    More citizens per ASN than measured are counted as if a citizen cost as much as a member
    of staff (it costs less: fewer columns), which errs on the safe side.
    """
    if asn < 1 or safety < 1:
        raise ValueError(f"run_memory_mib: asn {asn} must be >= 1 and safety {safety} >= 1")
    per_asn = (NATIONAL_PEAK_MIB - BASE_MIB) / NATIONAL_ASN
    size = asn * max(1.0, (1 + citizens_per_asn) / (1 + _MEASURED_CITIZENS))
    return 64 * math.ceil((BASE_MIB + per_asn * size) * safety / 64)


def experiment_asn(experiment: Any) -> tuple[int, float]:
    """The largest ``n_asn`` and ``citizens_per_asn`` of any run of an experiment."""
    from flexisim.experiment.definition import load_experiment
    from flexisim.experiment.design import build_design

    if isinstance(experiment, (str, Path)):
        experiment = load_experiment(experiment)
    design = build_design(experiment)
    base = experiment.base.values
    asn, citizens = [], []
    for point in range(len(design)):
        levers = design.levers(experiment, point)
        asn.append(levers.get("n_asn", base["n_asn"]))
        citizens.append(levers.get("citizens_per_asn", base["citizens_per_asn"]))
    return int(max(asn)), float(max(citizens))


# --------------------------------------------------------------------------- shell and time

_EXPANSION = re.compile(r"\$(\w+|\{[^}`$]*\})")


def shell_word(text: str | Path) -> str:
    """`text` as one shell word: single-quoted, or double-quoted when it holds ``$VAR`` or
    ``${VAR...}`` (expanded on the node at run time, never split on spaces).

    Command substitution is refused, and so is a value that is already quoted (it would be
    quoted twice and name a folder whose name has quotes in it).
    """
    text = str(text)
    if not text or text[0] in "'\"" or text[-1] in "'\"":
        raise ValueError(f"{text!r}: give a path without quotes (it is quoted for you)")
    if "$" not in text:
        return shlex.quote(text)
    if "`" in text or "$(" in text or _EXPANSION.sub("", text).count("$"):
        raise ValueError(f"{text!r}: only $NAME and ${{NAME...}} expansions are allowed")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _path_word(path: str | Path) -> str:
    """A path as a shell word: made absolute unless it starts with a ``$`` expansion."""
    text = str(path)
    return shell_word(text if text.startswith("$") else Path(text).expanduser().resolve())


def walltime_seconds(walltime: str) -> int:
    """A SLURM time limit in seconds: ``MM``, ``MM:SS``, ``HH:MM:SS``, ``D-HH``,
    ``D-HH:MM`` or ``D-HH:MM:SS``."""
    m = re.fullmatch(r"(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?", walltime.strip())
    if m is None:
        raise ValueError(f"walltime {walltime!r}: not a SLURM time (HH:MM:SS, D-HH:MM, ...)")
    days, *fields = m.groups()
    values = [int(f) for f in fields if f is not None]
    if days is not None:  # D-HH, D-HH:MM, D-HH:MM:SS
        h, mi, s = values + [0] * (3 - len(values))
        return int(days) * 86400 + h * 3600 + mi * 60 + s
    if len(values) == 3:  # HH:MM:SS
        return values[0] * 3600 + values[1] * 60 + values[2]
    return values[0] * 60 + (values[1] if len(values) == 2 else 0)  # MM, MM:SS


def _minutes(text: str) -> int:
    m = re.fullmatch(r"(\d+)\s*m(?:in)?", text.strip())
    if m is None:
        raise ValueError(f"{text!r}: give whole minutes, e.g. '5m'")
    return int(m.group(1))


def lifetime_minutes(walltime: str, margin: str = "5m", stagger: str = "4m") -> int:
    """A worker's ``--lifetime`` in minutes: the last worker (lifetime + stagger) leaves
    `margin` before the job's walltime."""
    total = walltime_seconds(walltime) // 60
    life = total - _minutes(margin) - _minutes(stagger)
    if life < 1 or life <= _minutes(stagger):
        raise ValueError(f"walltime {walltime}: too short for a lifetime with {margin} of "
                         f"margin and {stagger} of stagger (ask for more time)")
    return life


def _default_flexisim() -> Path:
    """The ``flexisim`` command of this environment (beside its Python)."""
    beside = Path(sys.executable).with_name("flexisim")
    return beside if beside.exists() else Path("flexisim")


def warm_up_command(flexisim: str | Path | None = None, out: str = '"$warm"') -> str:
    """The command line that fills the numba cache: a tiny run in the same environment.

    `out` is a shell word for the (temporary) output folder.
    """
    return _warm_up(shell_word(flexisim or _default_flexisim()), out)


def _warm_up(exe: str, out: str) -> str:
    return f"{exe} run --steps {WARM_UP_STEPS} --asn {WARM_UP_ASN} --quiet --force --out {out}"


def _warm_up_lines(exe: str, tmp: str) -> list[str]:
    """Shell lines: the warm-up run (`exe`, a shell word) in a temporary folder under `tmp`
    (a shell word), removed after."""
    return [
        "# fill the numba cache once for this job's CPU, before the workers start",
        f"warm=$(mktemp -d {tmp}/flexisim-warm.XXXXXX)",
        _warm_up(exe, '"$warm"'),
        'rm -rf -- "$warm"',
    ]


# --------------------------------------------------------------------------- Dask on SLURM

def _slurm_cluster_class() -> Any:
    try:
        from dask_jobqueue import SLURMCluster
    except ImportError:
        raise ImportError("slurm_cluster needs dask-jobqueue (>= 0.9): "
                          "pip install 'flexisim[cluster]'") from None
    return SLURMCluster


def slurm_cluster(*, cores: int, walltime: str, processes: int | None = None,
                  memory: str | None = None, asn: int | None = None,
                  citizens_per_asn: float = _MEASURED_CITIZENS, queue: str | None = None,
                  account: str | None = None, interface: str | None = None,
                  scheduler_interface: str | None = None,
                  local_directory: str = "${TMPDIR:-/tmp}",
                  lifetime_margin: str = "5m", lifetime_stagger: str = "4m",
                  dashboard_address: str = "127.0.0.1:8787", python: str | None = None,
                  flexisim: str | Path | None = None, warm_up: bool = True,
                  job_script_prologue: Sequence[str] = (),
                  worker_extra_args: Sequence[str] = (), **kwargs: Any) -> Any:
    """A ``dask_jobqueue.SLURMCluster`` for flexisim sweeps (no job is submitted yet).

    Creating it starts the scheduler in this process; ``cluster.scale(jobs=...)`` or
    ``cluster.adapt(...)`` submits worker jobs; ``cluster.job_script()`` shows one.

    Parameters
    ----------
    cores : int
        Cores per job. Each job runs `processes` single-threaded workers.
    walltime : str
        SLURM time limit of a job (``HH:MM:SS``, ``D-HH:MM``...). Each worker gets
        ``--lifetime`` (:func:`lifetime_minutes`) and ``--lifetime-stagger``, so it retires
        before SLURM kills the job: its run in flight goes to another worker (not counted
        as a failure) and ``cluster.adapt`` submits a new job in its place. No
        ``--lifetime-restart``: a worker restarted inside its job would meet the walltime.
    processes : int, optional
        Workers per job (default `cores`: one thread each).
    memory : str, optional
        Memory per job (``"32GiB"``). Default: :func:`run_memory_mib` of `asn` per worker.
        If both are given, `memory` must cover `asn`.
    asn : int, optional
        The largest population a run of the sweep has (default: the national 5.6 M).
    interface : str, optional
        Network interface of the workers and the scheduler (``"ib0"``, ``"eth0"``: see
        ``ip -brief addr`` on a compute node); `scheduler_interface` if the login node's
        differs.
    local_directory : str
        The workers' scratch folder, node-local; ``$VAR`` expansions are kept for the node
        and the whole is quoted.
    dashboard_address : str
        Where the scheduler's dashboard listens (default 127.0.0.1 only).
    python, flexisim : optional
        The environment's Python and ``flexisim`` command (default: this one's).
    warm_up : bool
        Run :func:`warm_up_command` once per job before its workers start.
    job_script_prologue, worker_extra_args, **kwargs
        Passed on to ``SLURMCluster`` (after this function's own).
    """
    cluster_class = _slurm_cluster_class()
    processes = processes or cores
    if cores < 1 or cores % processes:
        raise ValueError(f"cores {cores} must be a positive multiple of processes {processes}")
    need = run_memory_mib(asn or NATIONAL_ASN, citizens_per_asn)
    if memory is None:
        memory = f"{need * processes}MiB"
    elif asn is not None:
        from dask.utils import parse_bytes

        if parse_bytes(memory) / processes < need * 2**20:
            raise ValueError(f"memory {memory} for {processes} workers: a run of {asn:,} ASN "
                             f"needs {need} MiB per worker (flexisim.experiment.cluster."
                             f"run_memory_mib)")
    life = lifetime_minutes(walltime, lifetime_margin, lifetime_stagger)
    prologue = ["export FLEXISIM_THREADS=1  # one thread per run: runs are parallel already"]
    if warm_up:
        prologue += _warm_up_lines(shell_word(flexisim or _default_flexisim()),
                                   shell_word(local_directory))
    scheduler_options = {"dashboard_address": dashboard_address,
                         **kwargs.pop("scheduler_options", {})}
    if scheduler_interface is not None:
        scheduler_options["interface"] = scheduler_interface
    return cluster_class(
        cores=cores, processes=processes, memory=memory, walltime=walltime, queue=queue,
        account=account, interface=interface, local_directory=shell_word(local_directory),
        python=python or shell_word(sys.executable),
        job_script_prologue=[*prologue, *job_script_prologue],
        worker_extra_args=["--lifetime", f"{life}m", "--lifetime-stagger", lifetime_stagger,
                           *worker_extra_args],
        scheduler_options=scheduler_options, **kwargs)


# --------------------------------------------------------------------------- job array

def slurm_array_script(experiment: str | Path, out: str | Path, shards: int, *, cores: int,
                       walltime: str, memory_mib: int | None = None,
                       partition: str | None = None, account: str | None = None,
                       max_running: int | None = None, job_name: str | None = None,
                       flexisim: str | Path | None = None, warm_up: bool = True,
                       tmp: str = "${TMPDIR:-/tmp}") -> str:
    """The text of an sbatch job array: task K of 1..`shards` runs shard K of the sweep.

    Every task runs ``flexisim sweep EXPERIMENT --workers CORES --shard K/N --out OUT`` into
    the same folder (on a file system all nodes share); the drivers claim each run before
    running it, so the tasks and any rerun of one share the folder safely. A task killed at
    its time limit is resumed by resubmitting it (``sbatch --array=K``).

    Parameters
    ----------
    experiment : str or Path
        An experiment file (written as an absolute path) or the name of a shipped one.
    out : str or Path
        The results folder: made absolute, unless it starts with ``$VAR`` (expanded on the
        node, e.g. ``"$SCRATCH/flexisim/risk_map"``).
    shards : int
        N, the number of array tasks (at most the number of runs).
    cores, walltime : int, str
        ``--cpus-per-task`` (the sweep's ``--workers``) and ``--time`` of each task.
    memory_mib : int, optional
        ``--mem`` of a task; default: `cores` runs of the experiment's largest population
        (:func:`run_memory_mib`) plus the driver.
    partition, account, max_running, job_name : optional
        ``--partition``, ``--account``, the ``%`` limit of tasks running at once,
        ``--job-name`` (default ``flexisim-<experiment name>``).
    flexisim : optional
        The ``flexisim`` command (default: this environment's, by its absolute path).
    warm_up : bool
        Run :func:`warm_up_command` in each task before its sweep.
    tmp : str
        Node-local folder for the warm-up run.
    """
    from flexisim.experiment.definition import load_experiment
    from flexisim.experiment.design import build_design

    exp = load_experiment(experiment)
    runs = len(build_design(exp)) * exp.replications
    if not 1 <= shards <= runs:
        raise ValueError(f"shards {shards}: must be between 1 and the {runs} runs of "
                         f"{exp.name}")
    if cores < 1:
        raise ValueError(f"cores {cores}: must be at least 1")
    walltime_seconds(walltime)  # refuse a bad time before anything is written
    if memory_mib is None:
        asn, citizens = experiment_asn(exp)
        memory_mib = cores * run_memory_mib(asn, citizens) + run_memory_mib(1)
    name = job_name or f"flexisim-{exp.name}"
    for label, value in (("job_name", name), ("partition", partition), ("account", account)):
        if value is not None and not re.fullmatch(r"[\w.+-]+", value):
            raise ValueError(f"{label} {value!r}: letters, digits and . _ + - only")
    what = _path_word(experiment) if Path(str(experiment)).is_file() else shell_word(experiment)
    array = f"1-{shards}" + (f"%{max_running}" if max_running else "")
    lines = [
        "#!/bin/bash",
        f"# flexisim sweep {exp.name} ({runs} runs) as a SLURM job array: task K runs shard"
        f" K of {shards}.",
        "# Generated by flexisim.experiment.cluster.slurm_array_script (docs/cluster.md).",
        "# Submit: sbatch THIS_FILE; rerun one task: sbatch --array=K THIS_FILE",
        f"#SBATCH --job-name={name}",
        f"#SBATCH --array={array}",
        "#SBATCH --ntasks=1",
        f"#SBATCH --cpus-per-task={cores}",
        f"#SBATCH --mem={memory_mib}M",
        f"#SBATCH --time={walltime}",
    ]
    lines += [f"#SBATCH --partition={partition}"] if partition else []
    lines += [f"#SBATCH --account={account}"] if account else []
    lines += [
        "set -euo pipefail",
        f"flexisim={shell_word(flexisim or _default_flexisim())}",
        f"experiment={what}",
        f"out={_path_word(out)}",
        f'shard="${{SLURM_ARRAY_TASK_ID:?not a job array task (submit with sbatch)}}/{shards}"',
    ]
    if warm_up:
        lines += _warm_up_lines('"$flexisim"', shell_word(tmp))
    lines += [
        f'"$flexisim" sweep "$experiment" --workers {cores} --shard "$shard" --out "$out"'
        " --quiet",
        "",
    ]
    return "\n".join(lines)
