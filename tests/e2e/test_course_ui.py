"""The course's widgets, driven through a real JupyterLab in headless Chromium.

A fixture notebook written by the test (so the checks do not depend on lesson length) holds a
practice quiz, a seeded test-mode quiz and the schedule explorer. It is opened once and its
cells run from the Run menu; the tests below then click through it in order. Which answer is
right is read from the question bank (``quizzes/<topic>.toml``) with tomllib, matching the
question by the choice labels the widget shows.

Every step saves a screenshot under ``artifacts/e2e/`` (see conftest.py).
"""

from __future__ import annotations

import re
import time
import tomllib
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]
QUIZZES = REPO / "quizzes"
FIXTURE = "e2e_fixture.ipynb"
TEST_SEED = 7
TEST_N = 4


# ---- the question bank, read independently of lrcourse ----------------------------------------
def _topic() -> str | None:
    files = sorted(QUIZZES.glob("*.toml"))
    names = [f.stem for f in files]
    return "schedulers" if "schedulers" in names else (names[0] if names else None)


def _numeric_topic() -> str | None:
    """A topic whose bank file has a numeric question (kind = "numeric"), if any."""
    for f in sorted(QUIZZES.glob("*.toml")):
        data = tomllib.loads(f.read_text(encoding="utf-8"))
        if any(q.get("kind") == "numeric" for q in data.get("questions", [])):
            return f.stem
    return None


def _norm(text: str) -> str:
    """Choice text as a one-line label: no code fences or backticks, single spaces."""
    text = re.sub(r"```[a-z]*\n?", "", text)
    return " ".join(text.replace("`", "").split()).lower()


def _bank_questions() -> list[dict]:
    out = []
    for f in sorted(QUIZZES.glob("*.toml")):
        data = tomllib.loads(f.read_text(encoding="utf-8"))
        out += data.get("questions", [])
    return out


def _match_question(labels: list[str]) -> dict:
    """The bank question whose choices the widget shows (labels like 'A. text')."""
    shown = [_norm(re.sub(r"^[A-Z]\.\s*", "", label)) for label in labels]
    best, best_hits = None, -1
    for q in _bank_questions():
        texts = [_norm(c["text"]) for c in q.get("choices", [])]
        if len(texts) != len(shown):
            continue
        hits = sum(1 for a, b in zip(texts, shown, strict=True) if a == b or a.startswith(b[:40]))
        if hits > best_hits:
            best, best_hits = q, hits
    assert best is not None and best_hits == len(shown), f"no bank question shows {labels}"
    return best


def _letters(q: dict) -> tuple[list[str], list[str]]:
    """(correct letters, wrong letters) of a question, A for its first choice."""
    right, wrong = [], []
    for i, c in enumerate(q["choices"]):
        (right if c.get("correct") else wrong).append(chr(ord("A") + i))
    return right, wrong


# ---- the fixture notebook --------------------------------------------------------------------
def _fixture_notebook(topic: str | None) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    cells = [
        nbformat.v4.new_markdown_cell(
            "# lrcourse e2e fixture\nWritten by tests/e2e; safe to delete."
        ),
        nbformat.v4.new_code_cell(
            "import lrcourse\nfrom lrcourse.explorer import schedule_explorer"
        ),
        nbformat.v4.new_code_cell('schedule_explorer("steplr")'),
    ]
    if topic is not None:
        cells += [
            nbformat.v4.new_code_cell(f"lrcourse.quiz({topic!r})"),
            nbformat.v4.new_code_cell(
                f'lrcourse.quiz({topic!r}, mode="test", seed={TEST_SEED}, n={TEST_N})'
            ),
        ]
    numeric = _numeric_topic()
    if numeric is not None:
        cells.append(nbformat.v4.new_code_cell(f"lrcourse.quiz({numeric!r})  # numeric"))
    nb.cells = cells
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


