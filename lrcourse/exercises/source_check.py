"""Check learner *source code*: in this process (``check_source``), or with the learner's code
in an isolated child and the verdict computed here (``check_file``, and class grading through
``plan_check``).
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lrcourse.exercises.catalog import exercise
from lrcourse.exercises.notebook_api import Exercise
from lrcourse.exercises.runner import TARGET, observe_source
from lrcourse.exercises.submission import is_stub
from lrcourse.exercises.verdict import not_attempted, verdict, verdict_from_child
from lrcourse.feedback import Feedback
from lrcourse.sandbox import ChildResult, Mode, run_in_child
from lrcourse.sandbox.limits import DEFAULT_TIMEOUT


@dataclass(frozen=True)
class PlannedCheck:
    """One source check, prepared on the trusted side: the spec is drawn here and the job for
    the sandbox carries the source and the spec; ``early`` is set when no run is needed (a
    starter stub)."""

    exercise: Exercise
    spec: dict[str, Any]
    payload: dict[str, Any]
    early: Feedback | None

    def job(self) -> tuple[str, dict[str, Any]]:
        """The sandbox job (target, payload)."""
        return TARGET, self.payload

    def finish(self, result: ChildResult, timeout: float) -> Feedback:
        """The verdict for the sandbox's result."""
        if self.early is not None:
            return self.early
        return verdict_from_child(
            self.exercise.content, self.exercise.judge, self.spec, result, timeout
        )


def plan_check(
    exercise_id: str, source: str, *, seed: int | None = None, filename: str = "<submission>"
) -> PlannedCheck:
    """Prepare a check of ``source``; UnknownExerciseError for an unknown id."""
    ex = exercise(exercise_id)
    if seed is None:
        seed = random.SystemRandom().randrange(2**63)
    spec = ex.judge.draw(random.Random(seed))
    payload = {
        "exercise_id": ex.id,
        "entry_point": ex.entry_point,
        "kind": ex.kind,
        "source": source,
        "filename": filename,
        "spec": spec,
    }
    early = not_attempted(ex.content) if is_stub(source, ex.entry_point) else None
    return PlannedCheck(ex, spec, payload, early)


def check_source(
    exercise_id: str,
    source: str,
    *,
    seed: int | None = None,
    filename: str = "<submission>",
    timeout: float | None = None,
) -> Feedback:
    """Execute ``source`` in this process, find the exercise's entry point and check it.

    Syntax errors, exceptions at module level and a missing name become Feedback values.
    Raises UnknownExerciseError for an unknown id.
    """
    planned = plan_check(exercise_id, source, seed=seed, filename=filename)
    if planned.early is not None:
        return planned.early
    report = observe_source({**planned.payload, "timeout": timeout})
    return verdict(planned.exercise.content, planned.exercise.judge, planned.spec, report)


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
    timeout: float = DEFAULT_TIMEOUT,
    seed: int | None = None,
    isolation: Mode = "trusted",
) -> Feedback:
    """Check the source file at ``path``: its code runs in a sandbox child, the verdict is
    computed here from what the child observed.

    Raises FileNotFoundError for a missing file, UnknownExerciseError for an unknown id and
    IsolationError when ``isolation="strict"`` cannot be had; everything the submission does
    (loops, crashes, huge output, forged results) becomes a Feedback.
    """
    planned = plan_check(exercise_id, read_source(path), seed=seed, filename=Path(path).name)
    if planned.early is not None:
        return planned.early
    target, payload = planned.job()
    result = run_in_child(target, payload, timeout=timeout, isolation=isolation)
    return planned.finish(result, timeout)
