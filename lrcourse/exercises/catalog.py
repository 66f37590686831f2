"""Look exercises up by id: the bridge between content files and registered judges."""

from __future__ import annotations

from functools import cache

from lrcourse.course_outline import exercise_order
from lrcourse.exercises.content import UnknownExerciseError, content_ids, load_content
from lrcourse.exercises.judges import load_all
from lrcourse.exercises.notebook_api import Exercise

__all__ = ["COURSE_ORDER", "UnknownExerciseError", "exercise", "exercise_ids", "list_exercises"]

COURSE_ORDER = exercise_order()


def exercise_ids() -> list[str]:
    """Every exercise id: course order first, then any other content file alphabetically."""
    ids = set(content_ids()) & set(load_all())
    return [i for i in COURSE_ORDER if i in ids] + sorted(ids - set(COURSE_ORDER))


@cache
def exercise(exercise_id: str) -> Exercise:
    """The Exercise with this id (the same object on every call, so the hint ladder persists).

    Raises UnknownExerciseError for an id that no content file and judge define.
    """
    judges = load_all()
    if exercise_id not in judges or exercise_id not in content_ids():
        valid = ", ".join(exercise_ids())
        raise UnknownExerciseError(f"unknown exercise {exercise_id!r}; valid ids: {valid}")
    return Exercise(load_content(exercise_id), judges[exercise_id])


def list_exercises() -> list[Exercise]:
    """All exercises in course order."""
    return [exercise(i) for i in exercise_ids()]
