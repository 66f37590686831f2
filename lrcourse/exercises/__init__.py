"""Coding exercises on learning-rate strategy, checked by behaviour.

Public API::

    exercise(exercise_id) -> Exercise        # UnknownExerciseError for a bad id
    list_exercises() -> list[Exercise]
    check_source(exercise_id, source) -> Feedback
    check_file(exercise_id, path, *, timeout=60.0) -> Feedback   # learner code in a sandbox

Layout: ``runner`` and ``observers`` run the learner's code and record what it does (they are
all that a sandbox child imports); ``judges`` draw random specs and decide from observations;
``verdict`` turns reports into Feedback. Names load lazily so that importing an observer does
not load the judges.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lrcourse.exercises.catalog import exercise, list_exercises
    from lrcourse.exercises.content import UnknownExerciseError
    from lrcourse.exercises.notebook_api import Exercise
    from lrcourse.exercises.source_check import check_file, check_source

__all__ = [
    "Exercise",
    "UnknownExerciseError",
    "check_file",
    "check_source",
    "exercise",
    "list_exercises",
]
_HOMES = {
    "Exercise": "lrcourse.exercises.notebook_api",
    "UnknownExerciseError": "lrcourse.exercises.content",
    "exercise": "lrcourse.exercises.catalog",
    "list_exercises": "lrcourse.exercises.catalog",
    "check_file": "lrcourse.exercises.source_check",
    "check_source": "lrcourse.exercises.source_check",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        from importlib import import_module

        return getattr(import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'lrcourse.exercises' has no attribute {name!r}")
