"""The local progress store: quiz and exercise attempts kept in SQLite, no server needed.

Every graded quiz answer and every exercise check can be recorded as an :class:`Attempt`.
Attempts live in one SQLite file (stdlib ``sqlite3``) at:

1. the path in the environment variable ``LRCOURSE_PROGRESS_DB`` when it is set; else
2. ``$XDG_DATA_HOME/lrcourse/progress.sqlite3`` when ``XDG_DATA_HOME`` is an absolute path; else
3. ``~/.local/share/lrcourse/progress.sqlite3``.

Robustness rules (a progress store must never break a quiz):

* :meth:`ProgressStore.record` never raises. When the file cannot be written (corrupt file,
  read-only directory, a directory where the file should be, a database locked for longer
  than :attr:`ProgressStore.busy_timeout`, a store written by a newer lrcourse) it issues one
  :class:`ProgressWarning` per store, keeps the attempt in memory for the session, and returns
  ``False``. Attempts kept in memory are written with the next successful record.
* Reading (:meth:`~ProgressStore.attempts`, :meth:`~ProgressStore.mastery`,
  :meth:`~ProgressStore.export`) never raises because of the store: a missing file reads as
  empty (and is not created), a damaged one warns and reads as what could be read plus the
  session's in-memory attempts.
* The file is opened lazily, on the first read or write.
* The schema version is kept in ``PRAGMA user_version`` (:data:`SCHEMA_VERSION`) and upgraded
  step by step by :data:`_MIGRATIONS`. Every write is one transaction. The database runs in
  WAL mode with a busy timeout, so two Jupyter kernels can record into one file at once.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import sqlite3
import tempfile
import threading
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

__all__ = [
    "ENV_VAR",
    "EXPORT_FORMATS",
    "SCHEMA_VERSION",
    "Attempt",
    "ProgressStore",
    "ProgressStoreError",
    "ProgressWarning",
    "TopicMastery",
    "default_path",
    "format_mastery",
    "record_attempt",
]

#: Environment variable that overrides the store's location.
ENV_VAR = "LRCOURSE_PROGRESS_DB"
#: Version of the on-disk schema, stored in ``PRAGMA user_version``.
SCHEMA_VERSION = 1
#: Version of the JSON export document (its ``"schema"`` key).
EXPORT_SCHEMA = 1
#: Formats accepted by :meth:`ProgressStore.export`.
EXPORT_FORMATS: tuple[str, ...] = ("csv", "json")
#: Column order of the CSV export and of the ``attempts`` table.
FIELDS: tuple[str, ...] = (
    "subject",
    "kind",
    "topic",
    "difficulty",
    "mode",
    "answer",
    "correct",
    "at",
)

KINDS: tuple[str, ...] = ("question", "exercise")
MODES: tuple[str, ...] = ("practice", "test", "check")
DIFFICULTIES: tuple[str, ...] = ("easy", "medium", "hard")

# Migrations: target version -> statements that take the schema from (target - 1) to target.
# They run inside one IMMEDIATE transaction together with the user_version bump, so a
# half-applied migration is impossible. Add a new entry (and bump SCHEMA_VERSION) to evolve.
_MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        """
        CREATE TABLE IF NOT EXISTS attempts (
            id         INTEGER PRIMARY KEY AUTOINCREMENT,
            subject    TEXT    NOT NULL,
            kind       TEXT    NOT NULL,
            topic      TEXT    NOT NULL,
            difficulty TEXT,
            mode       TEXT    NOT NULL,
            answer     TEXT    NOT NULL,
            correct    INTEGER NOT NULL CHECK (correct IN (0, 1)),
            at         TEXT    NOT NULL
        )
        """,
        "CREATE INDEX IF NOT EXISTS attempts_topic_subject_at ON attempts (topic, subject, at)",
    ),
}

_SELECT = "SELECT subject, kind, topic, difficulty, mode, answer, correct, at FROM attempts"
_INSERT = (
    "INSERT INTO attempts (subject, kind, topic, difficulty, mode, answer, correct, at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


class ProgressWarning(UserWarning):
    """Issued (once per store) when the progress store cannot be read or written."""


class ProgressStoreError(RuntimeError):
    """Raised by :meth:`ProgressStore.clear` when the store cannot be cleared."""


class _NewerSchemaError(sqlite3.DatabaseError):
    """The file was written by a newer lrcourse (user_version > SCHEMA_VERSION)."""


def _now() -> datetime:
    return datetime.now(UTC)


def _to_utc(value: datetime) -> datetime:
    """Aware datetimes are converted to UTC; naive ones are taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _iso(value: datetime) -> str:
    """Fixed-width UTC ISO-8601, so text order is time order inside SQLite."""
    return _to_utc(value).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class Attempt:
    """One graded answer to a quiz question, or one exercise check.

    Attributes:
        subject: the question id or exercise id.
        kind: ``"question"`` or ``"exercise"``.
        topic: the quiz topic id (``"convergence"``, ``"param-groups"``,
            ``"parameter-specific"``, ``"schedulers"``) or ``"exercises"``.
        difficulty: ``"easy"``, ``"medium"``, ``"hard"`` or ``None``.
        mode: ``"practice"``, ``"test"`` or ``"check"``.
        answer: the chosen choice id(s) as text, or the feedback status for exercises.
        correct: whether the answer was right / the check passed.
        at: when it happened; normalised to an aware UTC datetime (a naive value is taken
            to be UTC). Defaults to now.

    Values are not checked against the lists above (a quiz must never fail because of its
    progress record); ``correct`` is coerced to ``bool`` and ``answer`` to ``str``.
    """

    subject: str
    kind: str
    topic: str
    difficulty: str | None
    mode: str
    answer: str
    correct: bool
    at: datetime = field(default_factory=_now)

    def __post_init__(self) -> None:
        object.__setattr__(self, "correct", bool(self.correct))
        if not isinstance(self.answer, str):
            object.__setattr__(self, "answer", str(self.answer))
        if isinstance(self.at, datetime):
            object.__setattr__(self, "at", _to_utc(self.at))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; ``at`` as ISO-8601 text."""
        return {
            "subject": self.subject,
            "kind": self.kind,
            "topic": self.topic,
            "difficulty": self.difficulty,
            "mode": self.mode,
            "answer": self.answer,
            "correct": self.correct,
            "at": _iso(self.at),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Attempt:
        """Rebuild an Attempt from :meth:`to_dict` output."""
        at = data["at"]
        return cls(
            subject=str(data["subject"]),
            kind=str(data["kind"]),
            topic=str(data["topic"]),
            difficulty=data.get("difficulty") or None,
            mode=str(data["mode"]),
            answer=str(data["answer"]),
            correct=bool(data["correct"]),
            at=datetime.fromisoformat(at) if isinstance(at, str) else at,
        )

    def _row(self) -> tuple[Any, ...]:
        return (
            str(self.subject),
            str(self.kind),
            str(self.topic),
            None if self.difficulty is None else str(self.difficulty),
            str(self.mode),
            self.answer,
            int(self.correct),
            _iso(self.at),
        )


@dataclass(frozen=True)
class TopicMastery:
    """Progress summary for one topic.

    Attributes:
        topic: the topic id.
        attempted: distinct subjects attempted.
        mastered: distinct subjects whose latest attempt was correct.
        attempts: total attempts.
        accuracy: correct attempts / attempts (0.0 when none).
        last_at: time of the latest attempt (UTC), or ``None``.
    """

    topic: str
    attempted: int
    mastered: int
    attempts: int
    accuracy: float
    last_at: datetime | None

    @property
    def mastery(self) -> float:
        """mastered / attempted (0.0 when nothing was attempted)."""
        return self.mastered / self.attempted if self.attempted else 0.0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict, ``mastery`` included."""
        return {
            "topic": self.topic,
            "attempted": self.attempted,
            "mastered": self.mastered,
            "attempts": self.attempts,
            "accuracy": self.accuracy,
            "mastery": self.mastery,
            "last_at": None if self.last_at is None else _iso(self.last_at),
        }


