"""Progress for people and spreadsheets: the export document and the terminal mastery table."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from lrcourse.progress.values import (
    FIELDS,
    Attempt,
    TopicMastery,
    iso_utc,
    now_utc,
    summarise,
    to_utc,
)

__all__ = [
    "EXPORT_FORMATS",
    "EXPORT_SCHEMA",
    "export_format",
    "format_mastery",
    "format_table",
    "format_when",
    "render_export",
]

#: Version of the JSON export document (its ``"schema"`` key).
EXPORT_SCHEMA = 1
#: Formats accepted by :meth:`ProgressStore.export`.
EXPORT_FORMATS: tuple[str, ...] = ("csv", "json")


def export_format(dest: str | os.PathLike[str] | None, fmt: str | None) -> str:
    """The export format: ``fmt`` if given, else the suffix of ``dest`` (``None``: a stream).

    Raises:
        ValueError: unknown or un-inferable format (the message names the allowed ones).
    """
    if fmt is None:
        fmt = "" if dest is None else Path(os.fspath(dest)).suffix.lstrip(".")
    fmt = fmt.lower()
    if fmt not in EXPORT_FORMATS:
        allowed = ", ".join(repr(f) for f in EXPORT_FORMATS)
        what = f"format {fmt!r}" if fmt else "no format (pass fmt= or use a .csv/.json path)"
        raise ValueError(f"cannot export with {what}; allowed formats: {allowed}")
    return fmt


def render_export(attempts: Sequence[Attempt], fmt: str) -> str:
    """The text of an export: ``"csv"`` or ``"json"`` (see :meth:`ProgressStore.export`)."""
    buf = io.StringIO(newline="")
    if export_format(None, fmt) == "csv":
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(FIELDS)
        for a in attempts:
            d = a.to_dict()
            d["difficulty"] = d["difficulty"] or ""
            d["correct"] = "true" if a.correct else "false"
            writer.writerow([d[k] for k in FIELDS])
    else:
        doc = {
            "schema": EXPORT_SCHEMA,
            "exported_at": iso_utc(now_utc()),
            "mastery": [m.to_dict() for m in summarise(attempts)],
            "attempts": [a.to_dict() for a in attempts],
        }
        json.dump(doc, buf, indent=2, ensure_ascii=False)
        buf.write("\n")
    return buf.getvalue()


def format_when(value: datetime | None) -> str:
    """A time for a table cell: ``2024-05-01 12:01 UTC``, or a dash for none."""
    return "—" if value is None else to_utc(value).strftime("%Y-%m-%d %H:%M UTC")


def format_table(header: Sequence[str], body: Sequence[Sequence[str]], left: set[int]) -> str:
    """Columns two spaces apart; the columns in ``left`` left-aligned, the rest right-aligned."""
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        parts = [
            cell.ljust(widths[i]) if i in left else cell.rjust(widths[i])
            for i, cell in enumerate(cells)
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in body)])


def format_mastery(rows: list[TopicMastery]) -> str:
    """A plain-text table for the terminal, or a sentence when there is nothing to show.

    Columns: topic, attempted, mastered, mastery %, accuracy %, last activity (UTC).
    """
    if not rows:
        return "No progress recorded yet: answer a quiz question or check an exercise to start."
    header = ("Topic", "Attempted", "Mastered", "Mastery", "Accuracy", "Last activity")
    body = [
        (
            r.topic,
            str(r.attempted),
            str(r.mastered),
            f"{r.mastery:.0%}" if r.attempted else "—",
            f"{r.accuracy:.0%}" if r.attempts else "—",
            format_when(r.last_at),
        )
        for r in rows
    ]
    return format_table(header, body, left={0, 5})
