"""Grade a folder of student notebooks: every exercise cell checked in a limited child process.

Layout accepted: ``FOLDER/<student>.ipynb`` or ``FOLDER/<student>/<any>.ipynb``. The exercise a
cell answers is read from its tag ``exercise:<id>`` (the course's notebooks carry it). Learner
code never runs in this process: each (student, exercise) pair runs through
``lrcourse.exercises.check_file``'s sandbox target with a time limit, so a loop, a crash or a
huge output costs that one cell its points and nothing else.

Unreadable notebooks, missing cells and symlinks become rows with a reason, never a crash, so
the gradebook always has one row per student and exercise.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from lrcourse.exercises import exercise
from lrcourse.exercises.source_check import CHILD_TARGET, feedback_from_child
from lrcourse.feedback import Feedback
from lrcourse.sandbox import run_many

MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024
MAX_CELLS = 10_000
TAG_PREFIX = "exercise:"


class NotebookError(ValueError):
    """A submission could not be read as a notebook; the message names the file."""


@dataclass(frozen=True)
class Submission:
    student: str
    path: Path


@dataclass(frozen=True)
class GradeRow:
    """One student's result on one exercise."""

    student: str
    exercise: str
    status: str
    passed: bool
    title: str
    notebook: str
    sha256: str
    seconds: float


def find_submissions(folder: str | os.PathLike[str]) -> tuple[list[Submission], list[str]]:
    """The notebooks to grade, and a note for each path skipped (symlinks, checkpoints)."""
    root = Path(folder)
    if not root.is_dir():
        raise NotADirectoryError(f"not a folder of submissions: {root}")
    found: list[Submission] = []
    skipped: list[str] = []
    for path in sorted(root.rglob("*.ipynb")):
        rel = path.relative_to(root)
        if ".ipynb_checkpoints" in rel.parts:
            continue
        if path.is_symlink():
            skipped.append(f"{rel}: skipped, a symbolic link")
            continue
        student = rel.parts[0] if len(rel.parts) > 1 else path.stem
        found.append(Submission(student, path))
    return found, skipped


def exercise_cells(path: str | os.PathLike[str]) -> dict[str, str]:
    """Map exercise id → source of the cell tagged ``exercise:<id>`` (the last one wins)."""
    path = Path(path)
    size = path.stat().st_size
    if size > MAX_NOTEBOOK_BYTES:
        raise NotebookError(f"{path}: {size} bytes, over the {MAX_NOTEBOOK_BYTES} byte limit")
    try:
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise NotebookError(f"{path}: not a notebook (invalid JSON: {exc})") from None
    cells = data.get("cells") if isinstance(data, dict) else None
    if not isinstance(cells, list):
        raise NotebookError(f"{path}: not a notebook (no list of cells)")
    if len(cells) > MAX_CELLS:
        raise NotebookError(f"{path}: {len(cells)} cells, over the {MAX_CELLS} cell limit")
    out: dict[str, str] = {}
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        tags = (cell.get("metadata") or {}).get("tags") or []
        source = cell.get("source", "")
        text = "".join(source) if isinstance(source, list) else str(source)
        for tag in tags if isinstance(tags, list) else []:
            if isinstance(tag, str) and tag.startswith(TAG_PREFIX):
                out[tag.removeprefix(TAG_PREFIX)] = text
    return out


def grade_folder(folder: str | os.PathLike[str], *, exercises: Sequence[str] | None = None,
                 timeout: float = 60.0, workers: int = 2) -> tuple[list[GradeRow], list[str]]:
    """Grade every submission; returns the rows (student × exercise) and notes on skipped files.

    ``exercises`` defaults to every exercise id tagged in any submission. Unknown ids raise
    ``UnknownExerciseError`` before anything runs.
    """
    submissions, notes = find_submissions(folder)
    cells: dict[str, dict[str, tuple[str, str]]] = {}
    unreadable: dict[str, str] = {}
    for sub in submissions:
        cells.setdefault(sub.student, {})  # a student with nothing gradable still gets rows
        try:
            found = exercise_cells(sub.path)
        except (NotebookError, OSError) as exc:
            unreadable[sub.student] = str(exc)
            continue
        for ex_id, source in found.items():
            cells.setdefault(sub.student, {})[ex_id] = (source, sub.path.name)
    wanted = list(exercises) if exercises else sorted(
        {ex_id for per in cells.values() for ex_id in per})
    for ex_id in wanted:
        exercise(ex_id)

    jobs: list[tuple[str, dict]] = []
    keys: list[tuple[str, str, str, str]] = []
    rows: dict[tuple[str, str], GradeRow] = {}
    for student in sorted(cells):
        for ex_id in wanted:
            if ex_id not in cells[student]:
                reason = unreadable.get(student, f"no cell tagged {TAG_PREFIX}{ex_id}")
                status = "error" if student in unreadable else "not-attempted"
                rows[student, ex_id] = GradeRow(student, ex_id, status, False, reason, "", "", 0.0)
                continue
            source, notebook = cells[student][ex_id]
            digest = hashlib.sha256(source.encode()).hexdigest()
            payload = {"exercise_id": ex_id, "source": source, "filename": notebook}
            jobs.append((CHILD_TARGET, payload))
            keys.append((student, ex_id, notebook, digest))
    results = run_many(jobs, timeout=timeout, workers=workers)
    for (student, ex_id, notebook, digest), result in zip(keys, results, strict=True):
        fb: Feedback = feedback_from_child(ex_id, result, timeout)
        rows[student, ex_id] = GradeRow(student, ex_id, fb.status, fb.passed, fb.title, notebook,
                                        digest, round(result.seconds, 2))
    ordered = [rows[s, e] for s in sorted(cells) for e in wanted]
    return ordered, notes + [f"{s}: {why}" for s, why in sorted(unreadable.items())]


def write_csv(rows: Iterable[GradeRow], dest: str | os.PathLike[str]) -> int:
    """Write the gradebook (one row per student and exercise) atomically; returns rows written."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fields = list(GradeRow.__dataclass_fields__)
    count = 0
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=fields)
            writer.writeheader()
            for row in rows:
                writer.writerow(asdict(row))
                count += 1
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return count


def summary(rows: Sequence[GradeRow]) -> str:
    """A per-student table for the terminal: passed/total and the exercises not yet passed."""
    students: dict[str, list[GradeRow]] = {}
    for row in rows:
        students.setdefault(row.student, []).append(row)
    if not students:
        return "No submissions found."
    width = max(len(s) for s in students) + 2
    lines = [f"{'student':{width}}passed  not passed"]
    for student, own in students.items():
        failed = ", ".join(f"{r.exercise} ({r.status})" for r in own if not r.passed) or "—"
        lines.append(f"{student:{width}}{sum(r.passed for r in own):>2}/{len(own):<4} {failed}")
    return "\n".join(lines)
