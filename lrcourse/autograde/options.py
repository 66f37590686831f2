"""How a class is graded (a light module: the CLI reads its defaults without importing torch)."""

from __future__ import annotations

from dataclasses import dataclass

from lrcourse.sandbox.isolation import Mode
from lrcourse.sandbox.limits import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT


@dataclass(frozen=True)
class GradeOptions:
    """How to grade: per-cell timeout, workers (default: the CPUs available), isolation mode,
    regrade, shard ``(index, count)`` and the memory allowance per job."""

    timeout: float = DEFAULT_TIMEOUT
    workers: int | None = None
    isolation: Mode = "strict"
    regrade: bool = False
    shard: tuple[int, int] | None = None
    memory_mb: int = DEFAULT_MEMORY_MB
