"""The sandbox worker (a warm fork-server): ``python -m lrcourse.sandbox.worker``.

It runs inside the isolation that lrcourse.sandbox.isolation planned. It imports torch and the
jobs' modules once, warms torch's lazy ``torch._dynamo`` import, keeps torch single-threaded
without starting its OpenMP pool (forking after that deadlocks the children's matmuls), makes
itself non-dumpable (so no job can read its memory or open its pipes through ``/proc``) and a
child subreaper. Then, for each job line on stdin, it forks one child that:

- starts a new session, dies with the worker, gets ``stdin`` on ``/dev/null`` and
  ``stdout``/``stderr`` in files read back truncated;
- closes every descriptor of the protocol;
- drops to the job's unprivileged uid when one is given (and checks that it cannot get root
  back), then sets its rlimits (lrcourse.sandbox.limits);
- works in a private folder under the sandbox's ``/tmp``;
- calls the target and writes its JSON result to a pipe of its own.

The worker enforces the wall clock (``killpg``), then kills every process the job left behind
(its subreaper children, and anything still running as the job's uid), removes the private
folder and answers with one JSON line carrying the job's nonce (lrcourse.sandbox.protocol).
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import json
import os
import random
import resource
import select
import shutil
import signal
import sys
import tempfile
import time
import traceback
from importlib import import_module
from typing import Any, NoReturn

from lrcourse.sandbox.limits import (
    DEFAULT_MEMORY_MB,
    OUTPUT_CAP_BYTES,
    RESULT_CAP_BYTES,
    apply_early_limits,
    run_target,
    set_limit,
)

_PR_SET_PDEATHSIG = 1
_PR_SET_DUMPABLE = 4
_PR_SET_CHILD_SUBREAPER = 36
_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000


def _libc() -> Any:
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def _thread_count() -> int:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Threads:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 1


def _warm(preload: list[str]) -> dict[str, str]:
    """Import torch and the targets' modules once, without starting torch's OpenMP pool."""
    import torch

    torch.set_num_threads(1)
    errors: dict[str, str] = {}
    for name in preload:
        try:
            import_module(name)
        except BaseException as exc:  # the child imports it again and reports the error
            errors[name] = f"{type(exc).__name__}: {exc}"
    # The first optimizer construction imports torch._dynamo (2–3 s); building one runs no op
    # in a parallel region, so the OpenMP pool stays unstarted.
    with contextlib.suppress(Exception):
        torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    with contextlib.suppress(Exception):
        import encodings.idna  # noqa: F401  (imported lazily by socket code, unreadable later)
    libc = _libc()
    if libc is not None and sys.platform.startswith("linux"):
        libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
        libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)
    gc.collect()
    gc.freeze()  # fewer copy-on-write page faults in the children
    return errors


def _write_line(fd: int, message: dict[str, Any]) -> None:
    data = memoryview(json.dumps(message, allow_nan=True).encode() + b"\n")
    while data:
        data = data[os.write(fd, data) :]


def serve() -> int:
    """Worker main loop: one JSON line in (a job), one JSON line out (its result)."""
    requests = os.fdopen(os.dup(0), "rb")
    answers = os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(2, 1)  # stray prints from imports must not corrupt the protocol
    os.close(devnull)
    set_limit(resource.RLIMIT_CORE, 0)
    hello = json.loads(requests.readline() or b"{}")
    errors = _warm(list(hello.get("preload", [])))
    uid = hello.get("uid")
    settings = {
        "uid": uid if isinstance(uid, int) else None,
        "processes": hello.get("processes"),
        "unshare_network": bool(hello.get("unshare_network")),
    }
    _write_line(
        answers,
        {
            "nonce": hello.get("nonce"),
            "ready": True,
            "pid": os.getpid(),
            "threads": _thread_count(),
            "errors": errors,
        },
    )
    for line in requests:
        nonce = None
        try:
            job = json.loads(line)
            nonce = job.get("nonce")
            answer = _serve_job(job, settings, [requests.fileno(), answers])
        except Exception as exc:  # the worker itself must keep going
            why = f"the sandbox worker could not run the job: {type(exc).__name__}: {exc}"
            answer = {
                "status": "crashed",
                "value": None,
                "error": why,
                "stdout": "",
                "stderr": "",
                "seconds": 0.0,
            }
        answer["nonce"] = nonce
        _write_line(answers, answer)
    return 0


def _serve_job(
    job: dict[str, Any], settings: dict[str, Any], protocol_fds: list[int]
) -> dict[str, Any]:
    timeout = float(job["timeout"])
    memory_mb = int(job.get("memory_mb", DEFAULT_MEMORY_MB))
    uid = settings["uid"]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        read_fd, write_fd = os.pipe()
        try:
            sys.stdout.flush()
            sys.stderr.flush()
            start = time.monotonic()
            try:
                pid = os.fork()
            except BaseException:
                os.close(write_fd)
                raise
            if pid == 0:
                _child(
                    job,
                    settings,
                    (out.fileno(), err.fileno(), write_fd),
                    [read_fd, *protocol_fds],
                    timeout,
                    memory_mb,
                )
            os.close(write_fd)
            channel, overflow, status = _watch(pid, read_fd, start + timeout)
        finally:
            os.close(read_fd)
        _kill_group(pid)
        _sweep(uid)
        seconds = time.monotonic() - start
        stdout, stderr = _read_capped(out.fileno()), _read_capped(err.fileno())
    _remove_private(pid)
    if status is None:
        why = f"did not finish within {timeout:g} s (process group killed)"
        return _answer("timeout", None, why, stdout, stderr, seconds)
    return _parse(channel, os.waitstatus_to_exitcode(status), overflow, stdout, stderr, seconds)


def _answer(
    status: str, value: Any, error: str | None, stdout: str, stderr: str, seconds: float
) -> dict[str, Any]:
    return {
        "status": status,
        "value": value,
        "error": error,
        "stdout": stdout,
        "stderr": stderr,
        "seconds": seconds,
    }


def _parse(
    channel: str, returncode: int, overflow: bool, out: str, err: str, seconds: float
) -> dict[str, Any]:
    if overflow:
        return _answer("crashed", None, "the result was too large", out, err, seconds)
    try:
        message = json.loads(channel) if channel else None
    except json.JSONDecodeError:
        message = None
    if isinstance(message, dict) and message.get("status") == "ok":
        return _answer("ok", message.get("value"), None, out, err, seconds)
    if isinstance(message, dict) and message.get("status") == "error":
        return _answer("error", None, str(message.get("error")), out, err, seconds)
    return _answer("crashed", None, describe_exit(returncode, bool(channel)), out, err, seconds)


def describe_exit(returncode: int, garbled: bool) -> str:
    """A sentence for how a child ended without a well-formed result."""
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


def _private_dir(pid: int) -> str:
    return os.path.join(tempfile.gettempdir(), f"lrcourse-job-{pid}")


def _remove_private(pid: int) -> None:
    shutil.rmtree(_private_dir(pid), ignore_errors=True)


def _drop_privileges(uid: int) -> None:
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    if os.getuid() != uid or os.geteuid() != uid:
        raise PermissionError("could not drop to the job's uid")
    try:
        os.setuid(0)
    except PermissionError:
        return
    raise PermissionError("the job could get root back after dropping its uid")


def _isolate_network() -> None:
    libc = _libc()
    if libc is None or not sys.platform.startswith("linux"):
        return
    if libc.unshare(_CLONE_NEWNET) != 0:
        libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET)


def _child(
    job: dict[str, Any],
    settings: dict[str, Any],
    fds: tuple[int, int, int],
    close_fds: list[int],
    timeout: float,
    memory_mb: int,
) -> NoReturn:
    out_fd, err_fd, result_fd = fds
    code = 1
    try:
        worker = os.getppid()
        os.setsid()
        libc = _libc()
        if libc is not None and sys.platform.startswith("linux"):
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            if os.getppid() != worker:
                os._exit(1)
        os.dup2(out_fd, 1)
        os.dup2(err_fd, 2)
        for fd in (out_fd, err_fd, *close_fds):
            with contextlib.suppress(OSError):
                os.close(fd)
        if settings["unshare_network"]:
            _isolate_network()
        private = _private_dir(os.getpid())
        if settings["uid"] is not None:
            _drop_privileges(int(settings["uid"]))
        os.mkdir(private, 0o700)
        os.chdir(private)
        os.environ.update(HOME=private, TMPDIR=private)
        tempfile.tempdir = None
        random.seed()  # as fresh as a new interpreter's
        processes = settings["processes"] if settings["uid"] is not None else None
        apply_early_limits(processes=processes)
        run_target(str(job["target"]), job["payload"], timeout, memory_mb, result_fd)
        code = 0
    except BaseException:
        with contextlib.suppress(BaseException):
            traceback.print_exc()
            sys.stderr.flush()
    finally:
        os._exit(code)


def _watch(pid: int, read_fd: int, deadline: float) -> tuple[str, bool, int | None]:
    """Collect the child's reply until it exits or ``deadline`` passes (then kill its group).

    Returns (reply text, reply overflowed, wait status or None if it timed out). A grandchild
    holding the reply pipe open cannot delay this: the child's exit is what counts.
    """
    chunks: list[bytes] = []
    size = 0
    overflow = False
    pidfd: int | None = None
    if hasattr(os, "pidfd_open"):
        with contextlib.suppress(OSError):
            pidfd = os.pidfd_open(pid)
    status: int | None = None
    eof = False

    def take(chunk: bytes) -> None:
        nonlocal size, overflow
        room = RESULT_CAP_BYTES - size
        if room > 0:
            chunks.append(chunk[:room])
            size += min(room, len(chunk))
        overflow = overflow or len(chunk) > room

    try:
        while status is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            watched = ([] if eof else [read_fd]) + ([] if pidfd is None else [pidfd])
            wait = remaining if pidfd is not None else min(remaining, 0.005)
            readable = select.select(watched, [], [], wait)[0] if watched else []
            if not watched:
                time.sleep(wait)
            if read_fd in readable:
                chunk = os.read(read_fd, 65536)
                if chunk:
                    take(chunk)
                else:
                    eof = True
            if pidfd is None or pidfd in readable:
                done, wait_status = os.waitpid(pid, os.WNOHANG)
                if done:
                    status = wait_status
        if status is None:
            _kill_group(pid)
            os.waitpid(pid, 0)
        elif not eof:  # the child is gone: take what it left in the pipe, without waiting
            os.set_blocking(read_fd, False)
            stop = time.monotonic() + 1.0
            with contextlib.suppress(BlockingIOError):
                while time.monotonic() < stop and (chunk := os.read(read_fd, 65536)):
                    take(chunk)
    finally:
        if pidfd is not None:
            os.close(pidfd)
    return b"".join(chunks).decode("utf-8", errors="replace"), overflow, status


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _processes() -> list[tuple[int, int, int]]:
    """(pid, parent pid, real uid) of every process this worker can see."""
    found = []
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            with open(f"/proc/{entry}/stat") as file:
                ppid = int(file.read().rpartition(")")[2].split()[1])
            uid = os.stat(f"/proc/{entry}").st_uid
            found.append((int(entry), ppid, uid))
    return found


def _sweep(uid: int | None, seconds: float = 2.0) -> None:
    """Kill and reap what a job left behind: processes re-parented to this subreaper, and
    (when jobs run under their own uid) every process of that uid."""
    me = os.getpid()
    stop = time.monotonic() + seconds
    while True:
        with contextlib.suppress(ChildProcessError):
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        if not sys.platform.startswith("linux") or time.monotonic() > stop:
            return
        left = [
            pid
            for pid, ppid, owner in _processes()
            if pid != me and (ppid == me or (uid is not None and owner == uid))
        ]
        if not left:
            return
        for pid in left:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.005)


def _read_capped(fd: int) -> str:
    size = os.fstat(fd).st_size
    data = os.pread(fd, OUTPUT_CAP_BYTES, 0)
    text = data.decode("utf-8", errors="replace")
    return text + ("\n… [output truncated]" if size > OUTPUT_CAP_BYTES else "")


if __name__ == "__main__":
    sys.exit(serve())
