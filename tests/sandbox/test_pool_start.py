"""A pool's staggered start: workers beyond ``at_once`` start when the first is ready, a run does
not wait for a worker that is still starting, and closing the pool stops such a worker at once
(mode "none"; the isolation layers have their own tests)."""

from __future__ import annotations

import time

from lrcourse.sandbox import WorkerPool

T = "tests.sandbox_targets:"


def test_a_run_uses_the_first_worker_while_the_second_still_starts() -> None:
    with WorkerPool("none", workers=2, preload=["tests.sandbox_targets"], at_once=1) as pool:
        first, second = pool._starting
        assert not second.done()  # it waits for the first one
        results = pool.run([(T + "pid", {}), (T + "pid", {})], timeout=10)
        assert [r.status for r in results] == ["ok", "ok"]
        assert first.done()
        # both jobs ran on the first worker: the run did not wait for the second one
        assert len({r.value["worker"] for r in results}) == 1
        ready = [future.result() for future in pool._starting]  # the second one, now warm
        assert len({id(worker) for worker in ready}) == 2
        again = pool.run([(T + "pid", {})] * 4, timeout=10)
        assert [r.status for r in again] == ["ok"] * 4


def test_closing_stops_a_worker_that_is_still_starting() -> None:
    pool = WorkerPool("none", workers=2, preload=["tests.sandbox_targets"], at_once=1)
    assert pool.run([(T + "echo", {"i": 1})], timeout=10)[0].status == "ok"
    start = time.monotonic()
    pool.close()
    assert time.monotonic() - start < 1.5  # a worker's start takes seconds: not waited for
    assert pool._spawned and all(w._proc.returncode is not None for w in pool._spawned)


def test_by_default_every_worker_starts_at_once() -> None:
    with WorkerPool("none", workers=2, preload=["tests.sandbox_targets"]) as pool:
        time.sleep(0.3)
        assert len(pool._spawned) == 2
