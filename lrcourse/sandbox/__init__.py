"""Run untrusted code in isolated children and get raw JSON observations back.

Public API::

    run_many(jobs, *, timeout, workers, isolation, memory_mb) -> list[ChildResult]
    run_in_child(target, payload, *, timeout, isolation, memory_mb) -> ChildResult
    WorkerPool(isolation, *, workers, preload, memory_mb, at_once)  # warm workers, several runs
    plan(mode) -> IsolationPlan          # probe the layers; IsolationError in strict mode
    available_cpus() -> int

Modules: ``isolation`` (which layers, bubblewrap argv), ``cgroups`` (per-worker limits),
``worker`` (the fork-server inside the sandbox), ``limits`` (rlimits, calling the target),
``protocol`` (nonce-tagged JSON lines), ``pool`` (the grader's side), ``cpus``.
Nothing that comes back is trusted: callers judge the values themselves.
"""

from lrcourse.sandbox.cpus import available_cpus
from lrcourse.sandbox.isolation import IsolationError, IsolationPlan, Mode, plan
from lrcourse.sandbox.pool import WorkerPool, run_in_child, run_many
from lrcourse.sandbox.protocol import ChildResult

__all__ = [
    "ChildResult",
    "IsolationError",
    "IsolationPlan",
    "Mode",
    "WorkerPool",
    "available_cpus",
    "plan",
    "run_in_child",
    "run_many",
]
