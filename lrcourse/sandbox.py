"""Run one trusted function in a limited child process, and get its JSON result back.

The child is a fresh ``python -m lrcourse.sandbox`` interpreter in its own session (process
group), with a private temporary working directory, ``stdin`` on ``/dev/null``, one OpenMP/MKL
thread and these limits (set by the child on itself before the target runs):

- wall clock: the parent kills the whole process group after ``timeout`` seconds;
- ``RLIMIT_CPU``: CPU seconds already used + ``timeout`` + 1 (a busy loop dies even if the
  parent is slow to notice);
- ``RLIMIT_AS``: the address space in use once the target's module (and so torch) is imported,
  plus ``memory_mb``; ``import torch`` alone needs about 510 MiB, which is why the limit is
  relative rather than absolute;
- ``RLIMIT_FSIZE`` 16 MiB, ``RLIMIT_NOFILE`` 256, ``RLIMIT_CORE`` 0;
- captured ``stdout``/``stderr`` truncated to about 20 kB each.

On Linux the child also gets a new, empty network namespace before the target runs (no
interfaces but a loopback that is down, so no connection anywhere, not even to this machine);
``unshare(CLONE_NEWNET)`` as root, else inside a new user namespace. Where the kernel refuses
(some containers), jobs run with the host's network and a ``RuntimeWarning`` says so; set
``LRCOURSE_SANDBOX_NETWORK=require`` to make that an error instead, or ``allow`` to skip it.

The result travels as JSON over a private pipe, never over the stdout that learner prints go to,
and is never unpickled. This is *robustness*, not a security boundary: code in the child can
write to that pipe too, so a verdict computed inside the child is only as trustworthy as the
code that ran there (see grading-security.md §6.5).

``run_many`` runs its jobs on warm fork-servers where it can (``lrcourse.forkserver``), which
saves the seconds each fresh interpreter spends importing torch.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Any, Literal

OUTPUT_CAP_BYTES = 20_000
RESULT_CAP_BYTES = 8_000_000
FILE_SIZE_LIMIT = 16 * 1024 * 1024
OPEN_FILES_LIMIT = 256
_FD_ENV = "LRCOURSE_SANDBOX_FD"
_LIMITS_ENV = "LRCOURSE_SANDBOX_LIMITS"
_THREAD_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS")
_MODE_ENV = "LRCOURSE_SANDBOX"  # "fresh": run_many starts one interpreter per job
DEFAULT_MEMORY_MB = 3072
_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000
_NETWORK_ENV = "LRCOURSE_SANDBOX_NETWORK"

ChildStatus = Literal["ok", "error", "timeout", "crashed"]


@dataclass(frozen=True)
class ChildResult:
    """What came back from one child process.

    Attributes:
        status: ``"ok"`` (the target returned), ``"error"`` (it raised), ``"timeout"`` (killed
            after the wall-clock limit) or ``"crashed"`` (the process ended without a result).
        value: the JSON value the target returned (``None`` unless status is ``"ok"``).
        error: ``"ExcType: message"`` for ``"error"``; what happened for timeout/crashed.
        stdout: the child's captured standard output, truncated to about 20 kB.
        stderr: the child's captured standard error, truncated to about 20 kB.
        seconds: wall-clock seconds from start to the end of the child.
    """

    status: ChildStatus
    value: Any
    error: str | None
    stdout: str
    stderr: str
    seconds: float


# ---- parent side --------------------------------------------------------------------------
def run_in_child(
    target: str,
    payload: dict,
    *,
    timeout: float = 30.0,
    memory_mb: int = DEFAULT_MEMORY_MB,
    cwd: str | None = None,
) -> ChildResult:
    """Call ``target(payload)`` in a fresh, limited child interpreter and return its result.

    Args:
        target: ``"package.module:function"``; the function takes the payload dict and returns
            a JSON-able value.
        payload: JSON-able dict handed to the function.
        timeout: wall-clock seconds before the child's whole process group is killed.
        memory_mb: address space allowed on top of what the interpreter uses once the target's
            module is imported.
        cwd: working directory for the child; by default a private temporary directory that is
            removed afterwards.

    Never raises for anything the child does; a bad ``target`` string raises ``ValueError``.
    """
    if ":" not in target:
        raise ValueError(f"target must look like 'package.module:function', got {target!r}")
    message = json.dumps({"target": target, "payload": payload}).encode()
    with tempfile.TemporaryDirectory(prefix="lrcourse-child-") as private:
        return _run(message, timeout, memory_mb, cwd or private, private)


def run_many(
    jobs: list[tuple[str, dict]], *, timeout: float = 30.0, workers: int = 2
) -> list[ChildResult]:
    """Run ``run_in_child(target, payload)`` for each job, ``workers`` at a time, in job order.

    On Linux and macOS the jobs run as children forked from ``workers`` warm fork-servers (see
    the module docstring), which saves the 2–5 s that each fresh interpreter spends importing
    torch; elsewhere, or with ``LRCOURSE_SANDBOX=fresh``, each job is a fresh interpreter.
    A bad ``target`` string raises ``ValueError`` before anything runs.
    """
    if not jobs:
        return []
    for target, _ in jobs:
        if ":" not in target:
            raise ValueError(f"target must look like 'package.module:function', got {target!r}")
    if not _fork_server_available():
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            futures = [pool.submit(run_in_child, t, p, timeout=timeout) for t, p in jobs]
            return [f.result() for f in futures]
    from lrcourse.forkserver import run_many_forked  # it imports this module

    return run_many_forked(jobs, timeout=timeout, workers=workers)


def _fork_server_available() -> bool:
    if os.environ.get(_MODE_ENV, "").strip().lower() == "fresh":
        return False
    return hasattr(os, "fork") and sys.platform.startswith(("linux", "darwin"))


def _base_env(home: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "TZ")}
    root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)
    env.update({name: "1" for name in _THREAD_ENV})
    env.update(
        HOME=home,
        TMPDIR=home,
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONUNBUFFERED="1",
        MPLBACKEND="Agg",
    )
    return env


def _child_env(result_fd: int, limits: dict[str, float], home: str) -> dict[str, str]:
    env = _base_env(home)
    env.update({_FD_ENV: str(result_fd), _LIMITS_ENV: json.dumps(limits)})
    return env


def _run(message: bytes, timeout: float, memory_mb: int, cwd: str, home: str) -> ChildResult:
    read_fd, write_fd = os.pipe()
    limits = {"timeout": float(timeout), "memory_mb": float(memory_mb),
              "network": _network_policy()}
    start = time.monotonic()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "lrcourse.sandbox"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=(write_fd,),
            cwd=cwd,
            env=_child_env(write_fd, limits, home),
            start_new_session=True,
        )
    finally:
        os.close(write_fd)
    readers = [
        _Reader(os.fdopen(read_fd, "rb"), RESULT_CAP_BYTES),
        _Reader(proc.stdout, OUTPUT_CAP_BYTES),
        _Reader(proc.stderr, OUTPUT_CAP_BYTES),
    ]
    timed_out = _feed_and_wait(proc, message, timeout)
    _kill_group(proc.pid)
    for reader in readers:
        reader.join(2.0)
    seconds = time.monotonic() - start
    channel, out, err = (r.text() for r in readers)
    if timed_out:
        why = f"did not finish within {timeout:g} s (process group killed)"
        return ChildResult("timeout", None, why, out, err, seconds)
    return _parse(channel, proc.returncode, readers[0].overflow, out, err, seconds)


def _feed_and_wait(proc: subprocess.Popen, message: bytes, timeout: float) -> bool:
    """Send the job on stdin, wait up to ``timeout``; True if it had to be killed."""
    try:
        assert proc.stdin is not None
        proc.stdin.write(message)
        proc.stdin.close()
    except (BrokenPipeError, OSError):
        pass
    try:
        proc.wait(timeout=timeout)
        return False
    except subprocess.TimeoutExpired:
        _kill_group(proc.pid)
        proc.wait()
        return True


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _parse(
    channel: str, returncode: int, overflow: bool, out: str, err: str, seconds: float
) -> ChildResult:
    if overflow:
        return ChildResult("crashed", None, "the result was too large", out, err, seconds)
    try:
        reply = json.loads(channel) if channel else None
    except json.JSONDecodeError:
        reply = None
    if isinstance(reply, dict) and reply.get("status") == "ok":
        return ChildResult("ok", reply.get("value"), None, out, err, seconds)
    if isinstance(reply, dict) and reply.get("status") == "error":
        return ChildResult("error", None, str(reply.get("error")), out, err, seconds)
    return ChildResult(
        "crashed", None, _describe_exit(returncode, bool(channel)), out, err, seconds
    )


def _describe_exit(returncode: int, garbled: bool) -> str:
    if garbled:
        return f"the child sent a malformed result (exit code {returncode})"
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        extra = " (CPU time limit)" if name == "SIGXCPU" else ""
        return f"the process was killed by {name}{extra}"
    return f"the process exited with code {returncode} without returning a result"


class _Reader:
    """Drain a pipe on a daemon thread, keeping at most ``cap`` bytes."""

    def __init__(self, stream: Any, cap: int) -> None:
        self._stream, self._cap = stream, cap
        self._chunks: list[bytes] = []
        self._size = 0
        self.overflow = False
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        try:
            while chunk := self._stream.read1(65536):
                room = self._cap - self._size
                if room > 0:
                    self._chunks.append(chunk[:room])
                    self._size += min(room, len(chunk))
                self.overflow = self.overflow or len(chunk) > room
        except (OSError, ValueError):
            pass
        finally:
            self._stream.close()

    def join(self, seconds: float) -> None:
        self._thread.join(seconds)

    def text(self) -> str:
        text = b"".join(self._chunks).decode("utf-8", errors="replace")
        return text + ("\n… [output truncated]" if self.overflow else "")


# ---- child side ---------------------------------------------------------------------------
def _set_limit(which: int, soft: int) -> None:
    _, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(which, (soft, hard if hard != resource.RLIM_INFINITY else soft))


def _address_space_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def _apply_late_limits(limits: dict[str, float]) -> None:
    """Limits that depend on what importing the target cost (address space, CPU used)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_used = usage.ru_utime + usage.ru_stime
    _set_limit(resource.RLIMIT_CPU, int(cpu_used + limits["timeout"] + 1))
    if sys.platform.startswith("linux"):
        _set_limit(resource.RLIMIT_AS, _address_space_bytes() + (int(limits["memory_mb"]) << 20))


