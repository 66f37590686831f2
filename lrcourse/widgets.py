"""The quiz widget: practice mode and test mode, built on ipywidgets.

Practice mode: choose an answer, **Check** it (per-choice feedback), ask for a **Hint**, or
**Show solution** (the worked steps). Test mode ("test this pattern"): a seeded draw of questions
mixed across easy/medium/hard, answered without feedback, scored at **Finish test**, then
reviewed question by question.

All grading goes through ``lrcourse.grading``; this module only wires buttons to it. Every
interactive element carries a stable ``lrc-*`` CSS class so browser tests can find it.
"""

from __future__ import annotations

import html
import random
import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Literal

import ipywidgets as w
import mistune

from lrcourse.bank import Question, load_bank
from lrcourse.feedback import Feedback
from lrcourse.answer_check import Answer, Score, draw_test, score_test, solution_markdown
from lrcourse.answer_check import check_answer as grade
from lrcourse.progress import Attempt, ProgressStore, record_attempt

Mode = Literal["practice", "test"]
_markdown = mistune.create_markdown(escape=False)
# ipywidgets writes each radio label as "text, then a floated <input>", one line high: a long
# choice (a line of code) pushes its button onto the next line. A reversed flex row puts the
# button first and lets the text wrap beside it.
_STYLE = """<style>
.lrc-choices .widget-radio-box label {
  display: flex; flex-direction: row-reverse; justify-content: flex-end;
  align-items: flex-start; height: auto; line-height: 1.4; white-space: normal;
  margin-bottom: 6px;
}
.lrc-choices .widget-radio-box input { float: none; flex: 0 0 auto; margin-top: 2px; }
.lrc-choice label { height: auto; white-space: normal; line-height: 1.4; }
.lrc-quiz pre { white-space: pre-wrap; }
</style>"""


def markdown_html(text: str) -> str:
    """Render the bank's Markdown (prompts, steps) to HTML for an HTML widget."""
    return str(_markdown(text))


def _label(text: str) -> str:
    """A one-line plain-text label for a choice (radio labels cannot hold Markdown)."""
    text = re.sub(r"```[a-z]*\n?", "", text)
    return " ".join(text.replace("`", "").split())


def _classed(widget: w.DOMWidget, *classes: str) -> w.DOMWidget:
    for css in classes:
        widget.add_class(css)
    return widget


