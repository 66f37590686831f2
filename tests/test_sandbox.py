"""Does run_in_child contain whatever the target does, and report it as a status?"""

from __future__ import annotations

import time

import pytest

from lrcourse.sandbox import ChildResult, run_in_child, run_many

T = "tests.sandbox_targets:"


def test_ok_returns_json_value_and_captures_prints_separately() -> None:
    r = run_in_child(T + "echo", {"a": [1, 2]}, timeout=20)
    assert r.status == "ok", r
    assert r.value["got"] == {"a": [1, 2]}
    assert r.value["threads"] == "1"
    assert "lrcourse-child-" in r.value["cwd"]
    assert "learner print" in r.stdout
    assert r.error is None


def test_exception_becomes_error_status_with_type_and_message() -> None:
    r = run_in_child(T + "boom", {"n": 7}, timeout=20)
    assert (r.status, r.error) == ("error", "ValueError: bad value 7")
    assert "Traceback" in r.stderr


@pytest.mark.parametrize("name", ["spin", "sleep"])
def test_timeout_kills_busy_and_sleeping_children(name: str) -> None:
    start = time.monotonic()
    r = run_in_child(T + name, {}, timeout=1.0)
    assert r.status == "timeout"
    assert "1 s" in (r.error or "")
    assert time.monotonic() - start < 6


def test_hard_exit_zero_is_not_success() -> None:
    r = run_in_child(T + "hard_exit", {"code": 0}, timeout=20)
    assert r.status == "crashed"
    assert "exited with code 0" in (r.error or "")


def test_sys_exit_is_an_error() -> None:
    assert run_in_child(T + "soft_exit", {}, timeout=20).error == "SystemExit: 3"


def test_stdin_is_empty_and_result_must_be_json() -> None:
    assert run_in_child(T + "read_stdin", {}, timeout=20).value == ""
    r = run_in_child(T + "not_json", {}, timeout=20)
    assert r.status == "error" and "JSON" in (r.error or "")


def test_output_flood_is_truncated() -> None:
    r = run_in_child(T + "flood", {}, timeout=30)
    assert r.status == "ok"
    assert len(r.stdout) < 21_000 and r.stdout.endswith("[output truncated]")


def test_memory_limit_turns_huge_allocation_into_an_error() -> None:
    r = run_in_child(T + "allocate", {"gib": 8}, timeout=30, memory_mb=1024)
    assert r.status == "error" and "allocate" in (r.error or "")


def test_unknown_module_and_bad_target() -> None:
    assert run_in_child("no_such_module_x:f", {}, timeout=20).status == "error"
    with pytest.raises(ValueError, match=r"package\.module:function"):
        run_in_child("no-colon", {})


def test_run_many_keeps_job_order() -> None:
    results = run_many([(T + "boom", {"n": 1}), (T + "echo", {"i": 2})], timeout=20)
    assert [r.status for r in results] == ["error", "ok"]
    assert all(isinstance(r, ChildResult) for r in results)
    assert run_many([]) == []
