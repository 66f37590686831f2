"""The grading journal: every result in SQLite as soon as it exists, keyed by (student,
submission sha256, grader version, item), in the output folder (which no sandbox child can see).

Kill the grader at any moment and run it again: what is in the journal is kept and not graded
again (``regrade`` forces it). One grader at a time per output folder: a second one is refused
by an exclusive lock. The journal also keeps the secret from which each submission's fixture
seeds are derived, so a regrade draws the same specs while no child can predict them.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import json
import os
import secrets
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

JOURNAL_NAME = "gradebook.sqlite"
LOCK_NAME = ".lrcourse-grade.lock"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS submissions (
    student TEXT NOT NULL, sha256 TEXT NOT NULL, version TEXT NOT NULL,
    notebooks TEXT NOT NULL, status TEXT NOT NULL, reason TEXT NOT NULL, notes TEXT NOT NULL,
    complete INTEGER NOT NULL, graded_at TEXT NOT NULL DEFAULT (datetime('now')),
    PRIMARY KEY (student, sha256, version));
CREATE TABLE IF NOT EXISTS results (
    student TEXT NOT NULL, sha256 TEXT NOT NULL, version TEXT NOT NULL, item TEXT NOT NULL,
    status TEXT NOT NULL, title TEXT NOT NULL, message TEXT NOT NULL, details TEXT NOT NULL,
    notebook TEXT NOT NULL, found TEXT NOT NULL, seconds REAL NOT NULL,
    graded_at TEXT NOT NULL DEFAULT (datetime('now')),
    PRIMARY KEY (student, sha256, version, item));
"""


class JournalBusyError(RuntimeError):
    """Another grader holds this output folder."""


@dataclass(frozen=True)
class ItemResult:
    """One graded item of one submission."""

    student: str
    item: str
    status: str
    title: str
    message: str
    details: tuple[str, ...]
    notebook: str
    found: str
    seconds: float

    @property
    def passed(self) -> bool:
        """True for a correct answer."""
        return self.status == "correct"


