"""The CLI in-process: exit codes and what it prints."""

import json
from pathlib import Path

import pytest

from lrcourse.cli import main
from lrcourse.progress import Attempt, ProgressStore

ROOT = Path(__file__).resolve().parents[1]
BANK = ROOT / "tests" / "data" / "bank"


def test_validate_ok_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(BANK / "good")]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("OK: 12 questions in 2 file(s), 2 verified")


def test_validate_prints_one_line_per_problem_and_exits_1(
        capsys: pytest.CaptureFixture[str]) -> None:
    bad = BANK / "bad"
    assert main(["validate", "--no-run", str(bad / "two-correct.toml"),
                 str(bad / "missing-field.toml")]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        f"{bad / 'two-correct.toml'}:alpha-q4: a single-answer question needs exactly one "
        "correct choice, has 2",
        f"{bad / 'missing-field.toml'}:alpha-q3: missing field 'hint'",
    ]


def test_validate_reports_wrong_key(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(BANK / "bad" / "wrong-key.toml")]) == 1
    assert "wrong-key.toml:alpha-q1: keyed B, torch says C" in capsys.readouterr().out


def test_usage_error_exits_2() -> None:
    with pytest.raises(SystemExit) as err:
        main(["frobnicate"])
    assert err.value.code == 2


def test_check_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--list"]) == 0
    out = capsys.readouterr().out
    assert "two-lr-groups" in out and "lr-range-test" in out


def test_check_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "no-such-exercise", str(tmp_path / "x.py")]) == 2
    (tmp_path / "x.py").write_text("def make_optimizer(model):\n    ...\n")
    assert main(["check", "two-lr-groups", str(tmp_path / "missing.py")]) == 2
    assert main(["check", "two-lr-groups"]) == 2
    err = capsys.readouterr().err
    assert "no such file" in err and "give an exercise id" in err


@pytest.mark.slow
def test_check_file_verdicts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from lrcourse.exercises import exercise

    good = tmp_path / "good.py"
    good.write_text(exercise("step-decay").solution_source)
    assert main(["check", "step-decay", str(good), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "correct"
    stub = tmp_path / "stub.py"
    stub.write_text("def make_scheduler(optimizer):\n    ...\n")
    assert main(["check", "step-decay", str(stub)]) == 1
    assert "Not attempted" in capsys.readouterr().out


def test_progress_show_and_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "p.sqlite3"
    ProgressStore(db).record(Attempt(subject="q", kind="question", topic="schedulers",
                                     difficulty="easy", mode="practice", answer="a",
                                     correct=True))
    assert main(["progress", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "schedulers" in out and "convergence" in out
    dest = tmp_path / "out.json"
    assert main(["progress", "--db", str(db), "--export", str(dest)]) == 0
    assert json.loads(dest.read_text())["attempts"][0]["subject"] == "q"
    assert main(["progress", "--db", str(db), "--export", str(tmp_path / "out.xlsx")]) == 2
