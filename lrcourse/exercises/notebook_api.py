"""The Exercise object a notebook uses: check / hint / solution, all returning Feedback."""

from __future__ import annotations

import random
from typing import Any

from lrcourse.exercises.checks import Check, CheckContext
from lrcourse.exercises.content import ExerciseContent
from lrcourse.exercises.isolation import isolated
from lrcourse.exercises.learner_errors import describe
from lrcourse.exercises.outcomes import CheckTimeout, Outcome
from lrcourse.feedback import Feedback
from lrcourse.progress import Attempt, record_attempt

INTERACTIVE_TIMEOUT_S = 20.0


def run_check(
    content: ExerciseContent,
    check_fn: Check,
    obj: Any,
    *,
    seed: int | None = None,
    timeout: float | None = INTERACTIVE_TIMEOUT_S,
) -> Feedback:
    """Run ``check_fn`` on ``obj`` in an isolated torch state and turn the outcome into Feedback.

    Never raises for anything the learner's code does, except KeyboardInterrupt.
    """
    if seed is None:
        seed = random.SystemRandom().randrange(2**31)
    subject = content.id
    try:
        with isolated(seed, timeout=timeout) as captured:
            success = check_fn(obj, CheckContext(random.Random(seed), captured))
    except Outcome as out:
        return Feedback(out.status, out.title, out.message, out.details, out.hint, subject=subject)
    except CheckTimeout as exc:
        return Feedback("timeout", "Your code ran too long", f"{exc}.", subject=subject)
    except NotImplementedError:
        return _not_attempted(content)
    except SystemExit as exc:
        return Feedback(
            "error", "Your code called sys.exit()", f"exit code: {exc.code!r}", subject=subject
        )
    except Exception as exc:
        return learner_exception_feedback(exc, subject)
    return Feedback(
        "correct",
        f"{content.title}: all checks passed",
        success or "",
        subject=subject,
        explanation=None,
    )


def _not_attempted(content: ExerciseContent) -> Feedback:
    return Feedback(
        "not-attempted",
        "Not attempted yet",
        f"`{content.entry_point}` is still the starter stub. Replace the `...` or "
        "`raise NotImplementedError` with your code, then check again.",
        subject=content.id,
    )


def learner_exception_feedback(exc: BaseException, subject: str | None) -> Feedback:
    """Feedback for an exception raised while running the learner's code."""
    err = describe(exc)
    details = (f"raised at {err.where}",) if err.where else ()
    if err.known:
        return Feedback(
            "incorrect", err.known, f"torch said: `{err.headline}`", details, subject=subject
        )
    body = f"`{err.headline}`"
    if not err.where:
        body += "\n\n(It was raised inside torch or lrcourse while using the object you returned.)"
    return Feedback("error", f"Your code raised {err.kind}", body, details, subject=subject)


class Exercise:
    """One coding exercise: its contract, a behavioural check, a hint ladder and a solution.

    ``check(obj)`` returns a Feedback and never raises on a wrong answer or a learner exception
    (KeyboardInterrupt propagates). Each call builds fresh randomized fixtures; pass ``seed``
    for a reproducible run.
    """

    def __init__(self, content: ExerciseContent, check_fn: Check) -> None:
        self._content = content
        self._check_fn = check_fn
        self._next_hint = 1
        self._last: Feedback | None = None

    id = property(lambda self: self._content.id, doc="kebab-case exercise id")
    title = property(lambda self: self._content.title, doc="one-line title")
    statement = property(lambda self: self._content.statement, doc="Markdown contract")
    entry_point = property(lambda self: self._content.entry_point, doc="name to define")
    kind = property(lambda self: self._content.kind, doc='"function" or "class"')
    solution_source = property(lambda self: self._content.solution, doc="reference code")
    starter_source = property(lambda self: self._content.starter, doc="starter stub code")
    hints = property(lambda self: self._content.hints, doc="the hint ladder")

    def check(self, obj: Any, *, seed: int | None = None) -> Feedback:
        """Check the learner's function or class against the contract.

        The verdict is also recorded in the local progress store (topic "exercises"); a
        missing or damaged store only warns.
        """
        feedback = run_check(self._content, self._check_fn, obj, seed=seed)
        self._last = feedback
        if feedback.status != "not-attempted":  # a stub is not an attempt
            record_attempt(Attempt(subject=self.id, kind="exercise", topic="exercises",
                                   difficulty=None, mode="check", answer=feedback.status,
                                   correct=feedback.passed))
        return feedback

    def assert_check(self, obj: Any, *, seed: int | None = None) -> None:
        """Raise AssertionError(str(feedback)) unless ``check(obj)`` passes (for test cells)."""
        feedback = self.check(obj, seed=seed)
        if not feedback.passed:
            raise AssertionError(str(feedback))

    def hint(self, level: int | None = None) -> Feedback:
        """The next hint on the ladder, or hint number ``level`` (1-based).

        The last rung also repeats what the most recent failed check found.
        """
        hints = self._content.hints
        number = self._next_hint if level is None else level
        number = max(1, min(int(number), len(hints)))
        self._next_hint = min(number + 1, len(hints))
        last = self._last
        details: tuple[str, ...] = ()
        if number == len(hints) and last is not None and not last.passed:
            details = (f"Your last check: {last.title}", *last.details[:4])
        return Feedback(
            "info", f"Hint {number} of {len(hints)}", hints[number - 1], details, subject=self.id
        )

    def solution(self) -> Feedback:
        """The reference solution as Markdown."""
        code = self._content.solution.strip()
        return Feedback(
            "info",
            f"Reference solution for {self.title}",
            f"```python\n{code}\n```",
            subject=self.id,
        )

    def _repr_markdown_(self) -> str:
        return f"### {self.title}\n\n{self.statement}"

    def __repr__(self) -> str:
        return f"<Exercise {self.id!r}: {self.title}>"
