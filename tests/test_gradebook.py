"""Grading a class folder: one row per student and exercise, whatever the submissions do."""

import csv
from pathlib import Path

import nbformat
import pytest

from lrcourse.exercises import UnknownExerciseError, exercise
from lrcourse.gradebook import (
    NotebookError,
    exercise_cells,
    find_submissions,
    grade_folder,
    summary,
    write_csv,
)

WRONG_STEP = (
    "import torch\n"
    "def make_scheduler(optimizer):\n"
    "    return torch.optim.lr_scheduler.StepLR(optimizer, step_size=5, gamma=0.5)\n"
)
LOOPS_FOREVER = "def make_scheduler(optimizer):\n    while True:\n        pass\n"


def notebook(path: Path, cells: dict[str, str], *, tagged: bool = True) -> None:
    nb = nbformat.v4.new_notebook()
    for ex_id, source in cells.items():
        cell = nbformat.v4.new_code_cell(source)
        if tagged:
            cell.metadata["tags"] = ["exercise", f"exercise:{ex_id}"]
        nb.cells += [nbformat.v4.new_markdown_cell(f"## {ex_id}"), cell]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


@pytest.fixture
def classroom(tmp_path: Path) -> Path:
    root = tmp_path / "submissions"
    notebook(root / "alice.ipynb", {"step-decay": exercise("step-decay").solution_source,
                                    "per-group-decay":
                                        exercise("per-group-decay").solution_source})
    notebook(root / "bob.ipynb", {"step-decay": WRONG_STEP, "per-group-decay": LOOPS_FOREVER})
    (root / "carol.ipynb").write_text("{ this is not json")
    notebook(root / "dave" / "lesson05.ipynb", {"step-decay": "x = 1\n"}, tagged=False)
    (root / "eve.ipynb").symlink_to(root / "alice.ipynb")
    return root


def test_find_submissions_names_students_and_skips_links(classroom: Path) -> None:
    subs, notes = find_submissions(classroom)
    assert [s.student for s in subs] == ["alice", "bob", "carol", "dave"]
    assert notes == ["eve.ipynb: skipped, a symbolic link"]
    with pytest.raises(NotADirectoryError, match="not a folder of submissions"):
        find_submissions(classroom / "alice.ipynb")


def test_exercise_cells_reads_tags_and_rejects_garbage(classroom: Path) -> None:
    assert set(exercise_cells(classroom / "bob.ipynb")) == {"step-decay", "per-group-decay"}
    assert exercise_cells(classroom / "dave" / "lesson05.ipynb") == {}
    with pytest.raises(NotebookError, match=r"carol\.ipynb: not a notebook"):
        exercise_cells(classroom / "carol.ipynb")


@pytest.mark.slow
def test_grade_folder_gives_a_verdict_for_everyone(classroom: Path, tmp_path: Path) -> None:
    rows, notes = grade_folder(classroom, timeout=8)
    table = {(r.student, r.exercise): r for r in rows}
    assert len(rows) == 8  # 4 students x 2 exercises
    assert table["alice", "step-decay"].passed and table["alice", "per-group-decay"].passed
    assert table["bob", "step-decay"].status == "incorrect"
    assert table["bob", "per-group-decay"].status == "timeout"
    assert table["carol", "step-decay"].status == "error"
    assert "not a notebook" in table["carol", "step-decay"].title
    assert table["dave", "step-decay"].status == "not-attempted"
    assert "no cell tagged exercise:step-decay" in table["dave", "step-decay"].title
    assert any("carol" in n for n in notes)
    out = tmp_path / "grades.csv"
    assert write_csv(rows, out) == 8
    with out.open() as fh:
        written = list(csv.DictReader(fh))
    assert written[0]["student"] == "alice" and written[0]["passed"] == "True"
    assert "alice" in summary(rows) and " 2/2" in summary(rows)


def test_unknown_exercise_fails_before_running(classroom: Path) -> None:
    with pytest.raises(UnknownExerciseError):
        grade_folder(classroom, exercises=["no-such-exercise"])
