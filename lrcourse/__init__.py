"""lrcourse: learn, teach and grade learning-rate strategy in PyTorch.

The public API, for notebooks and scripts:

- ``quiz(topic, mode="practice" | "test")``: the quiz widget (``lrcourse.widgets``);
- ``check_answer(question_id, answer)``: check one quiz answer, returns a ``Feedback``
  (``lrcourse.answer_check``);
- ``answer(question_id, choice)``: record a quiz answer in a graded notebook (read by
  ``lrcourse grade``; the note it returns never says whether the answer is right);
- ``exercise(exercise_id)``: an exercise with ``check``, ``hint``, ``solution`` and
  ``assert_check`` (``lrcourse.exercises``);
- ``Feedback``: the value every learner-facing call returns.

Heavy modules (ipywidgets, torch) load on first use, so ``import lrcourse`` stays quick.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from lrcourse.feedback import Feedback

if TYPE_CHECKING:
    from lrcourse.exercises import Exercise
    from lrcourse.progress import ProgressStore
    from lrcourse.widgets import QuizWidget

__version__ = "0.1.0"
__all__ = ["Feedback", "__version__", "answer", "check_answer", "exercise", "quiz"]


def quiz(
    topic: str | None = None,
    *,
    mode: Literal["practice", "test"] = "practice",
    n: int = 10,
    seed: int | None = None,
    store: ProgressStore | None = None,
    demo: bool = False,
) -> QuizWidget:
    """A quiz widget for one topic (or the whole bank when ``topic`` is None).

    ``mode="practice"`` walks through the topic's questions with feedback, hints and
    solutions; ``mode="test"`` draws ``n`` questions with ``seed`` and scores them at the end.
    ``store`` is the progress store (default: the learner's); ``demo=True`` records nothing.
    """
    from lrcourse.widgets import quiz as make_quiz

    return make_quiz(topic, mode=mode, n=n, seed=seed, store=store, demo=demo)


def check_answer(question_id: str, answer: str | float | list[str] | None) -> Feedback:
    """Check one quiz answer (choice id(s) or a number) by question id; never raises."""
    from lrcourse.answer_check import check_answer as check

    return check(question_id, answer)


def answer(question_id: str, choice: str | float | list[str]) -> Feedback:
    """Record a quiz answer for ``lrcourse grade`` (see ``lrcourse.answer_record``)."""
    from lrcourse.answer_record import answer as record

    return record(question_id, choice)


def exercise(exercise_id: str) -> Exercise:
    """An exercise by id, e.g. ``exercise("two-lr-groups").check(make_optimizer)``."""
    from lrcourse.exercises import exercise as get_exercise

    return get_exercise(exercise_id)