class Journal:
    """The SQLite journal of one output folder, held under an exclusive lock."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._lock: IO[str] | None = open(self.folder / LOCK_NAME, "a+")  # noqa: SIM115
        try:
            fcntl.flock(self._lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            self._lock = None
            raise JournalBusyError(
                f"another `lrcourse grade` is writing to {self.folder}; wait for it to finish "
                "or use another --out folder"
            ) from None
        self._db = sqlite3.connect(
            self.folder / JOURNAL_NAME, isolation_level=None, check_same_thread=False
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        with self.transaction():
            self._db.execute(
                "INSERT OR IGNORE INTO meta VALUES ('seed_secret', ?)", (secrets.token_hex(32),)
            )
        row = self._db.execute("SELECT value FROM meta WHERE key='seed_secret'").fetchone()
        self._secret = bytes.fromhex(row[0])

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT, or ROLLBACK on any error."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def set_meta(self, key: str, value: str) -> None:
        """Store a run-wide fact (e.g. the assignment graded)."""
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def meta(self, key: str) -> str | None:
        """A run-wide fact, or None."""
        row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def seed(self, sha256: str, item: str) -> int:
        """The fixture seed of one item of one submission: HMAC of the journal's secret."""
        digest = hmac.new(self._secret, f"{sha256}:{item}".encode(), hashlib.sha256).digest()
        return int.from_bytes(digest[:8], "big")

    def is_complete(self, student: str, sha256: str, version: str) -> bool:
        """Whether this submission was fully graded by this grader version."""
        row = self._db.execute(
            "SELECT complete FROM submissions WHERE student=? AND sha256=? AND version=?",
            (student, sha256, version),
        ).fetchone()
        return bool(row and row[0])

    def done_items(self, student: str, sha256: str, version: str) -> set[str]:
        """Items of this submission already in the journal."""
        rows = self._db.execute(
            "SELECT item FROM results WHERE student=? AND sha256=? AND version=?",
            (student, sha256, version),
        )
        return {r[0] for r in rows}

    def forget(self, student: str, sha256: str, version: str) -> None:
        """Drop a submission's results (for ``--regrade``)."""
        with self.transaction() as db:
            key = (student, sha256, version)
            db.execute("DELETE FROM results WHERE student=? AND sha256=? AND version=?", key)
            db.execute("DELETE FROM submissions WHERE student=? AND sha256=? AND version=?", key)

    def begin_submission(
        self,
        student: str,
        sha256: str,
        version: str,
        notebooks: list[str],
        status: str,
        reason: str,
        notes: list[str],
    ) -> None:
        """Record that a submission is being graded (not complete yet)."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO submissions (student, sha256, version, notebooks, status, reason, "
                "notes, complete) VALUES (?, ?, ?, ?, ?, ?, ?, 0) ON CONFLICT DO UPDATE SET "
                "notebooks=excluded.notebooks, status=excluded.status, reason=excluded.reason, "
                "notes=excluded.notes",
                (
                    student,
                    sha256,
                    version,
                    json.dumps(notebooks),
                    status,
                    reason,
                    json.dumps(notes),
                ),
            )

    def record(self, sha256: str, version: str, result: ItemResult) -> None:
        """Store one item's result (committed before this returns)."""
        with self.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO results (student, sha256, version, item, status, title, "
                "message, details, notebook, found, seconds) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    result.student,
                    sha256,
                    version,
                    result.item,
                    result.status,
                    result.title,
                    result.message,
                    json.dumps(list(result.details)),
                    result.notebook,
                    result.found,
                    result.seconds,
                ),
            )

    def complete(self, student: str, sha256: str, version: str) -> None:
        """Mark a submission fully graded."""
        with self.transaction() as db:
            db.execute(
                "UPDATE submissions SET complete=1 WHERE student=? AND sha256=? AND version=?",
                (student, sha256, version),
            )

    def results(self, student: str, sha256: str, version: str) -> list[ItemResult]:
        """The stored results of one submission."""
        rows = self._db.execute(
            "SELECT student, item, status, title, message, details, notebook, found, seconds "
            "FROM results WHERE student=? AND sha256=? AND version=? ORDER BY item",
            (student, sha256, version),
        )
        return [
            ItemResult(r[0], r[1], r[2], r[3], r[4], tuple(json.loads(r[5])), r[6], r[7], r[8])
            for r in rows
        ]

    def submissions(self) -> list[dict[str, Any]]:
        """Every submission row (all versions), oldest first."""
        rows = self._db.execute(
            "SELECT student, sha256, version, notebooks, status, reason, notes, complete, "
            "graded_at FROM submissions ORDER BY graded_at, student"
        )
        keys = (
            "student",
            "sha256",
            "version",
            "notebooks",
            "status",
            "reason",
            "notes",
            "complete",
            "graded_at",
        )
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def merge_from(self, other: str | os.PathLike[str]) -> int:
        """Copy every submission and result of another journal file into this one (same key:
        the other wins); returns how many results were copied."""
        source = sqlite3.connect(f"file:{Path(other)}?mode=ro", uri=True)
        try:
            plan = source.execute("SELECT value FROM meta WHERE key='plan'").fetchone()
            subs = source.execute(
                "SELECT student, sha256, version, notebooks, status, reason, "
                "notes, complete, graded_at FROM submissions"
            ).fetchall()
            results = source.execute(
                "SELECT student, sha256, version, item, status, title, message, details, "
                "notebook, found, seconds, graded_at FROM results"
            ).fetchall()
        finally:
            source.close()
        with self.transaction() as db:
            if plan is not None:
                db.execute("INSERT OR REPLACE INTO meta VALUES ('plan', ?)", plan)
            db.executemany("INSERT OR REPLACE INTO submissions VALUES (?,?,?,?,?,?,?,?,?)", subs)
            db.executemany(
                "INSERT OR REPLACE INTO results VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", results
            )
        return len(results)

    def close(self) -> None:
        """Close the database and release the folder."""
        self._db.close()
        if self._lock is not None:
            fcntl.flock(self._lock.fileno(), fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
