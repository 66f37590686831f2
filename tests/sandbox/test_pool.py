"""Does the sandbox contain whatever the target does, and report it as a status?

Every behaviour is checked on both paths: ``fresh`` (``run_in_child``: one new interpreter per
job) and ``fork`` (``run_many``: children forked from warm fork-servers). The fork-path cases
run together in one module-scoped ``run_many`` batch, so the zygotes start only once.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from lrcourse import forkserver, sandbox
from lrcourse.sandbox import ChildResult, run_in_child, run_many

T = "tests.sandbox_targets:"
FORK_TIMEOUT = 3.0
FRESH_TIMEOUT = 1.0

# name -> (target, payload, status expected on both paths)
CASES: dict[str, tuple[str, dict, str]] = {
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

Outcome = Callable[..., ChildResult]


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """All cases (plus setsid escapes) through one run_many on the fork-server path."""
    if not sandbox._fork_server_available():
        pytest.skip("no fork-server on this platform (or LRCOURSE_SANDBOX=fresh)")
    pids = tmp_path_factory.mktemp("pids")
    jobs = {name: (target, payload) for name, (target, payload, _) in CASES.items()}
    for name in ESCAPES:
        payload = {"pidfile": str(pids / name), "sleep": name.endswith("sleep")}
        jobs[name] = (T + "escape", payload)
    start = time.monotonic()
    results = run_many(list(jobs.values()), timeout=FORK_TIMEOUT, workers=2)
    return {
        "names": list(jobs),
        "results": results,
        "by_name": dict(zip(jobs, results, strict=True)),
        "pids": pids,
        "wall": time.monotonic() - start,
    }


@pytest.fixture(params=["fresh", "fork"])
def outcome(request: pytest.FixtureRequest) -> Outcome:
    """``outcome(name, **kw)`` -> the ChildResult of case ``name`` on the chosen path."""
    if request.param == "fresh":

        def fresh(name: str, timeout: float = 20, memory_mb: int = 3072) -> ChildResult:
            target, payload, _ = CASES[name]
            return run_in_child(target, payload, timeout=timeout, memory_mb=memory_mb)

        return fresh
    by_name = request.getfixturevalue("batch")["by_name"]
    return lambda name, **_: by_name[name]


def _timeout_of(outcome: Outcome) -> float:
    return FRESH_TIMEOUT if outcome.__name__ == "fresh" else FORK_TIMEOUT


def test_ok_returns_json_value_and_captures_prints_separately(outcome: Outcome) -> None:
    r = outcome("echo")
    assert r.status == "ok", r
    assert r.value["got"] == {"a": [1, 2]}
    assert r.value["threads"] == "1"
    assert "lrcourse-child-" in r.value["cwd"]
    assert "learner print" in r.stdout
    assert r.error is None


def test_exception_becomes_error_status_with_type_and_message(outcome: Outcome) -> None:
    r = outcome("boom")
    assert (r.status, r.error) == ("error", "ValueError: bad value 7")
    assert "Traceback" in r.stderr


@pytest.mark.parametrize("name", ["spin", "sleep"])
def test_timeout_kills_busy_and_sleeping_children(outcome: Outcome, name: str) -> None:
    limit = _timeout_of(outcome)
    start = time.monotonic()
    r = outcome(name, timeout=limit)
    assert r.status == "timeout"
    assert f"within {limit:g} s" in (r.error or "")
    assert r.seconds < limit + 3
    assert time.monotonic() - start < limit + 5


def test_hard_exit_zero_is_not_success(outcome: Outcome) -> None:
    r = outcome("hard_exit")
    assert r.status == "crashed"
    assert "exited with code 0" in (r.error or "")


def test_sys_exit_is_an_error(outcome: Outcome) -> None:
    assert outcome("soft_exit").error == "SystemExit: 3"


def test_stdin_is_empty_and_result_must_be_json(outcome: Outcome) -> None:
    assert outcome("read_stdin").value == ""
    r = outcome("not_json")
    assert r.status == "error" and "JSON" in (r.error or "")


def test_output_flood_is_truncated(outcome: Outcome) -> None:
    r = outcome("flood", timeout=30)
    assert r.status == "ok"
    assert len(r.stdout) < 21_000 and r.stdout.endswith("[output truncated]")
    assert r.stdout.startswith("x" * 50 + " 0\n")


def test_memory_limit_turns_huge_allocation_into_an_error(outcome: Outcome) -> None:
    r = outcome("allocate", timeout=30, memory_mb=1024)
    assert r.status == "error" and "allocate" in (r.error or "")


def test_unknown_module_is_an_error(outcome: Outcome) -> None:
    r = outcome("unknown")
    assert r.status == "error" and "no_such_module_x" in (r.error or "")


def test_bad_target_raises_before_anything_runs() -> None:
    with pytest.raises(ValueError, match=r"package\.module:function"):
        run_in_child("no-colon", {})
    with pytest.raises(ValueError, match=r"package\.module:function"):
        run_many([(T + "echo", {}), ("no-colon", {})])


# ---- fork-server specifics ----------------------------------------------------------------
def test_run_many_uses_the_fork_server_and_keeps_job_order(batch: dict) -> None:
    expected = {name: status for name, (_, _, status) in CASES.items()} | ESCAPES
    assert [r.status for r in batch["results"]] == [expected[n] for n in batch["names"]]
    assert all(isinstance(r, ChildResult) for r in batch["results"])
    # the children's private directories live under a zygote's: no silent fresh fallback
    assert "lrcourse-zygote-" in batch["by_name"]["echo"].value["cwd"]


@pytest.mark.parametrize("name", ["matmul", "matmul_2_threads"])
def test_matmul_and_optimizer_step_work_in_forked_children(batch: dict, name: str) -> None:
    r = batch["by_name"][name]
    assert r.status == "ok", r
    assert r.value["finite"] is True
    assert r.value["threads"] == (2 if name.endswith("threads") else 1)


@pytest.mark.parametrize("name", list(ESCAPES))
def test_setsid_grandchildren_are_killed(batch: dict, name: str) -> None:
    r = batch["by_name"][name]
    assert r.status == ESCAPES[name], r
    if r.status == "timeout":
        assert f"within {FORK_TIMEOUT:g} s" in (r.error or "")
    pid = int((Path(batch["pids"]) / name).read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_a_job_that_kills_or_stops_its_zygote_costs_only_that_job(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if not sandbox._fork_server_available():
        pytest.skip("no fork-server on this platform")
    monkeypatch.setattr(forkserver, "_ZYGOTE_REPLY_MARGIN", 1.0)
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
    assert "SIGKILL" in (results[1].error or "")
    assert "did not answer within 3 s" in (results[3].error or "")
    assert results[2].value["got"] == {"i": 2}


def test_without_fork_run_many_uses_fresh_interpreters(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(os, "fork", raising=False)
    assert not sandbox._fork_server_available()
    results = run_many([(T + "boom", {"n": 1}), (T + "echo", {"i": 2})], timeout=20)
    assert [r.status for r in results] == ["error", "ok"]
    assert "lrcourse-zygote-" not in results[1].value["cwd"]
    assert run_many([]) == []


def test_environment_variable_forces_fresh_interpreters(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LRCOURSE_SANDBOX", "fresh")
    assert not sandbox._fork_server_available()


def test_children_get_no_network(outcome: Outcome) -> None:
    """Learner code sees only a loopback interface that is down: nothing is reachable."""
    r = outcome("network")
    assert r.status == "ok", r
    assert r.value["interfaces"] == ["lo"]
    assert r.value["loopback"] != "ok"


def test_network_can_be_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LRCOURSE_SANDBOX_NETWORK", "allow")
    r = run_in_child(T + "network", {}, timeout=20)
    assert r.status == "ok" and r.value["loopback"] == "ok"


def test_required_isolation_fails_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the kernel refuses a namespace, `require` turns the job into an error."""
    monkeypatch.setenv("LRCOURSE_SANDBOX_NETWORK", "require")
    monkeypatch.setattr(sandbox, "_isolate_network", lambda: False)
    with pytest.raises(SystemExit, match="network isolation is required"):
        sandbox._enter_network_policy("require")
    sandbox._enter_network_policy("isolate")  # best effort: no exception