def default_path() -> Path:
    """The default store location (ignores ``LRCOURSE_PROGRESS_DB``).

    ``$XDG_DATA_HOME/lrcourse/progress.sqlite3`` when ``XDG_DATA_HOME`` is set to an
    absolute path (relative values are ignored, as the XDG spec requires), otherwise
    ``~/.local/share/lrcourse/progress.sqlite3``.
    """
    xdg = os.environ.get("XDG_DATA_HOME", "").strip()
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".local" / "share"
    return base / "lrcourse" / "progress.sqlite3"


def _resolve_path(path: str | os.PathLike[str] | None) -> Path:
    if path is None:
        env = os.environ.get(ENV_VAR, "").strip()
        return Path(env).expanduser() if env else default_path()
    return Path(os.fspath(path)).expanduser()


class ProgressStore:
    """Attempts and mastery in one SQLite file.

    Args:
        path: the database file. ``None`` → ``$LRCOURSE_PROGRESS_DB`` if set, else
            :func:`default_path`. Nothing is opened or created until first use.

    Attributes:
        path: the resolved database path.
        busy_timeout: seconds to wait for another writer's lock before giving up on a write
            (the attempt is then kept in memory).

    The store holds one connection (opened lazily, reused, safe to use from several
    threads) and can be used as a context manager that closes it.
    """

    busy_timeout: float = 5.0

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path: Path = _resolve_path(path)
        self._conn: sqlite3.Connection | None = None
        self._pending: list[Attempt] = []
        self._warned = False
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"ProgressStore({str(self.path)!r})"

    def __enter__(self) -> ProgressStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- connection -------------------------------------------------------------------
    def close(self) -> None:
        """Close the connection (it is reopened on next use). Never raises."""
        with self._lock:
            conn, self._conn = self._conn, None
            if conn is not None:
                with contextlib.suppress(Exception):
                    conn.close()

    def _warn(self, action: str, exc: BaseException) -> None:
        if self._warned:
            return
        self._warned = True
        reason = str(exc) or type(exc).__name__
        if isinstance(exc, _NewerSchemaError):
            reason = f"{reason}; upgrade lrcourse to use it"
        msg = (
            f"lrcourse progress store {str(self.path)!r} could not be {action} ({reason}); "
            "progress from this session is kept in memory only. "
            f"Set {ENV_VAR} to use another file."
        )
        # A warnings filter set to "error" must not turn this into an exception.
        with contextlib.suppress(Warning):
            warnings.warn(msg, ProgressWarning, stacklevel=3)

    def _open(self) -> sqlite3.Connection:
        """Open (creating if needed), configure and migrate the database."""
        if self._conn is not None:
            return self._conn
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.is_dir():
            raise IsADirectoryError(f"{self.path} is a directory")
        conn = sqlite3.connect(
            self.path,
            timeout=self.busy_timeout,
            isolation_level=None,  # explicit BEGIN/COMMIT below
            check_same_thread=False,
        )
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            _migrate(conn)
        except BaseException:
            conn.close()
            raise
        self._conn = conn
        return conn

    def _open_readonly(self) -> sqlite3.Connection:
        """A last-resort read-only view (e.g. a read-only directory that blocks WAL files)."""
        uri = self.path.resolve().as_uri() + "?immutable=1"
        conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise _NewerSchemaError(f"schema version {version} > {SCHEMA_VERSION}")
        except BaseException:
            conn.close()
            raise
        return conn

    # ---- writing ----------------------------------------------------------------------
    def record(self, attempt: Attempt) -> bool:
        """Record one attempt.

        Returns ``True`` when it (and any attempts held in memory from earlier failures) was
        written to disk, ``False`` when it could only be kept in memory. Never raises; a
        failure issues one :class:`ProgressWarning` per store.
        """
        try:
            with self._lock:
                if not isinstance(attempt, Attempt):
                    raise TypeError(f"expected an Attempt, got {type(attempt).__name__}")
                batch = [*self._pending, attempt]
                try:
                    conn = self._open()
                    conn.execute("BEGIN IMMEDIATE")
                    try:
                        conn.executemany(_INSERT, [a._row() for a in batch])
                        conn.execute("COMMIT")
                    except BaseException:
                        with contextlib.suppress(Exception):
                            conn.execute("ROLLBACK")
                        raise
                except Exception as exc:
                    self.close()
                    self._pending.append(attempt)
                    self._warn("written", exc)
                    return False
                self._pending.clear()
                return True
        except Exception as exc:  # e.g. not an Attempt: drop it, with the warning
            self._warn("written", exc)
            return False

    def clear(self) -> None:
        """Delete every recorded attempt (and those held in memory).

        A missing file is left missing. Raises :class:`ProgressStoreError` when the file
        exists but cannot be cleared (delete it by hand in that case).
        """
        with self._lock:
            self._pending.clear()
            if not self.path.exists():
                return
            try:
                conn = self._open()
                conn.execute("BEGIN IMMEDIATE")
                try:
                    conn.execute("DELETE FROM attempts")
                    conn.execute("COMMIT")
                except BaseException:
                    with contextlib.suppress(Exception):
                        conn.execute("ROLLBACK")
                    raise
            except Exception as exc:
                self.close()
                raise ProgressStoreError(
                    f"could not clear the progress store {str(self.path)!r}: {exc}"
                ) from exc

    # ---- reading ----------------------------------------------------------------------
    def _stored_rows(self, topic: str | None) -> list[tuple[Any, ...]]:
        sql = _SELECT + (" WHERE topic = ?" if topic is not None else "") + " ORDER BY at, id"
        params: tuple[Any, ...] = (topic,) if topic is not None else ()
        if not self.path.exists():
            return []
        try:
            return self._open().execute(sql, params).fetchall()
        except Exception as first:
            self.close()
            try:
                conn = self._open_readonly()
                try:
                    has_table = conn.execute(
                        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'attempts'"
                    ).fetchone()
                    return conn.execute(sql, params).fetchall() if has_table else []
                finally:
                    conn.close()
            except Exception:
                self._warn("read", first)
                return []

    def attempts(self, *, topic: str | None = None) -> list[Attempt]:
        """All attempts, oldest first, optionally for one topic.

        Includes attempts held in memory after failed writes. Never raises because of a
        damaged store: it warns and returns what it could read (a missing store is empty).
        """
        with self._lock:
            rows = self._stored_rows(topic)
            pending = [a for a in self._pending if topic is None or a.topic == topic]
        out: list[Attempt] = []
        bad: Exception | None = None
        for subject, kind, top, difficulty, mode, answer, correct, at in rows:
            try:
                out.append(
                    Attempt(
                        subject=str(subject),
                        kind=str(kind),
                        topic=str(top),
                        difficulty=None if difficulty is None else str(difficulty),
                        mode=str(mode),
                        answer=str(answer),
                        correct=bool(correct),
                        at=datetime.fromisoformat(str(at)),
                    )
                )
            except (TypeError, ValueError) as exc:
                bad = exc
        if bad is not None:
            self._warn("fully read (skipped malformed rows)", bad)
        out.extend(pending)
        out.sort(key=lambda a: a.at)  # stable: ties keep insertion order
        return out

    def mastery(self, *, topics: Iterable[str] = ()) -> list[TopicMastery]:
        """One :class:`TopicMastery` per topic seen, plus each of ``topics`` even if unseen.

        A subject is *mastered* when its latest attempt was correct. Rows are sorted by
        topic. Never raises because of a damaged store.
        """
        return _summarise(self.attempts(), topics)

    def export(self, dest: str | os.PathLike[str] | TextIO, *, fmt: str | None = None) -> int:
        """Write all attempts to ``dest`` (a path or an open text stream).

        Args:
            dest: file path, or a text stream (then ``fmt`` is required).
            fmt: ``"csv"`` (one row per attempt, with a header) or ``"json"``
                (``{"schema", "exported_at", "mastery", "attempts"}``). ``None`` infers it
                from the path's suffix.

        Returns:
            the number of attempts written.

        Raises:
            ValueError: unknown or un-inferable format (the message names the allowed ones).
            OSError: the destination cannot be written (the store itself never raises).
        """
        is_stream = not isinstance(dest, str | os.PathLike)
        if fmt is None:
            fmt = "" if is_stream else Path(os.fspath(dest)).suffix.lstrip(".")
        fmt = fmt.lower()
        if fmt not in EXPORT_FORMATS:
            allowed = ", ".join(repr(f) for f in EXPORT_FORMATS)
            what = f"format {fmt!r}" if fmt else "no format (pass fmt= or use a .csv/.json path)"
            raise ValueError(f"cannot export with {what}; allowed formats: {allowed}")

        rows = self.attempts()
        buf = io.StringIO(newline="") if fmt == "csv" else io.StringIO()
        if fmt == "csv":
            writer = csv.writer(buf, lineterminator="\n")
            writer.writerow(FIELDS)
            for a in rows:
                d = a.to_dict()
                d["difficulty"] = d["difficulty"] or ""
                d["correct"] = "true" if a.correct else "false"
                writer.writerow([d[k] for k in FIELDS])
        else:
            doc = {
                "schema": EXPORT_SCHEMA,
                "exported_at": _iso(_now()),
                "mastery": [m.to_dict() for m in _summarise(rows, ())],
                "attempts": [a.to_dict() for a in rows],
            }
            json.dump(doc, buf, indent=2, ensure_ascii=False)
            buf.write("\n")

        text = buf.getvalue()
        if is_stream:
            dest.write(text)  # type: ignore[union-attr]
        else:
            _atomic_write(Path(os.fspath(dest)), text)
        return len(rows)


