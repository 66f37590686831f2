"""The question bank: strict, versioned loading of the TOML quiz files in ``quizzes/``.

Every problem found while parsing is reported as ``FILE:QUESTION-ID: message``. ``parse_quiz``
collects all of a file's problems (for ``lrcourse validate``); ``load_quiz`` and ``load_bank``
raise ``QuizFormatError`` listing them, so a broken bank never loads silently.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from lrcourse.course_outline import topic_order

SCHEMA_VERSION = 1
DIFFICULTIES = ("easy", "medium", "hard")
TOPIC_ORDER = topic_order()  # course order, from lrcourse/course_outline.toml

_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_FILE_KEYS = {"schema_version", "topic", "title", "description", "questions"}
_QUESTION_KEYS = {
    "id",
    "difficulty",
    "multiple",
    "prompt",
    "hint",
    "steps",
    "answer",
    "quick_check",
    "mistakes",
    "verify",
    "exempt",
    "source",
    "choices",
    "kind",
    "value",
    "tolerance",
}
KINDS = ("choice", "numeric")
_REQUIRED_TEXT = ("prompt", "hint", "answer", "quick_check")
_CHOICE_KEYS = {"id", "text", "correct", "feedback"}
_SOURCE_KEYS = {"seed", "item", "errata", "correction"}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the bank, located by file and question id."""

    file: str
    subject: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.subject}: {self.message}"


class QuizFormatError(ValueError):
    """A quiz file does not follow the schema; ``problems`` lists every violation."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class Choice:
    id: str
    text: str
    correct: bool
    feedback: str

    @property
    def letter(self) -> str:
        """How the choice is shown: its id upper-cased ("a" → "A")."""
        return self.id.upper()


@dataclass(frozen=True)
class Source:
    """Where a question comes from: a seed document item and the errata that corrected it."""

    seed: str
    item: str
    errata: tuple[str, ...] = ()
    correction: str = ""


@dataclass(frozen=True)
class Question:
    """One question. ``kind`` is ``"choice"`` (pick among ``choices``) or ``"numeric"`` (type a
    number; right when within ``tolerance`` of ``value``, and ``choices`` is empty).

    ``verify`` proves the key by running torch; ``exempt`` is the written reason a question has
    no proof. A question has exactly one of the two, or neither (then it counts as unproven).
    """

    id: str
    topic: str
    difficulty: str
    prompt: str
    choices: tuple[Choice, ...]
    hint: str
    steps: tuple[str, ...]
    answer: str
    quick_check: str
    mistakes: tuple[str, ...]
    multiple: bool = False
    verify: str | None = None
    source: Source | None = None
    file: str = ""
    kind: str = "choice"
    value: float | None = None
    tolerance: float | None = None
    exempt: str | None = None

    @property
    def correct_ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.choices if c.correct)

    def choice(self, choice_id: str) -> Choice:
        """The choice with this id (case-insensitive); KeyError names the valid ids."""
        key = choice_id.strip().lower()
        for c in self.choices:
            if c.id == key:
                return c
        valid = ", ".join(c.id for c in self.choices)
        raise KeyError(f"question {self.id!r} has no choice {choice_id!r} (choices: {valid})")


@dataclass(frozen=True)
class Quiz:
    """One topic's questions, as loaded from ``quizzes/<topic>.toml``."""

    topic: str
    title: str
    description: str
    questions: tuple[Question, ...]
    file: str = ""

    def __iter__(self) -> Iterator[Question]:
        return iter(self.questions)

    def __len__(self) -> int:
        return len(self.questions)


@dataclass(frozen=True)
class Bank:
    """All topics; question ids are unique across it."""

    quizzes: tuple[Quiz, ...]
    _by_id: dict[str, Question] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for quiz in self.quizzes:
            for q in quiz.questions:
                self._by_id[q.id] = q

    @property
    def topics(self) -> tuple[str, ...]:
        return tuple(q.topic for q in self.quizzes)

    @property
    def questions(self) -> tuple[Question, ...]:
        return tuple(q for quiz in self.quizzes for q in quiz.questions)

    def quiz(self, topic: str) -> Quiz:
        for quiz in self.quizzes:
            if quiz.topic == topic:
                return quiz
        raise KeyError(f"no quiz for topic {topic!r} (topics: {', '.join(self.topics)})")

    def question(self, question_id: str) -> Question:
        try:
            return self._by_id[question_id]
        except KeyError:
            raise KeyError(f"no question with id {question_id!r} in the bank") from None


