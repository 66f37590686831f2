"""The isolation layers hold where the machine allows them, and strict mode refuses to start
where one is missing, naming it and how to get it."""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lrcourse.sandbox import IsolationError, plan, run_many
from lrcourse.sandbox.isolation import hidden_paths, package_dir
from tests import sandbox_targets

REQUIRED = os.environ.get("LRCOURSE_REQUIRE_ISOLATION") == "1"


def job(function: Callable[[dict[str, Any]], Any], args: dict[str, Any]) -> tuple[str, dict]:
    """A sandbox job that runs one of tests/sandbox_targets.py's functions from its source (the
    tests folder itself is not visible inside the sandbox)."""
    code = "import os, time\n" + inspect.getsource(function)
    return "lrcourse.sandbox.probe:run_code", {
        "code": code,
        "call": function.__name__,
        "args": args,
    }


@pytest.fixture(scope="module")
def strict() -> object:
    try:
        return plan("strict")
    except IsolationError as exc:
        if REQUIRED:
            raise
        pytest.skip(f"full isolation is not available here: {exc}")


def test_strict_refuses_without_bubblewrap_and_says_how_to_get_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no bwrap on the PATH
    with pytest.raises(IsolationError) as refused:
        plan("strict")
    text = str(refused.value)
    assert "namespaces" in text and "apt-get install bubblewrap" in text
    assert "--isolation trusted" in text
    trusted = plan("trusted")  # a trusted class may still be graded, with the gaps listed
    assert not trusted.holds("namespaces")
    assert "[NO ] namespaces" in trusted.describe()


def test_unknown_mode_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown isolation mode"):
        plan("loose")  # type: ignore[arg-type]


def test_answer_keys_exist_in_the_package_and_are_hidden(strict: object) -> None:
    hidden = hidden_paths()
    assert {p.name for p in hidden} >= {"judges", "solutions"}
    facts = run_many(
        [
            (
                "lrcourse.sandbox.probe:facts",
                {"paths": [str(p) for p in hidden] + [str(package_dir() / "feedback.py")]},
            )
        ],
        timeout=60,
        isolation=strict,  # type: ignore[arg-type]
    )[0]
    assert facts.status == "ok", facts
    readable = facts.value["readable"]
    assert [readable[str(p)] for p in hidden] == [False] * len(hidden)
    assert readable[str(package_dir() / "feedback.py")] is True  # the package itself works


def test_a_strict_job_is_unprivileged_alone_and_offline(strict: object, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("the answer key")
    os.environ["LRCOURSE_TEST_SECRET"] = "s3cr3t"
    try:
        facts = run_many(
            [("lrcourse.sandbox.probe:facts", {"paths": [str(secret), "/root", "/etc/shadow"]})],
            timeout=60,
            isolation=strict,
        )[0]  # type: ignore[arg-type]
    finally:
        del os.environ["LRCOURSE_TEST_SECRET"]
    assert facts.status == "ok", facts
    value = facts.value
    assert value["uid"] != 0 and value["euid"] != 0
    assert value["network"] is False
    assert value["processes"] <= 3  # its own PID namespace: the worker, itself (and init)
    assert not any(value["readable"][p] for p in (str(secret), "/etc/shadow"))
    assert "LRCOURSE_TEST_SECRET" not in value["environment"]


def test_strict_limits_hold_across_processes(strict: object) -> None:
    """A fork bomb stops at the process cap, and four processes cannot share more memory than
    one job's allowance."""
    results = run_many(
        [
            job(sandbox_targets.fork_many, {"count": 200}),
            job(sandbox_targets.memory_in_processes, {"processes": 4, "mib": 200}),
        ],
        timeout=30,
        isolation=strict,
        memory_mb=512,  # type: ignore[arg-type]
    )
    forks, memory = results
    assert forks.status == "ok", forks
    assert forks.value["started"] < 100 and forks.value["refused"]
    assert memory.status == "ok", memory
    assert memory.value["completed"] < 4


def test_a_strict_job_cannot_touch_the_world_outside(strict: object, tmp_path: Path) -> None:
    target = tmp_path / "victim.txt"
    target.write_text("untouched")
    r = run_many(
        [job(sandbox_targets.vandal, {"victim": str(target), "leak": "/tmp/lrcourse-test-leak"})],
        timeout=30,
        isolation=strict,
    )[0]  # type: ignore[arg-type]
    assert r.status == "ok", r
    assert target.read_text() == "untouched"
    assert not Path("/tmp/lrcourse-test-leak").exists()
    assert r.value["package_writable"] is False


def test_a_checkout_under_tmp_stays_visible_inside_the_sandbox() -> None:
    """The private /tmp is mounted before the read-only binds, so an interpreter or a package
    that lives under /tmp (a CI checkout, say) is not hidden by it."""
    from lrcourse.sandbox.isolation import bubblewrap_argv, worker_env

    argv = bubblewrap_argv(worker_env("/tmp"), as_root=True)
    tmpfs = argv.index("/tmp", argv.index("--tmpfs"))
    binds = [i for i, a in enumerate(argv) if a == "--ro-bind"]
    assert binds and tmpfs < min(binds)