def _migrate(conn: sqlite3.Connection) -> None:
    """Bring the schema up to SCHEMA_VERSION in one transaction (no-op when current)."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version == SCHEMA_VERSION:
        return
    if version > SCHEMA_VERSION:
        raise _NewerSchemaError(
            f"schema version {version} is newer than this lrcourse's {SCHEMA_VERSION}"
        )
    conn.execute("BEGIN IMMEDIATE")
    try:
        # Re-read under the write lock: another kernel may have migrated meanwhile.
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise _NewerSchemaError(
                f"schema version {version} is newer than this lrcourse's {SCHEMA_VERSION}"
            )
        for target in range(version + 1, SCHEMA_VERSION + 1):
            for statement in _MIGRATIONS[target]:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {int(target)}")
        conn.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(Exception):
            conn.execute("ROLLBACK")
        raise


def _summarise(rows: Iterable[Attempt], topics: Iterable[str]) -> list[TopicMastery]:
    by_topic: dict[str, list[Attempt]] = {t: [] for t in topics}
    for a in rows:
        by_topic.setdefault(a.topic, []).append(a)
    out: list[TopicMastery] = []
    for topic in sorted(by_topic):
        items = sorted(by_topic[topic], key=lambda a: a.at)  # stable on ties
        latest: dict[tuple[str, str], Attempt] = {}
        for a in items:
            latest[(a.kind, a.subject)] = a
        n = len(items)
        out.append(
            TopicMastery(
                topic=topic,
                attempted=len(latest),
                mastered=sum(1 for a in latest.values() if a.correct),
                attempts=n,
                accuracy=sum(1 for a in items if a.correct) / n if n else 0.0,
                last_at=items[-1].at if items else None,
            )
        )
    return out


def _atomic_write(path: Path, text: str) -> None:
    """Write text next to ``path`` and rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


