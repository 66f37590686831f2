"""``lrcourse.answer("question-id", "b")``: a learner's quiz answer in a graded notebook.

The call is what the grader reads (statically, from the notebook's source, never by running
it), so it does not reveal whether the answer is right; it only checks that the question and
the choice exist, so that a typo is caught before submission.
"""

from __future__ import annotations

from collections.abc import Sequence

from lrcourse.feedback import Feedback


def answer(question_id: str, choice: str | float | Sequence[str]) -> Feedback:
    """Record an answer for grading; returns a note (never the verdict)."""
    from lrcourse.bank import load_bank

    try:
        question = load_bank().question(question_id)
    except KeyError:
        return Feedback(
            "error",
            f"No question {question_id!r}",
            "Check the id: the grader will not find this answer.",
        )
    if question.kind == "numeric":
        try:
            float(str(choice))
        except ValueError:
            return Feedback(
                "error", "Answer with a number", f"Got {choice!r}.", subject=question_id
            )
        return Feedback(
            "info",
            f"Answer recorded: {choice}",
            "Your instructor grades it from this cell.",
            subject=question_id,
        )
    if isinstance(choice, str):
        chosen = [choice]
    elif isinstance(choice, int | float):
        chosen = [str(choice)]
    else:
        chosen = [str(c) for c in choice]
    valid = {c.id for c in question.choices}
    bad = [c for c in chosen if c.strip().lower() not in valid]
    if bad or not chosen:
        return Feedback(
            "error",
            f"No choice {', '.join(map(repr, bad)) or '(none)'}",
            f"Choose among {', '.join(sorted(valid))}.",
            subject=question_id,
        )
    shown = ", ".join(c.strip().upper() for c in chosen)
    return Feedback(
        "info",
        f"Answer recorded: {shown}",
        "Your instructor grades it from this cell; run it again with another "
        "choice to change your answer.",
        subject=question_id,
    )
