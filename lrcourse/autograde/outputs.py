"""The files an instructor gets from a grading run, and the terminal summary.

- ``grades.csv``: one row per student and item (status, title, where the answer was found);
- ``scores.csv``: one row per student, a column per item and the total: what an LMS
  gradebook imports.

Every file is written atomically, from the journal's results, so a run that was killed and
resumed writes the same files as one that was not.
"""

from __future__ import annotations

import os
from pathlib import Path

from lrcourse.autograde.export import printable, table, write_rows
from lrcourse.autograde.grader import ClassResults

GRADES_CSV = "grades.csv"
SCORES_CSV = "scores.csv"


def write_outputs(results: ClassResults, out: str | os.PathLike[str]) -> list[Path]:
    """Write grades.csv and scores.csv into ``out``; returns their paths."""
    folder = Path(out)
    grades, scores = folder / GRADES_CSV, folder / SCORES_CSV
    long_rows = []
    for record in results.students:
        for item in results.items:
            r = record.items.get(item)
            if r is None:
                continue
            long_rows.append([record.student, item, r.status, r.passed, r.title, r.notebook,
                              r.found, record.sha256, r.seconds])
    write_rows(grades, ["student", "item", "status", "passed", "title", "notebook", "found",
                        "sha256", "seconds"], long_rows)
    wide = []
    for record in results.students:
        points = [1 if record.items.get(i) and record.items[i].passed else 0
                  for i in results.items]
        wide.append([record.student, *points, sum(points), record.status, record.reason])
    write_rows(scores, ["student", *results.items, "total", "status", "reason"], wide)
    return [grades, scores]


def summary(results: ClassResults) -> str:
    """A per-student table for the terminal: passed/total and what did not pass."""
    if not results.students:
        return "No submissions found."
    rows = []
    for record in results.students:
        own = [record.items[i] for i in results.items if i in record.items]
        passed = sum(r.passed for r in own)
        failed = ", ".join(f"{r.item} ({r.status})" for r in own if not r.passed) or "—"
        if record.status != "graded":
            failed = f"{record.status}: {record.reason}"
        rows.append([printable(record.student), f"{passed}/{len(results.items)}",
                     printable(failed)[:160]])
    return table(["student", "passed", "not passed"], rows)
