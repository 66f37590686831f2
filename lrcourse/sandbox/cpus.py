"""How many CPUs this process may really use: its affinity mask and its cgroup's CPU quota,
not the host's core count (a container on a 64-core host may get two)."""

from __future__ import annotations

import math
import os
from pathlib import Path


def _quota_v2() -> float | None:
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
    except (OSError, ValueError):
        return None
    return None if quota == "max" else int(quota) / int(period)


def _quota_v1() -> float | None:
    base = Path("/sys/fs/cgroup/cpu")
    try:
        quota = int((base / "cpu.cfs_quota_us").read_text())
        period = int((base / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return None
    return None if quota <= 0 or period <= 0 else quota / period


def available_cpus() -> int:
    """CPUs usable by this process (at least 1)."""
    try:
        count = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        count = os.cpu_count() or 1
    quota = _quota_v2() or _quota_v1()
    if quota is not None:
        count = min(count, max(1, math.ceil(quota)))
    return max(1, count)