@pytest.fixture(scope="module")
def course(module_lab_page, lab, e2e_timings):
    """The fixture notebook, opened and run once for the module."""
    topic = _topic()
    nbformat.write(_fixture_notebook(topic), lab.root / FIXTURE)
    lp = module_lab_page
    t0 = time.perf_counter()
    lp.open(FIXTURE)
    e2e_timings["fixture_open_until_kernel_idle_s"] = time.perf_counter() - t0
    lp.run_all_from_menu()
    lp.wait_all_executed(timeout_ms=180_000)
    e2e_timings["fixture_run_all_s"] = time.perf_counter() - t0
    assert lp.error_outputs() == []
    lp.shot("00_fixture_notebook_ran")
    return {"page": lp, "topic": topic, "db": Path(lab.env["LRCOURSE_PROGRESS_DB"])}


def _cell_quiz(lp, mode: str):
    """The practice or test quiz of the fixture's topic (not the numeric-question quiz)."""
    cell = (
        lp.page.locator(".jp-CodeCell")
        .filter(has_text="lrcourse.quiz(")
        .filter(has_not_text="# numeric")
    )
    return cell.locator(f".lrc-quiz.lrc-quiz-{mode}")


def _widget_text(locator) -> str:
    return " ".join(locator.inner_text().split())


# ---- schedule explorer ----------------------------------------------------------------------
def test_explorer_slider_redraws_the_plot(course):
    from playwright.sync_api import expect

    lp = course["page"]
    cell = lp.page.locator(".jp-CodeCell", has_text='schedule_explorer("steplr")')
    errors = lp.widget_errors(cell)
    if errors:
        lp.shot("01_explorer_render_error", cell)
    assert errors == [], "the explorer widget failed to render in JupyterLab"
    explorer = lp.page.locator(".lrc-explorer")
    caption = explorer.locator(".widget-html.lrc-explorer-caption")
    plot = explorer.locator("img.lrc-explorer-plot")
    expect(caption).to_contain_text("step_size=10")
    expect(plot).to_be_visible()
    before_src = plot.get_attribute("src")
    before_png = plot.screenshot()
    lp.shot("01_explorer_before", explorer)

    # move the step_size slider two notches with the keyboard, as a learner can
    handle = explorer.locator(".lrc-explorer-step-size .noUi-handle")
    handle.focus()
    lp.page.keyboard.press("ArrowRight")
    lp.page.keyboard.press("ArrowRight")
    expect(explorer.locator(".lrc-explorer-step-size .widget-readout")).to_have_text("12")
    expect(caption).to_contain_text("step_size=12", timeout=30_000)
    expect(plot).not_to_have_attribute("src", before_src or "")
    lp.page.wait_for_timeout(300)  # let the new image paint
    assert plot.screenshot() != before_png, "the plot did not change"
    lp.shot("02_explorer_after_slider", explorer)


def test_explorer_limits_onecycle_controls_and_log_scale(course):
    from playwright.sync_api import expect

    lp = course["page"]
    explorer = lp.page.locator(".lrc-explorer")
    caption = explorer.locator(".widget-html.lrc-explorer-caption")
    explorer.locator(".lrc-explorer-kind select").select_option(label="MultiStepLR")
    expect(caption).to_contain_text("MultiStepLR(milestones=[20, 40]")
    # fewer steps than the second milestone: the milestones follow the last step
    handle = explorer.locator(".lrc-explorer-num-steps .noUi-handle")
    handle.focus()
    lp.page.keyboard.press("Home")  # the minimum, 10 steps
    expect(explorer.locator(".lrc-explorer-num-steps .widget-readout")).to_have_text("10")
    expect(caption).to_contain_text("10 steps")
    text = caption.inner_text()
    milestones = [int(m) for m in re.search(r"milestones=\[(\d+), (\d+)\]", text).groups()]
    assert max(milestones) <= 9, f"a milestone past the last step: {text}"
    lp.shot("02b_explorer_milestones_limited", explorer)

    explorer.locator(".lrc-explorer-kind select").select_option(label="OneCycleLR")
    expect(caption).to_contain_text("OneCycleLR(max_lr=0.1")
    expect(explorer.locator(".lrc-explorer-lr")).to_have_count(0)  # OneCycleLR ignores it
    expect(explorer.locator(".lrc-explorer-max-lr")).to_be_visible()
    plot = explorer.locator("img.lrc-explorer-plot")
    before = plot.get_attribute("src")
    explorer.locator(".lrc-explorer-log input").check()
    expect(plot).not_to_have_attribute("src", before or "")
    lp.shot("02c_explorer_onecycle_log_scale", explorer)


