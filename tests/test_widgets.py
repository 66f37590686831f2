"""The quiz widget driven as a learner would: set values, click buttons, read the output."""

from pathlib import Path

import pytest

from lrcourse.bank import Bank, load_bank
from lrcourse.answer_check import draw_test
from lrcourse.progress import ProgressStore
from lrcourse.widgets import QuizWidget, quiz


@pytest.fixture
def bank(fixture_bank_dir: Path) -> Bank:
    return load_bank([fixture_bank_dir])


@pytest.fixture
def store(tmp_path: Path) -> ProgressStore:
    return ProgressStore(tmp_path / "progress.sqlite3")


def classes(widget) -> set[str]:
    return set(widget._dom_classes)


def test_practice_wrong_then_right(bank: Bank, store: ProgressStore) -> None:
    qw = QuizWidget(bank.quiz("alpha").questions, store=store)
    assert {"lrc-quiz", "lrc-quiz-practice"} <= classes(qw)
    assert "Question 1 of 6" in qw.progress_label.value
    assert qw.choices.options[0] == ("A. Choice A of alpha-q1", "a")
    qw.choices.value = "c"
    qw.check_button.click()
    assert "Not yet" in qw.feedback_html.value
    assert "Feedback for c of alpha-q1." in qw.feedback_html.value
    qw.choices.value = "b"
    qw.check_button.click()
    assert qw.last_feedback is not None and qw.last_feedback.passed
    assert "Correct" in qw.feedback_html.value
    assert [a.correct for a in store.attempts()] == [False, True]


def test_check_without_choice_is_not_attempted(bank: Bank, store: ProgressStore) -> None:
    qw = QuizWidget(bank.quiz("alpha").questions, store=store)
    qw.check_button.click()
    assert qw.last_feedback is not None and qw.last_feedback.status == "not-attempted"
    assert store.attempts() == []


def test_hint_and_solution_buttons(bank: Bank) -> None:
    qw = QuizWidget(bank.quiz("alpha").questions)
    qw.hint_button.click()
    assert "Add one to 1." in qw.hint_html.value
    qw.solution_button.click()
    assert "Read the number." in qw.solution_html.value
    assert "Answer: B." in qw.solution_html.value
    assert {"lrc-hint", "lrc-solution", "lrc-check"} <= (
        classes(qw.hint_button) | classes(qw.solution_button) | classes(qw.check_button))


def test_navigation_keeps_answers_and_clears_feedback(bank: Bank) -> None:
    qw = QuizWidget(bank.quiz("alpha").questions)
    assert qw.prev_button.disabled
    qw.choices.value = "a"
    qw.check_button.click()
    qw.next_button.click()
    assert qw.index == 1 and qw.feedback_html.value == ""
    assert qw.choices.value is None
    qw.prev_button.click()
    assert qw.choices.value == "a"
    for _ in range(10):
        qw.next_button.click()
    assert qw.index == 5 and qw.next_button.disabled


def test_multiple_answer_question_uses_checkboxes(bank: Bank) -> None:
    qw = QuizWidget(bank.quiz("alpha").questions)
    qw.go(5)
    assert "Select all that apply" in qw.prompt_html.value
    qw.select(["b", "c"])
    assert qw.selected == ["b", "c"]
    assert qw.check().passed


def test_test_mode_scores_then_reviews(bank: Bank, store: ProgressStore) -> None:
    questions = draw_test(bank, n=6, seed=4)
    qw = QuizWidget(questions, mode="test", seed=4, store=store)
    assert "lrc-quiz-test" in classes(qw)
    assert qw.check_button not in qw.children[4].children
    for i, q in enumerate(questions):
        right = list(q.correct_ids) if q.multiple else q.correct_ids[0]
        qw.select(right if i < 4 else "a" if "a" not in q.correct_ids else "d")
        if i < len(questions) - 1:
            qw.next_button.click()
    qw.finish_button.click()
    assert qw.score is not None
    assert "Score: 4/6 (67%)" in qw.score_html.value
    assert qw.review_html.value.count("lrc-review-item") == 6
    assert "correct answer" in qw.review_html.value
    assert qw.finish_button.disabled
    assert len(store.attempts()) == 6 and {a.mode for a in store.attempts()} == {"test"}


def test_quiz_factory_on_the_course_bank() -> None:
    practice = quiz("schedulers")
    assert practice.mode == "practice" and len(practice.questions) >= 12
    test = quiz(mode="test", seed=11)
    assert len(test.questions) == 10 and len({q.topic for q in test.questions}) >= 3
    assert [q.id for q in test.questions] == [q.id for q in quiz(mode="test", seed=11).questions]
    with pytest.raises(KeyError, match="no quiz for topic 'nope'"):
        quiz("nope")


def test_bad_mode_is_a_clear_error(bank: Bank) -> None:
    with pytest.raises(ValueError, match="mode must be 'practice' or 'test'"):
        QuizWidget(bank.quiz("alpha").questions, mode="exam")  # type: ignore[arg-type]


def test_multiline_code_choices_are_also_shown_formatted(bank: Bank) -> None:
    from dataclasses import replace

    q = bank.question("alpha-q1")
    code = "```python\nx = 1\ny = 2\n```"
    q2 = replace(q, choices=(replace(q.choices[0], text=code), *q.choices[1:]))
    qw = QuizWidget([q2])
    assert "lrc-choices-full" in qw.prompt_html.value
    assert "x = 1\ny = 2" in qw.prompt_html.value
    assert qw.choices.options[0] == ("A. x = 1 y = 2", "a")
    assert "lrc-choices-full" not in QuizWidget([q]).prompt_html.value
