"""Checking one quiz answer: no widgets, no I/O.

``check_answer`` turns a (question, answer) pair into a ``Feedback`` and never raises for a
wrong, missing or malformed answer. A choice question takes a choice id (or several, for a
multiple-answer question); a numeric question takes a number or its text, right when it is
within the question's ``tolerance`` of its ``value``. ``draw_test`` picks the questions of a
test run (seeded, mixed across difficulties and topics) and ``score_test`` scores a finished run.
(Grading a class folder of notebooks is ``lrcourse.gradebook``'s job.)
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from lrcourse.bank import DIFFICULTIES, Bank, Question, load_bank
from lrcourse.feedback import Feedback

Answer = str | float | Sequence[str] | None


def _resolve(question: Question | str, bank: Bank | None) -> Question:
    if isinstance(question, Question):
        return question
    return (bank or load_bank()).question(question)


def _chosen_ids(answer: Answer) -> list[str]:
    if answer is None:
        return []
    if isinstance(answer, int | float):
        return [str(answer)]
    if isinstance(answer, str):
        return [answer.strip().lower()] if answer.strip() else []
    return sorted({str(a).strip().lower() for a in answer if str(a).strip()})


def _number(answer: Answer) -> float | None:
    """The number a learner typed (``"0.05"``, ``"5e-2"``, ``0.05``); None when it is not one."""
    if isinstance(answer, bool):
        return None
    if isinstance(answer, int | float):
        value = float(answer)
    elif isinstance(answer, str):
        try:
            value = float(answer.strip().replace("_", ""))
        except ValueError:
            return None
    else:
        return None
    return value if math.isfinite(value) else None


def _check_numeric(q: Question, answer: Answer) -> Feedback:
    assert q.value is not None and q.tolerance is not None
    if answer is None or (isinstance(answer, str) and not answer.strip()):
        return Feedback("not-attempted", "Type a number first.", hint=q.hint, subject=q.id)
    value = _number(answer)
    if value is None:
        return Feedback(
            "error",
            "That is not a number.",
            message="Type a number such as 0.05 or 5e-2.",
            subject=q.id,
        )
    if abs(value - q.value) <= q.tolerance:
        return Feedback("correct", f"{value:g} is right.", explanation=q.answer, subject=q.id)
    return Feedback("incorrect", f"{value:g} is not the answer.", hint=q.hint, subject=q.id)


def check_answer(question: Question | str, answer: Answer, *, bank: Bank | None = None) -> Feedback:
    """Check one quiz answer: a choice id (several for a multiple-answer question) or a number."""
    try:
        q = _resolve(question, bank)
    except KeyError as exc:
        return Feedback("error", "Unknown question.", message=str(exc.args[0]))
    if q.kind == "numeric":
        return _check_numeric(q, answer)
    chosen = _chosen_ids(answer)
    if not chosen:
        return Feedback("not-attempted", "Pick an answer first.", hint=q.hint, subject=q.id)
    valid = {c.id for c in q.choices}
    unknown = [c for c in chosen if c not in valid]
    if unknown:
        letters = ", ".join(c.letter for c in q.choices)
        return Feedback(
            "error",
            f"There is no choice {unknown[0].upper()!s}.",
            message=f"Choose one of {letters}.",
            subject=q.id,
        )
    if not q.multiple and len(chosen) > 1:
        return Feedback("error", "Choose exactly one answer.", subject=q.id)
    keyed = set(q.correct_ids)
    notes = tuple(f"{q.choice(c).letter}: {q.choice(c).feedback}" for c in chosen)
    if set(chosen) == keyed:
        title = f"{'+'.join(c.upper() for c in chosen)} is right."
        if q.multiple:
            return Feedback("correct", title, details=notes, explanation=q.answer, subject=q.id)
        return Feedback(
            "correct",
            title,
            message=q.choice(chosen[0]).feedback,
            explanation=q.answer,
            subject=q.id,
        )
    if q.multiple:
        missing = len(keyed - set(chosen))
        extra = len(set(chosen) - keyed)
        title = f"Not quite: {missing} correct choice(s) missing, {extra} wrong choice(s) selected."
        return Feedback("incorrect", title, details=notes, hint=q.hint, subject=q.id)
    c = q.choice(chosen[0])
    return Feedback(
        "incorrect", f"{c.letter} is not the answer.", message=c.feedback, hint=q.hint, subject=q.id
    )


def solution_markdown(question: Question | str, *, bank: Bank | None = None) -> str:
    """The worked solution: numbered steps, the answer, a quick check and common mistakes."""
    q = _resolve(question, bank)
    if q.kind == "numeric":
        letters = f"{q.value:g} (± {q.tolerance:g})"
    else:
        letters = "+".join(c.letter for c in q.choices if c.correct)
    steps = "\n".join(f"{i}. {step}" for i, step in enumerate(q.steps, 1))
    mistakes = "\n".join(f"- {m}" for m in q.mistakes)
    return (
        f"**Solution**\n\n{steps}\n\n**Answer: {letters}.** {q.answer}\n\n"
        f"**Quick check:** {q.quick_check}\n\n**Common mistakes:**\n\n{mistakes}"
    )


def draw_test(
    bank: Bank | None = None, *, topic: str | None = None, n: int = 10, seed: int | None = None
) -> list[Question]:
    """Draw ``n`` questions mixed across easy/medium/hard (and topics when ``topic`` is None).

    The same seed gives the same test. Difficulties get near-equal shares (10 → 3/4/3), and
    within a difficulty the topics take turns, so every topic appears in a whole-course test.
    """
    bank = bank or load_bank()
    pool = list(bank.quiz(topic).questions) if topic else list(bank.questions)
    if n < 1:
        raise ValueError(f"a test needs at least one question, got n={n}")
    n = min(n, len(pool))
    rng = random.Random(seed)
    by_level = {d: [q for q in pool if q.difficulty == d] for d in DIFFICULTIES}
    for qs in by_level.values():
        rng.shuffle(qs)
    quota = {d: n // 3 for d in DIFFICULTIES}
    for d in ("medium", "easy", "hard")[: n % 3]:
        quota[d] += 1
    picked: list[Question] = []
    for d in DIFFICULTIES:
        picked += _round_robin(by_level[d], quota[d])
    rest = [q for q in pool if q not in picked]
    rng.shuffle(rest)
    picked += rest[: n - len(picked)]  # a level with too few questions is topped up
    order = {d: i for i, d in enumerate(DIFFICULTIES)}
    picked.sort(key=lambda q: order[q.difficulty])
    return picked


def _round_robin(questions: list[Question], k: int) -> list[Question]:
    by_topic: dict[str, list[Question]] = {}
    for q in questions:
        by_topic.setdefault(q.topic, []).append(q)
    out: list[Question] = []
    while len(out) < k and any(by_topic.values()):
        for topic in sorted(by_topic, key=lambda t: sum(q.topic == t for q in out)):
            if by_topic[topic] and len(out) < k:
                out.append(by_topic[topic].pop())
    return out


@dataclass(frozen=True)
class Score:
    """A scored test run: one Feedback per question, in order."""

    questions: tuple[Question, ...]
    feedback: tuple[Feedback, ...]

    @property
    def correct(self) -> int:
        return sum(f.passed for f in self.feedback)

    @property
    def total(self) -> int:
        return len(self.questions)

    @property
    def percent(self) -> float:
        return 100.0 * self.correct / self.total if self.total else 0.0

    def by_difficulty(self) -> dict[str, tuple[int, int]]:
        """(correct, asked) per difficulty level."""
        out: dict[str, tuple[int, int]] = {}
        for q, f in zip(self.questions, self.feedback, strict=True):
            right, asked = out.get(q.difficulty, (0, 0))
            out[q.difficulty] = (right + f.passed, asked + 1)
        return out

    def __str__(self) -> str:
        return f"Score: {self.correct}/{self.total} ({self.percent:.0f}%)"


def score_test(questions: Sequence[Question], answers: Mapping[str, Answer]) -> Score:
    """Grade every question of a test run; unanswered ones count as wrong."""
    feedback = tuple(check_answer(q, answers.get(q.id)) for q in questions)
    return Score(tuple(questions), feedback)
