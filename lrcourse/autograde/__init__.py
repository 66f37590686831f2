"""Class grading: a folder of student notebooks in, a journal, CSV files and a summary out.

    grade_folder(folder, out, *, exercises, options) -> ClassResults
    write_outputs(results, out) -> list[Path]

Modules: ``submissions`` (find and read notebooks safely), ``journal`` (SQLite, resumable,
locked), ``grader`` (isolation, self-test, jobs), ``export`` (CSV, terminal table), ``outputs``
(the files an instructor gets).
"""

from lrcourse.autograde.grader import ClassResults, GradeOptions, SelfTestError, grade_folder
from lrcourse.autograde.journal import JournalBusyError
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
