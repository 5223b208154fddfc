"""The run core: one record per run (:class:`RunSpec`), one function that executes it
(:func:`execute`), and :func:`map_runs` / :func:`run_all` over any executor."""

from flexisim.runs.core import (
    Done,
    Observe,
    RunResult,
    RunSpec,
    SequentialExecutor,
    WorkerDied,
    default_executor,
    execute,
    in_worker_process,
    map_runs,
    run_all,
    worker_name,
)

__all__ = ["Done", "Observe", "RunResult", "RunSpec", "SequentialExecutor", "WorkerDied",
           "default_executor", "execute", "in_worker_process", "map_runs", "run_all",
           "worker_name"]
