"""A class's exports merged into one table: real stores, real exported files (tmp_path)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lrcourse.progress import Attempt, ProgressStore
from lrcourse.progress.class_table import (
    CLASS_CSV_FIELDS,
    ExportFileError,
    format_class_table,
    merge_exports,
    read_export,
    write_class_csv,
)

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def att(subject: str, correct: bool, minutes: int, topic: str = "convergence") -> Attempt:
    return Attempt(
        subject,
        "question",
        topic,
        "easy",
        "practice",
        "b",
        correct,
        T0 + timedelta(minutes=minutes),
    )


def export(tmp_path: Path, dest: Path, attempts: list[Attempt]) -> Path:
    """Record ``attempts`` in a fresh store and export them to ``dest`` (format from suffix)."""
    with ProgressStore(tmp_path / "stores" / f"{dest.parent.name}-{dest.name}.db") as store:
        for a in attempts:
            assert store.record(a)
        store.export(dest)
    return dest


ALICE = [
    att("q1", False, 0),
    att("q1", True, 1),
    att("q2", True, 2),
    att("s1", False, 3, "schedulers"),
]
BOB = [att("q1", True, 5), att("q2", False, 6), att("q3", False, 7)]


@pytest.fixture
def hand_in(tmp_path: Path) -> Path:
    folder = tmp_path / "class"
    folder.mkdir()
    export(tmp_path, folder / "alice.csv", ALICE)
    export(tmp_path, folder / "bob.json", BOB)
    return folder


def test_merge_csv_and_json_exports(hand_in: Path) -> None:
    table = merge_exports(sorted(hand_in.iterdir()), topics=["param-groups"])
    assert table.ok and table.problems == ()
    assert [lp.learner for lp in table.learners] == ["alice", "bob"]
    assert table.topics == ("convergence", "param-groups", "schedulers")
    alice, bob = table.learners
    assert alice.attempts == tuple(ALICE) and bob.attempts == tuple(BOB)
    assert alice.source == hand_in / "alice.csv"
    # the same numbers the learner's own store shows
    for lp, rows in table.rows():
        with ProgressStore(Path(f"{lp.source}.check.db")) as store:
            for a in lp.attempts:
                store.record(a)
            assert rows == store.mastery(topics=table.topics)
    conv = table.rows()[1][1][0]
    assert (conv.topic, conv.attempted, conv.mastered, conv.attempts) == ("convergence", 3, 1, 3)


def test_learner_named_by_folder_for_the_default_export_name(tmp_path: Path) -> None:
    a = export(tmp_path, tmp_path / "carol" / "progress.csv", ALICE[:1])
    b = export(tmp_path, tmp_path / "dan" / "progress.json", BOB[:1])
    assert [lp.learner for lp in merge_exports([a, b]).learners] == ["carol", "dan"]


def test_learner_column_and_key_name_the_learner(tmp_path: Path) -> None:
    src = export(tmp_path, tmp_path / "x.csv", ALICE)
    rows = list(csv.DictReader(io.StringIO(src.read_text(encoding="utf-8"), newline="")))
    named = tmp_path / "upload-17.csv"
    with named.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["learner", *rows[0]])
        writer.writeheader()
        writer.writerows({"learner": "Eve Ng", **r} for r in rows)
    doc_path = export(tmp_path, tmp_path / "upload-18.json", BOB)
    doc = json.loads(doc_path.read_text(encoding="utf-8"))
    doc_path.write_text(json.dumps({**doc, "learner": "Finn"}), encoding="utf-8")
    table = merge_exports([named, doc_path])
    assert table.ok
    assert [(lp.learner, len(lp.attempts)) for lp in table.learners] == [("Eve Ng", 4), ("Finn", 3)]


def test_spreadsheet_resave_with_bom_and_upper_case_booleans_still_reads(tmp_path: Path) -> None:
    src = export(tmp_path, tmp_path / "gus.csv", ALICE)
    text = src.read_text(encoding="utf-8").replace(",true,", ",TRUE,").replace(",false,", ",FALSE,")
    src.write_text("\ufeff" + text, encoding="utf-8")
    assert read_export(src).attempts == tuple(ALICE)


def test_an_empty_export_is_a_learner_with_nothing_attempted(tmp_path: Path) -> None:
    table = merge_exports([export(tmp_path, tmp_path / "hal.csv", [])], topics=["convergence"])
    assert table.ok and table.learners[0].attempts == ()
    (row,) = table.rows()[0][1]
    assert (row.attempted, row.mastery, row.last_at) == (0, 0.0, None)


# ---- bad files: each named, left out whole, the good ones still merged ----------------------
def test_bad_files_are_reported_by_name_and_good_ones_kept(hand_in: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "notes.txt").write_text("hello")
    (bad / "gradebook.csv").write_text("student,exercise,status\nann,two-lr-groups,correct\n")
    (bad / "truncated.json").write_text('{"schema": 1, "attempts": [')
    (bad / "newer.json").write_text(json.dumps({"schema": 2, "attempts": []}))
    (bad / "empty.csv").write_text("")
    missing = bad / "missing.csv"
    rows = export(tmp_path, bad / "ivy.csv", ALICE).read_text(encoding="utf-8").splitlines()
    rows[2] = rows[2].replace(",true,", ",maybe,")
    rows[4] = rows[4].replace("2024-05-01T12:03", "yesterday 12:03")
    (bad / "ivy.csv").write_text("\n".join(rows) + "\n")
    paths = [*sorted(hand_in.iterdir()), *sorted(bad.iterdir()), missing]

    table = merge_exports(paths)

    assert [lp.learner for lp in table.learners] == ["alice", "bob"]
    assert not table.ok
    assert table.problems == (
        f"{bad / 'empty.csv'}: empty file: an export has at least its header line",
        f"{bad / 'gradebook.csv'}: not an lrcourse export: missing column(s) subject, kind, "
        "topic, difficulty, mode, answer, correct, at",
        f"{bad / 'gradebook.csv'}: unknown column(s) student, exercise, status",
        f"{bad / 'ivy.csv'}: line 3: 'correct' must be true or false, got 'maybe'",
        f"{bad / 'ivy.csv'}: line 5: 'at' must be an ISO-8601 time, "
        "got 'yesterday 12:03:00.000000+00:00'",
        f"{bad / 'newer.json'}: export schema 2; this lrcourse reads schema 1",
        f"{bad / 'notes.txt'}: not an export: the name must end in .csv, .json",
        table.problems[7],
        table.problems[8],
    )
    assert table.problems[7].startswith(f"{bad / 'truncated.json'}: not JSON: ")
    assert table.problems[8].startswith(f"{missing}: cannot be read: ")


@pytest.mark.parametrize(
    "doc, problem",
    [
        ([1, 2], "not an lrcourse export: expected an object with schema and attempts"),
        ({"schema": 1, "attempts": {}}, "'attempts' is not a list"),
        ({"schema": True, "attempts": []}, "export schema True; this lrcourse reads schema 1"),
        ({"schema": 1, "attempts": ["q1"]}, "attempts[0]: expected an object, got str"),
        ({"schema": 1, "attempts": [{"subject": "q1"}]}, "attempts[0]: missing kind, topic"),
        ({"schema": 1, "learner": "", "attempts": []}, "'learner' must be a non-empty string"),
    ],
)
def test_malformed_json_exports(tmp_path: Path, doc: object, problem: str) -> None:
    path = tmp_path / "kim.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(ExportFileError) as info:
        read_export(path)
    assert info.value.path == path
    assert any(p.startswith(problem) for p in info.value.problems), info.value.problems
    assert str(info.value).startswith(f"{path}: ")


def test_json_values_are_refused_not_coerced(tmp_path: Path) -> None:
    src = export(tmp_path, tmp_path / "lea.json", ALICE[:2])
    doc = json.loads(src.read_text(encoding="utf-8"))
    doc["attempts"][0]["correct"] = "true"  # text, not a JSON boolean
    doc["attempts"][1]["subject"] = 7
    src.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(ExportFileError) as info:
        read_export(src)
    assert info.value.problems == (
        "attempts[0]: 'correct' must be true or false, got 'true'",
        "attempts[1]: 'subject' must be non-empty text, got 7",
    )


def test_one_file_naming_two_learners_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    src = export(tmp_path, tmp_path / "x.csv", ALICE[:2])
    rows = list(csv.DictReader(io.StringIO(src.read_text(encoding="utf-8"), newline="")))
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["learner", *rows[0]])
        writer.writeheader()
        writer.writerows(
            {"learner": name, **r} for name, r in zip(["mo", "ned"], rows, strict=True)
        )
    with pytest.raises(ExportFileError, match=r"names several learners \(mo, ned\)"):
        read_export(path)


def test_a_learner_from_two_files_is_reported_and_the_first_kept(tmp_path: Path) -> None:
    first = export(tmp_path, tmp_path / "a" / "progress.csv", ALICE)
    second = export(tmp_path, tmp_path / "b" / "a.json", BOB)
    table = merge_exports([first, second])
    assert [(lp.learner, lp.source) for lp in table.learners] == [("a", first)]
    assert table.problems == (
        f"{second}: learner 'a' already comes from {first}; "
        "rename one file or give each a 'learner' column",
    )


# ---- rendering ------------------------------------------------------------------------------
def test_format_class_table(hand_in: Path) -> None:
    table = merge_exports(sorted(hand_in.iterdir()), topics=["param-groups"])
    lines = format_class_table(table).splitlines()
    assert lines[0].split() == [
        "Learner",
        "convergence",
        "param-groups",
        "schedulers",
        "Attempts",
        "Last",
        "activity",
    ]
    assert set(lines[1]) == {"-", " "}
    assert lines[2].split() == [
        "alice",
        "100%",
        "(2/2)",
        "—",
        "0%",
        "(0/1)",
        "4",
        "2024-05-01",
        "12:03",
        "UTC",
    ]
    assert lines[3].split() == ["bob", "33%", "(1/3)", "—", "—", "3", "2024-05-01", "12:07", "UTC"]
    # topic cells are right-aligned under their header
    end = lines[0].index("convergence") + len("convergence")
    assert lines[2][:end].endswith("100% (2/2)") and lines[3][:end].endswith("33% (1/3)")


def test_format_class_table_with_no_learner() -> None:
    text = format_class_table(merge_exports([]))
    assert text.startswith("No learner's progress merged") and "\n" not in text


def test_write_class_csv(hand_in: Path, tmp_path: Path) -> None:
    table = merge_exports(sorted(hand_in.iterdir()), topics=["param-groups"])
    out = tmp_path / "out" / "class.csv"
    assert write_class_csv(table, out) == 6  # 2 learners x 3 topics
    with out.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        assert tuple(reader.fieldnames or ()) == CLASS_CSV_FIELDS
        rows = list(reader)
    assert [(r["learner"], r["topic"]) for r in rows] == [
        (name, topic) for name in ("alice", "bob") for topic in table.topics
    ]
    assert rows[0] == {
        "learner": "alice",
        "topic": "convergence",
        "attempted": "2",
        "mastered": "2",
        "mastery": "1.0000",
        "attempts": "3",
        "accuracy": "0.6667",
        "last_at": "2024-05-01T12:02:00.000000+00:00",
    }
    assert rows[1]["attempted"] == "0" and rows[1]["last_at"] == ""
    assert not list(out.parent.glob(".*tmp"))  # written atomically, nothing left behind
    buf = io.StringIO()
    assert write_class_csv(table, buf) == 6
    assert buf.getvalue() == out.read_text(encoding="utf-8")


def test_rows_out_of_time_order_are_read_oldest_first(tmp_path: Path) -> None:
    src = export(tmp_path, tmp_path / "ola.csv", ALICE)
    header, *rows = src.read_text(encoding="utf-8").splitlines()
    src.write_text("\n".join([header, *reversed(rows)]) + "\n", encoding="utf-8")
    lp = read_export(src)
    assert lp.attempts == tuple(ALICE)
    assert lp.last_at == ALICE[-1].at
