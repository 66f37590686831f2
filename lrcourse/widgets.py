"""The quiz widget: question cards in practice mode and test mode, built on ipywidgets.

Each question is a card: the prompt, then one row per choice with the choice's Markdown and
code rendered once (code in monospace blocks inside the choice). A row is a real checkbox whose
label is the choice as plain text, visually hidden but read by screen readers; the whole row is
clickable and the keyboard reaches every row (Tab, then Space) with a visible focus ring.

Practice mode: picking an answer of a single-answer question grades it at once (the row turns
green or red and the feedback written for that choice appears); select-all-that-apply questions
are graded with **Check**. **Hint** and **Show solution** (the worked steps) are always there.

A numeric question (``kind = "numeric"`` in the bank) shows a text box instead of choices: type
a number and press Enter (or **Check**); it is right within the question's tolerance.

Test mode ("test this pattern"): a seeded draw of questions mixed across easy/medium/hard,
answered without feedback. **Finish test** asks first when questions are unanswered; blanks
are never recorded as attempts. The review shows, per question, the text of the chosen and the
correct choice, the feedback written for the chosen one and the worked steps. **New test**
draws a new seed. A demo quiz (``demo=True``) records nothing, so it never moves mastery.

All checking goes through ``lrcourse.answer_check``; this module only wires buttons to it. Every
interactive element carries a stable ``lrc-*`` CSS class so browser tests can find it.
"""

from __future__ import annotations

import html
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

import ipywidgets as w
import mistune

from lrcourse.answer_check import (
    Answer,
    Score,
    check_answer,
    draw_test,
    score_test,
    solution_markdown,
)
from lrcourse.bank import Choice, Question, load_bank
from lrcourse.display_fallback import LIVE_CLASS, display_with_note
from lrcourse.feedback import Feedback
from lrcourse.progress import Attempt, ProgressStore, record_attempt

Mode = Literal["practice", "test"]
Redraw = Callable[[int], Sequence[Question]]
_W = TypeVar("_W")
_markdown = mistune.create_markdown(escape=False)

# ipywidgets gives every HTML widget a one-control-high line height (28 px), which double-spaces
# paragraphs; the rules below restore normal text. Colours come from JupyterLab's theme
# variables, or are fixed pairs with enough contrast on both the light and the dark theme.
STYLE = """<style>
.lrc-quiz .widget-html-content, .lrc-quiz .widget-html { line-height: 1.45; height: auto; }
.lrc-quiz .widget-html-content p { margin: 0.35em 0; }
.lrc-quiz pre { white-space: pre-wrap; margin: 0.3em 0; padding: 4px 8px;
  background: var(--jp-cell-editor-background, rgba(127,127,127,0.12));
  border-radius: 3px; font-family: var(--jp-code-font-family, monospace);
  font-size: var(--jp-code-font-size, 13px); line-height: 1.4; }
.lrc-quiz code { font-family: var(--jp-code-font-family, monospace); }
.lrc-choices { gap: 6px; }
.lrc-choice { position: relative; align-items: flex-start; padding: 6px 10px;
  border: 1px solid var(--jp-border-color1, #bbb); border-radius: 6px; }
.lrc-choice:hover { background: rgba(127,127,127,0.08); }
.lrc-choice:focus-within { outline: 3px solid #1a73e8; outline-offset: 2px; }
.lrc-choice .widget-checkbox { width: auto; flex: 0 0 auto; margin: 2px 6px 0 0; }
.lrc-choice .widget-checkbox input { width: 16px; height: 16px; margin: 0; cursor: pointer; }
.lrc-choice .widget-checkbox, .lrc-choice label.widget-label-basic { position: static;
  overflow: visible; }
.lrc-choice label.widget-label-basic::after { content: ""; position: absolute; inset: 0;
  z-index: 1; cursor: pointer; }
.lrc-choice label.widget-label-basic span { position: absolute; width: 1px; height: 1px;
  overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.lrc-choice .lrc-choice-text { flex: 1 1 auto; min-width: 0; margin: 0; }
.lrc-choice.lrc-right { border: 2px solid #2e7d32; background: rgba(46,125,50,0.14); }
.lrc-choice.lrc-wrong { border: 2px solid #c62828; background: rgba(198,40,40,0.14); }
.lrc-numeric.lrc-right input { border: 2px solid #2e7d32; background: rgba(46,125,50,0.14); }
.lrc-numeric.lrc-wrong input { border: 2px solid #c62828; background: rgba(198,40,40,0.14); }
.lrc-quiz .lrc-primary { background: #1559b7; color: #fff; }
.lrc-quiz .lrc-secondary { background: transparent; color: var(--jp-ui-font-color1, #222);
  border: 1px solid var(--jp-border-color1, #888); }
.lrc-quiz button:focus-visible { outline: 3px solid #1a73e8; outline-offset: 2px; }
.lrc-quiz .lrc-confirm { border-left: 4px solid #b26a00; padding: 4px 10px; }
.lrc-review-item { margin-bottom: 0.9em; }
.lrc-review-item .lrc-review-choice { border-left: 3px solid #888; padding-left: 8px;
  margin: 4px 0; }
.lrc-review-item .lrc-review-choice.right { border-color: #2e7d32; }
.lrc-review-item .lrc-review-choice.wrong { border-color: #c62828; }
</style>"""


