"""Do check_source / check_file turn every kind of broken submission into a Feedback?"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from lrcourse.exercises import UnknownExerciseError, check_file, check_source, exercise


def test_syntax_error_names_the_line() -> None:
    fb = check_source("step-decay", "def make_scheduler(optimizer)\n    return 1\n")
    assert fb.status == "error" and "line 1" in fb.message


def test_missing_name_suggests_a_close_one() -> None:
    fb = check_source("two-lr-groups", "def make_optimiser(model):\n    return None\n")
    assert fb.status == "not-attempted" and "make_optimiser" in fb.message


def test_module_level_exception_is_an_error_feedback() -> None:
    fb = check_source("two-lr-groups", "x = 1 / 0\n")
    assert fb.status == "error" and "ZeroDivisionError" in fb.title


def test_learner_exception_shows_type_message_and_line() -> None:
    src = "def make_scheduler(optimizer):\n    raise ValueError('nope')\n"
    fb = check_source("step-decay", src, filename="mine.py")
    assert fb.status == "error"
    assert "ValueError: nope" in fb.message
    assert any("line 2" in d and "raise ValueError" in d for d in fb.details)


def test_unknown_id_lists_valid_ids() -> None:
    with pytest.raises(UnknownExerciseError, match="step-decay"):
        check_source("no-such-exercise", "")
    with pytest.raises(KeyError):
        exercise("nope")


def test_check_file_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        check_file("step-decay", tmp_path / "absent.py")


def test_check_file_runs_in_a_child(tmp_path: Path) -> None:
    path = tmp_path / "sub.py"
    path.write_text(exercise("per-group-decay").solution_source)
    assert check_file("per-group-decay", path, timeout=60).passed


def test_check_file_infinite_loop_times_out(tmp_path: Path) -> None:
    path = tmp_path / "loop.py"
    path.write_text("def make_scheduler(optimizer):\n    while True:\n        pass\n")
    start = time.monotonic()
    fb = check_file("step-decay", path, timeout=4)
    assert fb.status == "timeout"
    assert time.monotonic() - start < 25  # the 4 s limit plus a sandbox start on a busy machine


def test_check_file_hard_exit_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "exit.py"
    path.write_text("import os\nos._exit(0)\n")
    fb = check_file("step-decay", path, timeout=60)
    assert fb.status == "error" and "exited with code 0" in fb.message