# ---- quiz cards -----------------------------------------------------------------------------
def _choice_labels(quiz) -> list[str]:
    """The plain-text label of each choice (its checkbox's title, what a screen reader reads)."""
    labels = quiz.locator(".lrc-choice label.widget-label-basic").evaluate_all(
        "els => els.map(e => e.textContent.trim())"
    )
    assert all(labels), f"choices without a label: {labels}"
    return labels


def _row(quiz, letter: str):
    return quiz.locator(".lrc-choice").filter(
        has=quiz.page.locator("label.widget-label-basic", has_text=re.compile(rf"^{letter}\. "))
    )


def _choose(quiz, letter: str) -> None:
    """Click a choice anywhere on its card row, as a learner does; its box must get ticked."""
    from playwright.sync_api import expect

    row = _row(quiz, letter)
    expect(row).to_have_count(1)
    row.click()
    expect(row.locator("input")).to_be_checked()


def _first_words(markdown: str, n: int = 4) -> str:
    """The first few plain words of a Markdown string (what survives rendering)."""
    words = re.sub(r"[`*_#\[\]]", "", markdown).split()
    return " ".join(words[:n])


def _single_answer_question(quiz, prefer_code: bool = True):
    """Move Next until the quiz shows a single-answer question (one with code if possible)."""
    from playwright.sync_api import expect

    first = None
    for i in range(40):
        expect(quiz.locator(".widget-html.lrc-progress")).to_contain_text("Question")
        labels = _choice_labels(quiz)
        q = _match_question(labels) if labels else {"multiple": True}  # numeric: skip
        if not q.get("multiple"):
            first = first or i
            has_code = any("```" in c["text"] for c in q["choices"])
            if has_code or not prefer_code:
                return q
        nxt = quiz.locator("button.lrc-next")
        if nxt.is_disabled():
            break
        nxt.click()
        expect(quiz.locator(".widget-html.lrc-progress")).to_contain_text(f"Question {i + 2} ")
    if first is None:
        pytest.fail("the practice quiz shows no single-answer question")
    return _match_question(_choice_labels(quiz))


def _line_height_ratio(locator) -> float:
    """Computed line height / font size of the first paragraph in ``locator``."""
    return locator.locator("p").first.evaluate(
        """p => { const s = getComputedStyle(p);
                  return parseFloat(s.lineHeight) / parseFloat(s.fontSize); }"""
    )


