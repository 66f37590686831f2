"""Sandbox workers: every way a job can end becomes a ChildResult, and nothing leaks into the
next job (mode "none": rlimits and process control only; the isolation layers have their own
tests in test_isolation.py)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from lrcourse.sandbox import ChildResult, WorkerPool, run_in_child, run_many
from lrcourse.sandbox import pool as pool_module

T = "tests.sandbox_targets:"
TIMEOUT = 3.0

# name -> (target, payload, expected status)
CASES: dict[str, tuple[str, dict[str, object], str]] = {
    "echo": (T + "echo", {"a": [1, 2]}, "ok"),
    "boom": (T + "boom", {"n": 7}, "error"),
    "spin": (T + "spin", {}, "timeout"),
    "hard_exit": (T + "hard_exit", {"code": 0}, "crashed"),
    "soft_exit": (T + "soft_exit", {}, "error"),
    "sleep": (T + "sleep", {}, "timeout"),
    "read_stdin": (T + "read_stdin", {}, "ok"),
    "not_json": (T + "not_json", {}, "error"),
    "flood": (T + "flood", {}, "ok"),
    "allocate": (T + "allocate", {"gib": 8}, "error"),
    "unknown": ("no_such_module_x:f", {}, "error"),
    "matmul": (T + "matmul", {}, "ok"),
    "matmul_2_threads": (T + "matmul", {"threads": 2}, "ok"),
    "network": (T + "network", {}, "ok"),
}
ESCAPES = {"escape": "ok", "escape_then_sleep": "timeout"}


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """All cases (plus setsid escapes) through one run_many on two warm workers."""
    pids = tmp_path_factory.mktemp("pids")
    jobs = {name: (target, payload) for name, (target, payload, _) in CASES.items()}
    for name in ESCAPES:
        jobs[name] = (T + "escape", {"pidfile": str(pids / name), "sleep": name.endswith("sleep")})
    results = run_many(list(jobs.values()), timeout=TIMEOUT, workers=2)
    return {
        "names": list(jobs),
        "results": results,
        "by_name": dict(zip(jobs, results, strict=True)),
        "pids": pids,
    }


def result(batch: dict[str, object], name: str) -> ChildResult:
    by_name = batch["by_name"]
    assert isinstance(by_name, dict)
    found = by_name[name]
    assert isinstance(found, ChildResult)
    return found


def test_every_case_gets_its_status_in_job_order(batch: dict[str, object]) -> None:
    expected = {name: status for name, (_, _, status) in CASES.items()} | ESCAPES
    names = batch["names"]
    assert isinstance(names, list)
    assert [result(batch, n).status for n in names] == [expected[n] for n in names]


def test_ok_returns_the_json_value_and_prints_separately(batch: dict[str, object]) -> None:
    r = result(batch, "echo")
    assert r.value["got"] == {"a": [1, 2]}
    assert "learner print" in r.stdout
    assert r.value["threads"] == "1"
    assert "lrcourse-job-" in r.value["cwd"]


def test_exceptions_exits_and_bad_results_are_named(batch: dict[str, object]) -> None:
    assert result(batch, "boom").error == "ValueError: bad value 7"
    assert "exited with code 0 without returning a result" in (
        result(batch, "hard_exit").error or ""
    )
    assert (result(batch, "soft_exit").error or "").startswith("SystemExit")
    assert "TypeError" in (result(batch, "not_json").error or "")
    assert "ModuleNotFoundError" in (result(batch, "unknown").error or "")
    assert result(batch, "read_stdin").value == ""


@pytest.mark.parametrize("name", ["spin", "sleep"])
def test_busy_and_sleeping_children_time_out(batch: dict[str, object], name: str) -> None:
    r = result(batch, name)
    assert f"within {TIMEOUT:g} s" in (r.error or "")
    assert r.seconds < TIMEOUT + 3


def test_output_flood_is_truncated_and_memory_is_limited(batch: dict[str, object]) -> None:
    assert "output truncated" in result(batch, "flood").stdout
    assert len(result(batch, "flood").stdout) < 25_000
    assert "alloc" in (result(batch, "allocate").error or "").lower()


def test_a_forged_answer_written_to_every_descriptor_reaches_no_other_job() -> None:
    """A child can only fill its own result channel (an untrusted value, judged by the caller);
    it cannot answer for the worker, so the jobs around it keep their own results."""
    jobs = [(T + "echo", {"i": 0}), (T + "forge_every_fd", {}), (T + "echo", {"i": 2})]
    results = run_many(jobs, timeout=TIMEOUT, workers=1)
    assert results[0].value["got"] == {"i": 0} and results[2].value["got"] == {"i": 2}
    assert results[1].value in (None, "forged")


@pytest.mark.parametrize("name", ["matmul", "matmul_2_threads"])
def test_matmul_and_optimizer_step_work_in_forked_children(
    batch: dict[str, object], name: str
) -> None:
    r = result(batch, name)
    assert r.value["finite"] is True
    assert r.value["threads"] == (2 if name.endswith("threads") else 1)


@pytest.mark.parametrize("name", list(ESCAPES))
def test_setsid_grandchildren_are_killed(batch: dict[str, object], name: str) -> None:
    pid = int((Path(str(batch["pids"])) / name).read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_children_get_no_network(batch: dict[str, object]) -> None:
    r = result(batch, "network")
    assert r.value["interfaces"] == ["lo"]
    assert r.value["loopback"] != "ok"


def test_a_job_that_kills_or_stops_its_worker_costs_only_that_job(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pool_module, "REPLY_MARGIN", 1.0)
    jobs = [
        (T + "echo", {"i": 0}),
        (T + "kill_parent", {}),
        (T + "echo", {"i": 2}),
        (T + "stop_parent", {}),
        (T + "boom", {"n": 4}),
    ]
    results = run_many(jobs, timeout=2.0, workers=1)
    assert [r.status for r in results] == ["ok", "crashed", "ok", "crashed", "error"]
    assert "died while running this job" in (results[1].error or "")
    assert "stopped answering" in (results[3].error or "")
    assert results[2].value["got"] == {"i": 2}


def test_a_pool_keeps_its_workers_warm_between_runs() -> None:
    with WorkerPool("none", workers=1, preload=["tests.sandbox_targets"]) as pool:
        first = pool.run([(T + "pid", {})], timeout=10)[0]
        start = time.monotonic()
        second = pool.run([(T + "pid", {})], timeout=10)[0]
        assert time.monotonic() - start < 2.0  # no new torch import
    assert first.value["worker"] == second.value["worker"]
    assert first.value["pid"] != second.value["pid"]


def test_bad_target_raises_before_anything_runs() -> None:
    with pytest.raises(ValueError, match=r"package\.module:function"):
        run_many([("no_colon", {})])
    assert run_many([]) == []


def test_run_in_child_is_one_job() -> None:
    r = run_in_child(T + "boom", {"n": 1}, timeout=20)
    assert (r.status, r.error) == ("error", "ValueError: bad value 1")


def test_answers_injected_into_the_worker_pipes_cost_no_other_job() -> None:
    """Without the isolation layers (mode "none", where a job running as root can open the
    worker's pipes through /proc), lines forged into the protocol carry no valid nonce: the
    worker is replaced, a job that met a stray line is run again, and every other job gets its
    own answer."""
    jobs = [
        (T + "echo", {"i": 0}),
        (T + "inject_answers", {}),
        (T + "echo", {"i": 2}),
        (T + "echo", {"i": 3}),
    ]
    results = run_many(jobs, timeout=10, workers=1)
    assert [results[i].value["got"] for i in (0, 2, 3)] == [{"i": 0}, {"i": 2}, {"i": 3}]
    assert results[1].value != "injected"
