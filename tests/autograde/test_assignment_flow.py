"""The ready assignment graded end to end on generated students who filled in the course's own
notebooks: right, wrong, partial, untouched and re-created (untagged) answers, with quiz answers
recorded by ``lrcourse.answer``. Then shard + merge gives the same gradebook as one run."""

from __future__ import annotations

import csv
import os
from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest

from lrcourse.autograde import GradeOptions, grade_folder, write_outputs
from lrcourse.autograde.assignment import Assignment, load_assignment
from lrcourse.autograde.merge import merge_gradebooks
from lrcourse.bank import load_bank
from lrcourse.exercises import exercise
from lrcourse.sandbox import IsolationError, plan

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("0[1-58]_*.ipynb"))
WRONG_FIXTURES = ROOT / "tests" / "exercises" / "submissions"
MODE = "strict"


def isolation() -> str:
    try:
        plan("strict")
    except IsolationError:
        if os.environ.get("LRCOURSE_REQUIRE_ISOLATION") == "1":
            raise
        return "trusted"
    return "strict"


def wrong_source(ex_id: str) -> str:
    return sorted((WRONG_FIXTURES / ex_id).glob("fail_*.py"))[0].read_text()


def right_answer(qid: str) -> str:
    q = load_bank().question(qid)
    if q.kind == "numeric":
        return repr(q.value)
    return repr(q.correct_ids[0] if not q.multiple else list(q.correct_ids))


def wrong_answer(qid: str) -> str:
    q = load_bank().question(qid)
    if q.kind == "numeric":
        return repr((q.value or 0) * 10 + 1)
    return repr(next(c.id for c in q.choices if not c.correct))


def make_student(
    folder: Path,
    assignment: Assignment,
    code: Callable[[str], str | None],
    answer: Callable[[str], str | None],
    tagged: bool = True,
) -> None:
    """Copy the course notebooks, replace each exercise cell by ``code(id)`` (None: leave the
    starter), and add ``lrcourse.answer`` calls for ``answer(qid)`` (None: no answer)."""
    folder.mkdir(parents=True)
    for source in NOTEBOOKS:
        nb = nbformat.read(source, as_version=4)
        for cell in nb.cells:
            tags = [t for t in cell.metadata.get("tags", []) if t.startswith("exercise:")]
            if cell.cell_type != "code" or not tags:
                continue
            ex_id = tags[0].removeprefix("exercise:")
            new = code(ex_id)
            if new is not None:
                cell.source = new
                if not tagged:
                    cell.metadata["tags"] = []
        nbformat.write(nb, folder / source.name)
    lines = [
        f'lrcourse.answer("{q}", {a})' for q in assignment.questions if (a := answer(q)) is not None
    ]
    quiz = nbformat.v4.new_notebook()
    quiz.cells = [nbformat.v4.new_code_cell("import lrcourse\n" + "\n".join(lines))]
    nbformat.write(quiz, folder / "07_test_yourself.ipynb")


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    assignment = load_assignment("lr-strategy")
    base = tmp_path_factory.mktemp("course")
    root = base / "submissions"
    solutions = {e: exercise(e).solution_source for e in assignment.exercises}
    half = set(assignment.exercises[::2])
    make_student(root / "right", assignment, solutions.get, right_answer)
    make_student(root / "wrong", assignment, wrong_source, wrong_answer)
    make_student(
        root / "partial",
        assignment,
        lambda e: solutions[e] if e in half else wrong_source(e),
        lambda q: right_answer(q) if q in assignment.questions[:5] else None,
    )
    make_student(root / "untouched", assignment, lambda e: None, lambda q: None)
    make_student(root / "recreated", assignment, solutions.get, lambda q: None, tagged=False)
    mode = isolation()
    options = GradeOptions(workers=2, isolation=mode)  # type: ignore[arg-type]
    results = grade_folder(root, base / "out", assignment=assignment, options=options)
    write_outputs(results, base / "out")
    return {
        "assignment": assignment,
        "root": root,
        "base": base,
        "out": base / "out",
        "half": half,
        "options": options,
        "results": results,
    }


