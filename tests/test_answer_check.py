"""Checking one answer never raises on a wrong one; numeric answers use a tolerance; test draws
are seeded and mixed."""

from pathlib import Path

import pytest

from lrcourse.answer_check import Answer, check_answer, draw_test, score_test, solution_markdown
from lrcourse.bank import Bank, load_bank

NUMERIC = Path(__file__).resolve().parent / "data" / "bank" / "numeric"


@pytest.fixture
def bank(fixture_bank_dir: Path) -> Bank:
    return load_bank([fixture_bank_dir])


@pytest.fixture
def numeric() -> Bank:
    return load_bank([NUMERIC])


def test_right_answer(bank: Bank) -> None:
    fb = check_answer(bank.question("alpha-q1"), "b")
    assert fb.passed and fb.subject == "alpha-q1"
    assert fb.title == "B is right."
    assert fb.message == "Feedback for b of alpha-q1."
    assert fb.explanation == "It is 2."


def test_wrong_answer_gives_that_choices_feedback_and_hint(bank: Bank) -> None:
    fb = check_answer(bank.question("alpha-q1"), "C")
    assert fb.status == "incorrect"
    assert fb.title == "C is not the answer."
    assert fb.message == "Feedback for c of alpha-q1."
    assert fb.hint == "Add one to 1."


@pytest.mark.parametrize(
    ("answer", "status", "title"),
    [
        (None, "not-attempted", "Pick an answer first."),
        ("", "not-attempted", "Pick an answer first."),
        ("z", "error", "There is no choice Z."),
        (["a", "b"], "error", "Choose exactly one answer."),
    ],
)
def test_malformed_answers_never_raise(bank: Bank, answer: Answer, status: str, title: str) -> None:
    fb = check_answer(bank.question("alpha-q1"), answer)
    assert (fb.status, fb.title) == (status, title)


def test_unknown_question_id_is_feedback_not_an_exception(bank: Bank) -> None:
    fb = check_answer("no-such-question", "a", bank=bank)
    assert fb.status == "error" and "no-such-question" in fb.message


def test_multiple_answer_question(bank: Bank) -> None:
    q = bank.question("alpha-q6")
    assert check_answer(q, ["c", "b"]).passed
    partial = check_answer(q, ["b"])
    assert partial.status == "incorrect"
    assert partial.title == "Not quite: 1 correct choice(s) missing, 0 wrong choice(s) selected."
    assert partial.details == ("B: Feedback for b of alpha-q6.",)


def test_solution_lists_steps_answer_and_mistakes(bank: Bank) -> None:
    text = solution_markdown(bank.question("alpha-q2"))
    assert "1. Read the number.\n2. Add one." in text
    assert "**Answer: B.** It is 3." in text
    assert "- Subtracting instead of adding." in text


def test_draw_is_seeded_and_mixes_difficulties_and_topics(bank: Bank) -> None:
    first = draw_test(bank, n=6, seed=7)
    assert [q.id for q in first] == [q.id for q in draw_test(bank, n=6, seed=7)]
    assert [q.difficulty for q in first] == ["easy", "easy", "medium", "medium", "hard", "hard"]
    assert {q.topic for q in first} == {"alpha", "beta"}
    assert len({q.id for q in first}) == 6
    seeds = {tuple(q.id for q in draw_test(bank, n=6, seed=s)) for s in range(20)}
    assert len(seeds) > 1


def test_draw_ten_is_three_four_three(bank: Bank) -> None:
    drawn = draw_test(bank, n=10, seed=1)
    counts = {d: sum(q.difficulty == d for q in drawn) for d in ("easy", "medium", "hard")}
    assert counts == {"easy": 3, "medium": 4, "hard": 3}


def test_draw_from_one_topic_and_bad_n(bank: Bank) -> None:
    assert {q.topic for q in draw_test(bank, topic="beta", n=3, seed=0)} == {"beta"}
    assert len(draw_test(bank, topic="beta", n=50, seed=0)) == 6
    with pytest.raises(ValueError, match="at least one question"):
        draw_test(bank, n=0)


def test_score_counts_unanswered_as_wrong(bank: Bank) -> None:
    qs = draw_test(bank, n=4, seed=3)
    answers = {qs[0].id: qs[0].correct_ids[0], qs[1].id: "a"}
    if qs[1].correct_ids == ("a",):
        answers[qs[1].id] = "d"
    score = score_test(qs, answers)
    assert (score.correct, score.total) == (1, 4)
    assert str(score) == "Score: 1/4 (25%)"
    assert sum(n for _, n in score.by_difficulty().values()) == 4


# ---- numeric questions ----------------------------------------------------------------------
def test_numeric_answer_within_tolerance_is_right(numeric: Bank) -> None:
    q = numeric.question("gamma-halved-twice")
    assert q.kind == "numeric" and q.value == 0.025 and q.tolerance == 1e-9
    for answer in ("0.025", " 2.5e-2 ", 0.025, 0.025 + 5e-10):
        fb = check_answer(q, answer)
        assert fb.passed, answer
    assert check_answer(q, "0.025").title == "0.025 is right."
    assert check_answer(q, "0.025").explanation == q.answer


@pytest.mark.parametrize("answer", ["0.05", 0.0250001, "-0.025", "0.1"])
def test_numeric_answer_outside_tolerance_is_wrong_with_hint(numeric: Bank, answer: Answer) -> None:
    fb = check_answer(numeric.question("gamma-halved-twice"), answer)
    assert fb.status == "incorrect" and fb.hint == "Halve 0.1, then halve it again."


@pytest.mark.parametrize(
    ("answer", "status", "title"),
    [
        (None, "not-attempted", "Type a number first."),
        ("  ", "not-attempted", "Type a number first."),
        ("a", "error", "That is not a number."),
        ("nan", "error", "That is not a number."),
        (["0.025"], "error", "That is not a number."),
        (True, "error", "That is not a number."),
    ],
)
def test_malformed_numeric_answers_never_raise(
    numeric: Bank, answer: Answer, status: str, title: str
) -> None:
    fb = check_answer(numeric.question("gamma-halved-twice"), answer)
    assert (fb.status, fb.title) == (status, title)


def test_numeric_solution_states_value_and_tolerance(numeric: Bank) -> None:
    text = solution_markdown(numeric.question("gamma-halved-twice"))
    assert "**Answer: 0.025 (± 1e-09).**" in text


def test_numeric_questions_join_tests_and_scores(numeric: Bank) -> None:
    drawn = draw_test(numeric, n=2, seed=0)
    assert {q.kind for q in drawn} == {"numeric", "choice"}
    answers = {q.id: ("0.025" if q.kind == "numeric" else q.correct_ids[0]) for q in drawn}
    assert score_test(drawn, answers).correct == 2