def markdown_html(text: str) -> str:
    """Render the bank's Markdown (prompts, choices, steps) to HTML for an HTML widget."""
    return str(_markdown(text))


def plain_label(text: str) -> str:
    """A choice as one line of plain text: what a screen reader reads for it."""
    text = re.sub(r"```[a-z]*\n?", "", text)
    return " ".join(text.replace("`", "").split())


def lead_into(lead: str, body: str) -> str:
    """Put ``lead`` (e.g. "<b>A.</b> ") inside the first paragraph of rendered Markdown, so it
    stays on the text's first line; before a code block it stays on a line of its own."""
    body = body.strip()
    return f"<p>{lead}{body[3:]}" if body.startswith("<p>") else lead + body


def _classed(widget: _W, *classes: str) -> _W:
    """Add CSS classes to a widget and return it with its own type."""
    for css in classes:
        widget.add_class(css)  # type: ignore[attr-defined]  # _W is always an ipywidget
    return widget


def _is_numeric(q: Question) -> bool:
    return q.kind == "numeric"


def _answer_text(answer: Answer) -> str:
    if answer is None:
        return ""
    if isinstance(answer, str):
        return answer
    if isinstance(answer, int | float):
        return f"{answer:g}"
    return "+".join(answer)


def _is_blank(answer: Answer) -> bool:
    if answer is None:
        return True
    if isinstance(answer, str):
        return not answer.strip()
    if isinstance(answer, int | float):
        return False
    return not list(answer)


def _mark(widget: w.DOMWidget, verdict: str | None) -> None:
    for css in ("lrc-right", "lrc-wrong"):
        if css in widget._dom_classes:
            widget.remove_class(css)
    if verdict:
        widget.add_class(f"lrc-{verdict}")


class ChoiceRow(w.HBox):  # type: ignore[misc]  # ipywidgets has no type hints
    """One choice of a card: a checkbox labelled in plain text, and the formatted choice."""

    def __init__(self, choice: Choice) -> None:
        self.choice_id = choice.id
        self.box = _classed(
            w.Checkbox(
                value=False,
                description=f"{choice.letter}. {plain_label(choice.text)}",
                indent=False,
            ),
            "lrc-choice-input",
        )
        body = lead_into(f"<b>{choice.letter}.</b> ", markdown_html(choice.text))
        self.text = _classed(
            w.HTML(f"<div aria-hidden='true'>{body}</div>"),
            "lrc-choice-text",
        )
        super().__init__([self.box, self.text])
        _classed(self, "lrc-choice", f"lrc-choice-{choice.id}")
        self.layout.width = "100%"

    @property
    def value(self) -> bool:
        return bool(self.box.value)

    @value.setter
    def value(self, checked: bool) -> None:
        self.box.value = checked

    def mark(self, verdict: str | None) -> None:
        """Colour the row: "right", "wrong" or None (neutral)."""
        _mark(self, verdict)