def test_practice_card_colours_feedback_hint_and_solution(course):
    from playwright.sync_api import expect

    if course["topic"] is None:
        pytest.skip("no quizzes/*.toml yet")
    lp = course["page"]
    quiz = _cell_quiz(lp, "practice")
    expect(quiz.locator(".widget-html.lrc-progress")).to_contain_text(
        re.compile(r"Question \d+ of \d+")
    )
    q = _single_answer_question(quiz)
    right, wrong = _letters(q)
    feedback = quiz.locator(".widget-html.lrc-feedback")

    # each choice is shown once, formatted: code choices hold a monospace block
    assert quiz.locator(".lrc-choice").count() == len(q["choices"])
    assert quiz.locator(".widget-radio-box").count() == 0
    if any("```" in c["text"] for c in q["choices"]):
        pre = quiz.locator(".lrc-choice .lrc-choice-text pre").first
        expect(pre).to_be_visible()
        assert "mono" in pre.evaluate("e => getComputedStyle(e).fontFamily").lower()
    # normal line height (ipywidgets' default double-spaces HTML text: 28 px lines)
    assert _line_height_ratio(quiz.locator(".widget-html.lrc-prompt")) < 1.7
    lp.shot("03_practice_card", quiz)

    _choose(quiz, wrong[0])
    expect(feedback).to_contain_text("Not yet")  # graded on the click, no Check button
    expect(_row(quiz, wrong[0])).to_have_class(re.compile(r"\blrc-wrong\b"))
    wrong_choice = q["choices"][ord(wrong[0]) - ord("A")]
    if wrong_choice.get("feedback"):
        expect(feedback).to_contain_text(_first_words(wrong_choice["feedback"]))
    lp.shot("03b_practice_wrong_answer", quiz)
    lp.docs_shot("quiz-card", quiz)

    quiz.locator("button.lrc-hint").click()
    expect(quiz.locator(".widget-html.lrc-hint-text")).to_contain_text(_first_words(q["hint"]))
    lp.shot("04_practice_hint", quiz)

    _choose(quiz, right[0])
    expect(feedback).to_contain_text("Correct")
    expect(feedback).not_to_contain_text("Not yet")
    expect(_row(quiz, right[0])).to_have_class(re.compile(r"\blrc-right\b"))
    expect(_row(quiz, wrong[0])).not_to_have_class(re.compile(r"\blrc-wrong\b"))
    expect(_row(quiz, wrong[0]).locator("input")).not_to_be_checked()
    lp.shot("05_practice_right_answer", quiz)

    quiz.locator("button.lrc-solution").click()
    solution = quiz.locator(".widget-html.lrc-solution-text")
    expect(solution).to_contain_text(f"Answer: {'+'.join(right)}")
    lp.shot("05b_practice_solution", quiz)
    # the graded answers went to the test's own progress store, not the user's
    assert course["db"].is_file() and course["db"].stat().st_size > 0


def test_practice_card_keyboard_focus_and_screen_reader_labels(course):
    from playwright.sync_api import expect

    if course["topic"] is None:
        pytest.skip("no quizzes/*.toml yet")
    lp = course["page"]
    quiz = _cell_quiz(lp, "practice")
    step = quiz.locator("button.lrc-next")
    if step.is_disabled():  # the previous test may have left the quiz on its last question
        step = quiz.locator("button.lrc-prev")
    step.click()
    expect(quiz.locator(".widget-html.lrc-feedback")).to_have_text("")
    labels = _choice_labels(quiz)
    # every choice is a checkbox whose accessible name is the choice as plain text
    for label in labels:
        box = quiz.get_by_role("checkbox", name=label, exact=True)
        expect(box).to_have_count(1)
    first = quiz.locator(".lrc-choice input").first
    first.focus()
    lp.page.keyboard.press("Tab")  # to the second choice
    second_row = quiz.locator(".lrc-choice").nth(1)
    outline = second_row.evaluate("e => getComputedStyle(e).outlineStyle")
    assert outline == "solid", f"no visible focus ring on the focused choice ({outline})"
    lp.shot("05c_practice_keyboard_focus", quiz)
    lp.page.keyboard.press("Space")
    expect(second_row.locator("input")).to_be_checked()
    expect(quiz.locator(".widget-html.lrc-feedback")).to_contain_text(re.compile("Correct|Not yet"))


# ---- test mode --------------------------------------------------------------------------------
def _answer_current(quiz, right_answer: bool) -> bool:
    """Answer the question on screen (right or wrong); return whether it was right."""
    from playwright.sync_api import expect

    labels = _choice_labels(quiz)
    if not labels:  # a numeric question: type a number far from any key, press Enter
        box = quiz.locator(".lrc-numeric input")
        box.fill("123456789")
        box.press("Enter")
        return False
    q = _match_question(labels)
    right, wrong = _letters(q)
    if q.get("multiple"):
        for letter in right:
            _choose(quiz, letter)
        return True
    _choose(quiz, right[0] if right_answer else wrong[0])
    expect(quiz.locator(".widget-html.lrc-feedback")).to_have_text("")  # no feedback in a test
    return right_answer


