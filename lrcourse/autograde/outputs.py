"""The files an instructor gets from a grading run, and the terminal summary.

- ``grades.csv``: one row per student and item (status, title, where the answer was found);
- ``scores.csv``: one row per student, a column per item (points earned), the total and the
  maximum: what an LMS gradebook (Canvas, Moodle, Blackboard) imports;
- ``feedback/<student>.md``: each item's verdict, message and details;
- ``report.html``: the class report with its figures;
- ``notes.txt``: what the instructor should look at (skipped files, re-created cells, two
  notebooks holding one exercise, unreadable notebooks).

Every file is written atomically, from the journal's results, so a run that was killed and
resumed writes the same files as one that was not.
"""

from __future__ import annotations

import os
from pathlib import Path

from lrcourse.atomic_files import write_text_atomic
from lrcourse.autograde.export import printable, table, write_rows
from lrcourse.autograde.feedback_files import write_feedback_files
from lrcourse.autograde.grader import ClassResults
from lrcourse.autograde.report import write_report

GRADES_CSV = "grades.csv"
SCORES_CSV = "scores.csv"
NOTES_TXT = "notes.txt"


def write_outputs(results: ClassResults, out: str | os.PathLike[str]) -> list[Path]:
    """Write grades.csv, scores.csv, the feedback files and the report into ``out``; returns
    the paths written (the feedback folder as one)."""
    folder = Path(out)
    grades, scores = folder / GRADES_CSV, folder / SCORES_CSV
    long_rows = []
    for record in results.students:
        for item in results.items:
            r = record.items.get(item)
            if r is None:
                continue
            long_rows.append(
                [
                    record.student,
                    item,
                    r.status,
                    r.passed,
                    r.title,
                    r.notebook,
                    r.found,
                    record.sha256,
                    r.seconds,
                ]
            )
    write_rows(
        grades,
        ["student", "item", "status", "passed", "title", "notebook", "found", "sha256", "seconds"],
        long_rows,
    )
    best = sum(results.max_points(i) for i in results.items)
    wide = []
    for record in results.students:
        points = [results.score(record, i) for i in results.items]
        wide.append(
            [record.student, *points, results.total(record), best, record.status, record.reason]
        )
    write_rows(scores, ["student", *results.items, "total", "max", "status", "reason"], wide)
    write_feedback_files(results, folder)
    report = write_report(results, folder)
    notes = folder / NOTES_TXT
    lines = [printable(n) for n in results.notes]
    for record in results.students:
        lines += [f"{printable(record.student)}: {printable(n)}" for n in record.notes]
        if record.status != "graded":
            lines.append(
                f"{printable(record.student)}: {record.status}: {printable(record.reason)}"
            )
    write_text_atomic(notes, "\n".join(lines) + "\n" if lines else "")
    return [grades, scores, report, notes, folder / "feedback"]


def summary(results: ClassResults) -> str:
    """A per-student table for the terminal: passed/total and what did not pass."""
    if not results.students:
        return "No submissions found."
    rows = []
    for record in results.students:
        own = [record.items[i] for i in results.items if i in record.items]
        failed = ", ".join(f"{r.item} ({r.status})" for r in own if not r.passed) or "—"
        if record.status != "graded":
            failed = f"{record.status}: {record.reason}"
        best = sum(results.max_points(i) for i in results.items)
        rows.append(
            [
                printable(record.student),
                f"{results.total(record):g}/{best:g}",
                printable(failed)[:160],
            ]
        )
    return table(["student", "score", "not passed"], rows)
