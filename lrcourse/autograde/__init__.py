"""Class grading: a folder of student notebooks in, a journal, CSV files and a summary out.

    grade_folder(folder, out, *, exercises, assignment, options) -> ClassResults
    write_outputs(results, out) -> list[Path]

Modules: ``submissions`` (find and read notebooks safely), ``journal`` (SQLite, resumable,
locked), ``assignment`` (items and points), ``options`` (how to grade), ``grader`` (isolation,
self-test, jobs), ``export`` (CSV, terminal table), ``outputs``, ``feedback_files`` and
``report`` (what an instructor gets), ``merge`` (shards). Names load lazily, so reading the
options does not import torch.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lrcourse.autograde.grader import ClassResults, SelfTestError, grade_folder
    from lrcourse.autograde.journal import JournalBusyError
    from lrcourse.autograde.options import GradeOptions
    from lrcourse.autograde.outputs import summary, write_outputs

__all__ = [
    "ClassResults",
    "GradeOptions",
    "JournalBusyError",
    "SelfTestError",
    "grade_folder",
    "summary",
    "write_outputs",
]
_HOMES = {
    "ClassResults": "lrcourse.autograde.grader",
    "SelfTestError": "lrcourse.autograde.grader",
    "grade_folder": "lrcourse.autograde.grader",
    "JournalBusyError": "lrcourse.autograde.journal",
    "GradeOptions": "lrcourse.autograde.options",
    "summary": "lrcourse.autograde.outputs",
    "write_outputs": "lrcourse.autograde.outputs",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'lrcourse.autograde' has no attribute {name!r}")
