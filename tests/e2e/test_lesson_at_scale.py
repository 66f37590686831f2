"""The new lesson "learning rates at scale" in a real JupyterLab: Run All finishes with no
error output and every widget renders."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def test_lesson_08_runs_in_the_browser(lab_page, artifacts):  # type: ignore[no-untyped-def]
    lab_page.open("notebooks/08_at_scale.ipynb")
    lab_page.run_all_from_menu()
    lab_page.wait_all_executed(timeout_ms=300_000)
    assert lab_page.error_outputs() == []
    assert lab_page.widget_errors() == []
    lab_page.page.screenshot(path=str(artifacts / "lesson-08.png"))
