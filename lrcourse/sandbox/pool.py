"""The grader's side of the sandbox: start warm workers (lrcourse.sandbox.worker) under the
planned isolation, hand them jobs, and take back only well-formed, nonce-matched answers.

Workers start in the background as soon as a ``WorkerPool`` is made, so they warm up (import
torch) while the caller reads its inputs. A worker that dies, hangs or breaks the protocol costs
the job it was running (status ``"crashed"``) and is replaced for the remaining jobs.
"""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import IO, Any

from lrcourse.sandbox.cgroups import WorkerCgroup
from lrcourse.sandbox.isolation import IsolationPlan, Mode, plan, worker_env
from lrcourse.sandbox.limits import DEFAULT_MEMORY_MB, PROCESS_LIMIT
from lrcourse.sandbox.protocol import ChildResult, ProtocolError, decode_reply, encode, new_nonce
from lrcourse.sandbox.worker import describe_exit

START_SECONDS = 180.0  # import torch + warm-up on a busy machine
REPLY_MARGIN = 15.0  # on top of the job's timeout, for the worker's clean-up
LINE_CAP = 2 * 8_000_000 + 200_000
Job = tuple[str, dict[str, Any]]


class WorkerError(Exception):
    """A worker could not be started, died, or stopped answering."""


class _Gone(WorkerError):
    """The worker was dead before it got the job (so the job is not to blame)."""


