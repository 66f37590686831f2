"""A class graded in full isolation: hostile submissions (grading-security.md §7) and broken
notebooks cost only their own student, honest students are graded right, and the invariants
hold: the batch finishes, one row per student, nothing outside the run changes, no process
stays behind, no secret reaches the outputs, no forged pass."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import lrcourse
from lrcourse.autograde import (
    GradeOptions,
    JournalBusyError,
    SelfTestError,
    grade_folder,
    write_outputs,
)
from lrcourse.autograde.journal import Journal
from lrcourse.exercises import exercise
from lrcourse.sandbox import IsolationError, plan
from lrcourse.sandbox.isolation import UID_BASE
from tests.autograde.conftest import write_notebook, write_raw
from tests.autograde.hostile import HOSTILE

SECRET = "grader-secret-8c1f"
WRONG = (
    "import torch\ndef make_optimizer(model):\n    return torch.optim.SGD(["
    "{'params': model.backbone.parameters(), 'lr': 1e-2},"
    "{'params': model.head.parameters(), 'lr': 1e-3}], momentum=0.9)\n"
)
REQUIRED = os.environ.get("LRCOURSE_REQUIRE_ISOLATION") == "1"


def strict_or_skip() -> None:
    try:
        plan("strict")
    except IsolationError as exc:
        if REQUIRED:
            raise
        pytest.skip(f"full isolation is not available here: {exc}")


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sandbox_processes() -> list[int]:
    """Processes running under any sandbox job uid."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                uid = os.stat(f"/proc/{entry}").st_uid
            except OSError:
                continue
            if UID_BASE <= uid < UID_BASE + 16 * 256 + 16:
                found.append(int(entry))
    return found