def _reply(fd: int, reply: dict[str, Any]) -> None:
    try:
        data = json.dumps(reply, allow_nan=True).encode()
    except (TypeError, ValueError) as exc:
        data = json.dumps({"status": "error", "error": f"{type(exc).__name__}: {exc}"}).encode()
    with os.fdopen(fd, "wb") as channel:
        channel.write(data)


def _libc() -> Any:
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def _network_policy() -> str:
    """``isolate`` (default: try, warn if impossible), ``require`` or ``allow``."""
    value = os.environ.get(_NETWORK_ENV, "isolate").strip().lower()
    return value if value in ("isolate", "require", "allow") else "isolate"


def _isolate_network() -> bool:
    """Move this single-threaded process into a new, empty network namespace (Linux only)."""
    if not sys.platform.startswith("linux"):
        return False
    libc = _libc()
    if libc is None:
        return False
    if libc.unshare(_CLONE_NEWNET) == 0:  # root (CAP_SYS_ADMIN): keeps the uid
        return True
    return bool(libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET) == 0)  # unprivileged


def _enter_network_policy(policy: str) -> None:
    """Apply the network policy in a child before any learner code runs; fail closed on
    ``require``."""
    if policy == "allow":
        return
    if not _isolate_network() and policy == "require":
        raise SystemExit("network isolation is required (LRCOURSE_SANDBOX_NETWORK=require) "
                         "but this system does not allow a new network namespace")


