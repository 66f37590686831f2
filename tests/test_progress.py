"""Tests for lrcourse.progress: the local SQLite progress store (real sqlite, tmp_path)."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import threading
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from lrcourse.progress import (
    ENV_VAR,
    SCHEMA_VERSION,
    Attempt,
    ProgressStore,
    ProgressStoreError,
    ProgressWarning,
    TopicMastery,
    default_path,
    format_mastery,
    record_attempt,
)
from lrcourse.progress import store as progress_store

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def att(
    subject: str = "q1",
    *,
    topic: str = "convergence",
    correct: bool = True,
    minutes: int = 0,
    kind: str = "question",
    difficulty: str | None = "easy",
    mode: str = "practice",
    answer: str = "b",
) -> Attempt:
    return Attempt(
        subject=subject,
        kind=kind,
        topic=topic,
        difficulty=difficulty,
        mode=mode,
        answer=answer,
        correct=correct,
        at=T0 + timedelta(minutes=minutes),
    )


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "data" / "progress.sqlite3"


@pytest.fixture
def store(db: Path) -> Iterator[ProgressStore]:
    with ProgressStore(db) as s:
        yield s


def user_version(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    finally:
        conn.close()


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


# ---- Attempt value ----------------------------------------------------------------------
def test_attempt_normalises_time_to_utc_and_types() -> None:
    plus2 = timezone(timedelta(hours=2))
    when = datetime(2024, 1, 1, 14, tzinfo=plus2)
    a = Attempt("q", "question", "t", None, "test", 3, 1, when)  # type: ignore[arg-type]  # loose types are coerced
    assert a.at == datetime(2024, 1, 1, 12, tzinfo=UTC)
    assert a.at.tzinfo is UTC
    assert a.correct is True and a.answer == "3"
    naive = Attempt("q", "question", "t", None, "test", "a", False, datetime(2024, 1, 1))
    assert naive.at.tzinfo is UTC
    assert Attempt("q", "question", "t", None, "test", "a", False).at.tzinfo is UTC


def test_attempt_dict_round_trip() -> None:
    a = att(difficulty=None)
    assert Attempt.from_dict(a.to_dict()) == a
    assert a.to_dict()["at"] == "2024-05-01T12:00:00.000000+00:00"


# ---- paths ------------------------------------------------------------------------------
def test_default_path_under_xdg_data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_path() == tmp_path / "xdg" / "lrcourse" / "progress.sqlite3"


def test_default_path_falls_back_to_local_share(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    for value in (None, "", "relative/dir"):  # unset, empty, relative → ignored
        if value is None:
            monkeypatch.delenv("XDG_DATA_HOME", raising=False)
        else:
            monkeypatch.setenv("XDG_DATA_HOME", value)
        assert default_path() == tmp_path / ".local/share/lrcourse/progress.sqlite3"


def test_env_var_overrides_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "custom.db"))
    s = ProgressStore()
    assert s.path == tmp_path / "custom.db"
    assert s.record(att())
    assert (tmp_path / "custom.db").is_file()
    assert not (tmp_path / "xdg").exists()
    s.close()


def test_no_env_var_uses_default_and_explicit_path_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv(ENV_VAR, "")  # empty → ignored
    assert ProgressStore().path == default_path()
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "env.db"))
    assert ProgressStore(tmp_path / "explicit.db").path == tmp_path / "explicit.db"


def test_store_is_opened_lazily(db: Path) -> None:
    s = ProgressStore(db)
    assert not db.exists() and not db.parent.exists()
    assert s.attempts() == [] and s.mastery() == []  # reading a missing store: empty
    assert not db.exists()  # ... and does not create it
    assert s.record(att())
    assert db.is_file()
    s.close()


# ---- round trip & mastery -------------------------------------------------------------
def test_round_trip(store: ProgressStore, db: Path) -> None:
    items = [
        att("q1", correct=False, minutes=0),
        att("q2", topic="schedulers", difficulty=None, mode="test", answer="a,c", minutes=1),
        att("ex1", kind="exercise", topic="exercises", mode="check", answer="correct", minutes=2),
    ]
    assert all(store.record(a) for a in items)
    assert store.attempts() == items
    with ProgressStore(db) as other:  # a second process / kernel sees the same rows
        assert other.attempts() == items
        assert other.attempts(topic="schedulers") == [items[1]]
        assert other.attempts(topic="unknown") == []


def test_attempts_are_ordered_by_time(store: ProgressStore) -> None:
    late, early = att("q1", minutes=5), att("q2", minutes=1)
    store.record(late)
    store.record(early)
    assert store.attempts() == [early, late]


def test_mastery_latest_attempt_decides(store: ProgressStore) -> None:
    store.record(att("q1", correct=False, minutes=0))
    store.record(att("q1", correct=True, minutes=1))  # q1 mastered now
    store.record(att("q2", correct=True, minutes=2))
    store.record(att("q2", correct=False, minutes=3))  # q2 lost
    store.record(att("q3", correct=True, minutes=4))
    store.record(att("s1", topic="schedulers", correct=False, minutes=5))
    rows = store.mastery()
    assert [r.topic for r in rows] == ["convergence", "schedulers"]
    conv, sched = rows
    assert (conv.attempted, conv.mastered, conv.attempts) == (3, 2, 5)
    assert conv.accuracy == pytest.approx(3 / 5)
    assert conv.mastery == pytest.approx(2 / 3)
    assert conv.last_at == T0 + timedelta(minutes=4)
    assert (sched.attempted, sched.mastered, sched.attempts, sched.accuracy) == (1, 0, 1, 0.0)
    assert sched.mastery == 0.0


def test_mastery_latest_is_by_time_not_insertion_order(store: ProgressStore) -> None:
    store.record(att("q1", correct=True, minutes=10))
    store.record(att("q1", correct=False, minutes=0))  # recorded later but older
    (row,) = store.mastery()
    assert row.mastered == 1


def test_mastery_includes_requested_unseen_topics(store: ProgressStore) -> None:
    store.record(att("q1", topic="schedulers"))
    rows = store.mastery(topics=["param-groups", "convergence", "schedulers"])
    assert [r.topic for r in rows] == ["convergence", "param-groups", "schedulers"]
    empty = rows[0]
    assert empty == TopicMastery("convergence", 0, 0, 0, 0.0, None)
    assert empty.mastery == 0.0
    assert ProgressStore(Path(store.path).with_name("none.db")).mastery() == []


def test_clear(store: ProgressStore, db: Path) -> None:
    store.record(att())
    store.clear()
    assert store.attempts() == [] and store.mastery() == []
    assert store.record(att("q9"))
    assert [a.subject for a in store.attempts()] == ["q9"]
    missing = ProgressStore(db.with_name("missing.db"))
    missing.clear()  # no file: nothing to do, nothing created
    assert not missing.path.exists()


def test_clear_raises_on_a_damaged_store(tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(os.urandom(4096))
    with pytest.raises(ProgressStoreError, match=r"bad\.db"):
        ProgressStore(bad).clear()


def test_record_attempt_convenience(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, store: ProgressStore
) -> None:
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "conv.db"))
    assert record_attempt(att("q1")) is True
    assert [a.subject for a in ProgressStore().attempts()] == ["q1"]
    assert record_attempt(att("q2"), store) is True
    assert [a.subject for a in store.attempts()] == ["q2"]
    with pytest.warns(ProgressWarning):
        assert record_attempt("not an attempt", store) is False  # type: ignore[arg-type]


def test_record_attempt_without_a_place_for_the_store_warns(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(ENV_VAR, "~no-such-user-lrcourse/progress.db")  # no such home folder
    with pytest.warns(ProgressWarning, match="not recorded"):
        assert record_attempt(att("q1")) is False


# ---- damaged stores never break a quiz --------------------------------------------------
def test_corrupt_file_record_returns_false_and_warns_once(tmp_path: Path) -> None:
    bad = tmp_path / "corrupt.sqlite3"
    bad.write_bytes(os.urandom(8192))
    s = ProgressStore(bad)
    with pytest.warns(ProgressWarning, match="kept in memory"):
        assert s.record(att("q1")) is False
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a second warning would raise here
        assert s.record(att("q2", minutes=1)) is False
    # the session keeps its attempts in memory
    assert [a.subject for a in s.attempts()] == ["q1", "q2"]
    assert s.mastery()[0].attempted == 2
    # a fresh store (another session) reads the damaged file as empty, with a warning
    with pytest.warns(ProgressWarning, match="could not be read"):
        assert ProgressStore(bad).mastery() == []


def test_corrupt_file_never_raises_even_with_warnings_as_errors(tmp_path: Path) -> None:
    bad = tmp_path / "corrupt.sqlite3"
    bad.write_bytes(b"this is not a database" * 100)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ProgressStore(bad).record(att()) is False
        assert ProgressStore(bad).attempts() == []


def test_directory_in_place_of_the_file(tmp_path: Path) -> None:
    where = tmp_path / "progress.sqlite3"
    where.mkdir()
    s = ProgressStore(where)
    with pytest.warns(ProgressWarning, match="directory"):
        assert s.record(att()) is False
    assert s.attempts() == [att()]  # kept in memory
    with pytest.warns(ProgressWarning):
        assert ProgressStore(where).mastery() == []
    assert where.is_dir()


def test_parent_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "blocker").write_text("x")
    s = ProgressStore(tmp_path / "blocker" / "progress.sqlite3")
    with pytest.warns(ProgressWarning):
        assert s.record(att()) is False


@pytest.mark.skipif(is_root(), reason="root ignores directory permissions")
def test_read_only_directory(tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        s = ProgressStore(ro / "progress.sqlite3")
        with pytest.warns(ProgressWarning):
            assert s.record(att()) is False
        assert s.attempts() == [att()]
        assert ProgressStore(ro / "progress.sqlite3").mastery() == []  # missing: no warning
    finally:
        ro.chmod(0o755)


@pytest.mark.skipif(is_root(), reason="root ignores directory permissions")
def test_existing_store_in_read_only_directory_is_still_readable(tmp_path: Path) -> None:
    d = tmp_path / "ro"
    d.mkdir()
    with ProgressStore(d / "p.db") as s:
        s.record(att("q1"))
    d.chmod(0o555)
    (d / "p.db").chmod(0o444)
    try:
        s = ProgressStore(d / "p.db")
        assert [a.subject for a in s.attempts()] == ["q1"]
        with pytest.warns(ProgressWarning):
            assert s.record(att("q2", minutes=1)) is False
    finally:
        d.chmod(0o755)
        (d / "p.db").chmod(0o644)


def test_read_only_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Real SQLite read-only failure (works as root too): connections opened with mode=ro."""
    path = tmp_path / "p.db"
    with ProgressStore(path) as s:
        assert s.record(att("q1"))
    real_connect = sqlite3.connect

    def ro_connect(database: str | Path, *args: Any, **kwargs: Any) -> sqlite3.Connection:
        if not kwargs.get("uri"):
            database, kwargs["uri"] = Path(database).as_uri() + "?mode=ro", True
        conn: sqlite3.Connection = real_connect(database, *args, **kwargs)
        return conn

    monkeypatch.setattr(sqlite3, "connect", ro_connect)
    s = ProgressStore(path)
    with pytest.warns(ProgressWarning, match="readonly|read-only|read only"):
        assert s.record(att("q2", minutes=1)) is False
    assert [a.subject for a in s.attempts()] == ["q1", "q2"]  # disk + memory
    monkeypatch.undo()
    assert [a.subject for a in ProgressStore(path).attempts()] == ["q1"]


