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
    capsys: pytest.CaptureFixture[str],
) -> None:
    bad = BANK / "bad"
    assert (
        main(
            ["validate", "--no-run", str(bad / "two-correct.toml"), str(bad / "missing-field.toml")]
        )
        == 1
    )
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


def record_one_answer(db: Path, *, correct: bool) -> None:
    """A progress store holding one practice answer in the schedulers topic."""
    attempt = Attempt(
        subject="q",
        kind="question",
        topic="schedulers",
        difficulty="easy",
        mode="practice",
        answer="a",
        correct=correct,
    )
    ProgressStore(db).record(attempt)


def test_progress_show_and_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "p.sqlite3"
    record_one_answer(db, correct=True)
    assert main(["progress", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "schedulers" in out and "convergence" in out
    dest = tmp_path / "out.json"
    assert main(["progress", "--db", str(db), "--export", str(dest)]) == 0
    assert json.loads(dest.read_text())["attempts"][0]["subject"] == "q"
    assert main(["progress", "--db", str(db), "--export", str(tmp_path / "out.xlsx")]) == 2


@pytest.mark.slow
def test_check_file_computes_the_verdict_outside_the_learner_process(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file that forges a passing verdict from inside its own process does not pass."""
    forged = tmp_path / "forged.py"
    forged.write_text(
        "from lrcourse.exercises.outcomes import Outcome\n"
        "class Correct(Outcome):\n    status = 'correct'\n"
        "def make_scheduler(optimizer):\n    raise Correct('all checks passed')\n"
    )
    assert main(["check", "step-decay", str(forged), "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["status"] == "error"


@pytest.mark.slow
def test_grade_merge_and_precheck(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import nbformat

    from lrcourse.exercises import exercise

    root = tmp_path / "class"
    root.mkdir()
    for student, source in (("ann", exercise("step-decay").solution_source), ("ben", "x = 1")):
        nb = nbformat.v4.new_notebook()
        cell = nbformat.v4.new_code_cell(source)
        cell.metadata["tags"] = ["exercise:step-decay"]
        nb.cells = [cell]
        nbformat.write(nb, root / f"{student}.ipynb")
    base = ["grade", str(root), "--exercises", "step-decay", "--isolation", "trusted"]
    assert main([*base, "--out", str(tmp_path / "all")]) == 0
    out = capsys.readouterr().out
    assert "ann" in out and "1/1" in out and "wrote" in out
    for i in range(2):
        assert main([*base, "--out", str(tmp_path / f"s{i}"), "--shard", f"{i}/2"]) == 0
    assert (
        main(["merge", str(tmp_path / "merged"), str(tmp_path / "s0"), str(tmp_path / "s1")]) == 0
    )
    merged = (tmp_path / "merged" / "scores.csv").read_text()
    assert merged == (tmp_path / "all" / "scores.csv").read_text()
    assert main(["merge", str(tmp_path / "m2"), str(tmp_path / "nope")]) == 2
    capsys.readouterr()
    assert main(["precheck", str(root / "ann.ipynb")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("step-decay") and "correct" in line for line in lines)
    assert lines[-1] == "score 1 / 43"


def test_grade_refuses_a_bad_shard_and_a_bad_assignment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        main(["grade", str(tmp_path), "--out", str(tmp_path / "o"), "--shard", "3/2"])
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'schema_version = 1\nid = "x"\ntitle = "x"\n[[exercises]]\nid = "nope"\npoints = -1\n'
    )
    assert (
        main(["grade", str(tmp_path), "--out", str(tmp_path / "o"), "--assignment", str(bad)]) == 2
    )
    err = capsys.readouterr().err
    assert "unknown exercise 'nope'" in err and "`points` must be a positive number" in err


def test_progress_merge_builds_one_class_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for learner, correct in (("ann", True), ("ben", False)):
        db = tmp_path / f"{learner}.sqlite3"
        record_one_answer(db, correct=correct)
        assert (
            main(["progress", "--db", str(db), "--export", str(tmp_path / f"{learner}.csv")]) == 0
        )
    capsys.readouterr()
    table = tmp_path / "class.csv"
    assert (
        main(
            [
                "progress",
                "--merge",
                str(tmp_path / "ann.csv"),
                str(tmp_path / "ben.csv"),
                "--out",
                str(table),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "ann" in out and "ben" in out and table.exists()


def test_links_prints_binder_and_nbgitpuller(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["links", "https://github.com/example/lrcourse", "--hub", "https://hub.example.org"])
        == 0
    )
    out = capsys.readouterr().out
    assert "mybinder.org/v2/gh/example/lrcourse/main" in out
    assert "https://hub.example.org/hub/user-redirect/git-pull?" in out
    assert main(["links", "not a url"]) == 2


def test_learner_facing_functions_show_their_parameters() -> None:
    """Jupyter's Shift-Tab help shows a learner-facing call's real parameters."""
    import inspect

    import lrcourse

    assert list(inspect.signature(lrcourse.quiz).parameters) == [
        "topic",
        "mode",
        "n",
        "seed",
        "store",
        "demo",
    ]
    assert list(inspect.signature(lrcourse.answer).parameters) == ["question_id", "choice"]
