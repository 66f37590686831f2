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
        texts = [_norm(c["text"]) for c in q["choices"]]
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


# ---- practice quiz ----------------------------------------------------------------------------
def _radio_labels(quiz) -> list[str]:
    return [
        " ".join(t.split())
        for t in quiz.locator(".lrc-choices .widget-radio-box label").all_inner_texts()
    ]


def _choose(quiz, letter: str) -> None:
    """Click a choice's label text, as a learner does, and check that its radio got selected."""
    from playwright.sync_api import expect

    label = quiz.locator(".lrc-choices .widget-radio-box label").filter(
        has_text=re.compile(rf"^\s*{letter}\. ")
    )
    expect(label).to_have_count(1)
    label.click()
    expect(label.locator("input")).to_be_checked()


def _obscured_choices(quiz) -> list[str]:
    """Labels of choices whose radio/checkbox is covered by another element (not clickable)."""
    quiz.locator(".lrc-choices").scroll_into_view_if_needed()
    return quiz.locator(".lrc-choices").evaluate(
        """root => [...root.querySelectorAll('input')].filter(input => {
            const r = input.getBoundingClientRect();
            const hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
            return hit !== input;
        }).map(input => input.closest('label').innerText.slice(0, 60))"""
    )


def _practice_single_answer_question(quiz):
    """Move Next until the practice quiz shows a single-answer (radio) question."""
    from playwright.sync_api import expect

    for _ in range(30):
        expect(quiz.locator(".widget-html.lrc-progress")).to_contain_text("Question")
        radios = quiz.locator(".lrc-choices input[type=radio]")
        if radios.count():
            return _match_question(_radio_labels(quiz))
        quiz.locator("button.lrc-next").click()
    pytest.fail("the practice quiz shows no single-answer question")


def test_practice_quiz_wrong_then_right_hint_and_solution(course):
    from playwright.sync_api import expect

    if course["topic"] is None:
        pytest.skip("no quizzes/*.toml yet")
    lp = course["page"]
    quiz = lp.page.locator(".lrc-quiz.lrc-quiz-practice")
    expect(quiz.locator(".widget-html.lrc-progress")).to_contain_text(
        re.compile(r"Question \d+ of \d+")
    )
    q = _practice_single_answer_question(quiz)
    right, wrong = _letters(q)
    feedback = quiz.locator(".widget-html.lrc-feedback")

    _choose(quiz, wrong[0])
    quiz.locator("button.lrc-check").click()
    expect(feedback).to_contain_text("Not yet")
    wrong_choice = q["choices"][ord(wrong[0]) - ord("A")]
    if wrong_choice.get("feedback"):
        expect(feedback).to_contain_text(_first_words(wrong_choice["feedback"]))
    lp.shot("03_practice_wrong_answer", quiz)

    quiz.locator("button.lrc-hint").click()
    expect(quiz.locator(".widget-html.lrc-hint-text")).to_contain_text(_first_words(q["hint"]))
    lp.shot("04_practice_hint", quiz)

    _choose(quiz, right[0])
    quiz.locator("button.lrc-check").click()
    expect(feedback).to_contain_text("Correct")
    expect(feedback).not_to_contain_text("Not yet")
    lp.shot("05_practice_right_answer", quiz)

    quiz.locator("button.lrc-solution").click()
    solution = quiz.locator(".widget-html.lrc-solution-text")
    expect(solution).to_contain_text(f"Answer: {'+'.join(right)}")
    lp.shot("05b_practice_solution", quiz)
    # the graded answers went to the test's own progress store, not the user's
    assert course["db"].is_file() and course["db"].stat().st_size > 0


def _first_words(markdown: str, n: int = 4) -> str:
    """The first few plain words of a Markdown string (what survives rendering)."""
    words = re.sub(r"[`*_#\[\]]", "", markdown).split()
    return " ".join(words[:n])


# ---- test mode --------------------------------------------------------------------------------
def test_test_mode_scores_and_reviews(course):
    from playwright.sync_api import expect

    if course["topic"] is None:
        pytest.skip("no quizzes/*.toml yet")
    lp = course["page"]
    quiz = lp.page.locator(".lrc-quiz.lrc-quiz-test")
    expect(quiz.locator("button.lrc-check")).to_have_count(0)  # no per-question feedback
    progress = quiz.locator(".widget-html.lrc-progress")
    expect(progress).to_contain_text(re.compile(r"Question 1 of \d+"))
    total = int(re.search(r"of (\d+)", progress.inner_text()).group(1))
    expected, obscured = 0, {}
    for i in range(total):
        expect(progress).to_contain_text(f"Question {i + 1} of {total}")
        radios = quiz.locator(".lrc-choices input[type=radio]")
        if hidden := _obscured_choices(quiz):
            obscured[i + 1] = hidden
            lp.shot(f"08_test_mode_q{i + 1}_choices_overlap", quiz.locator(".lrc-choices"))
        if radios.count():
            q = _match_question(_radio_labels(quiz))
            right, wrong = _letters(q)
            # answer the even-numbered questions right and the odd ones wrong
            _choose(quiz, right[0] if i % 2 == 0 else wrong[0])
            expected += i % 2 == 0
        else:  # select-all-that-apply: tick exactly the correct boxes
            labels = [" ".join(t.split()) for t in quiz.locator(".lrc-choice").all_inner_texts()]
            q = _match_question(labels)
            right, _ = _letters(q)
            for letter in right:
                box = quiz.locator(".lrc-choice").filter(has_text=re.compile(rf"^\s*{letter}\. "))
                box.locator("label").click()
                expect(box.locator("input")).to_be_checked()
            expected += 1
        if i == 0:
            lp.shot("06_test_mode_question", quiz)
        if i < total - 1:
            quiz.locator("button.lrc-next").click()
    quiz.locator("button.lrc-finish").click()
    score = quiz.locator(".widget-html.lrc-score")
    pct = round(100 * expected / total)
    expect(score).to_contain_text(f"Score: {expected}/{total} ({pct}%)")
    review = quiz.locator(".widget-html.lrc-review")
    expect(review).to_contain_text(f"Question {total}")
    expect(review).to_contain_text("correct answer")
    lp.shot("07_test_mode_score", quiz)
    # a long choice label must not cover the radio buttons (learners click those)
    assert not obscured, f"choice inputs covered by other elements, by question: {obscured}"