class QuizWidget(w.VBox):  # type: ignore[misc]  # ipywidgets has no type hints
    """A quiz over a list of questions; see the module docstring for the two modes."""

    def __init__(
        self,
        questions: Sequence[Question],
        *,
        mode: Mode = "practice",
        title: str = "",
        description: str = "",
        seed: int | None = None,
        store: ProgressStore | None = None,
        demo: bool = False,
        redraw: Redraw | None = None,
    ) -> None:
        if mode not in ("practice", "test"):
            raise ValueError(f"mode must be 'practice' or 'test', got {mode!r}")
        if not questions:
            raise ValueError("a quiz needs at least one question")
        self.questions = list(questions)
        self.mode: Mode = mode
        self.seed = seed
        self.store = store
        self.demo = demo
        self.title = title
        self.description = description
        self._redraw = redraw
        self.index = 0
        self.answers: dict[str, Answer] = {}
        self.last_feedback: Feedback | None = None
        self.score: Score | None = None
        self._syncing = False

        self.header_html = _classed(w.HTML(), "lrc-header")
        self.progress_label = _classed(w.HTML(), "lrc-progress")
        self.prompt_html = _classed(w.HTML(), "lrc-prompt")
        self.choices = _classed(w.VBox(), "lrc-choices")
        self.rows: list[ChoiceRow] = []
        self.number_input: w.Text | None = None
        self.feedback_html = _classed(w.HTML(), "lrc-feedback")
        self.hint_html = _classed(w.HTML(), "lrc-hint-text")
        self.solution_html = _classed(w.HTML(), "lrc-solution-text")
        self.confirm_html = _classed(w.HTML(), "lrc-confirm-text")
        self.score_html = _classed(w.HTML(), "lrc-score")
        self.review_html = _classed(w.HTML(), "lrc-review")

        def button(text: str, css: str, look: str = "") -> w.Button:
            b = _classed(w.Button(description=text, tooltip=text), css)
            if look:
                b.add_class(look)
            b.layout.width = "auto"
            return b

        self.check_button = button("Check", "lrc-check", "lrc-primary")
        self.hint_button = button("Hint", "lrc-hint", "lrc-secondary")
        self.solution_button = button("Show solution", "lrc-solution", "lrc-secondary")
        self.prev_button = button("Previous", "lrc-prev")
        self.next_button = button("Next", "lrc-next")
        self.finish_button = button("Finish test", "lrc-finish", "lrc-primary")
        self.confirm_button = button("Score it anyway", "lrc-confirm-finish", "lrc-primary")
        self.cancel_button = button("Keep answering", "lrc-confirm-cancel", "lrc-secondary")
        self.new_test_button = button("New test", "lrc-new-test", "lrc-primary")
        self.check_button.on_click(lambda _: self.check())
        self.hint_button.on_click(lambda _: self.show_hint())
        self.solution_button.on_click(lambda _: self.show_solution())
        self.prev_button.on_click(lambda _: self.go(self.index - 1))
        self.next_button.on_click(lambda _: self.go(self.index + 1))
        self.finish_button.on_click(lambda _: self.finish())
        self.confirm_button.on_click(lambda _: self.finish(confirm=True))
        self.cancel_button.on_click(lambda _: self._hide_confirm())
        self.new_test_button.on_click(lambda _: self.new_test())

        self.confirm_box = _classed(
            w.VBox([self.confirm_html, w.HBox([self.confirm_button, self.cancel_button])]),
            "lrc-confirm",
        )
        if mode == "practice":
            buttons = [self.check_button, self.hint_button, self.solution_button,
                       self.prev_button, self.next_button]  # fmt: skip
        else:
            buttons = [self.prev_button, self.next_button, self.finish_button,
                       self.new_test_button]  # fmt: skip
        children = [self.header_html, self.progress_label, self.prompt_html, self.choices,
                    _classed(w.HBox(buttons), "lrc-buttons"), self.feedback_html,
                    self.hint_html, self.solution_html]  # fmt: skip
        if mode == "test":
            children += [self.confirm_box, self.score_html, self.review_html]
        super().__init__(children=children)
        _classed(self, "lrc-quiz", f"lrc-quiz-{mode}", LIVE_CLASS)
        self._start()

    # ---- display -------------------------------------------------------------------------
    @property
    def what(self) -> str:
        """One line saying what this widget is (used for the saved-notebook note)."""
        kind = "Quiz test" if self.mode == "test" else "Practice quiz"
        what = self.title or kind
        return f"Demo · {what}" if self.demo else what

    def _ipython_display_(self, **kwargs: Any) -> None:
        display_with_note(self.what, self._repr_mimebundle_())

    # ---- state ------------------------------------------------------------------------------
    @property
    def question(self) -> Question:
        return self.questions[self.index]

    @property
    def selected(self) -> Answer:
        """The answer currently selected (None when nothing is chosen)."""
        if self.number_input is not None:
            typed = str(self.number_input.value).strip()
            return typed or None
        chosen = [row.choice_id for row in self.rows if row.value]
        if not chosen:
            return None
        return chosen if self.question.multiple else chosen[0]

    def select(self, answer: Answer) -> None:
        """Select choice id(s) programmatically (what a click does)."""
        self._set_rows(answer)
        self._after_selection()

    def _set_rows(self, answer: Answer) -> None:
        if self.number_input is not None:
            self._syncing = True
            try:
                self.number_input.value = "" if answer is None else _answer_text(answer)
            finally:
                self._syncing = False
            return
        if isinstance(answer, str):
            wanted = {answer}
        elif answer is None or isinstance(answer, int | float):
            wanted = set()
        else:
            wanted = set(answer)
        if not self.question.multiple and len(wanted) > 1:
            wanted = {sorted(wanted)[0]}
        self._syncing = True
        try:
            for row in self.rows:
                row.value = row.choice_id in wanted
        finally:
            self._syncing = False

    @property
    def unanswered(self) -> list[int]:
        """1-based numbers of the questions with no answer yet (test mode)."""
        self._remember()
        return [i for i, q in enumerate(self.questions, 1) if _is_blank(self.answers.get(q.id))]

    # ---- actions ----------------------------------------------------------------------------
    def go(self, index: int) -> None:
        """Move to question ``index`` (clamped), keeping the current selection."""
        self._remember()
        self.index = max(0, min(index, len(self.questions) - 1))
        self._show()

    def check(self) -> Feedback:
        """Practice mode: grade the selection, colour it, show and record the feedback."""
        q = self.question
        answer = self.selected
        fb = check_answer(q, answer)
        self.last_feedback = fb
        # the Hint button shows the hint; keep it out of the feedback so it is not shown twice
        self.feedback_html.value = replace(fb, hint=None).to_html()
        keyed = set(q.correct_ids)
        for row in self.rows:
            row.mark(("right" if row.choice_id in keyed else "wrong") if row.value else None)
        if self.number_input is not None:
            _mark(self.number_input, {"correct": "right", "incorrect": "wrong"}.get(fb.status))
        if fb.status in ("correct", "incorrect"):
            self._record(q, answer, fb.passed)
        return fb

    def show_hint(self) -> str:
        q = self.question
        self.hint_html.value = f"<div><b>Hint:</b> {markdown_html(q.hint)}</div>"
        return q.hint

    def show_solution(self) -> str:
        text = solution_markdown(self.question)
        self.solution_html.value = markdown_html(text)
        return text

    def finish(self, *, confirm: bool = False) -> Score | None:
        """Test mode: score the test, show the score and the review, record the answers.

        With questions unanswered and ``confirm`` False, nothing is scored: a prompt asks
        whether to score anyway (returns None). Unanswered questions count as wrong in the
        score but are not recorded as attempts.
        """
        if self.score is not None:
            return self.score
        if self.unanswered and not confirm:
            self._update_confirm()
            return None
        self._hide_confirm()
        self.score = score_test(self.questions, self.answers)
        parts = ", ".join(f"{d} {r}/{n}" for d, (r, n) in self.score.by_difficulty().items())
        note = " This was a demo: nothing was recorded." if self.demo else ""
        self.score_html.value = f"<h3>{self.score}</h3><p>By difficulty: {parts}.{note}</p>"
        rows = []
        for i, (q, fb) in enumerate(zip(self.score.questions, self.score.feedback, strict=True), 1):
            given = self.answers.get(q.id)
            rows.append(review_item(i, q, given, fb.passed))
            if not _is_blank(given):
                self._record(q, given, fb.passed)
        self.review_html.value = (
            "<h4>Review</h4><ol class='lrc-review-list'>" + "".join(rows) + "</ol>"
        )
        self.finish_button.disabled = True
        self.new_test_button.layout.display = None if self._redraw else "none"
        self._set_choices_disabled(True)
        return self.score

    def new_test(self, seed: int | None = None) -> None:
        """Test mode: draw a fresh test (a new seed unless one is given) and start over."""
        if self._redraw is None:
            raise RuntimeError("this quiz was not built with a way to draw a new test")
        if seed is None:
            seed = random.randrange(10_000)
            while seed == self.seed:
                seed = random.randrange(10_000)
        self.seed = seed
        self.questions = list(self._redraw(seed))
        self._start()

    # ---- rendering --------------------------------------------------------------------------
    def _start(self) -> None:
        self.index = 0
        self.answers = {}
        self.score = None
        self.last_feedback = None
        self.header_html.value = self._header()
        self.score_html.value = ""
        self.review_html.value = ""
        self.finish_button.disabled = False
        self.new_test_button.layout.display = "none"
        self._hide_confirm()
        self._show()

    def _header(self) -> str:
        header = STYLE + (f"<h3>{html.escape(self.title)}</h3>" if self.title else "")
        if self.description:
            header += markdown_html(self.description)
        if self.mode == "test":
            header += (
                f"<p><i>Test mode: {len(self.questions)} questions, no feedback until you "
                f"finish. Seed {self.seed}.</i></p>"
            )
        if self.demo:
            header += "<p><i>Demo: your answers here are not recorded in your progress.</i></p>"
        return header

    def _update_confirm(self) -> None:
        blanks = self.unanswered
        if not blanks:
            self._hide_confirm()
            return
        numbers = ", ".join(str(i) for i in blanks)
        self.confirm_html.value = (
            f"<b>{len(blanks)} of {len(self.questions)} questions have no answer</b> "
            f"(question {numbers}). Score the test now, counting them as wrong? "
            "Unanswered questions are not recorded in your progress."
        )
        self.confirm_box.layout.display = None

    def _hide_confirm(self) -> None:
        self.confirm_html.value = ""
        self.confirm_box.layout.display = "none"

    def _remember(self) -> None:
        if self.score is None and (self.rows or self.number_input is not None):
            self.answers[self.question.id] = self.selected

    def _on_toggle(self, row: ChoiceRow, change: dict[str, Any]) -> None:
        if self._syncing:
            return
        if change["new"] and not self.question.multiple:
            self._syncing = True
            try:
                for other in self.rows:
                    if other is not row:
                        other.value = False
            finally:
                self._syncing = False
        self._after_selection()

    def _after_selection(self) -> None:
        if self.score is not None:
            return
        if self.mode == "test":
            self._remember()
            if self.confirm_box.layout.display != "none":
                self._update_confirm()
            return
        for row in self.rows:
            row.mark(None)
        if self.number_input is not None:
            _mark(self.number_input, None)
        self.feedback_html.value = ""
        if not self.question.multiple and self.selected is not None:
            self.check()

    def _show(self) -> None:
        q = self.question
        n = len(self.questions)
        self.progress_label.value = (
            f"<b>Question {self.index + 1} of {n}</b> · {q.difficulty} · {html.escape(q.topic)}"
        )
        numeric = _is_numeric(q)
        how = (
            "Type a number, then press Enter."
            if numeric
            else ("Select all that apply." if q.multiple else "Choose one answer.")
        )
        self.prompt_html.value = markdown_html(q.prompt) + f"<p><i>{how}</i></p>"
        self.rows = [ChoiceRow(c) for c in q.choices]
        for row in self.rows:
            row.box.observe(lambda change, row=row: self._on_toggle(row, change), names="value")
        self.number_input = None
        if numeric:
            self.number_input = _classed(
                w.Text(
                    value="",
                    placeholder="a number, e.g. 0.05 or 5e-2",
                    description="Your answer",
                    continuous_update=False,
                    style={"description_width": "initial"},
                ),
                "lrc-numeric",
            )
            self.number_input.observe(self._on_number, names="value")
            self.choices.children = [self.number_input]
        else:
            self.choices.children = self.rows
        previous = self.answers.get(q.id)
        self.feedback_html.value = ""
        self.hint_html.value = ""
        self.solution_html.value = ""
        if not _is_blank(previous):
            self._set_rows(previous)
        # single-answer practice questions are graded on selection, so Check is not needed
        self.check_button.layout.display = None if q.multiple or numeric else "none"
        self.prev_button.disabled = self.index == 0
        self.next_button.disabled = self.index == n - 1
        self._set_choices_disabled(self.score is not None)

    def _on_number(self, change: dict[str, Any]) -> None:
        if not self._syncing:
            self._after_selection()

    def _set_choices_disabled(self, disabled: bool) -> None:
        for row in self.rows:
            row.box.disabled = disabled
        if self.number_input is not None:
            self.number_input.disabled = disabled

    def _record(self, q: Question, answer: Answer, correct: bool) -> None:
        if self.demo:
            return
        record_attempt(
            Attempt(subject=q.id, kind="question", topic=q.topic, difficulty=q.difficulty,
                    mode=self.mode, answer=_answer_text(answer), correct=correct,
                    at=datetime.now(UTC)),
            self.store,
        )  # fmt: skip


