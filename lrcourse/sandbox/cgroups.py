"""One cgroup per sandbox worker, so that process and memory limits hold across every process
a learner starts (rlimits are per process, and ``RLIMIT_NPROC`` does not bind uid 0).

cgroup v2 (``pids.max``, ``memory.max``) is used where the unified hierarchy has both
controllers, else cgroup v1's ``pids`` and ``memory`` hierarchies. Both need root (or a
delegated subtree); ``detect()`` says what this machine offers.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path
from typing import Literal

ROOT = Path("/sys/fs/cgroup")
Version = Literal["v1", "v2"]


def _writable_dir(path: Path) -> bool:
    probe = path / f"lrcourse-probe-{os.getpid()}"
    try:
        probe.mkdir()
    except OSError:
        return False
    with contextlib.suppress(OSError):
        probe.rmdir()
    return True


def detect() -> Version | None:
    """The cgroup version usable for per-worker limits here, or None."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return None
    controllers = ROOT / "cgroup.controllers"
    if controllers.is_file():
        offered = controllers.read_text().split()
        if {"pids", "memory"} <= set(offered) and _enable_v2_controllers():
            return "v2" if _writable_dir(ROOT) else None
        return None
    v1 = [ROOT / "pids", ROOT / "memory"]
    if all((d / "cgroup.procs").is_file() for d in v1) and all(_writable_dir(d) for d in v1):
        return "v1"
    return None


def _enable_v2_controllers() -> bool:
    control = ROOT / "cgroup.subtree_control"
    try:
        if {"pids", "memory"} <= set(control.read_text().split()):
            return True
        control.write_text("+pids +memory")
        return True
    except OSError:
        return False


class WorkerCgroup:
    """The cgroup(s) of one worker: created empty, limited, joined by the worker's launcher
    (``launcher()``), killed and removed by ``remove()``."""

    def __init__(self, name: str, version: Version) -> None:
        self.version = version
        if version == "v2":
            self._dirs = {"pids": ROOT / name, "memory": ROOT / name}
        else:
            self._dirs = {"pids": ROOT / "pids" / name, "memory": ROOT / "memory" / name}
        for folder in set(self._dirs.values()):
            folder.mkdir(exist_ok=True)

    def _write(self, controller: str, name: str, value: str) -> None:
        (self._dirs[controller] / name).write_text(value)

    def limit(self, *, processes: int, memory_bytes: int) -> None:
        """Cap the worker's processes (and threads) and its memory, all processes together."""
        self._write("pids", "pids.max", str(processes))
        if self.version == "v2":
            self._write("memory", "memory.max", str(memory_bytes))
            with contextlib.suppress(OSError):
                self._write("memory", "memory.swap.max", "0")
        else:
            self._write("memory", "memory.limit_in_bytes", str(memory_bytes))
            with contextlib.suppress(OSError):  # only with swap accounting
                self._write("memory", "memory.memsw.limit_in_bytes", str(memory_bytes))

    def memory_in_use(self) -> int:
        """Bytes charged to the worker now."""
        name = "memory.current" if self.version == "v2" else "memory.usage_in_bytes"
        try:
            return int((self._dirs["memory"] / name).read_text())
        except (OSError, ValueError):
            return 0

    def launcher(self) -> list[str]:
        """argv prefix that moves the launched process into this cgroup before it execs."""
        procs = sorted({str(d / "cgroup.procs") for d in self._dirs.values()})
        script = "".join(f'echo $$ > "{p}" && ' for p in procs) + 'exec "$@"'
        return ["/bin/sh", "-c", script, "lrcourse-worker"]

    def _pids(self) -> list[int]:
        found: set[int] = set()
        for folder in set(self._dirs.values()):
            with contextlib.suppress(OSError, ValueError):
                found |= {int(p) for p in (folder / "cgroup.procs").read_text().split()}
        return sorted(found)

    def remove(self) -> None:
        """Kill whatever still runs in the cgroup and remove it."""
        deadline = time.monotonic() + 5.0
        while (pids := self._pids()) and time.monotonic() < deadline:
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.02)
        for folder in set(self._dirs.values()):
            for _ in range(50):
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)
