"""The strict loader: the fixture bank loads; each planted defect is named with file and id."""

from pathlib import Path

import pytest

from lrcourse.bank import (
    TOPIC_ORDER,
    QuizFormatError,
    bank_dir,
    load_bank,
    load_quiz,
    parse_bank,
    parse_quiz,
)

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"

BAD = sorted((DATA / "bank" / "bad").glob("*.toml"))
SCHEMA_DEFECTS = [p for p in BAD if not p.stem.startswith(("wrong-key", "snippet-"))]


def expected(path: Path) -> str:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# expect: "), f"{path.name} must start with '# expect: '"
    return first.removeprefix("# expect: ")


def test_fixture_bank_loads(fixture_bank_dir: Path) -> None:
    bank = load_bank([fixture_bank_dir])
    assert bank.topics == ("alpha", "beta")
    q = bank.question("alpha-q1")
    assert q.topic == "alpha" and q.difficulty == "easy"
    assert q.correct_ids == ("b",)
    assert q.choice("B").letter == "B"
    assert bank.question("beta-q6").multiple
    assert bank.quiz("beta").questions[0].id == "beta-q1"


@pytest.mark.parametrize("path", SCHEMA_DEFECTS, ids=lambda p: p.stem)
def test_each_defect_is_reported_with_file_and_id(path: Path) -> None:
    quiz, problems = parse_quiz(path)
    assert quiz is None
    lines = [str(p) for p in problems]
    assert any(line.startswith(str(path) + ":") and expected(path) in line for line in lines), lines


@pytest.mark.parametrize("path", SCHEMA_DEFECTS[:3], ids=lambda p: p.stem)
def test_load_quiz_raises_naming_the_problem(path: Path) -> None:
    with pytest.raises(QuizFormatError) as err:
        load_quiz(path)
    assert expected(path) in str(err.value)
    assert err.value.problems


def test_duplicate_ids_across_files(tmp_path: Path, fixture_bank_dir: Path) -> None:
    text = (fixture_bank_dir / "alpha.toml").read_text()
    text = text.replace('topic = "alpha"', 'topic = "gamma"')
    (tmp_path / "gamma.toml").write_text(text)
    _, problems = parse_bank([fixture_bank_dir / "alpha.toml", tmp_path / "gamma.toml"])
    assert any("alpha-q1: duplicate question id (also in" in str(p) for p in problems)


def test_topic_must_match_file_name(tmp_path: Path, fixture_bank_dir: Path) -> None:
    (tmp_path / "other.toml").write_text((fixture_bank_dir / "alpha.toml").read_text())
    _, problems = parse_quiz(tmp_path / "other.toml")
    assert any("topic 'alpha' must match the file name 'other'" in str(p) for p in problems)


def test_missing_file_and_empty_folder(tmp_path: Path) -> None:
    _, problems = parse_quiz(tmp_path / "nope.toml")
    assert "file not found" in str(problems[0])
    _, problems = parse_bank([tmp_path])
    assert "no quiz files found" in str(problems[0])


def test_unknown_question_and_topic_are_clear(fixture_bank_dir: Path) -> None:
    bank = load_bank([fixture_bank_dir])
    with pytest.raises(KeyError, match="no question with id 'nope'"):
        bank.question("nope")
    with pytest.raises(KeyError, match="topics: alpha, beta"):
        bank.quiz("gamma")
    with pytest.raises(KeyError, match="choices: a, b, c, d"):
        bank.question("alpha-q1").choice("e")


def test_bank_dir_prefers_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LRCOURSE_QUIZZES", str(tmp_path))
    assert bank_dir() == tmp_path
    monkeypatch.delenv("LRCOURSE_QUIZZES")
    assert bank_dir().name in ("quizzes", "_quizzes")


# ---- the course's own bank ------------------------------------------------------------------
def test_course_bank_has_the_required_shape() -> None:
    """At least 12 questions per topic, every difficulty in each, every one with a proof."""
    bank = load_bank([ROOT / "quizzes"])
    assert bank.topics == TOPIC_ORDER
    for quiz in bank.quizzes:
        assert len(quiz) >= 12, quiz.topic
        assert {q.difficulty for q in quiz} == {"easy", "medium", "hard"}, quiz.topic
    unproven = [q.id for q in bank.questions if not q.verify]
    assert unproven == [], "every course question carries a verify snippet"


def test_every_seed_practice_question_is_in_the_bank() -> None:
    bank = load_bank([ROOT / "quizzes"])
    items = {(q.source.seed, q.source.item) for q in bank.questions if q.source}
    for seed in ("000", "001", "003"):
        for n in range(1, 6):
            assert (seed, f"Q{n}") in items, f"seed {seed} Q{n} missing from the bank"
    assert any(seed == "002" for seed, _ in items)


def test_numeric_question_loads_with_value_and_tolerance() -> None:
    q = load_bank([DATA / "bank" / "numeric"]).question("gamma-halved-twice")
    assert (q.kind, q.value, q.tolerance, q.choices, q.correct_ids) == (
        "numeric",
        0.025,
        1e-9,
        (),
        (),
    )
    assert load_bank([DATA / "bank" / "numeric"]).question("gamma-which-optimizer").kind == "choice"


def test_exempt_reason_is_kept(fixture_bank_dir: Path) -> None:
    q = load_bank([fixture_bank_dir]).question("alpha-q2")
    assert q.exempt == "fixture: arithmetic on literals, nothing in torch to run"
    assert q.verify is None


# ---- issue 8's content errors stay fixed (their verify snippets also assert the facts) ---------
def test_fast_then_slow_says_a_hand_set_lr_is_saved() -> None:
    q = load_bank([ROOT / "quizzes"]).question("cv-fast-then-slow")
    d = q.choice("d").feedback
    assert "saved in the optimizer's `state_dict()`" in d and "not saved" not in d
    assert "hand_lr_saved" in (q.verify or "")


def test_group_without_lr_quick_check_does_not_promise_exact_equality() -> None:
    q = load_bank([ROOT / "quizzes"]).question("pg-group-without-lr-inherits")
    assert "`torch.equal` is True" not in q.quick_check
    assert "torch.allclose" in q.quick_check and "torch.allclose" in (q.verify or "")


def test_warmup_lengths_are_not_understated() -> None:
    bank = load_bank([ROOT / "quizzes"])
    assert not [q.id for q in bank.questions if "a few hundred steps" in q.prompt]
    assert "thousands of steps" in " ".join(bank.question("cv-why-warmup").prompt.split())
