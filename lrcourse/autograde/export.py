"""Write a class's results where people and programs read them: CSV files that spreadsheets and
LMS gradebooks import safely, and a table for the terminal."""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Iterable, Sequence
from typing import Any

from lrcourse.atomic_files import atomic_writer

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """Text for one CSV cell: control characters shown as escapes, and a leading character that
    spreadsheets would run as a formula (= + - @) neutralised with a quote."""
    if isinstance(value, bool):
        text = "1" if value else "0"
    elif isinstance(value, float):
        text = f"{value:g}"
    else:
        text = str(value)
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    text = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
    if text.startswith(_FORMULA_START) and not _is_number(text):
        text = "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def write_rows(
    dest: str | os.PathLike[str], header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """Write a CSV atomically (the old file stays whole until the new one is complete);
    returns the number of data rows."""
    count = 0
    with atomic_writer(dest, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([safe_cell(h) for h in header])
        for row in rows:
            writer.writerow([safe_cell(v) for v in row])
            count += 1
    return count


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain-text table whose columns fit the widest cell, header included."""
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines)


def printable(text: str) -> str:
    """``text`` with control characters escaped, for a terminal."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
