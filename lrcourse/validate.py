"""``lrcourse validate``: check the bank's schema and prove every keyed answer by running torch.

Each question's ``verify`` snippet runs in its own child process with a time limit (see
``lrcourse.sandbox``), so one broken or hanging snippet cannot poison the others. The snippet
works through ``lrcourse.snippet_kit``: it runs the prompt's own code, reads numbers from the
choices' own text, names the exceptions it expects, and hands back a verdict that the validator
compares with the key (``FILE:QUESTION-ID: keyed B, torch says C``).

A question is *proven* when its snippet ran, ran every Python block of the prompt, and agreed
with the key. A question without a snippet must say why in an ``exempt`` field; exemptions are
listed in the summary. The share of proven questions among the non-exempt ones must reach
``floor`` (default 100%), or validation fails.
"""

from __future__ import annotations

import ast
import math
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from lrcourse.bank import Problem, Question, parse_bank
from lrcourse.sandbox import ChildResult, run_many
from lrcourse.snippet_kit import FENCE, NUMBER, numbers_in, python_blocks

SNIPPET_TARGET = "lrcourse.snippet_kit:run_snippet"
DEFAULT_FLOOR = 1.0

_BROAD = {"Exception", "BaseException"}
_RIGHT = re.compile(r"^\W*(correct|right|yes|exactly)\b", re.IGNORECASE)
_WRONG = re.compile(r"^\W*(wrong|incorrect|no|not quite|false)\b", re.IGNORECASE)
_NAMED = re.compile(r"\b([A-Z]\w*(?:Error|Exception|Warning))\b")
_VERSION = re.compile(r"(?:torch|pytorch|python)\s+$", re.IGNORECASE)


@dataclass
class Report:
    """What ``validate`` found: every problem, and how much of the bank is proven."""

    problems: list[Problem] = field(default_factory=list)
    questions: int = 0
    verified: int = 0
    proven: int = 0
    exempt: list[Question] = field(default_factory=list)
    unproven: list[str] = field(default_factory=list)
    files: int = 0
    ran_verify: bool = True
    floor: float = DEFAULT_FLOOR

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def coverage(self) -> float:
        """Proven share of the questions that are not exempt (1.0 when all are exempt)."""
        counted = self.questions - len(self.exempt)
        done = self.proven if self.ran_verify else self.verified
        return done / counted if counted else 1.0

    def summary(self) -> str:
        verdict = "OK" if self.ok else f"{len(self.problems)} problem(s)"
        share = f"{100 * self.coverage:.0f}% of {self.questions - len(self.exempt)} non-exempt"
        if self.ran_verify:
            how = f"{self.proven} verified by running torch ({share})"
        else:
            how = f"{self.verified} with verify snippets (not run) ({share})"
        lines = [
            f"{verdict}: {self.questions} questions in {self.files} file(s), {how}, "
            f"{len(self.exempt)} exempt, floor {100 * self.floor:.0f}%"
        ]
        lines += [f"  exempt {q.id}: {q.exempt}" for q in self.exempt]
        return "\n".join(lines)


def _letters(ids: Sequence[str] | str) -> str:
    if isinstance(ids, str):
        return ids.upper() if len(ids) <= 3 else ids
    return "+".join(i.upper() for i in ids) or "nothing"


# ---- static checks ------------------------------------------------------------------------
def lint_snippet(code: str) -> list[str]:
    """What is wrong with a snippet before it runs: syntax, caught exceptions, typed answers."""
    try:
        tree = ast.parse(code)
    except SyntaxError as exc:
        return [f"verify snippet is not valid Python: {exc.msg} (line {exc.lineno})"]
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ExceptHandler):
            name = ast.unparse(node.type) if node.type else "everything"
            broad = node.type is None or name in _BROAD or name.endswith(tuple(_BROAD))
            why = (
                "a broad handler turns any snippet bug into a verdict"
                if broad
                else ("name the expected exception and message with raises(fn, Type, 'message')")
            )
            found.append(f"verify snippet catches {name} (line {node.lineno}): {why}")
        elif (isinstance(node, ast.Name | ast.Attribute) and _name(node) == "suppress") or (
            isinstance(node, ast.alias) and node.name.split(".")[-1] == "suppress"
        ):
            found.append(f"verify snippet uses suppress (line {node.lineno}): use raises(...)")
        elif (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "answer" for t in node.targets)
            and isinstance(node.value, ast.Constant)
        ):
            found.append(
                f"verify snippet types the answer itself (line {node.lineno}): "
                "use pick(...), pick_true(...) or numeric_answer(...)"
            )
    return found


def _name(node: ast.Name | ast.Attribute) -> str:
    return node.id if isinstance(node, ast.Name) else node.attr


def lint_feedback(question: Question) -> list[str]:
    """Feedback that contradicts the key: 'Correct' on a wrong choice, 'Wrong' on the right one."""
    found = []
    for c in question.choices:
        if c.correct and _WRONG.match(c.feedback):
            found.append(
                f"choice {c.letter} is keyed correct but its feedback says "
                f"{c.feedback.split()[0]!r}"
            )
        if not c.correct and _RIGHT.match(c.feedback):
            found.append(
                f"choice {c.letter} is keyed wrong but its feedback says {c.feedback.split()[0]!r}"
            )
    return found