# ---- locating the bank ---------------------------------------------------------------------
def bank_dir() -> Path:
    """Where the quiz files are: $LRCOURSE_QUIZZES, else the installed copy, else the repo's."""
    env = os.environ.get("LRCOURSE_QUIZZES")
    if env:
        return Path(env)
    installed = Path(str(resources.files("lrcourse"))) / "_quizzes"
    if installed.is_dir():
        return installed
    return Path(__file__).resolve().parent.parent / "quizzes"


def quiz_files(paths: Iterable[str | os.PathLike[str]] | None = None) -> list[Path]:
    """Expand files and folders into the sorted list of ``*.toml`` quiz files."""
    roots = [Path(p) for p in paths] if paths else [bank_dir()]
    files: list[Path] = []
    for root in roots:
        if root.is_dir():
            files += sorted(root.glob("*.toml"))
        else:
            files.append(root)
    return files


# ---- parsing -------------------------------------------------------------------------------
class _Collector:
    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def add(self, subject: str, message: str) -> None:
        self.problems.append(Problem(self.file, subject, message))


def _text(table: dict[str, Any], key: str, where: str, out: _Collector, *, required: bool) -> str:
    value = table.get(key)
    if value is None:
        if required:
            out.add(where, f"missing field {key!r}")
        return ""
    if not isinstance(value, str):
        out.add(where, f"field {key!r} must be a string, got {type(value).__name__}")
        return ""
    if required and not value.strip():
        out.add(where, f"field {key!r} is empty")
    return value


def _texts(table: dict[str, Any], key: str, where: str, out: _Collector) -> tuple[str, ...]:
    value = table.get(key)
    if value is None:
        out.add(where, f"missing field {key!r}")
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        out.add(where, f"field {key!r} must be a list of non-empty strings")
        return ()
    if not value:
        out.add(where, f"field {key!r} is empty")
    return tuple(value)


def _unknown(table: dict[str, Any], allowed: set[str], where: str, out: _Collector) -> None:
    for key in sorted(set(table) - allowed):
        out.add(where, f"unknown key {key!r} (allowed: {', '.join(sorted(allowed))})")


def _parse_choice(raw: Any, qid: str, index: int, out: _Collector) -> Choice | None:
    where = f"{qid}/choice {index + 1}"
    if not isinstance(raw, dict):
        out.add(qid, f"choice {index + 1} must be a table")
        return None
    cid = raw.get("id")
    if isinstance(cid, str):
        where = f"{qid}/{cid}"
    _unknown(raw, _CHOICE_KEYS, where, out)
    if not isinstance(cid, str) or not _ID.match(cid):
        out.add(where, f"choice id must be lowercase letters, digits and dashes, got {cid!r}")
        return None
    correct = raw.get("correct", False)
    if not isinstance(correct, bool):
        out.add(where, f"'correct' must be true or false, got {correct!r}")
        correct = False
    text = _text(raw, "text", where, out, required=True)
    feedback = _text(raw, "feedback", where, out, required=True)
    return Choice(id=cid, text=text, correct=correct, feedback=feedback)


def _parse_source(raw: Any, qid: str, out: _Collector) -> Source | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        out.add(qid, "'source' must be a table")
        return None
    _unknown(raw, _SOURCE_KEYS, f"{qid}/source", out)
    seed = _text(raw, "seed", f"{qid}/source", out, required=True)
    item = _text(raw, "item", f"{qid}/source", out, required=True)
    errata = raw.get("errata", [])
    if not isinstance(errata, list) or not all(isinstance(e, str) for e in errata):
        out.add(f"{qid}/source", "'errata' must be a list of strings")
        errata = []
    correction = _text(raw, "correction", f"{qid}/source", out, required=False)
    return Source(seed=seed, item=item, errata=tuple(errata), correction=correction)


