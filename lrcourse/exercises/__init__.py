"""Coding exercises on learning-rate strategy, checked by behaviour.

Public API::

    exercise(exercise_id) -> Exercise        # UnknownExerciseError for a bad id
    list_exercises() -> list[Exercise]
    check_source(exercise_id, source) -> Feedback
    check_file(exercise_id, path, *, timeout=60.0) -> Feedback   # runs in a sandbox child
"""

from lrcourse.exercises.catalog import UnknownExerciseError, exercise, list_exercises
from lrcourse.exercises.exercise import Exercise
from lrcourse.exercises.source_check import check_file, check_source

__all__ = [
    "Exercise",
    "UnknownExerciseError",
    "check_file",
    "check_source",
    "exercise",
    "list_exercises",
]