def lint_prose_numbers(question: Question) -> list[str]:
    """Decimal numbers in the prompt's prose that neither its code nor the snippet uses.

    A value stated in words ("lr 0.1", "multiplied by 0.9") is part of the question; if the
    proof never mentions it, editing it cannot fail the proof. Whole numbers (epochs, counts,
    years) and versions ("torch 2.13") are not checked.
    """
    if not question.verify:
        return []
    prose = FENCE.sub(" ", question.prompt)
    used = {float(t) for t in numbers_in("\n".join(python_blocks(question.prompt)))}
    used |= {float(t) for t in numbers_in(question.verify)}
    found = []
    for match in NUMBER.finditer(prose):
        token = match.group()
        decimal = "." in token or "e" in token.lower()
        if decimal and not _VERSION.search(prose[: match.start()]) and float(token) not in used:
            found.append(f"the prompt says {token}, but neither its code nor the snippet uses it")
    return found


# ---- judging a run --------------------------------------------------------------------------
def _judge(question: Question, result: ChildResult) -> str | None:
    """None when torch agrees with the key (and the prompt's code ran), else the problem."""
    if result.status == "timeout":
        return f"verify snippet timed out ({result.error})"
    if result.status != "ok":
        return f"verify snippet failed: {result.error}"
    value: dict[str, Any] = result.value
    missing = sorted(set(range(value["blocks"])) - set(value["ran"]))
    if missing:
        listed = ", ".join(str(i) for i in missing)
        return (
            f"the snippet never runs prompt code block(s) {listed}: run the code the "
            "learner reads with run_prompt(index)"
        )
    unseen = _unseen_names(question, value.get("observed", []))
    if unseen:
        return unseen
    got = value["answer"]
    if question.kind == "numeric":
        return _judge_numeric(question, got)
    keyed = sorted(question.correct_ids)
    said = sorted(got) if isinstance(got, list) else [got]
    if said == keyed:
        return None
    shown_key = _letters(keyed if question.multiple else keyed[0])
    shown = _letters(said) if len(said) != 1 else _letters(said[0])
    return f"keyed {shown_key}, torch says {shown}"


def _unseen_names(question: Question, observed: Sequence[str]) -> str | None:
    """A keyed choice that names an exception or warning the snippet never saw."""
    for c in question.choices:
        if not c.correct:
            continue
        for name in dict.fromkeys(_NAMED.findall(c.text)):
            if name not in observed:
                return (
                    f"choice {c.letter} (keyed) names {name}, but the snippet never saw one "
                    "(prove it with raises(...) or warns(...))"
                )
    return None


def _judge_numeric(question: Question, got: Any) -> str | None:
    assert question.value is not None and question.tolerance is not None
    try:
        measured = float(got)
    except (TypeError, ValueError):
        return f"keyed {question.value!r}, torch says {got}"
    if math.isfinite(measured) and abs(measured - question.value) <= question.tolerance:
        return None
    return f"keyed {question.value!r} ± {question.tolerance!r}, torch says {measured!r}"


def _payload(q: Question) -> dict[str, Any]:
    return {
        "id": q.id,
        "code": q.verify,
        "prompt": q.prompt,
        "kind": q.kind,
        "choices": {c.id: c.text for c in q.choices},
    }


def validate(
    paths: Iterable[str | os.PathLike[str]] | None = None,
    *,
    run_verify: bool = True,
    timeout: float = 60.0,
    workers: int = 2,
    floor: float = DEFAULT_FLOOR,
) -> Report:
    """Check the schema, lint the snippets and feedback, run every snippet, enforce the floor."""
    quizzes, problems = parse_bank(paths)
    report = Report(problems=list(problems), files=len(quizzes), ran_verify=run_verify, floor=floor)
    questions = [q for quiz in quizzes for q in quiz.questions]
    report.questions = len(questions)
    report.exempt = [q for q in questions if q.exempt]
    to_run: list[Question] = []
    for q in questions:
        found = lint_feedback(q)
        if q.verify:
            report.verified += 1
            found += lint_snippet(q.verify) + lint_prose_numbers(q)
            if not found:
                to_run.append(q)
        elif not q.exempt:
            report.unproven.append(q.id)
        report.problems += [Problem(q.file, q.id, message) for message in found]
    rejected = {q.id for q in questions if q.verify} - {q.id for q in to_run}
    report.unproven += sorted(rejected)
    if run_verify and to_run:
        jobs = [(SNIPPET_TARGET, _payload(q)) for q in to_run]
        for question, result in zip(
            to_run, run_many(jobs, timeout=timeout, workers=workers), strict=True
        ):
            message = _judge(question, result)
            if message:
                report.problems.append(Problem(question.file, question.id, message))
                report.unproven.append(question.id)
            else:
                report.proven += 1
    if report.questions and report.coverage < floor:
        names = ", ".join(sorted(report.unproven)) or "none"
        where = os.path.commonpath([q.file for q in questions]) if questions else "-"
        report.problems.append(
            Problem(
                where,
                "coverage",
                f"{100 * report.coverage:.0f}% of the non-exempt questions are proven, under the "
                f"floor of {100 * floor:.0f}% (unproven: {names})",
            )
        )
    return report


def prompt_blocks(question: Question) -> list[str]:
    """The prompt's Python code blocks, which the snippet must run (for authors and tests)."""
    return python_blocks(question.prompt)
