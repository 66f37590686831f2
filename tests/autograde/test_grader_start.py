"""The grader starts its sandbox workers before it imports torch itself, so the two imports
overlap: importing the grader imports no torch, and it names the jobs' module without
importing it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_importing_the_grader_and_the_cli_imports_no_torch() -> None:
    code = (
        "import sys\n"
        "import lrcourse.autograde.grader, lrcourse.autograde.outputs, lrcourse.cli\n"
        "print('torch' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert done.stdout.strip() == "False"


def test_the_preloaded_module_is_the_jobs_module() -> None:
    from lrcourse.autograde.grader import JOB_MODULE
    from lrcourse.exercises.runner import TARGET

    assert TARGET.partition(":")[0] == JOB_MODULE