def sandbox_processes_after(seconds: float = 10.0) -> list[int]:
    """Sandbox processes still there after up to ``seconds`` (a dying namespace's members
    vanish within milliseconds; on a loaded machine, reaping can take longer)."""
    deadline = time.monotonic() + seconds
    while (found := sandbox_processes()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return found


def build_class(root: Path, out: Path, progress_db: Path) -> None:
    solution = exercise("two-lr-groups").solution_source
    write_notebook(root / "alice.ipynb", [(solution, "two-lr-groups")])
    write_notebook(root / "bob" / "homework.ipynb", [(WRONG, "two-lr-groups")])
    write_notebook(root / "recreated.ipynb", [(solution, None)])  # tag lost: found by name
    write_notebook(
        root / "untouched.ipynb", [(exercise("two-lr-groups").starter_source, "two-lr-groups")]
    )
    write_notebook(root / "no-cell.ipynb", [("print('hello')", None)])
    for name, source in HOSTILE.items():
        text = (
            source.replace("{class_dir}", str(root))
            .replace("{out_dir}", str(out))
            .replace("{progress_db}", str(progress_db))
        )
        write_notebook(root / f"{name}.ipynb", [(text, "two-lr-groups")])
    good_cell = {
        "cell_type": "code",
        "source": solution,
        "outputs": [],
        "execution_count": None,
        "metadata": {"tags": ["exercise:two-lr-groups"]},
    }
    write_raw(root / "deep.ipynb", "[" * 100_000 + "]" * 100_000)
    write_raw(root / "huge-int.ipynb", '{"nbformat": 4, "cells": [], "x": ' + "9" * 40_000 + "}")
    write_raw(
        root / "bad-metadata.ipynb",
        {
            "nbformat": 4,
            "nbformat_minor": 5,
            "metadata": [],
            "cells": [{**good_cell, "metadata": "tags"}, good_cell],
        },
    )
    write_raw(
        root / "null-source.ipynb",
        {
            "nbformat": 4,
            "nbformat_minor": 5,
            "metadata": {},
            "cells": [{**good_cell, "source": ["x = 1", None]}],
        },
    )
    write_raw(
        root / "surrogate.ipynb",
        json.dumps(
            {
                "nbformat": 4,
                "nbformat_minor": 5,
                "metadata": {},
                "cells": [{**good_cell, "source": solution + "\n# \ud800\n"}],
            }
        ),
    )
    write_raw(
        root / "unknown-tag.ipynb",
        {
            "nbformat": 4,
            "nbformat_minor": 5,
            "metadata": {},
            "cells": [{**good_cell, "metadata": {"tags": ["exercise:not-an-exercise"]}}],
        },
    )
    write_raw(
        root / "nbformat3.ipynb",
        {
            "nbformat": 3,
            "nbformat_minor": 0,
            "metadata": {},
            "worksheets": [{"cells": [{"cell_type": "code", "input": solution, "outputs": []}]}],
        },
    )
    write_notebook(root / "=HYPERLINK(evil)\x07.ipynb", [(WRONG, "two-lr-groups")])
    write_notebook(
        Path(os.fsdecode(os.fsencode(str(root)) + b"/bad\xffname.ipynb")),
        [(solution, "two-lr-groups")],
    )
    os.mkfifo(root / "fifo.ipynb")
    write_notebook(root.parent / "elsewhere" / "real.ipynb", [(solution, "two-lr-groups")])
    (root / "linked").symlink_to(root.parent / "elsewhere", target_is_directory=True)


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    strict_or_skip()
    base = tmp_path_factory.mktemp("class")
    root, out, progress_db = base / "submissions", base / "out", base / "progress.sqlite3"
    progress_db.write_text("")
    build_class(root, out, progress_db)
    package = Path(lrcourse.__file__).parent
    watched = [
        root / "alice.ipynb",
        progress_db,
        Path(lrcourse.__file__),
        package / "exercises" / "solutions" / "two-lr-groups.py",
    ]
    before = {p: digest(p) for p in watched}
    os.environ["GRADER_SECRET"] = SECRET
    try:
        start = time.monotonic()
        results = grade_folder(
            root,
            out,
            exercises=["two-lr-groups"],
            options=GradeOptions(timeout=5.0, workers=2, memory_mb=512),
        )
        seconds = time.monotonic() - start
        write_outputs(results, out)
    finally:
        del os.environ["GRADER_SECRET"]
    time.sleep(1.0)  # a surviving daemon would have written by now
    rows = {r["student"]: r for r in read_csv(out / "grades.csv")}
    return {
        "results": results,
        "rows": rows,
        "out": out,
        "root": root,
        "before": before,
        "seconds": seconds,
        "leftover": sandbox_processes_after(),
    }


def row(graded: dict[str, object], student: str) -> dict[str, str]:
    rows = graded["rows"]
    assert isinstance(rows, dict)
    found = rows[student]
    assert isinstance(found, dict)
    return found


def test_honest_students_are_graded_right(graded: dict[str, object]) -> None:
    assert row(graded, "alice")["status"] == "correct"
    assert row(graded, "bob")["status"] == "incorrect"
    assert row(graded, "recreated")["status"] == "correct"
    assert row(graded, "recreated")["found"].startswith("untagged cell")
    assert row(graded, "untouched")["status"] == "not-attempted"
    assert row(graded, "no-cell")["status"] == "missing"
    assert row(graded, "nbformat3")["status"] == "correct"
    assert row(graded, "bad-metadata")["status"] == "correct"
    assert row(graded, "surrogate")["status"] == "correct"
    assert row(graded, "bad\\xffname")["status"] == "correct"


@pytest.mark.parametrize("student", sorted(HOSTILE))
def test_no_hostile_submission_passes(graded: dict[str, object], student: str) -> None:
    got = row(graded, student)
    assert got["status"] not in ("correct", ""), got
    assert got["passed"] == "0"


def test_broken_notebooks_become_rows_with_reasons(graded: dict[str, object]) -> None:
    assert row(graded, "deep")["status"] == "unreadable"
    assert row(graded, "huge-int")["status"] == "unreadable"
    assert row(graded, "null-source")["status"] == "missing"
    assert row(graded, "unknown-tag")["status"] in ("correct", "missing")
    assert row(graded, "fifo")["status"] == "unreadable"


def test_one_row_per_student_and_the_batch_finished(graded: dict[str, object]) -> None:
    out = graded["out"]
    assert isinstance(out, Path)
    scores = list(read_csv(out / "scores.csv"))
    students = [s["student"] for s in scores]
    assert len(students) == len(set(students))
    assert "linked" not in students  # a symlinked folder is noted, not graded
    notes = (out / "notes.txt").read_text()
    assert "linked: skipped, a symbolic link" in notes
    assert "fifo: unreadable" in notes
    assert set(HOSTILE) <= set(students)


def test_names_and_titles_are_safe_in_the_csv(graded: dict[str, object]) -> None:
    out = graded["out"]
    assert isinstance(out, Path)
    text = (out / "grades.csv").read_text()
    assert "'=HYPERLINK(evil)\\x07" in text
    assert "\x07" not in text


def test_nothing_outside_the_run_changed(graded: dict[str, object]) -> None:
    before = graded["before"]
    assert isinstance(before, dict)
    assert {p: digest(p) for p in before} == before
    assert not Path("/tmp/lrcourse-hostile-leak").exists()
    out = graded["out"]
    assert isinstance(out, Path)
    assert "owned" not in (out / "grades.csv").read_text()
    names = {p.name for p in out.iterdir()}
    assert names <= {
        "grades.csv",
        "scores.csv",
        "report.html",
        "notes.txt",
        "feedback",
        "gradebook.sqlite",
        "gradebook.sqlite-wal",
        "gradebook.sqlite-shm",
        ".lrcourse-grade.lock",
    }


def test_no_process_stays_behind(graded: dict[str, object]) -> None:
    assert graded["leftover"] == []


def test_no_secret_reaches_any_output(graded: dict[str, object]) -> None:
    out = graded["out"]
    assert isinstance(out, Path)
    for path in out.iterdir():
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path


def test_each_way_to_end_is_named(graded: dict[str, object]) -> None:
    assert row(graded, "spin")["status"] == "timeout"
    assert row(graded, "sleep")["status"] == "timeout"
    assert row(graded, "forge-solution")["title"] == "Your code raised FileNotFoundError"
    assert row(graded, "forge-judge")["title"] == "Your code raised ModuleNotFoundError"
    assert row(graded, "forge-observer")["title"].endswith("are in no param group")
    assert row(graded, "forge-pipe")["status"] in ("error", "not-attempted")  # its own channel
    assert row(graded, "forge-classmate")["status"] == "error"
    assert (
        row(graded, "forge-float")["title"] == "Some parameters train with the wrong learning rate"
    )
    assert row(graded, "forge-class")["title"] == "Return a `torch.optim.SGD`"
    assert row(graded, "forge-noop-step")["title"].startswith(
        "Training with your optimizer does not"
    )


def test_the_journal_resumes_after_a_kill(tmp_path: Path) -> None:
    """SIGKILL the grader mid-batch; the re-run keeps what was journaled, grades the rest and
    writes one complete gradebook."""
    strict_or_skip()
    root, out = tmp_path / "class", tmp_path / "out"
    slow = exercise("two-lr-groups").solution_source.replace(
        "def make_optimizer(model):", "import time\ndef make_optimizer(model):\n    time.sleep(1.5)"
    )
    for i in range(6):
        write_notebook(root / f"s{i}.ipynb", [(slow, "two-lr-groups")])
    command = [
        sys.executable,
        "-m",
        "lrcourse",
        "grade",
        str(root),
        "--out",
        str(out),
        "--exercises",
        "two-lr-groups",
        "--jobs",
        "1",
    ]
    first = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    journal = out / "gradebook.sqlite"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if journal.exists() and _results(journal) >= 2:
            break
        time.sleep(0.2)
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert not sandbox_processes_after()  # the workers' PID namespaces died with the grader
    kept = _results(journal)
    assert 2 <= kept < 6
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert f"grading {6 - kept} answer cell(s)" in done.stderr
    scores = list(read_csv(out / "scores.csv"))
    assert [s["two-lr-groups"] for s in scores] == ["1"] * 6
    again = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert "grading 0 answer cell(s)" in again.stderr
    assert not sandbox_processes_after()


def _results(journal: Path) -> int:
    import sqlite3

    try:
        with sqlite3.connect(f"file:{journal}?mode=ro", uri=True, timeout=0.1) as db:
            return int(db.execute("SELECT count(*) FROM results").fetchone()[0])
    except sqlite3.Error:
        return 0


def test_a_second_grader_on_the_same_folder_is_refused(tmp_path: Path) -> None:
    root, out = tmp_path / "class", tmp_path / "out"
    write_notebook(root / "a.ipynb", [(WRONG, "two-lr-groups")])
    with Journal(out), pytest.raises(JournalBusyError, match="another `lrcourse grade`"):
        grade_folder(root, out, exercises=["two-lr-groups"])


def test_output_problems_are_found_before_grading(tmp_path: Path) -> None:
    root = tmp_path / "class"
    write_notebook(root / "a.ipynb", [(WRONG, "two-lr-groups")])
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotADirectoryError, match="is not a folder"):
        grade_folder(root, tmp_path / "file", exercises=["two-lr-groups"])


def test_a_class_folder_the_sandbox_can_see_is_refused(tmp_path: Path) -> None:
    """Submissions kept inside the Python environment (which the sandbox mounts read-only)
    would be readable by every job: the start-up self-test refuses to grade anyone."""
    strict_or_skip()
    root = Path(sys.prefix) / f"lrcourse-test-class-{os.getpid()}"
    try:
        write_notebook(root / "a.ipynb", [(WRONG, "two-lr-groups")])
        with pytest.raises(SelfTestError, match=r"a job can read .*lrcourse-test-class"):
            grade_folder(root, tmp_path / "out", exercises=["two-lr-groups"])
        assert not (tmp_path / "out" / "grades.csv").exists()
    finally:
        shutil.rmtree(root, ignore_errors=True)
