"""Verdicts name the mistake and keep the fix for the hints: no verdict on any wrong fixture
quotes the exercise's last hint or a line of its reference solution."""

from __future__ import annotations

from pathlib import Path

import pytest

from lrcourse.exercises import check_source, exercise

SUBMISSIONS = Path(__file__).parent / "submissions"
WRONG = sorted(SUBMISSIONS.glob("*/fail_*.py"))


def solution_lines(exercise_id: str) -> list[str]:
    """The reference solution's own code lines (not imports, signatures or docstrings)."""
    lines = [line.strip() for line in exercise(exercise_id).solution_source.splitlines()]
    return [
        line
        for line in lines
        if len(line) >= 25
        and not line.startswith(("import ", "from ", "def ", "class ", '"""', "return torch"))
    ]


@pytest.mark.parametrize("path", WRONG, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_no_verdict_hands_over_the_fix(path: Path) -> None:
    ex_id = path.parent.name
    feedback = check_source(ex_id, path.read_text(), seed=7, filename=str(path))
    text = "\n".join([feedback.title, feedback.message, *feedback.details])
    assert exercise(ex_id).hints[-1] not in text
    quoted = [line for line in solution_lines(ex_id) if line in text]
    assert not quoted, quoted


def test_detail_rows_show_only_differences_and_name_the_group() -> None:
    source = (SUBMISSIONS / "per-group-decay" / "fail_swapped.py").read_text()
    feedback = check_source("per-group-decay", source, seed=3)
    assert feedback.details and all("(group " in row for row in feedback.details)
    for row in feedback.details:
        expected, got = row.split(": expected ")[1].split(", got ")
        assert expected != got