def test_locked_database_keeps_attempt_in_memory_then_flushes(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    with ProgressStore(path) as s:
        s.record(att("q0"))
    s = ProgressStore(path)
    s.busy_timeout = 0.05
    s.attempts()  # open the connection now, before the lock
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.warns(ProgressWarning, match="locked"):
            assert s.record(att("q1", minutes=1)) is False
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert s.record(att("q2", minutes=2)) is True  # writes the held attempt too
    with ProgressStore(path) as fresh:
        assert [a.subject for a in fresh.attempts()] == ["q0", "q1", "q2"]
    s.close()


def test_record_never_raises_on_garbage_input(store: ProgressStore) -> None:
    with pytest.warns(ProgressWarning):
        assert store.record(None) is False  # type: ignore[arg-type]
    assert store.attempts() == []  # dropped, not kept


def test_an_attempt_with_a_bad_time_is_dropped_and_later_ones_still_recorded(
    store: ProgressStore,
) -> None:
    bad = Attempt("q1", "question", "t", None, "test", "a", True, "yesterday")  # type: ignore[arg-type]
    with pytest.warns(ProgressWarning, match="could not be written"):
        assert store.record(bad) is False
    assert store.record(att("q2")) is True  # the bad one is not held back in memory
    assert [a.subject for a in store.attempts()] == ["q2"]


def test_malformed_rows_are_skipped_with_a_warning(store: ProgressStore, db: Path) -> None:
    store.record(att("q1"))
    conn = sqlite3.connect(db)
    conn.execute(
        "INSERT INTO attempts (subject, kind, topic, difficulty, mode, answer, correct, at) "
        "VALUES ('q2', 'question', 'convergence', NULL, 'test', 'a', 1, 'yesterday')"
    )
    conn.commit()
    conn.close()
    with pytest.warns(ProgressWarning):
        assert [a.subject for a in ProgressStore(db).attempts()] == ["q1"]


# ---- schema & migrations ----------------------------------------------------------------
def test_schema_version_stored(store: ProgressStore, db: Path) -> None:
    store.record(att())
    assert user_version(db) == SCHEMA_VERSION == 1
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_empty_sqlite_file_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    sqlite3.connect(path).close()  # a valid but empty database, user_version 0
    path.touch()
    assert user_version(path) == 0
    with ProgressStore(path) as s:
        assert s.attempts() == []
        assert s.record(att())
    assert user_version(path) == 1


def test_migration_path_upgrades_in_place(
    store: ProgressStore, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.record(att("q1"))
    store.close()
    monkeypatch.setattr(progress_store, "SCHEMA_VERSION", 2)
    monkeypatch.setitem(
        progress_store.MIGRATIONS, 2, ("ALTER TABLE attempts ADD COLUMN note TEXT",)
    )
    with ProgressStore(db) as s:
        assert [a.subject for a in s.attempts()] == ["q1"]
        assert s.record(att("q2", minutes=1))
    assert user_version(db) == 2
    conn = sqlite3.connect(db)
    cols = [r[1] for r in conn.execute("PRAGMA table_info(attempts)")]
    conn.close()
    assert "note" in cols


def test_failed_migration_rolls_back(
    store: ProgressStore, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.record(att("q1"))
    store.close()
    monkeypatch.setattr(progress_store, "SCHEMA_VERSION", 2)
    monkeypatch.setitem(progress_store.MIGRATIONS, 2, ("CREATE TABLE extra (x)", "NOT SQL"))
    s = ProgressStore(db)
    with pytest.warns(ProgressWarning):
        assert s.record(att("q2")) is False
    assert user_version(db) == 1
    conn = sqlite3.connect(db)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    conn.close()
    assert "extra" not in tables  # atomic: nothing half-applied


def test_newer_schema_is_not_touched(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    s = ProgressStore(path)
    with pytest.warns(ProgressWarning, match="newer"):
        assert s.record(att()) is False
    assert user_version(path) == 99


# ---- concurrency ------------------------------------------------------------------------
def test_two_stores_on_one_file_recording_alternately(db: Path) -> None:
    a, b = ProgressStore(db), ProgressStore(db)
    for i in range(10):
        assert (a if i % 2 == 0 else b).record(att(f"q{i}", minutes=i, correct=i % 3 == 0))
    expected = [f"q{i}" for i in range(10)]
    assert [x.subject for x in a.attempts()] == expected
    assert [x.subject for x in b.attempts()] == expected
    assert a.mastery() == b.mastery()
    a.close()
    b.close()
    assert user_version(db) == SCHEMA_VERSION


def test_concurrent_writers_from_threads(db: Path) -> None:
    n_writers, per_writer = 4, 25
    results: list[bool] = []
    lock = threading.Lock()

    def writer(w: int) -> None:
        with ProgressStore(db) as s:
            for i in range(per_writer):
                ok = s.record(att(f"w{w}-{i}", minutes=i))
                with lock:
                    results.append(ok)

    with warnings.catch_warnings():
        warnings.simplefilter("error", ProgressWarning)
        threads = [threading.Thread(target=writer, args=(w,)) for w in range(n_writers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert all(results) and len(results) == n_writers * per_writer
    with ProgressStore(db) as s:
        assert len(s.attempts()) == n_writers * per_writer
        assert s.mastery()[0].attempted == n_writers * per_writer
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


def test_many_kernels_opening_a_fresh_file_at_once_all_write(tmp_path: Path) -> None:
    """Switching a brand-new file to WAL from several connections at once makes SQLite answer
    "database is locked" immediately (it would deadlock if it waited); that must be retried,
    not turned into an in-memory fallback. Twenty fresh files raise the chance of the race."""
    failures: list[str] = []
    lock = threading.Lock()
    for round_ in range(20):
        db = tmp_path / f"round{round_}" / "progress.sqlite3"
        start = threading.Barrier(6)

        def first_write(w: int, db: Path = db, start: threading.Barrier = start) -> None:
            start.wait()
            with ProgressStore(db) as s, warnings.catch_warnings(record=True) as seen:
                warnings.simplefilter("always")
                if not s.record(att(f"k{w}")):
                    with lock:
                        failures.append(f"{db.parent.name}/k{w}: {[str(x.message) for x in seen]}")

        threads = [threading.Thread(target=first_write, args=(w,)) for w in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        with ProgressStore(db) as s:
            assert len(s.attempts()) == 6 or failures
    assert failures == []


def test_contention_retry_retries_locked_and_gives_up_on_the_rest() -> None:
    calls: list[int] = []
    resets: list[int] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise sqlite3.OperationalError("database is locked")
        return "written"

    assert progress_store._with_contention_retry(flaky, 5.0, lambda: resets.append(1)) == "written"
    assert len(calls) == 3 and len(resets) == 2

    def broken() -> None:
        raise sqlite3.OperationalError("no such table: attempts")

    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        progress_store._with_contention_retry(broken, 5.0, lambda: None)

    def always_locked() -> None:
        raise sqlite3.OperationalError("database is locked")

    with pytest.raises(sqlite3.OperationalError, match="locked"):  # the budget runs out
        progress_store._with_contention_retry(always_locked, 0.05, lambda: None)


# ---- export -----------------------------------------------------------------------------
def _fill(store: ProgressStore) -> list[Attempt]:
    items = [
        att("q1", correct=False, minutes=0),
        att("q1", correct=True, minutes=1),
        att(
            "ex1",
            kind="exercise",
            topic="exercises",
            mode="check",
            answer="incorrect",
            difficulty=None,
            correct=False,
            minutes=2,
        ),
    ]
    for a in items:
        store.record(a)
    return items


def test_export_csv(store: ProgressStore, tmp_path: Path) -> None:
    items = _fill(store)
    out = tmp_path / "out" / "progress.csv"
    assert store.export(out) == 3
    with out.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == [
        "subject",
        "kind",
        "topic",
        "difficulty",
        "mode",
        "answer",
        "correct",
        "at",
    ]
    assert [r["subject"] for r in rows] == ["q1", "q1", "ex1"]
    assert [r["correct"] for r in rows] == ["false", "true", "false"]
    assert rows[2]["difficulty"] == "" and rows[2]["answer"] == "incorrect"
    assert [datetime.fromisoformat(r["at"]) for r in rows] == [a.at for a in items]
    assert rows[0]["at"] == "2024-05-01T12:00:00.000000+00:00"
    assert not list(out.parent.glob(".*tmp"))  # no temp file left behind


def test_export_json(store: ProgressStore, tmp_path: Path) -> None:
    items = _fill(store)
    out = tmp_path / "progress.JSON"  # suffix inference is case-insensitive
    assert store.export(out) == 3
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert set(doc) == {"schema", "exported_at", "mastery", "attempts"}
    assert doc["schema"] == 1
    assert datetime.fromisoformat(doc["exported_at"]).tzinfo is not None
    assert [Attempt.from_dict(d) for d in doc["attempts"]] == items
    by_topic = {m["topic"]: m for m in doc["mastery"]}
    assert by_topic["convergence"] == {
        "topic": "convergence",
        "attempted": 1,
        "mastered": 1,
        "attempts": 2,
        "accuracy": 0.5,
        "mastery": 1.0,
        "last_at": "2024-05-01T12:01:00.000000+00:00",
    }
    assert by_topic["exercises"]["mastered"] == 0


def test_export_to_stream_and_empty_store(store: ProgressStore) -> None:
    buf = io.StringIO()
    assert store.export(buf, fmt="csv") == 0
    assert buf.getvalue().strip() == "subject,kind,topic,difficulty,mode,answer,correct,at"
    buf = io.StringIO()
    assert store.export(buf, fmt="json") == 0
    assert json.loads(buf.getvalue())["attempts"] == []


def test_export_explicit_fmt_overrides_suffix(store: ProgressStore, tmp_path: Path) -> None:
    _fill(store)
    out = tmp_path / "progress.txt"
    assert store.export(out, fmt="json") == 3
    assert json.loads(out.read_text())["schema"] == 1


@pytest.mark.parametrize("dest,fmt", [("p.xml", None), ("p.csv", "xlsx"), ("noext", None)])
def test_export_bad_format(
    store: ProgressStore, tmp_path: Path, dest: str, fmt: str | None
) -> None:
    with pytest.raises(ValueError, match="'csv', 'json'"):
        store.export(tmp_path / dest, fmt=fmt)
    assert not (tmp_path / dest).exists()  # nothing written


def test_export_stream_needs_fmt(store: ProgressStore) -> None:
    with pytest.raises(ValueError, match="allowed formats"):
        store.export(io.StringIO())


def test_export_from_damaged_store_writes_session_attempts(tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(os.urandom(4096))
    s = ProgressStore(bad)
    with pytest.warns(ProgressWarning):
        s.record(att())
    buf = io.StringIO()
    assert s.export(buf, fmt="csv") == 1


# ---- format_mastery ---------------------------------------------------------------------
def test_format_mastery_table(store: ProgressStore) -> None:
    _fill(store)
    text = format_mastery(store.mastery(topics=["schedulers"]))
    lines = text.splitlines()
    assert lines[0].split() == [
        "Topic",
        "Attempted",
        "Mastered",
        "Mastery",
        "Accuracy",
        "Last",
        "activity",
    ]
    conv = next(line for line in lines if line.startswith("convergence"))
    assert conv.split()[:5] == ["convergence", "1", "1", "100%", "50%"]
    assert "2024-05-01 12:01 UTC" in conv
    sched = next(line for line in lines if line.startswith("schedulers"))
    assert sched.split() == ["schedulers", "0", "0", "—", "—", "—"]
    # numbers are right-aligned under their header
    assert conv.index("100%") + 4 == lines[0].index("Mastery") + len("Mastery")
    assert set(lines[1]) == {"-", " "}


def test_format_mastery_empty() -> None:
    text = format_mastery([])
    assert "No progress recorded yet" in text
    assert "\n" not in text
