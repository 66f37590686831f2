"""Run a learner's object or source on a spec and report raw observations (the untrusted side).

``observe_object`` runs in the learner's own kernel for interactive checks; ``observe_source``
is the sandbox target of ``lrcourse check`` and ``lrcourse grade``. Either way the result is a
*report*: a JSON dict of what happened (observations, or the exception, syntax error or missing
name), never a verdict. lrcourse.exercises.verdict turns a report into Feedback on the trusted
side. This module must not import the judges: in batch grading they are hidden from it.
"""

from __future__ import annotations

import difflib
from typing import Any

from lrcourse.exercises.isolation import isolated
from lrcourse.exercises.learner_errors import learner_line
from lrcourse.exercises.observers import OBSERVERS
from lrcourse.exercises.outcomes import CheckTimeout
from lrcourse.exercises.submission import execute_source

TARGET = "lrcourse.exercises.runner:observe_source"
Report = dict[str, Any]


def _raised(exc: BaseException, phase: str) -> Report:
    return {
        "kind": "raised",
        "type": type(exc).__name__,
        "message": str(exc)[:2000],
        "where": learner_line(exc),
        "phase": phase,
    }


def observe_object(
    exercise_id: str, obj: Any, spec: dict[str, Any], *, timeout: float | None = None
) -> Report:
    """Run the exercise's observer on ``obj`` under a seeded, restored torch state."""
    observe = OBSERVERS[exercise_id]
    captured_warnings: list[str] = []
    try:
        with isolated(
            int(spec.get("seed", 0)) if isinstance(spec, dict) else 0, timeout=timeout
        ) as captured:
            try:
                observations = observe(obj, spec)
            finally:
                captured_warnings = captured.warnings[:20]
    except CheckTimeout as exc:
        return {"kind": "timeout", "message": str(exc)}
    except SystemExit as exc:
        return {"kind": "exit", "code": repr(exc.code)}
    except Exception as exc:
        return _raised(exc, "call")
    return {
        "kind": "observed",
        "observations": observations,
        "warnings": [w[:500] for w in captured_warnings],
    }


def find_entry_point(namespace: dict[str, Any], name: str, kind: str) -> Report | None:
    """None when ``namespace[name]`` is a usable function/class, else a report saying why."""
    if name in namespace:
        obj = namespace[name]
        ok = isinstance(obj, type) if kind == "class" else callable(obj)
        return None if ok else {"kind": "wrong-kind", "found": type(obj).__name__}
    public = [k for k in namespace if not k.startswith("__")]
    close = difflib.get_close_matches(name, public, n=1, cutoff=0.6)
    return {"kind": "missing", "similar": close[0] if close else None}


def observe_source(payload: dict[str, Any]) -> Report:
    """Sandbox target: execute ``payload["source"]``, find the entry point, observe it."""
    source, filename = str(payload["source"]), str(payload.get("filename", "<submission>"))
    name, kind = str(payload["entry_point"]), str(payload["kind"])
    try:
        with isolated(0, timeout=payload.get("timeout")):
            namespace = execute_source(source, filename)
    except SyntaxError as exc:
        return {
            "kind": "syntax",
            "message": str(exc.msg),
            "line": exc.lineno,
            "text": (exc.text or "").rstrip()[:500],
        }
    except CheckTimeout as exc:
        return {"kind": "timeout", "message": str(exc)}
    except SystemExit as exc:
        return {"kind": "exit", "code": repr(exc.code), "phase": "module"}
    except Exception as exc:
        return _raised(exc, "module")
    problem = find_entry_point(namespace, name, kind)
    if problem is not None:
        return problem
    return observe_object(
        str(payload["exercise_id"]),
        namespace[name],
        payload["spec"],
        timeout=payload.get("timeout"),
    )