def _choice_block(q: Question, choice_id: str, css: str, lead: str) -> str:
    c = q.choice(choice_id)
    body = lead_into(f"<b>{lead} {c.letter}.</b> ", markdown_html(c.text))
    return f"<div class='lrc-review-choice {css}'>{body}</div>"


def review_item(number: int, q: Question, given: Answer, passed: bool) -> str:
    """One question of the test review, as HTML.

    It shows the prompt, the text of the chosen choice(s) with the feedback written for each,
    the text of the correct choice(s) when the answer was wrong or blank, and the worked steps.
    """
    mark, state = (
        ("✅", "right") if passed else (("⭕", "blank") if _is_blank(given) else ("❌", "wrong"))
    )
    parts = [
        f"<li class='lrc-review-item lrc-review-{state}'>{mark} <b>Question {number}</b> "
        f"({q.difficulty}, {html.escape(q.topic)})",
        f"<div class='lrc-review-prompt'>{markdown_html(q.prompt)}</div>",
    ]
    if _is_blank(given):
        parts.append("<div class='lrc-review-choice blank'><b>You left this blank.</b></div>")
    if _is_numeric(q):
        if not _is_blank(given):
            parts.append(
                f"<div class='lrc-review-choice {'right' if passed else 'wrong'}'><b>Your "
                f"answer:</b> {html.escape(_answer_text(given))}</div>"
            )
        if not passed:
            parts.append(
                f"<div class='lrc-review-choice right'><b>Correct answer:</b> {q.value:g} "
                f"(accepted within ± {q.tolerance:g})</div>"
            )
        chosen: list[str] = []
    elif isinstance(given, str):
        chosen = [given]
    elif isinstance(given, int | float) or given is None:
        chosen = []
    else:
        chosen = list(given)
    known = {c.id for c in q.choices}
    keyed = set(q.correct_ids)
    for cid in chosen:
        if cid not in known:
            continue
        ok = cid in keyed
        parts.append(_choice_block(q, cid, "right" if ok else "wrong", "Your answer:"))
        parts.append(
            f"<div class='lrc-review-feedback'>{markdown_html(q.choice(cid).feedback)}</div>"
        )
    if not passed:
        for cid in q.correct_ids:
            parts.append(_choice_block(q, cid, "right", "Correct answer:"))
    steps = "".join(f"<li>{markdown_html(s)}</li>" for s in q.steps)
    opened = "" if passed else " open"
    parts.append(
        f"<details class='lrc-review-steps'{opened}><summary>Worked solution</summary>"
        f"<ol>{steps}</ol><div><b>Answer:</b> {markdown_html(q.answer)}</div></details></li>"
    )
    return "".join(parts)


