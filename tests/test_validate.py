"""`validate` runs every verify snippet with torch and names each disagreement."""

from pathlib import Path

import pytest

from lrcourse.validate import pick, validate

ROOT = Path(__file__).resolve().parents[1]
BAD = ROOT / "tests" / "data" / "bank" / "bad"


def test_pick_matches_floats_lists_and_strings() -> None:
    assert pick(0.05000000001, {"a": 0.1, "b": 0.05}) == "b"
    assert pick([0.1, 0.05], {"a": [0.1, 0.1], "b": [0.1, 0.05]}) == "b"
    assert pick("ValueError", {"a": "TypeError", "b": "ValueError"}) == "b"
    assert pick(True, {"a": 1, "b": True}) == "b"
    assert pick(0.0125, {"a": 0.1}) == "none of the choices (got 0.0125)"


def test_planted_wrong_key_is_reported(tmp_path: Path) -> None:
    """A question keyed B whose snippet shows torch gives C."""
    (tmp_path / "alpha.toml").write_text(
        (BAD / "wrong-key.toml").read_text().replace('topic = "wrong-key"', 'topic = "alpha"'))
    report = validate([tmp_path])
    assert [str(p) for p in report.problems] == [
        f"{tmp_path / 'alpha.toml'}:alpha-q1: keyed B, torch says C"]
    assert not report.ok
    assert report.verified == 1 and report.questions == 6


@pytest.mark.slow
def test_broken_snippets_do_not_poison_the_rest(tmp_path: Path) -> None:
    """A crashing and a hanging snippet each get their own verdict; the good one still passes."""
    for name, topic in (("snippet-crash", "crash"), ("snippet-hangs", "hang")):
        text = (BAD / f"{name}.toml").read_text().replace(f'topic = "{name}"', f'topic = "{topic}"')
        (tmp_path / f"{topic}.toml").write_text(text.replace("alpha-", f"{topic}-"))
    good = (ROOT / "tests" / "data" / "bank" / "good" / "beta.toml")
    (tmp_path / "beta.toml").write_text(good.read_text())
    report = validate([tmp_path], timeout=5)
    lines = sorted(str(p) for p in report.problems)
    assert len(lines) == 2, lines
    assert "crash-q1: verify snippet failed: ZeroDivisionError: division by zero" in lines[0]
    assert "hang-q1: verify snippet timed out" in lines[1]


def test_schema_only_mode_runs_nothing(fixture_bank_dir: Path) -> None:
    report = validate([fixture_bank_dir], run_verify=False)
    assert report.ok and report.verified == 2
    assert report.summary() == ("OK: 12 questions in 2 file(s), "
                                "2 with verify snippets (not run) (17%)")


@pytest.mark.slow
def test_course_bank_validates() -> None:
    """CI's gate: every keyed answer in quizzes/ agrees with what torch does."""
    report = validate([ROOT / "quizzes"])
    assert report.ok, "\n".join(str(p) for p in report.problems)