class QuizWidget(w.VBox):
    """A quiz over a fixed list of questions; see the module docstring for the two modes."""

    def __init__(self, questions: Sequence[Question], *, mode: Mode = "practice",
                 title: str = "", description: str = "", seed: int | None = None,
                 store: ProgressStore | None = None) -> None:
        if mode not in ("practice", "test"):
            raise ValueError(f"mode must be 'practice' or 'test', got {mode!r}")
        if not questions:
            raise ValueError("a quiz needs at least one question")
        self.questions = list(questions)
        self.mode: Mode = mode
        self.seed = seed
        self.store = store
        self.index = 0
        self.answers: dict[str, Answer] = {}
        self.last_feedback: Feedback | None = None
        self.score: Score | None = None
        self._hints_shown: set[str] = set()

        header = _STYLE + (f"<h3>{html.escape(title)}</h3>" if title else "")
        if description:
            header += markdown_html(description)
        if mode == "test":
            header += (f"<p><i>Test mode: {len(self.questions)} questions, no feedback until you "
                       f"finish. Seed {seed}.</i></p>")
        self.header_html = _classed(w.HTML(header), "lrc-header")
        self.progress_label = _classed(w.HTML(), "lrc-progress")
        self.prompt_html = _classed(w.HTML(), "lrc-prompt")
        self.choices_box = _classed(w.VBox(), "lrc-choices-box")
        self.choices: w.RadioButtons | w.VBox = w.RadioButtons()
        self.feedback_html = _classed(w.HTML(), "lrc-feedback")
        self.hint_html = _classed(w.HTML(), "lrc-hint-text")
        self.solution_html = _classed(w.HTML(), "lrc-solution-text")
        self.score_html = _classed(w.HTML(), "lrc-score")
        self.review_html = _classed(w.HTML(), "lrc-review")

        def button(text: str, css: str, style: str = "") -> w.Button:
            b = _classed(w.Button(description=text, button_style=style), css)
            b.layout.width = "auto"
            return b

        self.check_button = button("Check", "lrc-check", "primary")
        self.hint_button = button("Hint", "lrc-hint", "info")
        self.solution_button = button("Show solution", "lrc-solution", "warning")
        self.prev_button = button("Previous", "lrc-prev")
        self.next_button = button("Next", "lrc-next")
        self.finish_button = button("Finish test", "lrc-finish", "success")
        self.check_button.on_click(lambda _: self.check())
        self.hint_button.on_click(lambda _: self.show_hint())
        self.solution_button.on_click(lambda _: self.show_solution())
        self.prev_button.on_click(lambda _: self.go(self.index - 1))
        self.next_button.on_click(lambda _: self.go(self.index + 1))
        self.finish_button.on_click(lambda _: self.finish())

        if mode == "practice":
            buttons = [self.check_button, self.hint_button, self.solution_button,
                       self.prev_button, self.next_button]
        else:
            buttons = [self.prev_button, self.next_button, self.finish_button]
        children = [self.header_html, self.progress_label, self.prompt_html, self.choices_box,
                    w.HBox(buttons), self.feedback_html, self.hint_html, self.solution_html]
        if mode == "test":
            children += [self.score_html, self.review_html]
        super().__init__(children=children)
        _classed(self, "lrc-quiz", f"lrc-quiz-{mode}")
        self._show()

    # ---- state ------------------------------------------------------------------------------
    @property
    def question(self) -> Question:
        return self.questions[self.index]

    @property
    def selected(self) -> Answer:
        """The answer currently selected in the widget (None when nothing is chosen)."""
        if isinstance(self.choices, w.RadioButtons):
            return self.choices.value
        chosen = [box.choice_id for box in self.choices.children if box.value]
        return chosen or None

    def select(self, answer: Answer) -> None:
        """Select choice id(s) programmatically (what a click does)."""
        if isinstance(self.choices, w.RadioButtons):
            self.choices.value = answer if isinstance(answer, str) or answer is None else answer[0]
            return
        wanted = {answer} if isinstance(answer, str) else set(answer or ())
        for box in self.choices.children:
            box.value = box.choice_id in wanted

    # ---- actions ----------------------------------------------------------------------------
    def go(self, index: int) -> None:
        """Move to question ``index`` (clamped), keeping the current selection."""
        self._remember()
        self.index = max(0, min(index, len(self.questions) - 1))
        self._show()

    def check(self) -> Feedback:
        """Practice mode: grade the selection, show and record the feedback."""
        q = self.question
        fb = grade(q, self.selected)
        self.last_feedback = fb
        # the Hint button shows the hint; keep it out of the feedback so it is not shown twice
        self.feedback_html.value = replace(fb, hint=None).to_html()
        if fb.status in ("correct", "incorrect"):
            self._record(q, self.selected, fb.passed)
        return fb

    def show_hint(self) -> str:
        q = self.question
        self._hints_shown.add(q.id)
        self.hint_html.value = f"<div><b>Hint:</b> {markdown_html(q.hint)}</div>"
        return q.hint

    def show_solution(self) -> str:
        text = solution_markdown(self.question)
        self.solution_html.value = markdown_html(text)
        return text

    def finish(self) -> Score:
        """Test mode: score every question, show the score and the review, record attempts."""
        self._remember()
        self.score = score_test(self.questions, self.answers)
        parts = ", ".join(f"{d} {r}/{n}" for d, (r, n) in self.score.by_difficulty().items())
        self.score_html.value = f"<h3>{self.score}</h3><p>By difficulty: {parts}.</p>"
        rows = []
        for i, (q, fb) in enumerate(zip(self.score.questions, self.score.feedback, strict=True), 1):
            given = self.answers.get(q.id)
            given_txt = ("+".join(a.upper() for a in given) if isinstance(given, list | tuple)
                         else (given or "—").upper())
            right = "+".join(c.letter for c in q.choices if c.correct)
            mark = "✅" if fb.passed else "❌"
            rows.append(
                f"<li class='lrc-review-item'>{mark} <b>Question {i}</b> ({q.difficulty}, "
                f"{html.escape(q.topic)}): your answer {html.escape(given_txt)}, correct answer "
                f"{right}.<div>{markdown_html(q.prompt)}</div>"
                f"<div><b>Why:</b> {markdown_html(q.answer)}</div></li>")
            self._record(q, given, fb.passed)
        self.review_html.value = "<h4>Review</h4><ol>" + "".join(rows) + "</ol>"
        self.finish_button.disabled = True
        self._set_choices_disabled(True)
        return self.score

    # ---- rendering --------------------------------------------------------------------------
    def _remember(self) -> None:
        if self.score is None:
            self.answers[self.question.id] = self.selected

    def _show(self) -> None:
        q = self.question
        n = len(self.questions)
        self.progress_label.value = (f"<b>Question {self.index + 1} of {n}</b> · {q.difficulty}"
                                     f" · {html.escape(q.topic)}")
        lead = "<p><i>Select all that apply.</i></p>" if q.multiple else ""
        full = ""
        if any("\n" in c.text.strip() for c in q.choices):
            # multi-line code loses its layout in a radio label: show it formatted as well
            items = "".join(f"<li><b>{c.letter}.</b> {markdown_html(c.text)}</li>"
                            for c in q.choices)
            full = f"<ul class='lrc-choices-full' style='list-style: none'>{items}</ul>"
        self.prompt_html.value = markdown_html(q.prompt) + full + lead
        options = [(f"{c.letter}. {_label(c.text)}", c.id) for c in q.choices]
        previous = self.answers.get(q.id)
        if q.multiple:
            boxes = []
            for label, cid in options:
                box = _classed(w.Checkbox(description=label, indent=False), "lrc-choice")
                box.choice_id = cid
                box.layout.width = "auto"
                boxes.append(box)
            self.choices = _classed(w.VBox(boxes), "lrc-choices")
        else:
            self.choices = _classed(w.RadioButtons(options=options, value=None), "lrc-choices")
            self.choices.layout.width = "auto"
        self.choices_box.children = [self.choices]
        if previous is not None:
            self.select(previous)
        self.feedback_html.value = ""
        self.hint_html.value = ""
        self.solution_html.value = ""
        self.prev_button.disabled = self.index == 0
        self.next_button.disabled = self.index == n - 1
        self._set_choices_disabled(self.score is not None)

    def _set_choices_disabled(self, disabled: bool) -> None:
        if isinstance(self.choices, w.RadioButtons):
            self.choices.disabled = disabled
        else:
            for box in self.choices.children:
                box.disabled = disabled

    def _record(self, q: Question, answer: Answer, correct: bool) -> None:
        text = answer if isinstance(answer, str) else "+".join(answer or ())
        record_attempt(Attempt(subject=q.id, kind="question", topic=q.topic,
                               difficulty=q.difficulty, mode=self.mode, answer=text,
                               correct=correct, at=datetime.now(UTC)), self.store)