def test_test_mode_finish_guard_review_and_retake(course):
    from playwright.sync_api import expect

    if course["topic"] is None:
        pytest.skip("no quizzes/*.toml yet")
    lp = course["page"]
    quiz = _cell_quiz(lp, "test")
    expect(quiz.locator("button.lrc-check")).to_be_hidden()  # no per-question feedback
    progress = quiz.locator(".widget-html.lrc-progress")
    expect(progress).to_contain_text(re.compile(r"Question 1 of \d+"))
    total = int(re.search(r"of (\d+)", progress.inner_text()).group(1))
    lp.shot("06_test_mode_question", quiz)

    # Finish with everything blank: the test asks first and scores nothing
    confirm = quiz.locator(".lrc-confirm")
    quiz.locator("button.lrc-finish").click()
    expect(confirm).to_be_visible()
    expect(confirm).to_contain_text(f"{total} of {total} questions have no answer")
    expect(quiz.locator(".widget-html.lrc-score")).to_have_text("")
    lp.shot("06b_test_finish_guard", quiz)
    quiz.locator("button.lrc-confirm-cancel").click()
    expect(confirm).to_be_hidden()

    # answer all but the last question, alternating right and wrong
    expected = 0
    for i in range(total - 1):
        expect(progress).to_contain_text(f"Question {i + 1} of {total}")
        expected += _answer_current(quiz, right_answer=i % 2 == 0)
        quiz.locator("button.lrc-next").click()
    quiz.locator("button.lrc-finish").click()
    expect(confirm).to_contain_text(f"1 of {total} questions have no answer")
    quiz.locator("button.lrc-confirm-finish").click()
    pct = round(100 * expected / total)
    expect(quiz.locator(".widget-html.lrc-score")).to_contain_text(
        f"Score: {expected}/{total} ({pct}%)"
    )
    review = quiz.locator(".widget-html.lrc-review")
    expect(review.locator(".lrc-review-item")).to_have_count(total)
    expect(review).to_contain_text("Your answer:")
    expect(review).to_contain_text("You left this blank.")
    # a wrong answer's review shows both choices' text, its feedback and the worked steps
    wrong_item = (
        review.locator(".lrc-review-wrong")
        .filter(has=lp.page.locator(".lrc-review-feedback"))
        .first
    )
    expect(wrong_item).to_contain_text("Correct answer:")
    expect(wrong_item.locator(".lrc-review-feedback")).not_to_have_text("")
    expect(wrong_item.locator("details.lrc-review-steps ol li").first).to_be_visible()
    assert _line_height_ratio(review) < 1.7
    lp.shot("07_test_mode_review", quiz)
    lp.shot("07a_test_review_only", review)

    # blanks are not recorded: the progress store holds exactly the answered questions
    import sqlite3

    with sqlite3.connect(course["db"]) as conn:
        n_test = conn.execute("SELECT COUNT(*) FROM attempts WHERE mode = 'test'").fetchone()[0]
    assert n_test == total - 1

    # New test: a new seed, a fresh start
    seed_before = re.search(r"Seed (\d+)", quiz.locator(".lrc-header").inner_text()).group(1)
    quiz.locator("button.lrc-new-test").click()
    expect(quiz.locator(".widget-html.lrc-score")).to_have_text("")
    expect(quiz.locator(".lrc-header")).not_to_contain_text(f"Seed {seed_before}.")
    expect(progress).to_contain_text(f"Question 1 of {total}")
    expect(quiz.locator("button.lrc-finish")).to_be_enabled()
    lp.shot("07b_test_mode_new_test", quiz)


