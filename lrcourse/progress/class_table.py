"""A class's progress in one table: the exports learners hand in, merged and checked.

Each learner runs ``lrcourse progress --export NAME.csv`` (or ``.json``) and hands the file
in; :func:`merge_exports` reads every file, one learner per file, and :func:`format_class_table`
and :func:`write_class_csv` show the result in a terminal or a spreadsheet.

The learner's name comes from a ``learner`` column (CSV) or key (JSON) when the file has one,
else from the file name (``alice.csv`` is alice). The course tells learners to export to
``progress.csv``; for a file with that stem the folder's name is used (``alice/progress.csv``
is alice).

Nothing is guessed or coerced: a file that cannot be read, is not an lrcourse export, has a
malformed row, or names a learner another file already named, is left out whole and reported
in :attr:`ClassTable.problems` with its path (and line or index), so no attempt is silently
dropped or given to the wrong learner.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TextIO

from lrcourse.atomic_files import atomic_writer
from lrcourse.progress.report import EXPORT_FORMATS, EXPORT_SCHEMA, format_table, format_when
from lrcourse.progress.values import FIELDS, Attempt, TopicMastery, iso_utc, summarise

__all__ = [
    "CLASS_CSV_FIELDS",
    "ClassTable",
    "ExportFileError",
    "LearnerProgress",
    "format_class_table",
    "merge_exports",
    "read_export",
    "write_class_csv",
]

#: The column a class export may carry to name its learner.
LEARNER_FIELD = "learner"
#: The stem the course tells learners to export to: such a file is named after its folder.
DEFAULT_EXPORT_STEM = "progress"
#: Columns of :func:`write_class_csv`: one row per learner and topic.
CLASS_CSV_FIELDS: tuple[str, ...] = (
    "learner",
    "topic",
    "attempted",
    "mastered",
    "mastery",
    "attempts",
    "accuracy",
    "last_at",
)


class ExportFileError(ValueError):
    """A file that is not a readable lrcourse progress export; the message names the file.

    Attributes:
        path: the file.
        problems: each thing wrong with it, one line each (with a line or index when known).
    """

    def __init__(self, path: Path, problems: Sequence[str]) -> None:
        self.path = path
        self.problems = tuple(problems)
        super().__init__("\n".join(f"{path}: {p}" for p in self.problems))


@dataclass(frozen=True)
class LearnerProgress:
    """One learner's export, read.

    Attributes:
        learner: the learner's name (see the module docstring for where it comes from).
        source: the export file.
        attempts: every attempt in the file, oldest first.
    """

    learner: str
    source: Path
    attempts: tuple[Attempt, ...]

    def mastery(self, topics: Iterable[str] = ()) -> list[TopicMastery]:
        """Per-topic mastery, as :meth:`ProgressStore.mastery` computes it."""
        return summarise(self.attempts, topics)

    @property
    def last_at(self) -> datetime | None:
        """The time of the latest attempt, or ``None`` when there is none."""
        return self.attempts[-1].at if self.attempts else None


@dataclass(frozen=True)
class ClassTable:
    """The merged exports of a class.

    Attributes:
        topics: the table's topics: those asked for and those any learner attempted, sorted.
        learners: one entry per learner, sorted by name.
        problems: one line per problem, each starting with the file it is about; a file with
            a problem is left out of ``learners`` whole.
    """

    topics: tuple[str, ...]
    learners: tuple[LearnerProgress, ...]
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when every file was merged."""
        return not self.problems

    def rows(self) -> list[tuple[LearnerProgress, list[TopicMastery]]]:
        """Each learner with one :class:`TopicMastery` per table topic, in table order."""
        return [(lp, lp.mastery(self.topics)) for lp in self.learners]