def quiz(
    topic: str | None = None,
    *,
    mode: Mode = "practice",
    n: int = 10,
    seed: int | None = None,
    store: ProgressStore | None = None,
    demo: bool = False,
) -> QuizWidget:
    """A quiz widget for one topic (or the whole bank when ``topic`` is None).

    ``mode="practice"`` walks through every question of the topic with feedback, hints and
    solutions. ``mode="test"`` draws ``n`` questions mixed across difficulties with ``seed``
    (a random seed is chosen and shown when None), scores them at the end and shows a review;
    its **New test** button draws again with a new seed. ``demo=True`` records nothing.
    """
    bank = load_bank()
    if topic is not None and topic not in bank.topics:
        raise KeyError(f"no quiz for topic {topic!r}; topics: {', '.join(bank.topics)}")
    if mode == "test":
        seed = random.randrange(10_000) if seed is None else seed

        def redraw(new_seed: int) -> list[Question]:
            return draw_test(bank, topic=topic, n=n, seed=new_seed)

        title = (
            f"Test yourself: {bank.quiz(topic).title}"
            if topic
            else "Test yourself: the whole course"
        )
        return QuizWidget(redraw(seed), mode="test", title=title, seed=seed, store=store,
                          demo=demo, redraw=redraw)  # fmt: skip
    if topic is None:
        return QuizWidget(bank.questions, mode="practice", title="Practice: every topic",
                          store=store, demo=demo)  # fmt: skip
    q = bank.quiz(topic)
    return QuizWidget(q.questions, mode="practice", title=f"Practice: {q.title}",
                      description=q.description, store=store, demo=demo)  # fmt: skip
