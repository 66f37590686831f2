"""One feedback file per student: each item's verdict, message and details, in Markdown.

Only what the verdict says goes in: never a reference solution, a hint ladder's last rung, a
quiz key or a fixture value the student did not see.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from lrcourse.atomic_files import write_text_atomic
from lrcourse.autograde.export import printable
from lrcourse.autograde.grader import ClassResults, StudentRecord

FEEDBACK_DIR = "feedback"
_LABELS = {
    "correct": "Correct",
    "incorrect": "Not yet",
    "not-attempted": "Not attempted",
    "missing": "Missing",
    "error": "Error",
    "timeout": "Time-out",
    "unreadable": "Unreadable",
}


def file_name(student: str) -> str:
    """A safe, unique file name for a student (letters kept, the rest replaced, plus a short
    hash so that two names never collide)."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", student).strip("._") or "student"
    tag = hashlib.sha256(student.encode("utf-8", "replace")).hexdigest()[:8]
    return f"{stem[:60]}-{tag}.md"


def render(results: ClassResults, record: StudentRecord) -> str:
    """The Markdown feedback of one student."""
    total, best = results.total(record), sum(results.max_points(i) for i in results.items)
    lines = [
        f"# {printable(results.title)}",
        "",
        f"**Student:** {printable(record.student)}  ",
        f"**Score:** {total:g} / {best:g}",
        "",
    ]
    if record.status != "graded":
        lines += [f"> Your submission could not be read: {printable(record.reason)}", ""]
    for note in record.notes:
        lines.append(f"- Note: {printable(note)}")
    if record.notes:
        lines.append("")
    for item in results.items:
        result = record.items.get(item)
        if result is None:
            continue
        earned = results.score(record, item)
        label = _LABELS.get(result.status, result.status)
        lines += [
            f"## {item} — {label} ({earned:g}/{results.max_points(item):g})",
            "",
            f"**{printable(result.title)}**",
            "",
        ]
        if result.message:
            lines += [printable(result.message), ""]
        lines += [f"- {printable(d)}" for d in result.details]
        if result.details:
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def write_feedback_files(results: ClassResults, out: str | os.PathLike[str]) -> list[Path]:
    """Write ``feedback/<student>.md`` for every student; returns the paths."""
    folder = Path(out) / FEEDBACK_DIR
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for record in results.students:
        path = folder / file_name(record.student)
        write_text_atomic(path, render(results, record))
        paths.append(path)
    return paths
