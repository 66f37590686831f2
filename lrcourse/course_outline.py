"""The course's order, read from ``course_outline.toml``: lessons, their quiz topics and their
exercises. The quiz bank and the exercise catalog order themselves by it."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class Lesson:
    """One lesson: its notebook's stem, its quiz topic (if any) and its exercises."""

    notebook: str
    topic: str | None
    exercises: tuple[str, ...]


class OutlineError(ValueError):
    """The outline file is malformed; the message lists every problem."""


@cache
def lessons() -> tuple[Lesson, ...]:
    """Every lesson, in the order a learner takes them."""
    text = (resources.files("lrcourse") / "course_outline.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    problems: list[str] = []
    found: list[Lesson] = []
    for index, raw in enumerate(data.get("lessons", [])):
        where = f"course_outline.toml: lessons[{index}]"
        notebook, topic, exercises = raw.get("notebook"), raw.get("topic"), raw.get("exercises")
        if not isinstance(notebook, str):
            problems.append(f"{where}: `notebook` must be a string")
        if topic is not None and not isinstance(topic, str):
            problems.append(f"{where}: `topic` must be a string")
        if not isinstance(exercises, list) or not all(isinstance(e, str) for e in exercises):
            problems.append(f"{where}: `exercises` must be a list of ids")
        if isinstance(notebook, str) and isinstance(exercises, list):
            found.append(
                Lesson(
                    notebook,
                    topic if isinstance(topic, str) else None,
                    tuple(str(e) for e in exercises),
                )
            )
    if problems:
        raise OutlineError("\n".join(problems))
    return tuple(found)


def topic_order() -> tuple[str, ...]:
    """Quiz topics in course order."""
    return tuple(lesson.topic for lesson in lessons() if lesson.topic)


def exercise_order() -> tuple[str, ...]:
    """Exercise ids in course order (each once)."""
    seen: list[str] = []
    for lesson in lessons():
        seen += [e for e in lesson.exercises if e not in seen]
    return tuple(seen)
