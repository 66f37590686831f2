"""lrcourse checks inside a real nbgrader autograde: a correct, a half-wrong and an untouched
student get the expected scores, no test cell writes to stderr, the progress store (made
unwritable) is left alone, and the failure message carries no lrcourse internals."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from lrcourse.exercises import exercise

nbgrader = pytest.importorskip("nbgrader")

ANSWERS = {"step-decay": "make_scheduler", "two-lr-groups": "make_optimizer"}


def solution_cell(ex_id: str) -> str:
    """The reference solution with its body between nbgrader's solution markers."""
    lines = exercise(ex_id).solution_source.rstrip().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("def "))
    body = [line for line in lines[start + 1 :] if not line.strip().startswith('"""')]
    return "\n".join(
        [*lines[: start + 1], "    ### BEGIN SOLUTION", *body, "    ### END SOLUTION", ""]
    )


def source_notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    for ex_id, name in ANSWERS.items():
        answer = nbformat.v4.new_code_cell(solution_cell(ex_id))
        answer.metadata["nbgrader"] = {
            "grade": False,
            "solution": True,
            "locked": False,
            "task": False,
            "grade_id": f"{ex_id}-answer",
            "schema_version": 3,
        }
        test = nbformat.v4.new_code_cell(
            f'from lrcourse import exercise\nexercise("{ex_id}").assert_check({name})'
        )
        test.metadata["nbgrader"] = {
            "grade": True,
            "solution": False,
            "locked": True,
            "task": False,
            "grade_id": f"{ex_id}-test",
            "points": 2,
            "schema_version": 3,
        }
        nb.cells += [answer, test]
    return nb


def run(args: list[str], root: Path, env: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", *args, f"--CourseDirectory.root={root}"],
        env=env,
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow
def test_real_nbgrader_autograde_scores_lrcourse_checks(tmp_path: Path) -> None:
    root = tmp_path / "course"
    (root / "source" / "ps1").mkdir(parents=True)
    nbformat.write(source_notebook(), root / "source" / "ps1" / "ps1.ipynb")
    (root / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.db_url = 'sqlite:///gradebook.db'\n"
        "c.ExecutePreprocessor.timeout = 120\n"
    )
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    env = {**os.environ, "LRCOURSE_PROGRESS_DB": str(blocked / "progress.sqlite3")}
    env.pop("LRCOURSE_AUTOGRADER", None)
    run(["generate_assignment", "ps1", "--force"], root, env)
    released = nbformat.read(root / "release" / "ps1" / "ps1.ipynb", as_version=4)
    wrong_step = (
        "import torch\ndef make_scheduler(optimizer):\n"
        "    return torch.optim.lr_scheduler.StepLR(optimizer, 5, 0.5)\n"
    )
    students = {
        "right": {e: exercise(e).solution_source for e in ANSWERS},
        "half": {
            "two-lr-groups": exercise("two-lr-groups").solution_source,
            "step-decay": wrong_step,
        },
        "untouched": {},
    }
    for student, answers in students.items():
        nb = nbformat.read(root / "release" / "ps1" / "ps1.ipynb", as_version=4)
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
            ex_id = grade_id.removesuffix("-answer")
            if grade_id.endswith("-answer") and ex_id in answers:
                cell.source = answers[ex_id]
        folder = root / "submitted" / student / "ps1"
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / "ps1.ipynb")
        run(["db", "student", "add", student], root, env)
    assert "raise NotImplementedError" in released.cells[0].source
    run(["autograde", "ps1"], root, env)
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as book:
        scores = {s: book.find_submission("ps1", s).score for s in students}
    assert scores == {"right": 4.0, "half": 2.0, "untouched": 0.0}
    assert not blocked.is_dir()  # nobody tried to create the progress store
    graded = nbformat.read(root / "autograded" / "half" / "ps1" / "ps1.ipynb", as_version=4)
    outputs = [o for c in graded.cells for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("name") == "stderr"]
    errors = [o for o in outputs if o.get("output_type") == "error"]
    assert errors and errors[0]["ename"] == "AssertionError"
    shown = "\n".join(errors[0]["traceback"])
    assert "halves every 5 epochs" in shown
    assert "notebook_api.py" not in shown and "site-packages" not in shown
    shutil.rmtree(root)