def merge_exports(
    paths: Iterable[str | os.PathLike[str]], *, topics: Iterable[str] = ()
) -> ClassTable:
    """Read learners' exports (``.csv`` or ``.json``, as ``ProgressStore.export`` writes them).

    Args:
        paths: the export files, one learner per file.
        topics: topics to show even when no learner attempted them (e.g. the course's).

    Returns:
        a :class:`ClassTable`. Never raises because of a file: each bad file is reported in
        ``problems`` and left out, and every good file is merged.
    """
    learners: dict[str, LearnerProgress] = {}
    problems: list[str] = []
    for raw in paths:
        try:
            lp = read_export(raw)
        except ExportFileError as exc:
            problems.extend(f"{exc.path}: {problem}" for problem in exc.problems)
            continue
        first = learners.get(lp.learner)
        if first is not None:
            problems.append(
                f"{lp.source}: learner {lp.learner!r} already comes from {first.source}; "
                f"rename one file or give each a {LEARNER_FIELD!r} column"
            )
            continue
        learners[lp.learner] = lp
    seen = {a.topic for lp in learners.values() for a in lp.attempts}
    return ClassTable(
        topics=tuple(sorted(seen.union(topics))),
        learners=tuple(learners[name] for name in sorted(learners)),
        problems=tuple(problems),
    )


def read_export(path: str | os.PathLike[str]) -> LearnerProgress:
    """Read one learner's export.

    Raises:
        ExportFileError: the file cannot be read or is not a well-formed export; the message
            names the file and lists every problem found.
    """
    source = Path(os.fspath(path))
    fmt = source.suffix.lstrip(".").lower()
    if fmt not in EXPORT_FORMATS:
        allowed = ", ".join(f".{f}" for f in EXPORT_FORMATS)
        raise ExportFileError(source, [f"not an export: the name must end in {allowed}"])
    try:
        text = source.read_text(encoding="utf-8-sig")  # a spreadsheet may add a BOM
    except (OSError, UnicodeDecodeError) as exc:
        raise ExportFileError(source, [f"cannot be read: {exc}"]) from exc
    records, named, problems = _csv_records(text) if fmt == "csv" else _json_records(text)
    attempts: list[Attempt] = []
    for where, record in records:
        try:
            attempts.append(_attempt(record))
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
    names = set(named)
    if len(names) > 1:
        problems.append(f"names several learners ({', '.join(sorted(names))}): one per file")
    if problems:
        raise ExportFileError(source, problems)
    learner = names.pop() if names else _name_from_path(source)
    attempts.sort(key=lambda a: a.at)  # stable: ties keep the file's order
    return LearnerProgress(learner=learner, source=source, attempts=tuple(attempts))


def _name_from_path(source: Path) -> str:
    stem = source.stem
    if stem.lower() == DEFAULT_EXPORT_STEM and source.resolve().parent.name:
        return source.resolve().parent.name
    return stem


_Records = tuple[list[tuple[str, Mapping[str, object]]], list[str], list[str]]


