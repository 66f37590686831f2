"""Check learner *source code*: in this process (``check_source``) or in a limited child
process (``check_file``), so that an infinite loop or a crash still gives a verdict in time.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from lrcourse.exercises.catalog import exercise
from lrcourse.exercises.exercise import learner_exception_feedback, run_check
from lrcourse.exercises.isolation import isolated
from lrcourse.exercises.outcomes import Outcome
from lrcourse.exercises.submission import execute_source, find_entry_point, syntax_error_message
from lrcourse.feedback import Feedback
from lrcourse.sandbox import ChildResult, run_in_child

CHILD_TARGET = "lrcourse.exercises.source_check:check_in_child"


def check_source(
    exercise_id: str,
    source: str,
    *,
    seed: int | None = None,
    filename: str = "<submission>",
    timeout: float | None = None,
) -> Feedback:
    """Execute ``source`` in a fresh namespace, find the exercise's entry point and check it.

    Syntax errors, exceptions at module level and a missing name become Feedback values.
    Raises UnknownExerciseError for an unknown id.
    """
    ex = exercise(exercise_id)
    content = ex._content
    try:
        with isolated(0, timeout=timeout):
            namespace = execute_source(source, filename)
        obj = find_entry_point(namespace, ex.entry_point, ex.kind)
    except SyntaxError as exc:
        return Feedback("error", "Syntax error", syntax_error_message(exc), subject=ex.id)
    except Outcome as out:
        return Feedback(out.status, out.title, out.message, out.details, out.hint, subject=ex.id)
    except NotImplementedError:
        return Feedback("not-attempted", "Not attempted yet", subject=ex.id)
    except SystemExit:
        return Feedback("error", "Your code called sys.exit() at module level", subject=ex.id)
    except Exception as exc:
        return learner_exception_feedback(exc, ex.id)
    return run_check(content, ex._check_fn, obj, seed=seed, timeout=timeout)


def check_in_child(payload: dict[str, Any]) -> dict[str, Any]:
    """Sandbox target: ``check_source`` on the payload; returns ``Feedback.to_dict()``."""
    feedback = check_source(
        payload["exercise_id"],
        payload["source"],
        seed=payload.get("seed"),
        filename=payload.get("filename", "<submission>"),
    )
    return feedback.to_dict()


def read_source(path: str | os.PathLike[str]) -> str:
    """Read a submission as UTF-8 text (a BOM is dropped); FileNotFoundError if missing."""
    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"no such submission file: {file}")
    return file.read_bytes().decode("utf-8-sig", errors="replace")


def check_file(
    exercise_id: str,
    path: str | os.PathLike[str],
    *,
    timeout: float = 60.0,
    seed: int | None = None,
) -> Feedback:
    """Check the source file at ``path`` in a sandbox child (see lrcourse.sandbox).

    Raises FileNotFoundError for a missing file and UnknownExerciseError for an unknown id;
    everything the submission does (loops, crashes, huge output) becomes a Feedback.
    """
    exercise(exercise_id)
    source = read_source(path)
    payload = {
        "exercise_id": exercise_id,
        "source": source,
        "seed": seed,
        "filename": str(Path(path).name),
    }
    result = run_in_child(CHILD_TARGET, payload, timeout=timeout)
    return feedback_from_child(exercise_id, result, timeout)


def feedback_from_child(exercise_id: str, result: ChildResult, timeout: float) -> Feedback:
    """Map a ChildResult onto a Feedback (timeout, crash and checker errors included)."""
    if result.status == "ok" and isinstance(result.value, dict):
        try:
            return Feedback.from_dict(result.value)
        except (KeyError, ValueError, TypeError):
            pass
    if result.status == "timeout":
        return Feedback(
            "timeout",
            f"Your code did not finish within {timeout:g} s",
            "Look for a loop that never ends (e.g. `while` without a break, or iterating over "
            "something that keeps growing).",
            subject=exercise_id,
        )
    tail = result.stderr.strip().splitlines()[-3:]
    return Feedback(
        "error",
        "The check could not finish: your code stopped the checking process",
        result.error or "no result came back",
        tuple(tail),
        subject=exercise_id,
    )
