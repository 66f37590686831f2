"""Combine the output folders of grading shards (``lrcourse grade --shard i/n``) into one:
their journals merged, then the same files one unsharded run writes."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

from lrcourse.autograde.grader import ClassResults, StudentRecord, check_output_folder
from lrcourse.autograde.journal import JOURNAL_NAME, Journal
from lrcourse.autograde.outputs import write_outputs


def results_from_journal(journal: Journal) -> ClassResults:
    """The latest complete submission of every student in a journal, as ClassResults."""
    latest: dict[str, dict[str, object]] = {}
    for row in journal.submissions():
        if row["complete"]:
            latest[str(row["student"])] = row
    records = []
    items: list[str] = []
    versions = set()
    for student in sorted(latest):
        row = latest[student]
        sha, version = str(row["sha256"]), str(row["version"])
        versions.add(version)
        results = journal.results(student, sha, version)
        for r in results:
            if r.item not in items:
                items.append(r.item)
        records.append(
            StudentRecord(
                student,
                sha,
                json.loads(str(row["notebooks"])),
                str(row["status"]),
                str(row["reason"]),
                json.loads(str(row["notes"])),
                {r.item: r for r in results},
            )
        )
    from lrcourse.exercises.catalog import COURSE_ORDER

    items.sort(key=lambda i: (COURSE_ORDER.index(i) if i in COURSE_ORDER else len(COURSE_ORDER), i))
    if len(versions) > 1:
        raise ValueError(f"the shards were graded by different grader versions: {sorted(versions)}")
    version = versions.pop() if versions else ""
    stored = journal.meta("plan")
    if stored is not None:
        planned = json.loads(stored)
        return ClassResults(
            list(planned["items"]),
            records,
            [],
            "merged",
            version,
            {k: float(v) for k, v in planned["points"].items()},
            str(planned["title"]),
        )
    return ClassResults(items, records, [], "merged", version)


def merge_gradebooks(
    out: str | os.PathLike[str], shards: Sequence[str | os.PathLike[str]]
) -> list[Path]:
    """Merge the shards' journals into ``out`` and write its CSV files; returns their paths."""
    folder = check_output_folder(out)
    sources = []
    for shard in shards:
        path = Path(shard) / JOURNAL_NAME
        if not path.is_file():
            raise FileNotFoundError(f"{shard}: no {JOURNAL_NAME} (is it a `grade --out` folder?)")
        sources.append(path)
    with Journal(folder) as journal:
        for path in sources:
            if path.resolve() != (folder / JOURNAL_NAME).resolve():
                journal.merge_from(path)
        results = results_from_journal(journal)
    return write_outputs(results, folder)
