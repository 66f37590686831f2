"""A real lesson in a real browser: Run All works, then an exercise is checked three ways.

The lesson (``$LRCOURSE_E2E_LESSON``, default ``03_param_groups.ipynb``) is a copy of the repo's
notebook. After Run ▸ Run All Cells no cell may hold an error output (cells tagged
``raises-exception`` excepted) and no widget may fail to render. Then, in the first exercise
cell (tagged ``exercise:<id>``), the learner's text is replaced through the editor with a known
wrong submission (``tests/exercises/submissions/<id>/fail_*.py``) and then with the reference
solution (``lrcourse.exercise(id).solution_source``); the check cell (``check:<id>``) must say
"Not attempted" for the stub, "Not yet" for the wrong code and "Correct" for the solution.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]
LESSON = os.environ.get("LRCOURSE_E2E_LESSON", "03_param_groups.ipynb")
SUBMISSIONS = REPO / "tests" / "exercises" / "submissions"


def _first_exercise(nb_path: Path) -> str | None:
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        for tag in cell.get("metadata", {}).get("tags", []):
            if tag.startswith("exercise:"):
                return tag.split(":", 1)[1]
    return None


def _wrong_submission(exercise_id: str) -> tuple[str, str]:
    """(source, the feedback text it must produce) from a known-failing submission file."""
    files = sorted((SUBMISSIONS / exercise_id).glob("fail_*.py"))
    if not files:
        pytest.skip(f"no known-wrong submission in {SUBMISSIONS / exercise_id}")
    source = files[0].read_text(encoding="utf-8")
    first = source.splitlines()[0]
    expected = first.removeprefix("# expect:").strip() if first.startswith("# expect:") else ""
    return source, expected


def test_lesson_runs_and_exercise_check_gives_feedback(lab_page, lab, e2e_timings):
    from playwright.sync_api import expect

    src = REPO / "notebooks" / LESSON
    if not src.is_file():
        pytest.skip(f"lesson notebooks/{LESSON} not found (set LRCOURSE_E2E_LESSON)")
    lp = lab_page
    t0 = time.perf_counter()
    lp.open(f"notebooks/{LESSON}")
    e2e_timings["lesson_open_until_kernel_idle_s"] = time.perf_counter() - t0
    lp.run_all_from_menu()
    lp.wait_all_executed(
        timeout_ms=int(os.environ.get("LRCOURSE_E2E_LESSON_TIMEOUT", "400")) * 1000
    )
    e2e_timings["lesson_run_all_s"] = time.perf_counter() - t0
    lp.page.wait_for_timeout(500)  # let the last widget views render
    lp.shot("10_lesson_ran")
    # the README's picture of a lesson: a live plot and the text around it
    figure = lp.page.locator(".jp-OutputArea-output img").first
    if figure.count():
        figure.scroll_into_view_if_needed()
        lp.page.mouse.wheel(0, -250)
        lp.page.wait_for_timeout(300)
        lp.docs_shot("lesson")
    assert lp.error_outputs() == [], "cells raised during Run All"
    assert lp.widget_errors() == [], "widgets failed to render"

    # at 1024 px, with the file browser open, figures must not shrink much (tick labels stay
    # legible): rendered width over the PNG's own width, for every figure of the lesson
    lp.page.set_viewport_size({"width": 1024, "height": 900})
    lp.page.wait_for_timeout(500)
    ratios = lp.page.locator(".jp-OutputArea-output img").evaluate_all(
        "imgs => imgs.map(i => i.getBoundingClientRect().width / i.naturalWidth)"
    )
    lp.shot("10b_lesson_at_1024px")
    print("figure scale at 1024 px:", [round(r, 2) for r in ratios])
    e2e_timings["lesson_min_figure_scale_1024px"] = min(ratios, default=1.0)
    lp.page.set_viewport_size({"width": 1400, "height": 1000})
    assert min(ratios, default=1.0) >= 0.75, f"figures shrink too much at 1024 px: {ratios}"

    exercise_id = _first_exercise(src)
    if exercise_id is None:
        pytest.skip(f"{LESSON} has no cell tagged exercise:<id>")
    ex_i, check_i = lp.cell_index(f"exercise:{exercise_id}"), lp.cell_index(f"check:{exercise_id}")
    assert 0 <= ex_i < check_i, (ex_i, check_i)
    check_out = lp.cell(check_i).locator(".jp-OutputArea-output")
    expect(check_out).to_contain_text("Not attempted")  # the untouched stub
    lp.shot("11_exercise_stub_not_attempted", lp.cell(check_i))

    wrong, why = _wrong_submission(exercise_id)
    lp.type_into_cell(ex_i, wrong)
    lp.run_cell(ex_i)
    lp.run_cell(check_i)
    expect(check_out).to_contain_text("Not yet")
    if why:
        expect(check_out).to_contain_text(why)
    lp.shot("12_exercise_wrong_not_yet", lp.cell(check_i))

    from lrcourse.exercises import exercise

    lp.type_into_cell(ex_i, exercise(exercise_id).solution_source)
    lp.run_cell(ex_i)
    lp.run_cell(check_i)
    expect(check_out).to_contain_text("Correct")
    expect(check_out).not_to_contain_text("Not yet")
    lp.shot("13_exercise_solution_correct", lp.cell(check_i))
    assert lp.error_outputs() == []
