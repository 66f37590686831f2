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
    ok = History(label="ok", step_loss=[2.0, 1.0, 0.5], epoch_loss=[1.5, 0.5],
                 step_lrs=[[0.1, 0.01]] * 3, epoch_lrs=[[0.1, 0.01]] * 2, test_accuracy=0.9)
    bad = History(label="bad", step_loss=[2.0, 30.0, math.inf], step_lrs=[[5.0, 5.0]] * 2,
                  epoch_lrs=[[5.0, 5.0]], diverged=True, diverged_at=2, train_accuracy=0.1)
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
    assert fig2.axes[0].get_yscale() == "log"


def test_plot_lr_range_test_marks_the_suggestion() -> None:
    result = RangeTest(lrs=[1e-4, 1e-3, 1e-2, 1e-1], losses=[2.3, 2.0, 1.0, 3.0],
                       raw_losses=[2.3, 2.1, 0.9, 3.5], min_loss_lr=1e-2, steepest_lr=1e-3,
                       suggested_lr=1e-3, stopped_early=True)
    fig = plotting.plot_lr_range_test(result)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "suggested (0.001)" in labels
    assert fig.axes[0].get_xscale() == "log"


def test_plot_accuracy_labels_divergence(histories: dict[str, History]) -> None:
    fig = plotting.plot_accuracy(histories)
    texts = [t.get_text().strip() for t in fig.axes[0].texts]
    assert texts == ["90.0%", "diverged"]
