"""Figures: built, returned, closed in pyplot, never shown."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import math

import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure

from lrcourse import plotting
from lrcourse.training import History, RangeTest


@pytest.fixture
def histories() -> dict[str, History]:
    ok = History(
        label="ok",
        step_loss=[2.0, 1.0, 0.5],
        epoch_loss=[1.5, 0.5],
        step_lrs=[[0.1, 0.01]] * 3,
        epoch_lrs=[[0.1, 0.01]] * 2,
        test_accuracy=0.9,
    )
    bad = History(
        label="bad",
        step_loss=[2.0, 30.0, math.inf],
        step_lrs=[[5.0, 5.0]] * 2,
        epoch_lrs=[[5.0, 5.0]],
        diverged=True,
        diverged_at=2,
        train_accuracy=0.1,
    )
    return {"ok": ok, "bad": bad}


def test_plot_losses_one_axes(histories: dict[str, History]) -> None:
    fig = plotting.plot_losses(histories)
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 1
    assert not plt.get_fignums()  # closed in pyplot: no double display inline
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "diverged at step 2" in texts


def test_plot_losses_side_by_side_per_epoch(histories: dict[str, History]) -> None:
    fig = plotting.plot_losses(histories, per="epoch", separate=True, log=False)
    assert [ax.get_title() for ax in fig.axes] == ["ok", "bad"]
    # the finite points only
    assert list(fig.axes[1].lines[0].get_ydata()) == [2.0, 30.0]


def test_plot_lr_schedule_from_history_and_rows(histories: dict[str, History]) -> None:
    fig = plotting.plot_lr_schedule(histories["ok"], group_names=["body", "head"])
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["body", "head"]
    fig2 = plotting.plot_lr_schedule([[0.1], [0.05]], log=True)
    assert fig2.axes[0].get_yscale() == "linear"  # 0.05..0.1: under a decade


def test_plot_lr_range_test_marks_the_suggestion() -> None:
    result = RangeTest(
        lrs=[1e-4, 1e-3, 1e-2, 1e-1],
        losses=[2.3, 2.0, 1.0, 3.0],
        raw_losses=[2.3, 2.1, 0.9, 3.5],
        min_loss_lr=1e-2,
        steepest_lr=1e-3,
        suggested_lr=1e-3,
        stopped_early=True,
    )
    fig = plotting.plot_lr_range_test(result)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "suggested (0.001)" in labels
    assert fig.axes[0].get_xscale() == "log"


def test_plot_accuracy_labels_divergence(histories: dict[str, History]) -> None:
    fig = plotting.plot_accuracy(histories)
    texts = [t.get_text().strip() for t in fig.axes[0].texts]
    assert texts == ["90.0%", "diverged"]


def test_lr_axis_is_linear_when_the_range_is_under_a_decade() -> None:
    assert not plotting.use_log_scale([0.05, 0.1, 0.4])
    assert plotting.use_log_scale([0.001, 0.1])
    assert not plotting.use_log_scale([0.0, math.nan])
    narrow = plotting.plot_lr_schedule([[0.1], [0.05]], log=True)
    assert narrow.axes[0].get_yscale() == "linear"
    wide = plotting.plot_lr_schedule([[0.1], [0.001]], log=True)
    assert wide.axes[0].get_yscale() == "log"


def test_overlapping_runs_get_distinct_styles_and_integer_epoch_ticks() -> None:
    same = [2.0, 1.6, 1.3, 1.1, 1.0]
    runs = {name: History(label=name, step_loss=same, epoch_loss=same) for name in ("a", "b", "c")}
    fig = plotting.plot_losses(runs, per="epoch")
    lines = fig.axes[0].get_lines()
    assert len({(str(ln.get_linestyle()), ln.get_marker()) for ln in lines}) == 3
    fig.canvas.draw()
    ticks = [t for t in fig.axes[0].get_xticks() if 1 <= t <= 5]
    assert ticks and all(float(t).is_integer() for t in ticks)
    assert fig.axes[0].get_yscale() == "linear"  # 1.0 to 2.0: under a decade


def test_separate_panels_wrap_at_two_columns_within_the_width(
    histories: dict[str, History],
) -> None:
    three = {**histories, "again": histories["ok"]}
    fig = plotting.plot_losses(three, separate=True)
    assert fig.get_size_inches()[0] <= plotting.WIDTH_IN
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 3 and len(fig.axes) == 4  # 2 x 2, the spare panel hidden


def _draws(fig: Figure, save) -> int:
    count = [0]
    cid = fig.canvas.mpl_connect("draw_event", lambda _: count.__setitem__(0, count[0] + 1))
    save()
    fig.canvas.mpl_disconnect(cid)
    return count[0]


def test_figures_render_in_one_pass_not_two(histories: dict[str, History]) -> None:
    import io

    fig = plotting.plot_losses(histories)
    assert isinstance(fig, plotting.LessonFigure)
    tight = _draws(fig, lambda: fig.savefig(io.BytesIO(), format="png", bbox_inches="tight"))
    once = _draws(fig, lambda: plotting.render_png(fig))
    assert (tight, once) == (2, 1)
    assert plotting.render_png(fig).startswith(b"\x89PNG")


def test_lesson_figure_displays_itself_as_a_png(monkeypatch, histories) -> None:
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, raw=False: shown.append(obj))
    fig = plotting.plot_accuracy(histories)
    fig._ipython_display_()
    assert shown[0]["image/png"].startswith(b"\x89PNG")


def test_log_axis_reads_in_plain_numbers() -> None:
    fig = plotting.plot_lr_schedule([[0.1], [0.001]], log=True)
    fmt = fig.axes[0].yaxis.get_major_formatter()
    assert (fmt(0.01, 0), fmt(2.0, 0)) == ("0.01", "2")


def test_show_displays_a_lesson_drawn_figure_in_one_pass_and_closes_it(monkeypatch) -> None:
    import IPython.display
    import matplotlib.pyplot as plt

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, raw=False: shown.append(obj))
    fig, ax = plt.subplots(figsize=(7, 3))
    ax.plot([1, 3, 2], label="a line")
    ax.legend()
    draws = _draws(fig, lambda: plotting.show(fig))
    assert draws == 1  # the inline backend's tight bounding box would draw it twice
    assert shown[0]["image/png"].startswith(b"\x89PNG")
    assert not plt.fignum_exists(fig.number)  # the inline backend will not show it again
