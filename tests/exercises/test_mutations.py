"""Does every exercise pass its right answers, fail each wrong one with the intended message,
and call its starter stub not-attempted? (fixtures: submissions/<id>/{pass,fail}_*.py)"""

from __future__ import annotations

from pathlib import Path

import pytest

from lrcourse.exercises import check_source, list_exercises

SUBMISSIONS = Path(__file__).parent / "submissions"
FILES = sorted(SUBMISSIONS.glob("*/*.py"))
IDS = [ex.id for ex in list_exercises()]


def test_every_exercise_has_enough_mutations() -> None:
    for exercise_id in IDS:
        stems = [p.stem for p in (SUBMISSIONS / exercise_id).glob("*.py")]
        assert sum(s.startswith("pass_") for s in stems) >= 2, exercise_id
        assert sum(s.startswith("fail_") for s in stems) >= 4, exercise_id


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
@pytest.mark.parametrize("seed", [11, 2024])
def test_submission_gets_its_verdict(path: Path, seed: int) -> None:
    source = path.read_text()
    feedback = check_source(path.parent.name, source, seed=seed, filename=str(path))
    if path.stem.startswith("pass_"):
        assert feedback.passed, str(feedback)
    else:
        expect = source.splitlines()[0].removeprefix("# expect: ").strip()
        assert not feedback.passed, f"{path.stem} passed"
        assert feedback.status in ("incorrect", "error"), str(feedback)
        assert expect in f"{feedback.title}\n{feedback.message}", str(feedback)


@pytest.mark.parametrize("exercise_id", IDS)
def test_reference_solution_passes_and_starter_is_not_attempted(exercise_id: str) -> None:
    ex = next(e for e in list_exercises() if e.id == exercise_id)
    for seed in (1, 2, 3):
        assert check_source(exercise_id, ex.solution_source, seed=seed).passed
    assert check_source(exercise_id, ex.starter_source, seed=1).status == "not-attempted"


@pytest.mark.parametrize("body", ["...", "pass", "raise NotImplementedError", "return None"])
def test_stub_styles_are_not_attempted(body: str) -> None:
    source = f"def make_scheduler(optimizer):\n    {body}\n"
    assert check_source("step-decay", source, seed=5).status == "not-attempted"
