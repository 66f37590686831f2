"""``lrcourse validate``: check the bank's schema and prove every keyed answer by running torch.

Each question's ``verify`` snippet runs in its own child process with a time limit (see
``lrcourse.sandbox``), so one broken or hanging snippet cannot poison the others. The snippet
sets ``answer`` to the choice id that torch's behaviour makes correct; a mismatch with the keyed
choice is reported as ``FILE:QUESTION-ID: keyed B, torch says C``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lrcourse.bank import Problem, Question, parse_bank
from lrcourse.sandbox import ChildResult, run_many

SNIPPET_TARGET = "lrcourse.validate:run_snippet"


def pick(value: Any, options: Mapping[str, Any], *, rel: float = 1e-6) -> str:
    """Return the id in ``options`` whose value equals ``value`` (floats: relative tolerance).

    Available inside verify snippets. When nothing matches, the returned text says what torch
    produced, so the validator's report shows it.
    """
    for choice_id, expected in options.items():
        if _same(value, expected, rel):
            return choice_id
    return f"none of the choices (got {value!r})"


def _same(a: Any, b: Any, rel: float) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(a, b, rel_tol=rel, abs_tol=1e-12)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_same(x, y, rel) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def run_snippet(payload: dict[str, Any]) -> Any:
    """Child-process side: execute one verify snippet and return what it set as ``answer``."""
    namespace: dict[str, Any] = {"pick": pick, "__name__": "__verify__"}
    exec(compile(payload["code"], f"<verify {payload['id']}>", "exec"), namespace)
    if "answer" not in namespace:
        raise LookupError("the snippet did not set `answer`")
    answer = namespace["answer"]
    if isinstance(answer, list | tuple):
        return [str(a) for a in answer]
    return str(answer)


@dataclass
class Report:
    """What ``validate`` found: every problem, and how much of the bank was executed."""

    problems: list[Problem] = field(default_factory=list)
    questions: int = 0
    verified: int = 0
    files: int = 0
    ran_verify: bool = True

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        share = f"{100 * self.verified / self.questions:.0f}%" if self.questions else "0%"
        verdict = "OK" if self.ok else f"{len(self.problems)} problem(s)"
        how = "verified by running torch" if self.ran_verify else "with verify snippets (not run)"
        return (f"{verdict}: {self.questions} questions in {self.files} file(s), "
                f"{self.verified} {how} ({share})")


def _letters(ids: Sequence[str] | str) -> str:
    if isinstance(ids, str):
        return ids.upper() if len(ids) <= 3 else ids
    return "+".join(i.upper() for i in ids) or "nothing"


def _judge(question: Question, result: ChildResult) -> str | None:
    """None when torch agrees with the key, else the problem message."""
    if result.status == "timeout":
        return f"verify snippet timed out ({result.error})"
    if result.status != "ok":
        return f"verify snippet failed: {result.error}"
    keyed = sorted(question.correct_ids)
    got = result.value
    if question.multiple:
        said = sorted(got) if isinstance(got, list) else [got]
        agree = said == keyed
    else:
        said = got
        agree = got == keyed[0]
    if agree:
        return None
    key = _letters(keyed if question.multiple else keyed[0])
    return f"keyed {key}, torch says {_letters(said)}"


def validate(paths: Iterable[str | os.PathLike[str]] | None = None, *, run_verify: bool = True,
             timeout: float = 60.0, workers: int = 2) -> Report:
    """Check schema rules for the given files or folders, then run every verify snippet."""
    quizzes, problems = parse_bank(paths)
    report = Report(problems=list(problems), files=len(quizzes), ran_verify=run_verify)
    questions = [q for quiz in quizzes for q in quiz.questions]
    report.questions = len(questions)
    to_run = [q for q in questions if q.verify]
    report.verified = len(to_run)
    if run_verify and to_run:
        jobs = [(SNIPPET_TARGET, {"id": q.id, "code": q.verify}) for q in to_run]
        for question, result in zip(to_run, run_many(jobs, timeout=timeout, workers=workers),
                                    strict=True):
            message = _judge(question, result)
            if message:
                report.problems.append(Problem(question.file, question.id, message))
    return report
