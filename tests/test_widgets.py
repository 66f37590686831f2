"""The quiz widget driven as a learner would: tick choices, click buttons, read the output."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from lrcourse.answer_check import draw_test
from lrcourse.bank import Bank, Question, load_bank
from lrcourse.progress import ProgressStore
from lrcourse.widgets import QuizWidget, plain_label, quiz, review_item


@pytest.fixture
def bank(fixture_bank_dir: Path) -> Bank:
    return load_bank([fixture_bank_dir])


@pytest.fixture
def store(tmp_path: Path) -> ProgressStore:
    return ProgressStore(tmp_path / "progress.sqlite3")


def classes(widget: object) -> set[str]:
    return set(widget._dom_classes)  # type: ignore[attr-defined]


def row(qw: QuizWidget, choice_id: str):
    return next(r for r in qw.rows if r.choice_id == choice_id)


def with_code_choice(q: Question) -> Question:
    code = "```python\nx = 1\ny = 2\n```"
    return replace(q, choices=(replace(q.choices[0], text=code), *q.choices[1:]))


# ---- the card ---------------------------------------------------------------------------------
def test_card_shows_each_choice_once_formatted_with_a_plain_label(bank: Bank) -> None:
    qw = QuizWidget([with_code_choice(bank.question("alpha-q1"))])
    assert {"lrc-quiz", "lrc-quiz-practice", "lrc-live"} <= classes(qw)
    first = qw.rows[0]
    # the formatted text: a code block inside the choice
    assert "<pre><code" in first.text.value and "x = 1\ny = 2" in first.text.value
    # the screen-reader label: the same choice as one line of plain text
    assert first.box.description == "A. x = 1 y = 2"
    # the choice text appears in the card once (not again in the prompt)
    assert "x = 1" not in qw.prompt_html.value
    assert [r.choice_id for r in qw.rows] == ["a", "b", "c", "d"]
    assert all("lrc-choice" in classes(r) for r in qw.rows)
    assert "line-height: 1.45" in qw.header_html.value


def test_plain_label_drops_fences_and_backticks() -> None:
    assert plain_label("Use `StepLR`\nnow") == "Use StepLR now"
    assert plain_label("```python\nopt.step()\n```") == "opt.step()"


def test_practice_picking_a_choice_grades_at_once_and_colours_it(
    bank: Bank, store: ProgressStore
) -> None:
    qw = QuizWidget(bank.quiz("alpha").questions, store=store)
    assert "Question 1 of 6" in qw.progress_label.value
    assert qw.check_button.layout.display == "none"  # single answer: no Check needed
    row(qw, "c").box.value = True  # a click on row C
    assert "Not yet" in qw.feedback_html.value
    assert "Feedback for c of alpha-q1." in qw.feedback_html.value
    assert "lrc-wrong" in classes(row(qw, "c"))
    assert "lrc-right" not in classes(row(qw, "b"))  # the key is not given away
    row(qw, "b").box.value = True
    assert not row(qw, "c").value, "single answer: picking B clears C"
    assert qw.last_feedback is not None and qw.last_feedback.passed
    assert "Correct" in qw.feedback_html.value
    assert "lrc-right" in classes(row(qw, "b")) and "lrc-wrong" not in classes(row(qw, "c"))
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
    # outlined buttons coloured from the theme, readable in light and dark
    assert "lrc-secondary" in classes(qw.hint_button) and qw.hint_button.button_style == ""
    assert "var(--jp-ui-font-color1" in qw.header_html.value


def test_navigation_keeps_answers_without_regrading(bank: Bank, store: ProgressStore) -> None:
    qw = QuizWidget(bank.quiz("alpha").questions, store=store)
    assert qw.prev_button.disabled
    qw.select("a")
    qw.next_button.click()
    assert qw.index == 1 and qw.feedback_html.value == ""
    assert qw.selected is None
    qw.prev_button.click()
    assert qw.selected == "a" and qw.feedback_html.value == ""
    assert len(store.attempts()) == 1, "coming back must not record the answer again"
    for _ in range(10):
        qw.next_button.click()
    assert qw.index == 5 and qw.next_button.disabled


def test_multiple_answer_question_is_graded_by_check(bank: Bank) -> None:
    qw = QuizWidget(bank.quiz("alpha").questions)
    qw.go(5)
    assert "Select all that apply" in qw.prompt_html.value
    assert qw.check_button.layout.display is None
    row(qw, "b").box.value = True
    row(qw, "c").box.value = True
    assert qw.feedback_html.value == "", "no grading until Check"
    assert qw.selected == ["b", "c"]
    qw.check_button.click()
    assert qw.last_feedback is not None and qw.last_feedback.passed
    assert "lrc-right" in classes(row(qw, "b"))


# ---- test mode -----------------------------------------------------------------------------------
def _answer(qw: QuizWidget, right: bool) -> None:
    q = qw.question
    if right:
        qw.select(list(q.correct_ids) if q.multiple else q.correct_ids[0])
    else:
        qw.select(next(c.id for c in q.choices if not c.correct))


def test_test_mode_scores_then_reviews_with_choice_text_feedback_and_steps(
    bank: Bank, store: ProgressStore
) -> None:
    questions = draw_test(bank, n=6, seed=4)
    qw = QuizWidget(questions, mode="test", seed=4, store=store)
    assert "lrc-quiz-test" in classes(qw)
    assert qw.check_button not in qw.children[4].children
    for i in range(len(questions)):
        _answer(qw, right=i < 4)
        assert qw.feedback_html.value == "", "no feedback in test mode"
        if i < len(questions) - 1:
            qw.next_button.click()
    score = qw.finish()
    assert score is not None and qw.score is score
    assert "Score: 4/6 (67%)" in qw.score_html.value
    review = qw.review_html.value
    assert review.count("class='lrc-review-item") == 6
    wrong_q = questions[4]
    chosen = next(c for c in wrong_q.choices if not c.correct)
    assert chosen.text in review and chosen.feedback in review  # your choice, its feedback
    assert all(c.text in review for c in wrong_q.choices if c.correct)  # the right one
    assert "Correct answer:" in review and "Worked solution" in review
    assert wrong_q.steps[0] in review
    assert qw.finish_button.disabled
    assert len(store.attempts()) == 6 and {a.mode for a in store.attempts()} == {"test"}


def test_finish_with_blanks_asks_first_and_never_records_blanks(
    bank: Bank, store: ProgressStore
) -> None:
    qw = QuizWidget(draw_test(bank, n=4, seed=1), mode="test", seed=1, store=store)
    assert qw.confirm_box.layout.display == "none"
    _answer(qw, right=True)
    qw.finish_button.click()
    assert qw.score is None, "nothing is scored before the learner confirms"
    assert qw.confirm_box.layout.display is None
    assert "3 of 4 questions have no answer" in qw.confirm_html.value
    assert "(question 2, 3, 4)" in qw.confirm_html.value
    qw.cancel_button.click()
    assert qw.confirm_box.layout.display == "none" and store.attempts() == []
    qw.finish_button.click()
    qw.confirm_button.click()
    assert qw.score is not None and qw.score.correct == 1 and qw.score.total == 4
    assert "You left this blank." in qw.review_html.value
    assert len(store.attempts()) == 1, "only the answered question is recorded"


def test_answering_every_question_finishes_without_asking(bank: Bank) -> None:
    qw = QuizWidget(draw_test(bank, n=2, seed=3), mode="test", seed=3)
    _answer(qw, right=False)
    qw.next_button.click()
    _answer(qw, right=True)
    assert qw.unanswered == []
    assert qw.finish() is not None


def test_new_test_draws_a_new_seed_and_starts_over(bank: Bank, store: ProgressStore) -> None:
    def redraw(seed: int) -> list[Question]:
        return draw_test(bank, n=4, seed=seed)

    qw = QuizWidget(redraw(5), mode="test", seed=5, store=store, redraw=redraw)
    assert qw.new_test_button.layout.display == "none"
    for _ in range(4):
        _answer(qw, right=True)
        qw.next_button.click()
    qw.finish()
    assert qw.new_test_button.layout.display is None
    qw.new_test_button.click()
    assert qw.seed != 5 and f"Seed {qw.seed}." in qw.header_html.value
    assert qw.score is None and qw.answers == {} and qw.index == 0
    assert [q.id for q in qw.questions] == [q.id for q in redraw(qw.seed)]
    assert not qw.finish_button.disabled and qw.review_html.value == ""
    assert not any(r.box.disabled for r in qw.rows)


def test_new_test_needs_a_way_to_draw(bank: Bank) -> None:
    qw = QuizWidget(draw_test(bank, n=2, seed=0), mode="test", seed=0)
    with pytest.raises(RuntimeError, match="draw a new test"):
        qw.new_test()


def test_a_demo_never_records(bank: Bank, store: ProgressStore) -> None:
    practice = QuizWidget(bank.quiz("alpha").questions, store=store, demo=True)
    practice.select("b")
    assert practice.last_feedback is not None and practice.last_feedback.passed
    test = QuizWidget(draw_test(bank, n=2, seed=0), mode="test", seed=0, store=store, demo=True)
    _answer(test, right=True)
    test.next_button.click()
    _answer(test, right=True)
    test.finish()
    assert store.attempts() == []
    assert (
        "not recorded" in test.header_html.value and "nothing was recorded" in test.score_html.value
    )
    assert practice.what == "Demo · Practice quiz"


def test_review_item_for_a_right_answer_keeps_the_steps_folded(bank: Bank) -> None:
    q = bank.question("alpha-q1")
    item = review_item(1, q, "b", passed=True)
    assert "Your answer: B." in item and "Correct answer:" not in item
    assert "Feedback for b of alpha-q1." in item and "<details class='lrc-review-steps'>" in item
    wrong = review_item(1, q, "a", passed=False)
    assert "<details class='lrc-review-steps' open>" in wrong and "Choice B of alpha-q1" in wrong


# ---- display in a saved notebook -------------------------------------------------------------
def test_display_publishes_a_note_then_the_widget(bank: Bank, monkeypatch) -> None:
    published: list[dict] = []
    import IPython.display

    monkeypatch.setattr(IPython.display, "display", lambda obj, raw=False: published.append(obj))
    qw = QuizWidget(bank.quiz("alpha").questions, title="Practice: Topic alpha")
    qw._ipython_display_()
    note, widget = published
    assert (
        "run this cell" in note["text/plain"] and "Practice: Topic alpha." in (note["text/plain"])
    )
    assert "lrc-saved-note" in note["text/html"]
    assert widget["application/vnd.jupyter.widget-view+json"]["model_id"] == qw.model_id
    assert widget["text/plain"] == ""


# ---- the factory on the real bank --------------------------------------------------------------
def test_quiz_factory_on_the_course_bank() -> None:
    practice = quiz("schedulers")
    assert practice.mode == "practice" and len(practice.questions) >= 12
    test = quiz(mode="test", seed=11)
    assert len(test.questions) == 10 and len({q.topic for q in test.questions}) >= 3
    assert [q.id for q in test.questions] == [q.id for q in quiz(mode="test", seed=11).questions]
    test.new_test(seed=12)
    assert [q.id for q in test.questions] == [q.id for q in quiz(mode="test", seed=12).questions]
    assert quiz("schedulers", mode="test", n=2, seed=1, demo=True).demo
    with pytest.raises(KeyError, match="no quiz for topic 'nope'"):
        quiz("nope")


def test_bad_mode_is_a_clear_error(bank: Bank) -> None:
    with pytest.raises(ValueError, match="mode must be 'practice' or 'test'"):
        QuizWidget(bank.quiz("alpha").questions, mode="exam")  # type: ignore[arg-type]


# ---- numeric questions -------------------------------------------------------------------------
NUMERIC_BANK = Path(__file__).resolve().parent / "data" / "bank" / "numeric"


@pytest.fixture
def numeric_bank() -> Bank:
    return load_bank([NUMERIC_BANK])


def test_numeric_question_has_an_input_box_graded_on_enter(
    numeric_bank: Bank, store: ProgressStore
) -> None:
    q = numeric_bank.question("gamma-halved-twice")
    assert q.kind == "numeric"
    qw = QuizWidget([q], store=store)
    assert qw.number_input is not None and qw.rows == []
    assert "lrc-numeric" in classes(qw.number_input)
    assert "Type a number" in qw.prompt_html.value
    assert qw.check_button.layout.display is None
    qw.number_input.value = "0.05"  # what Enter sends
    assert qw.last_feedback is not None and qw.last_feedback.status == "incorrect"
    assert "lrc-wrong" in classes(qw.number_input)
    qw.number_input.value = "2.5e-2"
    assert qw.last_feedback.passed and "lrc-right" in classes(qw.number_input)
    qw.number_input.value = "a lot"
    assert qw.last_feedback.status == "error" and store.attempts()[-1].answer == "2.5e-2"
    assert [a.correct for a in store.attempts()] == [False, True]


def test_numeric_question_in_a_test_and_its_review(
    numeric_bank: Bank, store: ProgressStore
) -> None:
    q = numeric_bank.question("gamma-halved-twice")
    qw = QuizWidget([q], mode="test", seed=0, store=store)
    assert qw.finish() is None  # blank: asks first
    qw.number_input.value = "0.1"
    assert qw.unanswered == [] and qw.feedback_html.value == ""
    score = qw.finish()
    assert score is not None and score.correct == 0
    assert "Your answer:</b> 0.1" in qw.review_html.value
    assert "Correct answer:</b> 0.025" in qw.review_html.value
    assert [a.answer for a in store.attempts()] == ["0.1"]


def test_lead_into_keeps_the_letter_on_the_first_line() -> None:
    from lrcourse.widgets import lead_into

    assert lead_into("<b>A.</b> ", "<p>text</p>\n") == "<p><b>A.</b> text</p>"
    assert (
        lead_into("<b>A.</b> ", "<pre><code>x</code></pre>")
        == "<b>A.</b> <pre><code>x</code></pre>"
    )