_DEFAULT_STORES: dict[Path, ProgressStore] = {}
_DEFAULT_LOCK = threading.Lock()


def _default_store() -> ProgressStore:
    path = _resolve_path(None)
    with _DEFAULT_LOCK:
        store = _DEFAULT_STORES.get(path)
        if store is None:
            store = _DEFAULT_STORES[path] = ProgressStore(path)
        return store


def record_attempt(attempt: Attempt, store: ProgressStore | None = None) -> bool:
    """Record ``attempt`` in ``store`` (default: one shared store per resolved path).

    Returns ``True`` when persisted. Never raises.
    """
    try:
        return (store if store is not None else _default_store()).record(attempt)
    except Exception as exc:  # pragma: no cover - record() already never raises
        with contextlib.suppress(Warning):
            warnings.warn(f"lrcourse progress not recorded: {exc}", ProgressWarning, stacklevel=2)
        return False


def _fmt_when(value: datetime | None) -> str:
    return "—" if value is None else _to_utc(value).strftime("%Y-%m-%d %H:%M UTC")


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
            _fmt_when(r.last_at),
        )
        for r in rows
    ]
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]

    def line(cells: tuple[str, ...]) -> str:
        parts = []
        for i, cell in enumerate(cells):
            # text columns left-aligned, numbers right-aligned
            parts.append(cell.ljust(widths[i]) if i in (0, 5) else cell.rjust(widths[i]))
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in body)])
