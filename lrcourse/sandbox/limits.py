"""Limits a sandbox child sets on itself before the target runs, and the call of the target.

- ``RLIMIT_CORE`` 0, ``RLIMIT_FSIZE`` 16 MiB, ``RLIMIT_NOFILE`` 256;
- ``RLIMIT_NPROC`` (processes and threads of the child's uid) when the child runs under its own
  unprivileged uid, where the kernel enforces it (it does not for uid 0);
- ``RLIMIT_CPU``: CPU seconds already used + the job's timeout + 1, so a busy loop dies even if
  the wall-clock watchdog is slow;
- ``RLIMIT_AS``: the address space in use once the target's module (and so torch) is imported,
  plus the job's memory allowance. ``import torch`` alone needs about 510 MiB, so the limit is
  relative; a per-worker memory cgroup (lrcourse.sandbox.cgroups) bounds all processes together.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import traceback
from importlib import import_module
from typing import Any

OUTPUT_CAP_BYTES = 20_000
RESULT_CAP_BYTES = 8_000_000
FILE_SIZE_LIMIT = 16 * 1024 * 1024
OPEN_FILES_LIMIT = 256
PROCESS_LIMIT = 64
DEFAULT_MEMORY_MB = 2048
DEFAULT_TIMEOUT = 60.0  # seconds of wall clock for one job


def set_limit(which: int, soft: int) -> None:
    """Lower both limits of ``which`` to ``soft`` (never above an existing hard limit)."""
    _, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(which, (soft, soft))


def address_space_bytes() -> int:
    """This process's current virtual size (``VmSize``), 0 where /proc is missing."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def apply_early_limits(*, processes: int | None) -> None:
    """Limits that do not depend on the target (``processes``: RLIMIT_NPROC, or None)."""
    set_limit(resource.RLIMIT_CORE, 0)
    set_limit(resource.RLIMIT_FSIZE, FILE_SIZE_LIMIT)
    set_limit(resource.RLIMIT_NOFILE, OPEN_FILES_LIMIT)
    if processes is not None:
        set_limit(resource.RLIMIT_NPROC, processes)


def apply_late_limits(timeout: float, memory_mb: int) -> None:
    """Limits that depend on what importing the target cost (CPU used, address space)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_used = usage.ru_utime + usage.ru_stime
    set_limit(resource.RLIMIT_CPU, int(cpu_used + timeout + 1))
    if sys.platform.startswith("linux"):
        set_limit(resource.RLIMIT_AS, address_space_bytes() + (memory_mb << 20))


def reply(fd: int, message: dict[str, Any]) -> None:
    """Write ``message`` as JSON to ``fd`` and close it."""
    try:
        data = json.dumps(message, allow_nan=True).encode()
    except (TypeError, ValueError) as exc:
        data = json.dumps({"status": "error", "error": f"{type(exc).__name__}: {exc}"}).encode()
    with os.fdopen(fd, "wb") as channel:
        channel.write(data)


def run_target(target: str, payload: Any, timeout: float, memory_mb: int, fd: int) -> None:
    """Import and call ``target(payload)``, then write its JSON reply to ``fd``."""
    module_name, _, func_name = target.partition(":")
    try:
        func = getattr(import_module(module_name), func_name)
        apply_late_limits(timeout, memory_mb)
        message: dict[str, Any] = {"status": "ok", "value": func(payload)}
    except BaseException as exc:  # the parent turns every failure into a status
        traceback.print_exc()
        message = {"status": "error", "error": f"{type(exc).__name__}: {exc}"}
    sys.stdout.flush()
    sys.stderr.flush()
    reply(fd, message)