def scores(out: Path) -> dict[str, dict[str, str]]:
    with (out / "scores.csv").open(newline="", encoding="utf-8") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


def test_expected_scores(course: dict[str, object]) -> None:
    assignment = course["assignment"]
    assert isinstance(assignment, Assignment)
    table = scores(Path(str(course["out"])))
    half = course["half"]
    assert isinstance(half, set)
    exercise_points = sum(assignment.points(e) for e in assignment.exercises)
    partial = sum(assignment.points(e) for e in half) + sum(
        assignment.points(q) for q in assignment.questions[:5]
    )
    expected = {
        "right": assignment.total,
        "wrong": 0.0,
        "partial": partial,
        "untouched": 0.0,
        "recreated": exercise_points,
    }
    assert {s: float(r["total"]) for s, r in table.items()} == expected
    assert {float(r["max"]) for r in table.values()} == {assignment.total}


def test_statuses_tell_untouched_from_missing(course: dict[str, object]) -> None:
    out = Path(str(course["out"]))
    with (out / "grades.csv").open(newline="", encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["student"] == "untouched"]
    statuses = {r["item"]: r["status"] for r in rows}
    assert statuses["two-lr-groups"] == "not-attempted"
    assert statuses["cv-is-lr-too-high"] == "missing"
    with (out / "grades.csv").open(newline="", encoding="utf-8") as handle:
        found = {
            r["found"]
            for r in csv.DictReader(handle)
            if r["student"] == "recreated" and r["item"] in ("step-decay", "warmup-cosine")
        }
    assert all("heading" in f for f in found), found


def test_the_csv_imports_into_a_gradebook(course: dict[str, object]) -> None:
    out = Path(str(course["out"]))
    with (out / "scores.csv").open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        body = list(reader)
    assert header[0] == "student" and header[-4:] == ["total", "max", "status", "reason"]
    for row in body:
        points = [float(v) for v in row[1:-2]]  # every score cell is a number
        assert points[-2] == sum(points[:-2])


def test_feedback_files_hold_verdicts_but_no_answers(course: dict[str, object]) -> None:
    out = Path(str(course["out"]))
    assignment = course["assignment"]
    assert isinstance(assignment, Assignment)
    files = sorted((out / "feedback").glob("*.md"))
    assert len(files) == 5
    secrets = [exercise(e).solution_source.strip() for e in assignment.exercises]
    secrets += [exercise(e).hints[-1] for e in assignment.exercises]
    secrets += [load_bank().question(q).answer for q in assignment.questions]
    for path in files:
        text = path.read_text()
        assert "## two-lr-groups" in text
        for secret in secrets:
            assert secret not in text, (path.name, secret[:60])
    wrong = next(p for p in files if p.name.startswith("wrong-")).read_text()
    assert "Not yet" in wrong


def test_the_class_report_shows_figures_and_shared_mistakes(course: dict[str, object]) -> None:
    report = (Path(str(course["out"])) / "report.html").read_text()
    assert report.count("<img") == 2 and "data:image/png;base64," in report
    assert "Mistakes the checks diagnosed most often" in report
    assert "The momentum buffer is damped" in report  # the wrong and partial students


def test_shards_merged_equal_one_run(course: dict[str, object]) -> None:
    base = Path(str(course["base"]))
    options = course["options"]
    assert isinstance(options, GradeOptions)
    assignment = course["assignment"]
    assert isinstance(assignment, Assignment)
    for index in range(2):
        sharded = GradeOptions(workers=1, isolation=options.isolation, shard=(index, 2))
        results = grade_folder(
            Path(str(course["root"])),
            base / f"shard{index}",
            assignment=assignment,
            options=sharded,
        )
        write_outputs(results, base / f"shard{index}")
    parts = [scores(base / f"shard{i}") for i in range(2)]
    assert parts[0] and parts[1] and not set(parts[0]) & set(parts[1])
    merge_gradebooks(base / "merged", [base / "shard0", base / "shard1"])
    assert scores(base / "merged") == scores(Path(str(course["out"])))
