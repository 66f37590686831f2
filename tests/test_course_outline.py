"""The course outline is the one home of the course's order, and it matches the course."""

from __future__ import annotations

from pathlib import Path

import nbformat

from lrcourse.bank import load_bank
from lrcourse.course_outline import exercise_order, lessons, topic_order
from lrcourse.exercises import list_exercises

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def test_every_lesson_notebook_is_listed_once_and_exists() -> None:
    listed = [lesson.notebook for lesson in lessons()]
    assert sorted(listed) == sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))
    assert len(set(listed)) == len(listed)


def test_each_lesson_holds_the_exercises_the_outline_gives_it() -> None:
    for lesson in lessons():
        nb = nbformat.read(NOTEBOOKS / f"{lesson.notebook}.ipynb", as_version=4)
        tags = {
            t.removeprefix("exercise:")
            for c in nb.cells
            for t in c.metadata.get("tags", [])
            if t.startswith("exercise:")
        }
        if lesson.notebook != "01_start_here":  # the demo repeats lesson 3's first exercise
            assert tags == set(lesson.exercises), lesson.notebook


def test_the_catalog_and_the_bank_follow_the_outline() -> None:
    assert [e.id for e in list_exercises()] == list(exercise_order())
    assert len(exercise_order()) == 13
    topics = {q.topic for q in load_bank().questions}
    assert topics <= set(topic_order())
