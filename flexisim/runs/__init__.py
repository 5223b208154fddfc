"""The run core: one record per run (:class:`RunSpec`), one function that executes it
(:func:`execute`), and :func:`map_runs` / :func:`run_all` over any executor."""

from flexisim.runs.core import (
    Done,
    Observe,
    RunResult,
    RunSpec,
    SequentialExecutor,
    WorkerCrashed,
    WorkerDied,
    default_executor,
    execute,
    in_worker_process,
    map_runs,
    run_all,
    worker_name,
)
from flexisim.runs.pool import WorkerPool

__all__ = ["Done", "Observe", "RunResult", "RunSpec", "SequentialExecutor", "WorkerCrashed",
           "WorkerDied", "WorkerPool",
           "default_executor", "execute", "in_worker_process", "map_runs", "run_all",
           "worker_name"]
