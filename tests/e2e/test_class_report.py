"""The class report a grading run writes opens in a real browser: its figures load and its
tables are there (issue: the instructor's assignment flow)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lrcourse.autograde.grader import ClassResults, StudentRecord
from lrcourse.autograde.journal import ItemResult
from lrcourse.autograde.report import write_report

pytestmark = pytest.mark.e2e


def sample_results() -> ClassResults:
    items = ["two-lr-groups", "step-decay"]
    students = []
    for index in range(6):
        passed = index % 3 != 0
        results = {
            "two-lr-groups": ItemResult(
                f"s{index}",
                "two-lr-groups",
                "correct" if passed else "incorrect",
                "ok" if passed else "Some parameters train with the wrong learning rate",
                "",
                (),
                "nb.ipynb",
                "tagged cell",
                0.1,
            ),
            "step-decay": ItemResult(
                f"s{index}",
                "step-decay",
                "incorrect",
                "The decay factor is wrong",
                "",
                (),
                "nb.ipynb",
                "tagged cell",
                0.1,
            ),
        }
        students.append(
            StudentRecord(f"s{index}", "0" * 64, ["nb.ipynb"], "graded", "", [], results)
        )
    return ClassResults(items, students, [], "strict", "test", {"two-lr-groups": 2.0}, "Week 3")


def test_the_report_renders_with_its_figures(browser, artifacts: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    report = write_report(sample_results(), tmp_path)
    page = browser.new_page(viewport={"width": 1024, "height": 900})
    try:
        page.goto(report.as_uri())
        images = page.locator("img")
        assert images.count() == 2
        for i in range(2):
            width = images.nth(i).evaluate("img => img.naturalWidth")
            assert width > 300
        assert page.locator("h1").inner_text() == "Week 3"
        mistakes = page.locator("table").first.inner_text()
        assert "The decay factor is wrong" in mistakes and "6" in mistakes
        page.screenshot(path=str(artifacts / "class-report.png"), full_page=True)
    finally:
        page.close()