def _parse_question(raw: Any, topic: str, index: int, out: _Collector) -> Question | None:
    if not isinstance(raw, dict):
        out.add(f"question {index + 1}", "each [[questions]] entry must be a table")
        return None
    qid = raw.get("id")
    if not isinstance(qid, str) or not _ID.match(qid):
        out.add(f"question {index + 1}", f"question id must be kebab-case, got {qid!r}")
        return None
    before = len(out.problems)
    _unknown(raw, _QUESTION_KEYS, qid, out)
    difficulty = raw.get("difficulty")
    if difficulty not in DIFFICULTIES:
        out.add(qid, f"difficulty must be one of {', '.join(DIFFICULTIES)}, got {difficulty!r}")
    multiple = raw.get("multiple", False)
    if not isinstance(multiple, bool):
        out.add(qid, f"'multiple' must be true or false, got {multiple!r}")
        multiple = False
    texts = {key: _text(raw, key, qid, out, required=True) for key in _REQUIRED_TEXT}
    steps = _texts(raw, "steps", qid, out)
    mistakes = _texts(raw, "mistakes", qid, out)
    verify = _text(raw, "verify", qid, out, required=False) or None
    source = _parse_source(raw.get("source"), qid, out)

    kind = raw.get("kind", "choice")
    if kind not in KINDS:
        out.add(qid, f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    verify_raw = raw.get("verify")
    if isinstance(verify_raw, str) and not verify_raw.strip():
        out.add(qid, "field 'verify' is empty: write a snippet, or give an 'exempt' reason")
    exempt = _text(raw, "exempt", qid, out, required=False) or None
    if "exempt" in raw and exempt is None and isinstance(raw["exempt"], str):
        out.add(qid, "field 'exempt' is empty: say why this question cannot be run")
    if verify and exempt:
        out.add(qid, "has both 'verify' and 'exempt': a proven question needs no exemption")
    choices: list[Choice] = []
    value: float | None = None
    tolerance: float | None = None
    if kind == "numeric":
        value, tolerance = _parse_numeric(raw, qid, out)
    elif kind == "choice":
        for key in ("value", "tolerance"):
            if key in raw:
                out.add(qid, f'{key!r} is only for kind = "numeric" questions')
        choices = _parse_choices(raw, qid, multiple, out)
    if len(out.problems) > before:
        return None
    return Question(
        id=qid,
        topic=topic,
        difficulty=str(difficulty),
        prompt=texts["prompt"],
        choices=tuple(choices),
        hint=texts["hint"],
        steps=steps,
        answer=texts["answer"],
        quick_check=texts["quick_check"],
        mistakes=mistakes,
        multiple=multiple,
        verify=verify,
        source=source,
        file=out.file,
        kind=str(kind),
        value=value,
        tolerance=tolerance,
        exempt=exempt,
    )


def _number(raw: dict[str, Any], key: str, qid: str, out: _Collector) -> float | None:
    value = raw.get(key)
    if value is None:
        out.add(qid, f"missing field {key!r} (a numeric question needs 'value' and 'tolerance')")
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        out.add(qid, f"field {key!r} must be a number, got {type(value).__name__}")
        return None
    if not math.isfinite(value):
        out.add(qid, f"field {key!r} must be finite, got {value!r}")
        return None
    return float(value)


def _parse_numeric(
    raw: dict[str, Any],
    qid: str,
    out: _Collector,
) -> tuple[float | None, float | None]:
    if "choices" in raw:
        out.add(qid, "a numeric question has no choices (it has 'value' and 'tolerance')")
    if raw.get("multiple"):
        out.add(qid, "a numeric question cannot be 'multiple'")
    value = _number(raw, "value", qid, out)
    tolerance = _number(raw, "tolerance", qid, out)
    if tolerance is not None and tolerance < 0:
        out.add(qid, f"'tolerance' must be >= 0, got {tolerance!r}")
    if value is not None and tolerance is not None and value != 0 and tolerance >= abs(value):
        out.add(
            qid,
            f"'tolerance' {tolerance!r} is as large as the value {value!r}: "
            "it would accept 0 and answers of the wrong sign",
        )
    return value, tolerance


def _parse_choices(
    raw: dict[str, Any],
    qid: str,
    multiple: bool,
    out: _Collector,
) -> list[Choice]:
    raw_choices = raw.get("choices")
    choices: list[Choice] = []
    if not isinstance(raw_choices, list):
        out.add(qid, "missing [[questions.choices]]")
        return choices
    for i, rc in enumerate(raw_choices):
        choice = _parse_choice(rc, qid, i, out)
        if choice:
            choices.append(choice)
    if len(raw_choices) < 2:
        out.add(qid, f"needs at least two choices, has {len(raw_choices)}")
    ids = [c.id for c in choices]
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        out.add(qid, f"duplicate choice id {dup!r}")
    n_correct = sum(c.correct for c in choices)
    if not multiple and n_correct != 1:
        out.add(qid, f"a single-answer question needs exactly one correct choice, has {n_correct}")
    if multiple and n_correct == 0:
        out.add(qid, "a multiple-answer question needs at least one correct choice")
    return choices


def parse_quiz(path: str | os.PathLike[str]) -> tuple[Quiz | None, list[Problem]]:
    """Parse one quiz file; return the quiz (None if anything is wrong) and every problem."""
    path = Path(path)
    out = _Collector(str(path))
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        out.add("-", "file not found")
        return None, out.problems
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        out.add("-", f"not valid TOML: {exc}")
        return None, out.problems
    _unknown(data, _FILE_KEYS, "-", out)
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        out.add("-", f"schema_version must be {SCHEMA_VERSION}, got {version!r}")
        return None, out.problems
    topic = _text(data, "topic", "-", out, required=True)
    if topic and topic != path.stem:
        out.add("-", f"topic {topic!r} must match the file name {path.stem!r}")
    title = _text(data, "title", "-", out, required=True)
    description = _text(data, "description", "-", out, required=False)
    raw_questions = data.get("questions")
    if not isinstance(raw_questions, list) or not raw_questions:
        out.add("-", "no [[questions]]")
        return None, out.problems
    questions = [_parse_question(rq, topic, i, out) for i, rq in enumerate(raw_questions)]
    ids = [q.get("id") for q in raw_questions if isinstance(q, dict)]
    for dup in sorted({i for i in ids if isinstance(i, str) and ids.count(i) > 1}):
        out.add(dup, "duplicate question id in this file")
    if out.problems:
        return None, out.problems
    quiz = Quiz(
        topic=topic,
        title=title,
        description=description,
        questions=tuple(q for q in questions if q),
        file=str(path),
    )
    return quiz, out.problems


def parse_bank(
    paths: Iterable[str | os.PathLike[str]] | None = None,
) -> tuple[list[Quiz], list[Problem]]:
    """Parse several quiz files; also report question ids repeated across files."""
    quizzes: list[Quiz] = []
    problems: list[Problem] = []
    paths = list(paths) if paths else None
    files = quiz_files(paths)
    if not files:
        where = ", ".join(str(p) for p in paths) if paths else str(bank_dir())
        problems.append(Problem(where, "-", "no quiz files found"))
    seen: dict[str, str] = {}
    for path in files:
        quiz, found = parse_quiz(path)
        problems += found
        if quiz is None:
            continue
        for q in quiz.questions:
            if q.id in seen:
                message = f"duplicate question id (also in {seen[q.id]})"
                problems.append(Problem(str(path), q.id, message))
            seen.setdefault(q.id, str(path))
        quizzes.append(quiz)
    return quizzes, problems


def load_quiz(path: str | os.PathLike[str]) -> Quiz:
    """Load one quiz file or raise QuizFormatError naming the file and question."""
    quiz, problems = parse_quiz(path)
    if problems or quiz is None:
        raise QuizFormatError(problems)
    return quiz


_CACHE: dict[tuple[str, ...], tuple[float, Bank]] = {}


def load_bank(paths: Iterable[str | os.PathLike[str]] | None = None) -> Bank:
    """Load the whole bank (default: ``bank_dir()``), cached until a file changes."""
    files = quiz_files(paths)
    key = tuple(str(f) for f in files)
    stamp = max((f.stat().st_mtime for f in files if f.exists()), default=0.0)
    cached = _CACHE.get(key)
    if cached and cached[0] == stamp:
        return cached[1]
    quizzes, problems = parse_bank(files)
    if problems:
        raise QuizFormatError(problems)
    order = {t: i for i, t in enumerate(TOPIC_ORDER)}
    quizzes.sort(key=lambda q: (order.get(q.topic, len(order)), q.topic))
    bank = Bank(tuple(quizzes))
    _CACHE[key] = (stamp, bank)
    return bank
