"""The Exercise object a notebook uses: check / hint / solution, all returning Feedback.

``check(obj)`` splits like batch grading does: the learner's object is run on a random spec and
only raw observations are kept (lrcourse.exercises.runner), then the judge decides from them.
In a learner's own kernel this is honest feedback, not a security boundary: code in the same
process can patch anything, which only fools oneself. ``lrcourse grade`` is the path that holds
against that (the learner's code runs in an isolated child there).
"""

from __future__ import annotations

import hashlib
import inspect
import os
import random
import types
from typing import Any

from lrcourse.exercises.content import ExerciseContent
from lrcourse.exercises.judges import Judge
from lrcourse.exercises.runner import observe_object
from lrcourse.exercises.verdict import verdict
from lrcourse.feedback import Feedback

INTERACTIVE_TIMEOUT_S = 20.0
AUTOGRADER_ENV = "LRCOURSE_AUTOGRADER"
SEED_SECRET_ENV = "LRCOURSE_SEED_SECRET"


class CheckFailed(AssertionError):
    """What ``assert_check`` raises: an ``AssertionError`` that IPython shows as the learner's
    message alone, without lrcourse's own frames or install path (``_render_traceback_``).
    It keeps the name ``AssertionError`` so that autograders report the kind they expect."""

    def _render_traceback_(self) -> list[str]:
        return ["AssertionError: " + (str(self.args[0]) if self.args else "")]


CheckFailed.__name__ = CheckFailed.__qualname__ = "AssertionError"


def under_autograder() -> bool:
    """True inside an autograder's kernel: ``LRCOURSE_AUTOGRADER=1`` is set, or nbgrader is
    executing the notebook (it sets ``NBGRADER_EXECUTION``)."""
    flag = os.environ.get(AUTOGRADER_ENV, "").strip().lower()
    return flag in ("1", "true", "yes") or bool(os.environ.get("NBGRADER_EXECUTION"))


