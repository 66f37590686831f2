"""Progress bars that end the way the run ended."""

from __future__ import annotations

import io

from tqdm import tqdm

from lrcourse.live_progress import finish_bar


def _bar(total: int, steps: int):
    bar = tqdm(total=total, file=io.StringIO(), leave=True)
    bar.update(steps)
    return bar


def test_an_early_stop_that_is_the_normal_end_fills_the_bar() -> None:
    bar = _bar(100, 91)
    finish_bar(bar, normal_end=True)
    assert (bar.n, bar.total) == (91, 91)
    assert "91/91" in bar.fp.getvalue()


def test_an_early_stop_that_is_a_failure_keeps_the_planned_total() -> None:
    bar = _bar(100, 91)
    finish_bar(bar, normal_end=False)
    assert (bar.n, bar.total) == (91, 100)


def test_the_notebook_bar_ends_green_and_full() -> None:
    from tqdm.notebook import tqdm as notebook_tqdm

    stopped = notebook_tqdm(total=100, display=False)
    stopped.update(91)
    finish_bar(stopped)
    progress = stopped.container.children[1]
    assert progress.bar_style == "success" and progress.max == progress.value == 91
    failed = notebook_tqdm(total=100, display=False)
    failed.update(91)
    finish_bar(failed, normal_end=False)
    assert failed.container.children[1].bar_style == "danger"