def test_numeric_question_takes_a_typed_number(course):
    from playwright.sync_api import expect

    topic = _numeric_topic()
    if topic is None:
        pytest.skip("the bank has no numeric question yet")
    lp = course["page"]
    quiz = lp.page.locator(".jp-CodeCell").filter(has_text="# numeric").locator(".lrc-quiz")
    progress = quiz.locator(".widget-html.lrc-progress")
    for i in range(60):
        expect(progress).to_contain_text("Question")
        if quiz.locator(".lrc-numeric input").count():
            break
        quiz.locator("button.lrc-next").click()
        expect(progress).to_contain_text(f"Question {i + 2} ")
    box = quiz.locator(".lrc-numeric input")
    expect(box).to_have_count(1)
    expect(quiz.get_by_role("textbox", name="Your answer")).to_have_count(1)
    box.fill("123456789")
    box.press("Enter")  # continuous_update=False: Enter sends the value
    feedback = quiz.locator(".widget-html.lrc-feedback")
    expect(feedback).to_contain_text("Not yet")
    expect(quiz.locator(".lrc-numeric")).to_have_class(re.compile(r"\blrc-wrong\b"))
    box.fill("not a number")
    quiz.locator("button.lrc-check").click()
    expect(feedback).to_contain_text("not a number")
    lp.shot("07c_numeric_question", quiz)


# ---- dark theme -------------------------------------------------------------------------------
_CONTRAST_JS = """el => {
    const rgb = c => (c.match(/[\\d.]+/g) || []).map(Number);
    const bg = e => { for (; e; e = e.parentElement) { const c = rgb(getComputedStyle(e)
        .backgroundColor); if (c.length >= 3 && (c.length < 4 || c[3] > 0.5)) return c; }
        return [255, 255, 255]; };
    const lum = c => { const v = c.slice(0, 3).map(x => { x /= 255;
        return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4); });
        return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; };
    const a = lum(rgb(getComputedStyle(el).color)), b = lum(bg(el));
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""


def test_dark_theme_buttons_and_text_are_readable(course):
    if course["topic"] is None:
        pytest.skip("no quizzes/*.toml yet")
    lp = course["page"]
    lp.command("apputils:change-theme", {"theme": "JupyterLab Dark"})
    lp.page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'")
    lp.page.wait_for_timeout(500)
    try:
        quiz = _cell_quiz(lp, "practice")
        ratios = {
            css: quiz.locator(css).first.evaluate(_CONTRAST_JS)
            for css in ("button.lrc-hint", "button.lrc-solution", ".lrc-prompt p",
                        ".lrc-choice-text")
        }  # fmt: skip
        lp.shot("08_dark_theme_quiz", quiz)
        lp.shot("08b_dark_theme_explorer", lp.page.locator(".lrc-explorer"))
        low = {k: round(v, 2) for k, v in ratios.items() if v < 4.5}
        assert not low, f"contrast below 4.5:1 in the dark theme: {low}"
    finally:
        lp.command("apputils:change-theme", {"theme": "JupyterLab Light"})
        lp.page.wait_for_function("() => document.body.dataset.jpThemeLight === 'true'")


# ---- a saved notebook, reopened -------------------------------------------------------------
def test_saved_and_reopened_notebook_shows_a_note_not_a_widget_error(course, lab):
    from playwright.sync_api import expect

    lp = course["page"]
    lp.command("docmanager:save")
    lp.page.wait_for_function(
        "() => !window.jupyterapp.shell.currentWidget.context.model.dirty", timeout=30_000
    )
    saved = (lab.root / FIXTURE).read_text(encoding="utf-8")
    assert "lrc-saved-note" in saved and "widget-view+json" in saved
    lab.shutdown_kernels()  # the models die with the kernel, as after closing JupyterLab
    lp.page.goto("about:blank")
    lp.open(FIXTURE)  # reopen: a new kernel, no widget models
    lp.page.wait_for_timeout(3000)  # the widget manager gives up on missing models after 2 s
    notes = lp.page.locator(".lrc-saved-note")
    expect(notes.first).to_be_visible()
    quizzes = (2 if course["topic"] else 0) + (1 if _numeric_topic() else 0)
    assert notes.count() == quizzes + 1  # the quizzes and the explorer
    expect(notes.first).to_contain_text("run this cell")
    visible_errors = lp.page.locator(".jp-OutputArea-output").filter(
        has_text="Error displaying widget"
    )
    for i in range(visible_errors.count()):
        assert not visible_errors.nth(i).is_visible(), "a widget error is visible"
    lp.shot("09_saved_notebook_reopened")