def _csv_records(text: str) -> _Records:
    """(where, record) pairs, the learner names the rows give, and the file's problems."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    missing = [f for f in FIELDS if f not in header]
    unknown = [f for f in header if f not in (*FIELDS, LEARNER_FIELD)]
    problems = []
    if not header:
        problems.append("empty file: an export has at least its header line")
    elif missing or unknown:
        if missing:
            problems.append(f"not an lrcourse export: missing column(s) {', '.join(missing)}")
        if unknown:
            problems.append(f"unknown column(s) {', '.join(unknown)}")
    if problems:
        return [], [], problems
    records: list[tuple[str, Mapping[str, object]]] = []
    names: list[str] = []
    for row in reader:
        where = f"line {reader.line_num}"
        if None in row:
            problems.append(f"{where}: more cells than columns")
            continue
        if LEARNER_FIELD in row:
            name = (row.pop(LEARNER_FIELD) or "").strip()
            if not name:
                problems.append(f"{where}: empty {LEARNER_FIELD!r}")
                continue
            names.append(name)
        records.append((where, {**row, "correct": _csv_bool(row.get("correct"))}))
    return records, names, problems


def _csv_bool(cell: str | None) -> object:
    """The CSV export writes ``true`` / ``false``; anything else stays as it is, to be refused."""
    text = (cell or "").strip().lower()
    return {"true": True, "false": False}.get(text, cell)


def _json_records(text: str) -> _Records:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        return [], [], [f"not JSON: {exc}"]
    if not isinstance(doc, dict) or "attempts" not in doc or "schema" not in doc:
        return [], [], ["not an lrcourse export: expected an object with schema and attempts"]
    problems: list[str] = []
    schema = doc["schema"]
    if schema != EXPORT_SCHEMA or isinstance(schema, bool):
        problems.append(f"export schema {schema!r}; this lrcourse reads schema {EXPORT_SCHEMA}")
    items = doc["attempts"]
    if not isinstance(items, list):
        problems.append("'attempts' is not a list")
        items = []
    names: list[str] = []
    if LEARNER_FIELD in doc:
        name = doc[LEARNER_FIELD]
        if isinstance(name, str) and name.strip():
            names.append(name.strip())
        else:
            problems.append(f"{LEARNER_FIELD!r} must be a non-empty string, got {name!r}")
    records: list[tuple[str, Mapping[str, object]]] = []
    for i, item in enumerate(items):
        if isinstance(item, dict):
            records.append((f"attempts[{i}]", item))
        else:
            problems.append(f"attempts[{i}]: expected an object, got {type(item).__name__}")
    return records, names, problems


def _attempt(record: Mapping[str, object]) -> Attempt:
    """An Attempt from one export record, refusing (not coercing) anything malformed."""
    missing = [f for f in FIELDS if f not in record]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    text: dict[str, str] = {}
    for name in ("subject", "kind", "topic", "mode", "answer"):
        value = record[name]
        if not isinstance(value, str) or (name != "answer" and not value.strip()):
            raise ValueError(f"{name!r} must be non-empty text, got {value!r}")
        text[name] = value
    difficulty = record["difficulty"]
    if difficulty is not None and not isinstance(difficulty, str):
        raise ValueError(f"'difficulty' must be text or empty, got {difficulty!r}")
    correct = record["correct"]
    if not isinstance(correct, bool):
        raise ValueError(f"'correct' must be true or false, got {correct!r}")
    at = record["at"]
    try:
        when = datetime.fromisoformat(at) if isinstance(at, str) else None
    except ValueError:
        when = None
    if when is None:
        raise ValueError(f"'at' must be an ISO-8601 time, got {at!r}")
    return Attempt(
        subject=text["subject"],
        kind=text["kind"],
        topic=text["topic"],
        difficulty=difficulty or None,
        mode=text["mode"],
        answer=text["answer"],
        correct=correct,
        at=when,
    )


def _cell(m: TopicMastery) -> str:
    return f"{m.mastery:.0%} ({m.mastered}/{m.attempted})" if m.attempted else "—"


def format_class_table(table: ClassTable) -> str:
    """A plain-text table for the terminal: one line per learner, one column per topic.

    A topic cell reads ``67% (2/3)``: the share of attempted subjects whose latest attempt was
    correct, then mastered / attempted; ``—`` when the learner attempted nothing there.
    Problems are not part of the table (see :attr:`ClassTable.problems`).
    """
    if not table.learners:
        return "No learner's progress merged: give one export file (.csv or .json) per learner."
    header = ("Learner", *table.topics, "Attempts", "Last activity")
    body = [
        (lp.learner, *(_cell(m) for m in rows), str(len(lp.attempts)), format_when(lp.last_at))
        for lp, rows in table.rows()
    ]
    return format_table(header, body, left={0, len(header) - 1})


def write_class_csv(table: ClassTable, dest: str | os.PathLike[str] | TextIO) -> int:
    """Write the table as CSV (:data:`CLASS_CSV_FIELDS`, one row per learner and topic).

    ``dest`` is a path (replaced atomically) or an open text stream. Mastery and accuracy are
    fractions (0 to 1); ``last_at`` is ISO-8601 UTC, empty when the learner has no attempt in
    that topic. Returns the number of rows written (the header not counted).
    """
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CLASS_CSV_FIELDS)
    n = 0
    for lp, rows in table.rows():
        for m in rows:
            mastery, accuracy = f"{m.mastery:.4f}", f"{m.accuracy:.4f}"
            last = "" if m.last_at is None else iso_utc(m.last_at)
            writer.writerow(
                [lp.learner, m.topic, m.attempted, m.mastered, mastery, m.attempts, accuracy, last]
            )
            n += 1
    if isinstance(dest, str | os.PathLike):
        with atomic_writer(dest, newline="") as handle:
            handle.write(buf.getvalue())
    else:
        dest.write(buf.getvalue())
    return n
