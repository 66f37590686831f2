"""Warm fork-servers for ``lrcourse.sandbox.run_many``.

``run_many`` (on Linux and macOS) does not start one interpreter per job: it starts ``workers``
warm *fork-servers* ("zygotes", ``python -m lrcourse.forkserver``, each in its own session)
that import torch and the jobs' target modules once, warm torch's lazy ``torch._dynamo`` import
(one tiny optimizer is built) and set torch to one thread without running any op that would start
the OpenMP pool (forking after that deadlocks the children's matmuls, grading-security.md E6).
The zygote then forks one child per job, and the child sets up what a fresh
``lrcourse.sandbox`` child does: new session, private temporary cwd/``HOME``/``TMPDIR``,
``stdin`` on ``/dev/null``, ``stdout``/``stderr`` to files read back truncated to about 20 kB,
the same rlimits, a fresh ``random`` seed, its own network namespace. The zygote enforces the
wall clock (``killpg``), kills what the child left behind (on Linux it is a child subreaper, so
even a ``setsid`` grandchild is found and killed), and answers the parent with one
JSON line per job. Parent and zygote speak JSON lines over the zygote's stdin/stdout (never
pickle). A zygote that dies or stops answering costs the job it was running (status
``"crashed"``) and is replaced for the remaining jobs. Set ``LRCOURSE_SANDBOX=fresh`` to force
the one-interpreter-per-job path (it is also used where ``os.fork`` is missing). Like the
sandbox, this is robustness, not a security boundary: a child runs as the same user as its
zygote and could signal it or reach its pipes through ``/proc``; the parent only trusts one
well-formed answer.

Differences of forked children from fresh interpreters: they share the zygote's hash seed
(``PYTHONHASHSEED``), and they end with ``os._exit`` once the target returns, so non-daemon threads
the target started do not delay the result and ``atexit`` handlers do not run.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import random
import resource
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import warnings
from concurrent.futures import ThreadPoolExecutor
from importlib import import_module
from typing import Any, NoReturn

from lrcourse.sandbox import (
    DEFAULT_MEMORY_MB,
    OUTPUT_CAP_BYTES,
    RESULT_CAP_BYTES,
    ChildResult,
    _apply_early_limits,
    _base_env,
    _describe_exit,
    _enter_network_policy,
    _isolate_network,
    _kill_group,
    _libc,
    _network_policy,
    _parse,
    _reply,
    _run_target,
    _set_limit,
    _warn_shared_network,
    run_in_child,
)

_ZYGOTE_START_SECONDS = 180.0  # import torch + warm-up on a busy machine
_ZYGOTE_REPLY_MARGIN = 15.0  # on top of the job's timeout, for the zygote's clean-up
_ZYGOTE_LINE_CAP = 2 * RESULT_CAP_BYTES + 4 * OUTPUT_CAP_BYTES + 65536
_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36


def run_many_forked(
    jobs: list[tuple[str, dict]],
    *,
    timeout: float,
    workers: int,
    memory_mb: int = DEFAULT_MEMORY_MB,
) -> list[ChildResult]:
    """``run_many`` on fork-servers: one parent thread (and one zygote) per worker."""
    results: list[ChildResult | None] = [None] * len(jobs)
    preload = sorted({target.partition(":")[0] for target, _ in jobs})
    pending = iter(range(len(jobs)))
    lock = threading.Lock()

    def take() -> int | None:
        with lock:
            return next(pending, None)

    def work() -> None:
        zygote: _Zygote | None = None
        fresh_only = False  # a zygote would not start: this worker runs fresh interpreters
        try:
            while (index := take()) is not None:
                target, payload = jobs[index]
                result: ChildResult | None = None
                for _attempt in range(2):
                    if zygote is None and not fresh_only:
                        try:
                            zygote = _Zygote(preload)
                        except _ZygoteError as exc:
                            fresh_only = True
                            warnings.warn(
                                f"{exc}; running the jobs in fresh interpreters instead",
                                RuntimeWarning,
                                stacklevel=1,
                            )
                    if zygote is None:
                        break
                    try:
                        result = zygote.run(target, payload, timeout, memory_mb)
                    except _ZygoteGone:  # died while idle: the job never reached it
                        zygote.close()
                        zygote = None
                        continue
                    if zygote.dead:
                        zygote.close()
                        zygote = None
                    break
                if result is None:
                    result = run_in_child(target, payload, timeout=timeout, memory_mb=memory_mb)
                results[index] = result
        finally:
            if zygote is not None:
                zygote.close()

    count = max(1, min(workers, len(jobs)))
    with ThreadPoolExecutor(max_workers=count) as pool:
        for future in [pool.submit(work) for _ in range(count)]:
            future.result()
    assert all(r is not None for r in results)
    return [r for r in results if r is not None]


# ---- fork-server: parent side ------------------------------------------------------------
class _ZygoteError(Exception):
    """The zygote could not be started, died, or stopped answering."""


class _ZygoteGone(_ZygoteError):
    """The zygote was dead before it got the job (so the job is not to blame)."""


class _ZygoteHung(_ZygoteError):
    """No answer from the zygote before the deadline."""


_RESULT_FIELDS = tuple(f.name for f in dataclasses.fields(ChildResult))
_STATUSES = ("ok", "error", "timeout", "crashed")


class _Zygote:
    """One warm fork-server process and the JSON-lines conversation with it."""

    def __init__(self, preload: list[str]) -> None:
        self.dead = False
        self._buffer = bytearray()
        self._home = tempfile.mkdtemp(prefix="lrcourse-zygote-")
        self._log = tempfile.TemporaryFile(prefix="lrcourse-zygote-")  # noqa: SIM115
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "lrcourse.forkserver"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._log,
                cwd=self._home,
                env=_base_env(self._home),
                start_new_session=True,
                bufsize=0,
            )
        except OSError as exc:
            self._log.close()
            shutil.rmtree(self._home, ignore_errors=True)
            raise _ZygoteError(f"could not start a fork-server: {exc}") from exc
        try:
            now = time.monotonic()
            self._send({"preload": preload}, now + _ZYGOTE_START_SECONDS)
            hello = self._receive(now + _ZYGOTE_START_SECONDS)
        except _ZygoteError as exc:
            self._kill()
            tail = os.pread(
                self._log.fileno(), 4096, max(0, os.fstat(self._log.fileno()).st_size - 4096)
            )
            self.close()
            last = tail.decode("utf-8", errors="replace").strip().splitlines()[-1:]
            raise _ZygoteError(f"the fork-server did not start: {exc} {last}") from exc
        if hello.get("ready") is not True or hello.get("threads") != 1:
            # more than one thread means torch's OpenMP pool (or something else) already runs:
            # forking now could deadlock the children, so this worker uses fresh interpreters
            self.close()
            raise _ZygoteError(f"the fork-server is not safe to fork from: {hello!r}")
        if not hello.get("network_isolated") and _network_policy() == "isolate":
            _warn_shared_network()

    def run(self, target: str, payload: dict, timeout: float, memory_mb: int) -> ChildResult:
        """One job; ``self.dead`` is True afterwards if the zygote has to be replaced."""
        start = time.monotonic()
        job = {"target": target, "payload": payload, "timeout": timeout, "memory_mb": memory_mb,
               "network": _network_policy()}
        try:
            self._send(job, start + _ZYGOTE_REPLY_MARGIN)
        except _ZygoteHung:
            return self._fail(start, "did not accept a job")
        limit = timeout + _ZYGOTE_REPLY_MARGIN
        try:
            reply = self._receive(start + limit)
        except _ZygoteHung:
            return self._fail(start, f"did not answer within {limit:g} s")
        except _ZygoteError as exc:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(timeout=2.0)
            code = self._proc.returncode
            if code is None:
                return self._fail(start, f"broke the protocol ({exc})")
            return self._fail(start, f"died while running this job ({_describe_exit(code, False)})")
        if not (
            set(_RESULT_FIELDS) <= reply.keys()
            and reply["status"] in _STATUSES
            and all(isinstance(reply[k], str) for k in ("stdout", "stderr"))
            and isinstance(reply["seconds"], int | float)
        ):
            return self._fail(start, "sent a malformed answer")
        return ChildResult(**{name: reply[name] for name in _RESULT_FIELDS})

    def _fail(self, start: float, what: str) -> ChildResult:
        self.dead = True
        self._kill()
        why = f"the sandbox worker (fork-server) {what}; a new one runs the remaining jobs"
        return ChildResult("crashed", None, why, "", "", time.monotonic() - start)

    def _send(self, message: dict, deadline: float) -> None:
        data = memoryview(json.dumps(message).encode() + b"\n")
        assert self._proc.stdin is not None
        fd = self._proc.stdin.fileno()
        while data:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _ZygoteHung("the fork-server did not read its input")
            _, writable, _ = select.select([], [fd], [], remaining)
            if not writable:
                continue
            try:
                data = data[os.write(fd, data[:65536]) :]
            except OSError as exc:  # BrokenPipeError: it is gone
                raise _ZygoteGone(str(exc)) from exc

    def _receive(self, deadline: float) -> dict:
        assert self._proc.stdout is not None
        fd = self._proc.stdout.fileno()
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _ZygoteHung("no answer from the fork-server")
            readable, _, _ = select.select([fd], [], [], remaining)
            if not readable:
                continue
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                raise _ZygoteError("the fork-server closed its output")
            self._buffer += chunk
            if len(self._buffer) > _ZYGOTE_LINE_CAP:
                raise _ZygoteError("the fork-server's answer was too large")
        line, _, rest = bytes(self._buffer).partition(b"\n")
        self._buffer = bytearray(rest)
        try:
            message = json.loads(line)
        except json.JSONDecodeError as exc:
            raise _ZygoteError("the fork-server sent a malformed answer") from exc
        if not isinstance(message, dict):
            raise _ZygoteError("the fork-server sent a malformed answer")
        return message

    def _kill(self) -> None:
        _kill_group(self._proc.pid)
        with contextlib.suppress(ProcessLookupError):
            self._proc.kill()
        self._proc.wait()

    def close(self) -> None:
        """Stop the zygote (it holds no state worth a graceful exit) and clean up."""
        self._kill()
        for stream in (self._proc.stdin, self._proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        self._log.close()
        shutil.rmtree(self._home, ignore_errors=True)


# ---- fork-server: zygote side ------------------------------------------------------------
def _thread_count() -> int:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Threads:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return threading.active_count()  # no /proc (macOS): Python threads only


def _warm(preload: list[str]) -> dict[str, Any]:
    """Import torch and the targets' modules once, without starting torch's OpenMP pool."""
    import torch

    torch.set_num_threads(1)
    errors: dict[str, str] = {}
    for name in preload:
        try:
            import_module(name)
        except BaseException as exc:  # the child will import it again and report the error
            errors[name] = f"{type(exc).__name__}: {exc}"
    # The first optimizer construction imports torch._dynamo (2–3 s); building one runs no op
    # in a parallel region, so the OpenMP pool stays unstarted (grading-security.md E5, E6).
    with contextlib.suppress(Exception):
        torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    with contextlib.suppress(Exception):
        import encodings.idna  # noqa: F401  (lazily imported by socket code)
    if sys.platform.startswith("linux"):
        libc = _libc()
        # orphaned descendants of a child (even setsid ones) are re-parented to the zygote,
        # which kills them after each job
        if libc is not None:
            libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    import gc

    gc.collect()
    gc.freeze()  # fewer copy-on-write page faults in the children
    return {"ready": True, "pid": os.getpid(), "threads": _thread_count(), "errors": errors,
            "network_isolated": _probe_network_isolation()}


def _probe_network_isolation() -> bool:
    """Whether a forked child can enter a new network namespace here (tried in a throwaway)."""
    if not sys.platform.startswith("linux"):
        return False
    pid = os.fork()
    if pid == 0:
        os._exit(0 if _isolate_network() else 1)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def _serve() -> int:
    """Zygote main loop: one JSON line in (a job), one JSON line out (a ChildResult)."""
    requests = os.fdopen(os.dup(0), "rb")
    answers = os.dup(1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(2, 1)  # stray prints from imports must not corrupt the protocol
    os.close(devnull)
    _set_limit(resource.RLIMIT_CORE, 0)
    hello = json.loads(requests.readline() or b"{}")
    _write_line(answers, _warm(list(hello.get("preload", []))))
    for line in requests:
        try:
            job = json.loads(line)
            reply = _serve_job(job, [requests.fileno(), answers])
        except Exception as exc:  # the zygote itself must keep going
            why = f"the sandbox worker could not run the job: {type(exc).__name__}: {exc}"
            reply = dataclasses.asdict(ChildResult("crashed", None, why, "", "", 0.0))
        _write_line(answers, reply)
    return 0


def _write_line(fd: int, message: dict[str, Any]) -> None:
    data = memoryview(json.dumps(message, allow_nan=True).encode() + b"\n")
    while data:
        data = data[os.write(fd, data) :]


def _serve_job(job: dict[str, Any], protocol_fds: list[int]) -> dict[str, Any]:
    timeout = float(job["timeout"])
    limits = {"timeout": timeout, "memory_mb": float(job.get("memory_mb", DEFAULT_MEMORY_MB))}
    private = tempfile.mkdtemp(prefix="lrcourse-child-")
    try:
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
                    fds = (out.fileno(), err.fileno(), write_fd)
                    _forked_child(job, limits, private, fds, [read_fd, *protocol_fds])
                os.close(write_fd)
                channel, overflow, status = _watch(pid, read_fd, start + timeout)
            finally:
                os.close(read_fd)
            _kill_group(pid)
            _sweep_orphans()
            seconds = time.monotonic() - start
            stdout, stderr = _read_capped(out.fileno()), _read_capped(err.fileno())
    finally:
        shutil.rmtree(private, ignore_errors=True)
    if status is None:
        why = f"did not finish within {timeout:g} s (process group killed)"
        result = ChildResult("timeout", None, why, stdout, stderr, seconds)
    else:
        returncode = os.waitstatus_to_exitcode(status)
        result = _parse(channel, returncode, overflow, stdout, stderr, seconds)
    return dataclasses.asdict(result)


def _forked_child(
    job: dict[str, Any],
    limits: dict[str, float],
    private: str,
    fds: tuple[int, int, int],
    close_fds: list[int],
) -> NoReturn:
    out_fd, err_fd, result_fd = fds
    code = 1
    try:
        zygote = os.getppid()
        os.setsid()
        if sys.platform.startswith("linux"):
            libc = _libc()
            if libc is not None:  # die with the zygote rather than run on unsupervised
                libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            if os.getppid() != zygote:
                os._exit(1)
        os.dup2(out_fd, 1)
        os.dup2(err_fd, 2)
        try:
            _enter_network_policy(str(job.get("network", "isolate")))
        except SystemExit as refused:
            _reply(result_fd, {"status": "error", "error": str(refused)})
            code = 0
            return
        for fd in (out_fd, err_fd, *close_fds):
            with contextlib.suppress(OSError):
                os.close(fd)
        os.chdir(private)
        os.environ.update(HOME=private, TMPDIR=private)
        tempfile.tempdir = None
        random.seed()  # as fresh as a new interpreter's
        numpy_random = sys.modules.get("numpy.random")
        if numpy_random is not None:
            with contextlib.suppress(Exception):
                numpy_random.seed()
        _apply_early_limits()
        _run_target(job["target"], job["payload"], limits, result_fd)
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
            if watched:
                readable, _, _ = select.select(watched, [], [], wait)
            else:
                time.sleep(wait)
                readable = []
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


def _my_children() -> list[int]:
    try:
        with open(f"/proc/self/task/{os.getpid()}/children") as file:
            return [int(pid) for pid in file.read().split()]
    except OSError:
        pass
    me, found = os.getpid(), []
    with contextlib.suppress(OSError):
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                with (
                    contextlib.suppress(OSError, ValueError, IndexError),
                    open(f"/proc/{entry}/stat") as file,
                ):
                    if int(file.read().rpartition(")")[2].split()[1]) == me:
                        found.append(int(entry))
    return found


def _sweep_orphans(seconds: float = 2.0) -> None:
    """Kill and reap whatever a child left behind that was re-parented to the zygote."""
    stop = time.monotonic() + seconds
    while True:
        with contextlib.suppress(ChildProcessError):
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        if not sys.platform.startswith("linux") or time.monotonic() > stop:
            return
        orphans = _my_children()
        if not orphans:
            return
        for pid in orphans:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        for pid in orphans:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)


def _read_capped(fd: int) -> str:
    size = os.fstat(fd).st_size
    data = os.pread(fd, OUTPUT_CAP_BYTES, 0)
    text = data.decode("utf-8", errors="replace")
    return text + ("\n… [output truncated]" if size > OUTPUT_CAP_BYTES else "")


if __name__ == "__main__":
    sys.exit(_serve())