class Worker:
    """One warm worker process and the JSON-lines conversation with it."""

    def __init__(
        self,
        isolation: IsolationPlan,
        index: int,
        preload: Sequence[str],
        memory_mb: int,
        spawned: Callable[[Worker], None] | None = None,
    ) -> None:
        """Start the worker and wait for its greeting; ``spawned(self)`` is called as soon as
        its process exists (so a closing pool can stop a worker that is still starting)."""
        self.dead = False
        self.protocol_broken = False  # a line that was not this job's answer arrived
        self._buffer = bytearray()
        self._home = tempfile.mkdtemp(prefix="lrcourse-worker-")
        self._log: IO[bytes] = tempfile.TemporaryFile(prefix="lrcourse-worker-")  # noqa: SIM115
        self._cgroup: WorkerCgroup | None = None
        self._uid = None if isolation.uid_base is None else isolation.uid_base + index
        argv = [sys.executable, "-m", "lrcourse.sandbox.worker"]
        wrapped = bool(isolation.wrapper)
        try:
            if isolation.cgroups is not None:
                name = f"lrcourse-{os.getpid()}-{index}-{new_nonce()[:8]}"
                self._cgroup = WorkerCgroup(name, isolation.cgroups)
                self._cgroup.limit(
                    processes=PROCESS_LIMIT + 8, memory_bytes=(memory_mb + 2048) << 20
                )
                argv = [*self._cgroup.launcher(), *isolation.wrapper, *argv]
            else:
                argv = [*isolation.wrapper, *argv]
            self._proc = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._log,
                cwd=self._home,
                env=dict(isolation.env) if wrapped else worker_env(self._home),
                start_new_session=True,
                bufsize=0,
            )
        except OSError as exc:
            self._cleanup()
            raise WorkerError(f"could not start a sandbox worker: {exc}") from exc
        if spawned is not None:
            spawned(self)
        hello = {
            "preload": list(preload),
            "uid": self._uid,
            "processes": PROCESS_LIMIT,
            "unshare_network": not wrapped,
        }
        try:
            answer = self._exchange(hello, START_SECONDS)
        except WorkerError as exc:
            self.close()
            raise WorkerError(
                f"the sandbox worker did not start: {exc} {self._log_tail()}"
            ) from exc
        if answer.get("ready") is not True or answer.get("threads") != 1:
            # more threads means torch's OpenMP pool already runs: forking could deadlock
            self.close()
            raise WorkerError(f"the sandbox worker is not safe to fork from: {answer!r}")
        if self._cgroup is not None:
            in_use = self._cgroup.memory_in_use()
            self._cgroup.limit(processes=PROCESS_LIMIT + 8, memory_bytes=in_use + (memory_mb << 20))

    def _log_tail(self) -> str:
        with contextlib.suppress(OSError, ValueError):
            size = os.fstat(self._log.fileno()).st_size
            tail = os.pread(self._log.fileno(), 2048, max(0, size - 2048))
            lines = tail.decode("utf-8", errors="replace").strip().splitlines()
            return lines[-1] if lines else ""
        return ""

    def _exchange(self, message: dict[str, Any], seconds: float) -> dict[str, Any]:
        nonce = new_nonce()
        deadline = time.monotonic() + seconds
        self._send(encode({**message, "nonce": nonce}), deadline)
        line = self._receive_line(deadline)
        import json

        try:
            answer = json.loads(line)
        except json.JSONDecodeError as exc:
            raise WorkerError("the worker sent a malformed greeting") from exc
        if not isinstance(answer, dict) or answer.get("nonce") != nonce:
            raise WorkerError("the worker's greeting carries the wrong nonce")
        return answer

    def run(
        self, target: str, payload: dict[str, Any], timeout: float, memory_mb: int
    ) -> ChildResult:
        """One job; ``self.dead`` is True afterwards if the worker has to be replaced."""
        start = time.monotonic()
        nonce = new_nonce()
        job = {
            "nonce": nonce,
            "target": target,
            "payload": payload,
            "timeout": timeout,
            "memory_mb": memory_mb,
        }
        self._send(encode(job), start + REPLY_MARGIN)
        limit = timeout + REPLY_MARGIN
        try:
            line = self._receive_line(start + limit)
            result = decode_reply(line, nonce)
            if self._buffer or self._readable():
                raise ProtocolError("more than one answer arrived for one job")
        except ProtocolError as exc:
            self.protocol_broken = True
            return self._fail(start, f"broke the protocol ({exc})")
        except WorkerError as exc:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(timeout=2.0)
            code = self._proc.returncode
            if code is None:
                return self._fail(start, f"stopped answering ({exc})")
            return self._fail(start, f"died while running this job ({describe_exit(code, False)})")
        return result

    def _readable(self) -> bool:
        assert self._proc.stdout is not None
        return bool(select.select([self._proc.stdout.fileno()], [], [], 0)[0])

    def _fail(self, start: float, what: str) -> ChildResult:
        self.dead = True
        self._kill()
        why = f"the sandbox worker {what}; a new one runs the remaining jobs"
        return ChildResult("crashed", None, why, "", "", time.monotonic() - start)

    def _send(self, data: bytes, deadline: float) -> None:
        view = memoryview(data)
        assert self._proc.stdin is not None
        fd = self._proc.stdin.fileno()
        while view:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WorkerError("the worker did not read its input")
            if not select.select([], [fd], [], remaining)[1]:
                continue
            try:
                view = view[os.write(fd, view[:65536]) :]
            except OSError as exc:  # BrokenPipeError: it is gone
                raise _Gone(str(exc)) from exc

    def _receive_line(self, deadline: float) -> bytes:
        assert self._proc.stdout is not None
        fd = self._proc.stdout.fileno()
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise WorkerError("no answer from the worker in time")
            if not select.select([fd], [], [], remaining)[0]:
                continue
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                raise WorkerError("the worker closed its output")
            self._buffer += chunk
            if len(self._buffer) > LINE_CAP:
                raise ProtocolError("the worker's answer was too large")
        line, _, rest = bytes(self._buffer).partition(b"\n")
        self._buffer = bytearray(rest)
        return line

    def _kill(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._proc.pid, 9)
        with contextlib.suppress(ProcessLookupError):
            self._proc.kill()
        self._proc.wait()

    def _cleanup(self) -> None:
        if self._cgroup is not None:
            self._cgroup.remove()
            self._cgroup = None
        self._log.close()
        shutil.rmtree(self._home, ignore_errors=True)

    def close(self) -> None:
        """Stop the worker (it holds no state worth a graceful exit) and clean up."""
        self._kill()
        for stream in (self._proc.stdin, self._proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        self._cleanup()


class WorkerPool:
    """``workers`` warm workers under one isolation plan; start warming at construction.

    ``at_once`` workers start immediately (default: all); the others start as soon as the
    first one is ready. Starting a worker is seconds of CPU (torch's import), so on a machine
    whose CPUs are also busy with the caller's own start-up, starting every worker together
    only delays the first one; with ``at_once`` the first jobs run while the rest warm up.
    ``run`` spreads jobs over the workers as they become ready.

    Use as a context manager; ``run`` may be called several times.
    """

    def __init__(
        self,
        isolation: IsolationPlan | Mode = "none",
        *,
        workers: int = 1,
        preload: Sequence[str] = (),
        memory_mb: int = DEFAULT_MEMORY_MB,
        at_once: int | None = None,
    ) -> None:
        self.plan = isolation if isinstance(isolation, IsolationPlan) else plan(isolation)
        self._memory_mb = memory_mb
        self._preload = list(preload)
        self._count = max(1, workers)
        now = self._count if at_once is None else min(self._count, max(1, at_once))
        self._closing = threading.Event()
        self._spawned: list[Worker] = []  # every worker process this pool started, in order
        self._starter = ThreadPoolExecutor(max_workers=self._count)
        self._starting: list[Future[Worker]] = [
            self._starter.submit(self._start, i) for i in range(now)
        ]
        first = self._starting[0]
        self._starting += [
            self._starter.submit(self._start_after, first, i) for i in range(now, self._count)
        ]
        self._idle: list[Worker] = []

    def _start(self, index: int) -> Worker:
        if self._closing.is_set():
            raise WorkerError("the pool is closing")
        return Worker(self.plan, index, self._preload, self._memory_mb, self._spawned.append)

    def _start_after(self, first: Future[Worker], index: int) -> Worker:
        """Worker ``index``, started once ``first`` has started (or failed to)."""
        with contextlib.suppress(Exception):
            first.result()
        return self._start(index)

    def _take(self, slot: int) -> Worker | None:
        future = self._starting[slot]
        try:
            return future.result()
        except WorkerError:
            return None

    def run(
        self,
        jobs: Sequence[Job],
        *,
        timeout: float,
        on_result: Callable[[int, ChildResult], None] | None = None,
    ) -> list[ChildResult]:
        """Run every job, in parallel over the workers; results in job order.

        ``on_result(index, result)`` is called (from a pool thread, one call at a time) as soon
        as each job's result is in.
        """
        results: list[ChildResult | None] = [None] * len(jobs)
        pending = iter(range(len(jobs)))
        handed_out = [0]
        taken: set[int] = set()  # slots whose starting worker this run took over
        lock = threading.Lock()

        def next_job() -> int | None:
            with lock:
                index = next(pending, None)
                handed_out[0] += index is not None
                return index

        def wait_for_worker(slot: int) -> Worker | None:
            """The slot's worker once it is ready, or None (no worker) if every job has been
            handed out before then: a worker still starting is left for the next run."""
            future = self._starting[slot]
            while not future.done():
                with lock:
                    if handed_out[0] >= len(jobs) > 0:
                        return None
                wait([future], timeout=0.05)
            with lock:
                taken.add(slot)
            return self._take(slot)

        def deliver(index: int, result: ChildResult) -> None:
            with lock:
                results[index] = result
                if on_result is not None:
                    on_result(index, result)

        def work(slot: int) -> None:
            worker = wait_for_worker(slot) if slot < len(self._starting) else None
            if worker is None and slot < len(self._starting) and slot not in taken:
                return  # every job is out; this slot's worker is still starting
            start_error = ""
            try:
                while (index := next_job()) is not None:
                    target, payload = jobs[index]
                    result = None
                    for _attempt in range(2):
                        if worker is None:
                            try:
                                worker = self._start(slot)
                            except WorkerError as exc:
                                start_error = str(exc)
                                break
                        try:
                            result = worker.run(target, payload, timeout, self._memory_mb)
                        except _Gone:  # died while idle: the job never reached it
                            worker.close()
                            worker = None
                            continue
                        if worker.dead:
                            retry = worker.protocol_broken and _attempt == 0
                            worker.close()
                            worker = None
                            if retry:  # the stray line may be an earlier job's doing
                                continue
                        break
                    if result is None:
                        result = ChildResult(
                            "crashed", None, start_error or "no sandbox worker", "", "", 0.0
                        )
                    deliver(index, result)
            finally:
                if worker is not None:
                    with lock:
                        self._idle.append(worker)

        count = min(self._count, max(1, len(jobs)))
        with ThreadPoolExecutor(max_workers=count) as threads:
            for future in [threads.submit(work, slot) for slot in range(count)]:
                future.result()
        # workers handed back to _idle are reused by the next run, and so are those still
        # starting that no slot took
        untaken = [f for slot, f in enumerate(self._starting) if slot not in taken]
        self._starting = [_done(w) for w in self._idle] + untaken
        self._idle = []
        return [
            r if r is not None else ChildResult("crashed", None, "lost", "", "", 0.0)
            for r in results
        ]

    def close(self) -> None:
        """Stop every worker, including those still starting (they are not waited for)."""
        self._closing.set()
        starting = [f for f in self._starting if not f.done()]
        if starting:
            for worker in list(self._spawned):
                worker.dead = True
                worker._kill()  # its start fails at once; the future then holds a WorkerError
        for future in self._starting:
            with contextlib.suppress(Exception):
                future.result().close()
        for worker in self._idle:
            worker.close()
        self._starting, self._idle = [], []
        self._starter.shutdown(wait=True)

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _done(worker: Worker) -> Future[Worker]:
    future: Future[Worker] = Future()
    future.set_result(worker)
    return future


def run_many(
    jobs: Sequence[Job],
    *,
    timeout: float = 30.0,
    workers: int | None = None,
    isolation: IsolationPlan | Mode = "none",
    memory_mb: int = DEFAULT_MEMORY_MB,
) -> list[ChildResult]:
    """Run ``target(payload)`` for each ``(target, payload)`` job in sandbox children.

    ``workers`` defaults to the CPUs this process may use. A bad target string raises
    ValueError before anything runs; anything a job does becomes its ChildResult.
    """
    from lrcourse.sandbox.cpus import available_cpus

    for target, _ in jobs:
        if ":" not in target:
            raise ValueError(f"target must look like 'package.module:function', got {target!r}")
    if not jobs:
        return []
    count = min(len(jobs), workers or available_cpus())
    preload = sorted({target.partition(":")[0] for target, _ in jobs})
    with WorkerPool(isolation, workers=count, preload=preload, memory_mb=memory_mb) as pool:
        return pool.run(jobs, timeout=timeout)


def run_in_child(
    target: str,
    payload: dict[str, Any],
    *,
    timeout: float = 30.0,
    isolation: IsolationPlan | Mode = "none",
    memory_mb: int = DEFAULT_MEMORY_MB,
) -> ChildResult:
    """``run_many`` for one job."""
    return run_many(
        [(target, payload)], timeout=timeout, workers=1, isolation=isolation, memory_mb=memory_mb
    )[0]
