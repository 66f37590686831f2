"""Where progress lives: one SQLite file per learner, written by every kernel that records.

Robustness rules (a progress store must never break a quiz) are listed in the package
docstring (:mod:`lrcourse.progress`).
"""

from __future__ import annotations

import contextlib
import os
import random
import sqlite3
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO, TypeVar

from lrcourse.atomic_files import atomic_writer
from lrcourse.progress.report import export_format, render_export
from lrcourse.progress.values import FIELDS, Attempt, TopicMastery, iso_utc, summarise

__all__ = [
    "ENV_VAR",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "ProgressStore",
    "ProgressStoreError",
    "ProgressWarning",
    "default_path",
    "record_attempt",
]

#: Environment variable that overrides the store's location.
ENV_VAR = "LRCOURSE_PROGRESS_DB"
#: Version of the on-disk schema, stored in ``PRAGMA user_version``.
SCHEMA_VERSION = 1

#: Target version -> statements that take the schema from (target - 1) to target. They run in
#: one IMMEDIATE transaction together with the user_version bump, so a half-applied migration
#: is impossible. To evolve the schema, add an entry and bump :data:`SCHEMA_VERSION`.
MIGRATIONS: dict[int, tuple[str, ...]] = {
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

_SELECT = f"SELECT {', '.join(FIELDS)} FROM attempts"
_INSERT = f"INSERT INTO attempts ({', '.join(FIELDS)}) VALUES ({', '.join('?' * len(FIELDS))})"


class ProgressWarning(UserWarning):
    """Issued (once per store) when the progress store cannot be read or written."""


class ProgressStoreError(RuntimeError):
    """Raised by :meth:`ProgressStore.clear` when the store cannot be cleared."""


class _NewerSchemaError(sqlite3.DatabaseError):
    """The file was written by a newer lrcourse (user_version > SCHEMA_VERSION)."""


_T = TypeVar("_T")


def _is_contention(exc: BaseException) -> bool:
    """SQLite's "database is locked/busy": another connection holds a lock we need."""
    if not isinstance(exc, sqlite3.OperationalError):
        return False
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _with_contention_retry(
    action: Callable[[], _T], budget: float, reset: Callable[[], None]
) -> _T:
    """Run ``action``, retrying for up to ``budget`` seconds while SQLite reports contention.

    The busy timeout covers ordinary waiting, but SQLite returns "database is locked" at once,
    without waiting, when waiting could deadlock: two connections that switch a brand-new file
    to WAL at the same moment, or a reader that must upgrade to a writer. Those cases clear as
    soon as the other connection finishes, so a short jittered backoff is enough. ``reset``
    runs before each retry (it closes the half-configured connection).
    """
    deadline = time.monotonic() + budget
    delay = 0.005
    while True:
        try:
            return action()
        except sqlite3.OperationalError as exc:
            if not _is_contention(exc) or time.monotonic() + delay > deadline:
                raise
            reset()
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 0.25)


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


@contextlib.contextmanager
def _write_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` (take the write lock now), then COMMIT, or ROLLBACK on any error."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(Exception):
            conn.execute("ROLLBACK")
        raise


def _schema_version(conn: sqlite3.Connection) -> int:
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise _NewerSchemaError(
            f"schema version {version} is newer than this lrcourse's {SCHEMA_VERSION}"
        )
    return version


def _migrate(conn: sqlite3.Connection) -> None:
    """Bring the schema up to SCHEMA_VERSION in one transaction (no-op when current)."""
    if _schema_version(conn) == SCHEMA_VERSION:
        return
    with _write_transaction(conn):
        # Re-read under the write lock: another kernel may have migrated meanwhile.
        for target in range(_schema_version(conn) + 1, SCHEMA_VERSION + 1):
            for statement in MIGRATIONS[target]:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {int(target)}")


def _row(a: Attempt) -> tuple[Any, ...]:
    return (
        str(a.subject),
        str(a.kind),
        str(a.topic),
        None if a.difficulty is None else str(a.difficulty),
        str(a.mode),
        a.answer,
        int(a.correct),
        iso_utc(a.at),
    )


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
            isolation_level=None,  # transactions are explicit: _write_transaction
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
            _schema_version(conn)
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
            if not isinstance(attempt, Attempt):  # a caller outside the type checker's reach
                raise TypeError(f"expected an Attempt, got {type(attempt).__name__}")
            row = _row(attempt)
        except Exception as exc:  # not an Attempt, or its `at` is not a datetime: dropped
            self._warn("written", exc)
            return False
        with self._lock:
            rows = [*(_row(a) for a in self._pending), row]

            def write() -> None:
                with _write_transaction(self._open()) as conn:
                    conn.executemany(_INSERT, rows)

            try:
                _with_contention_retry(write, self.busy_timeout, self.close)
            except Exception as exc:
                self.close()
                self._pending.append(attempt)
                self._warn("written", exc)
                return False
            self._pending.clear()
            return True

    def clear(self) -> None:
        """Delete every recorded attempt (and those held in memory).

        A missing file is left missing. Raises :class:`ProgressStoreError` when the file
        exists but cannot be cleared (delete it by hand in that case).
        """
        with self._lock:
            self._pending.clear()
            if not self.path.exists():
                return

            def wipe() -> None:
                with _write_transaction(self._open()) as conn:
                    conn.execute("DELETE FROM attempts")

            try:
                _with_contention_retry(wipe, self.busy_timeout, self.close)
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
            return _with_contention_retry(
                lambda: self._open().execute(sql, params).fetchall(), self.busy_timeout, self.close
            )
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
        return summarise(self.attempts(), topics)

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
        path = dest if isinstance(dest, str | os.PathLike) else None
        fmt = export_format(path, fmt)
        rows = self.attempts()
        text = render_export(rows, fmt)
        if isinstance(dest, str | os.PathLike):
            with atomic_writer(dest, newline="") as handle:
                handle.write(text)
        else:
            dest.write(text)
        return len(rows)


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

    Returns ``True`` when persisted. Never raises: when the default store has no place (its
    path names the home folder of a user that does not exist) it warns and returns ``False``.
    """
    if store is None:
        try:
            store = _default_store()
        except (OSError, RuntimeError) as exc:
            with contextlib.suppress(Warning):
                warnings.warn(
                    f"lrcourse progress not recorded: {exc}", ProgressWarning, stacklevel=2
                )
            return False
    return store.record(attempt)