def _stable_seed(exercise_id: str, obj: Any) -> int | None:
    """Under an autograder: a seed from a secret and the checked code, so a regrade words its
    message the same way; None when the code cannot be read."""
    try:
        source = inspect.getsource(obj)
    except (OSError, TypeError):
        return None
    secret = os.environ.get(SEED_SECRET_ENV, "")
    digest = hashlib.sha256(f"{secret}\0{exercise_id}\0{source}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _code_objects(obj: Any) -> list[types.CodeType]:
    """The code of a function, or of every method of a class, nested code included."""
    functions = [obj] if inspect.isfunction(obj) else []
    if inspect.isclass(obj):
        functions = [v for v in vars(obj).values() if inspect.isfunction(v)]
    found: list[types.CodeType] = []
    stack = [f.__code__ for f in functions]
    while stack:
        code = stack.pop()
        found.append(code)
        stack += [c for c in code.co_consts if isinstance(c, types.CodeType)]
    return found


def _portable(value: Any) -> bool:
    """Whether the grader brings ``value`` along from earlier cells (imports, functions,
    classes and literal constants)."""
    if isinstance(value, types.ModuleType | type) or callable(value):
        return True
    return isinstance(value, int | float | str | bool | bytes | type(None) | tuple | list | dict)


def cross_cell_names(obj: Any) -> list[str]:
    """Names ``obj`` reads from the notebook's globals that ``lrcourse grade`` cannot bring
    along: values computed in other cells (data, models, tensors)."""
    namespace = getattr(obj, "__globals__", None)
    if namespace is None and inspect.isclass(obj):
        methods = [v for v in vars(obj).values() if inspect.isfunction(v)]
        namespace = methods[0].__globals__ if methods else None
    if not isinstance(namespace, dict) or namespace.get("__name__") != "__main__":
        return []
    names = {n for code in _code_objects(obj) for n in code.co_names}
    return sorted(n for n in names if n in namespace and not _portable(namespace[n]))


def _with_grading_note(feedback: Feedback, names: list[str]) -> Feedback:
    shown = ", ".join(f"`{n}`" for n in names)
    note = (
        f"Heads-up for grading: your code uses {shown} from another cell. The grader "
        "brings along only imports, functions, classes and constants from earlier cells, "
        "so there it would fail with a NameError. Build these inside your function, or "
        "run `lrcourse precheck` on your notebook."
    )
    return Feedback(
        feedback.status,
        feedback.title,
        feedback.message,
        (*feedback.details, note),
        feedback.hint,
        feedback.explanation,
        feedback.subject,
    )


def run_check(
    content: ExerciseContent,
    judge: Judge,
    obj: Any,
    *,
    seed: int | None = None,
    timeout: float | None = INTERACTIVE_TIMEOUT_S,
) -> Feedback:
    """Observe ``obj`` on a freshly drawn spec and judge it. Never raises for anything the
    learner's code does, except KeyboardInterrupt."""
    if seed is None:
        seed = random.SystemRandom().randrange(2**63)
    spec = judge.draw(random.Random(seed))
    report = observe_object(content.id, obj, spec, timeout=timeout)
    return verdict(content, judge, spec, report)


class Exercise:
    """One coding exercise: its contract, a behavioural check, a hint ladder and a solution.

    ``check(obj)`` returns a Feedback and never raises on a wrong answer or a learner exception
    (KeyboardInterrupt propagates). Each call draws fresh random fixtures; pass ``seed`` for a
    reproducible run.
    """

    def __init__(self, content: ExerciseContent, judge: Judge) -> None:
        self._content = content
        self._judge = judge
        self._next_hint = 1
        self._last: Feedback | None = None

    @property
    def id(self) -> str:
        """kebab-case exercise id"""
        return self._content.id

    @property
    def title(self) -> str:
        """one-line title"""
        return self._content.title

    @property
    def statement(self) -> str:
        """Markdown contract"""
        return self._content.statement

    @property
    def entry_point(self) -> str:
        """the name the learner's code defines"""
        return self._content.entry_point

    @property
    def kind(self) -> str:
        """``"function"`` or ``"class"``"""
        return self._content.kind

    @property
    def content(self) -> ExerciseContent:
        """The exercise's content (statement, hints, starter, solution)."""
        return self._content

    @property
    def judge(self) -> Judge:
        """The trusted side of the check."""
        return self._judge

    @property
    def solution_source(self) -> str:
        """reference code"""
        return self._content.solution

    @property
    def starter_source(self) -> str:
        """starter stub code"""
        return self._content.starter

    @property
    def hints(self) -> tuple[str, ...]:
        """the hint ladder"""
        return self._content.hints

    def check(self, obj: Any, *, seed: int | None = None) -> Feedback:
        """Check the learner's function or class against the contract.

        The verdict is also recorded in the local progress store (topic "exercises"), except
        under an autograder (see ``under_autograder``); a missing or damaged store only warns.
        """
        grading = under_autograder()
        if seed is None and grading:
            seed = _stable_seed(self.id, obj)
        feedback = run_check(self._content, self._judge, obj, seed=seed)
        names = cross_cell_names(obj)
        if names:
            feedback = _with_grading_note(feedback, names)
        self._last = feedback
        if feedback.status != "not-attempted" and not grading:  # a stub is not an attempt
            from lrcourse.progress import Attempt, record_attempt

            record_attempt(
                Attempt(
                    subject=self.id,
                    kind="exercise",
                    topic="exercises",
                    difficulty=None,
                    mode="check",
                    answer=feedback.status,
                    correct=feedback.passed,
                )
            )
        return feedback

    def assert_check(self, obj: Any, *, seed: int | None = None) -> None:
        """Raise AssertionError(feedback) unless ``check(obj)`` passes (for autograder test
        cells: nbgrader, otter). Writes nothing to stderr."""
        feedback = self.check(obj, seed=seed)
        if not feedback.passed:
            raise CheckFailed(str(feedback)) from None

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