def quiz(topic: str | None = None, *, mode: Mode = "practice", n: int = 10,
         seed: int | None = None, store: ProgressStore | None = None) -> QuizWidget:
    """A quiz widget for one topic (or the whole bank when ``topic`` is None).

    ``mode="practice"`` walks through every question of the topic with feedback, hints and
    solutions. ``mode="test"`` draws ``n`` questions mixed across difficulties with ``seed``
    (a random seed is chosen and shown when None), scores them at the end and shows a review.
    """
    bank = load_bank()
    if topic is not None and topic not in bank.topics:
        raise KeyError(f"no quiz for topic {topic!r}; topics: {', '.join(bank.topics)}")
    if mode == "test":
        seed = random.randrange(10_000) if seed is None else seed
        questions = draw_test(bank, topic=topic, n=n, seed=seed)
        title = (f"Test yourself: {bank.quiz(topic).title}" if topic
                 else "Test yourself: the whole course")
        return QuizWidget(questions, mode="test", title=title, seed=seed, store=store)
    if topic is None:
        return QuizWidget(bank.questions, mode="practice", title="Practice: every topic",
                          store=store)
    q = bank.quiz(topic)
    return QuizWidget(q.questions, mode="practice", title=f"Practice: {q.title}",
                      description=q.description, store=store)