_network_warned = False


def _warn_shared_network() -> None:
    global _network_warned
    if not _network_warned:
        _network_warned = True
        warnings.warn("sandbox children could not get their own network namespace on this "
                      "system: learner code runs with network access", RuntimeWarning,
                      stacklevel=3)


def _apply_early_limits() -> None:
    _set_limit(resource.RLIMIT_CORE, 0)
    _set_limit(resource.RLIMIT_FSIZE, FILE_SIZE_LIMIT)
    _set_limit(resource.RLIMIT_NOFILE, OPEN_FILES_LIMIT)


def _run_target(target: str, payload: Any, limits: dict[str, float], fd: int) -> None:
    """Import and call the target, then write its reply to ``fd`` (shared by both paths)."""
    module_name, _, func_name = target.partition(":")
    try:
        func = getattr(import_module(module_name), func_name)
        _apply_late_limits(limits)
        value = func(payload)
        reply: dict[str, Any] = {"status": "ok", "value": value}
    except BaseException as exc:  # the parent turns every failure into a status
        traceback.print_exc()
        reply = {"status": "error", "error": f"{type(exc).__name__}: {exc}"}
    sys.stdout.flush()
    sys.stderr.flush()
    _reply(fd, reply)


def _child_main() -> int:
    fd = int(os.environ.pop(_FD_ENV))
    os.set_inheritable(fd, False)
    limits = json.loads(os.environ.pop(_LIMITS_ENV))
    try:
        _enter_network_policy(str(limits.get("network", "isolate")))
    except SystemExit as refused:
        _reply(fd, {"status": "error", "error": str(refused)})
        return 0
    _apply_early_limits()
    job = json.loads(sys.stdin.buffer.read())
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    _run_target(job["target"], job["payload"], limits, fd)
    return 0


if __name__ == "__main__":
    sys.exit(_child_main())
