"""lrcourse checks inside a real otter-grader 7 run (``otter run``, no container): a correct,
a wrong and an untouched (``...`` stub) submission get 2, 0 and 0 points.

otter-grader lives in its own virtual environment (its dependencies differ from the course's);
``LRCOURSE_OTTER`` names its ``otter`` executable, set up by ``.ci/run``. Without it the test
is skipped.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import nbformat
import pytest

from lrcourse.exercises import exercise

OTTER = os.environ.get("LRCOURSE_OTTER", "")
TEST_FILE = """OK_FORMAT = True

test = {
    "name": "q1",
    "points": 2,
    "suites": [{
        "cases": [{
            "code": ">>> from lrcourse import exercise\\n"
                    ">>> exercise('step-decay').assert_check(make_scheduler)\\n",
            "hidden": False,
            "locked": False,
        }],
        "scored": True, "setup": "", "teardown": "", "type": "doctest",
    }],
}
"""
SUBMISSIONS = {
    "right": exercise("step-decay").solution_source,
    "wrong": (
        "import torch\ndef make_scheduler(optimizer):\n"
        "    return torch.optim.lr_scheduler.StepLR(optimizer, 5, 0.5)\n"
    ),
    "untouched": "def make_scheduler(optimizer):\n    ...\n",
}


@pytest.mark.slow
@pytest.mark.skipif(not (OTTER and Path(OTTER).is_file()), reason="LRCOURSE_OTTER is not set")
def test_real_otter_run_scores_lrcourse_checks(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "q1.py").write_text(TEST_FILE)
    subprocess.run(
        [OTTER, "generate", "-t", "tests"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        timeout=300,
    )
    scores = {}
    for name, source in SUBMISSIONS.items():
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        nb.cells = [nbformat.v4.new_code_cell(source)]
        nbformat.write(nb, tmp_path / f"{name}.ipynb")
        out = tmp_path / f"out-{name}"
        out.mkdir()
        subprocess.run(
            [OTTER, "run", "-a", "autograder.zip", "-o", str(out), f"{name}.ipynb"],
            cwd=tmp_path,
            check=False,
            capture_output=True,
            timeout=600,
        )
        results = json.loads((out / "results.json").read_text())
        scores[name] = next(t["score"] for t in results["tests"] if t["name"] == "q1")
    assert scores == {"right": 2.0, "wrong": 0, "untouched": 0}
