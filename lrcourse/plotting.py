"""Matplotlib figures for the lessons.

Every function builds a new Figure, closes it in pyplot (so Jupyter's inline backend does not
show it a second time) and returns it: put the call last in a cell, or ``display(fig)``.
Nothing here calls ``plt.show()``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Literal

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from lrcourse.training import History, RangeTest


def _finish(fig: Figure) -> Figure:
    fig.tight_layout()
    plt.close(fig)
    return fig


def _loss_line(ax: Axes, hist: History, per: Literal["step", "epoch"], label: str) -> None:
    if per == "epoch" and not hist.diverged:
        xs = list(range(1, len(hist.epoch_loss) + 1))
        ys = hist.epoch_loss
    else:
        ys = hist.step_loss
        xs = list(range(len(ys)))
    finite = [(x, y) for x, y in zip(xs, ys, strict=True) if math.isfinite(y)]
    line = ax.plot([x for x, _ in finite], [y for _, y in finite], label=label)[0]
    if hist.diverged and finite:
        x_last, y_last = finite[-1]
        ax.plot([x_last], [y_last], marker="x", markersize=10, color=line.get_color())
        ax.annotate(
            f"diverged at step {hist.diverged_at}",
            (x_last, y_last),
            textcoords="offset points",
            xytext=(-8, 0),
            ha="right",
            va="center",
            color=line.get_color(),
        )


def plot_losses(
    histories: Mapping[str, History],
    *,
    per: Literal["step", "epoch"] = "step",
    log: bool = True,
    separate: bool = False,
    title: str = "Training loss",
) -> Figure:
    """Loss curves of several runs: on one axes, or side by side (``separate=True``).

    A run that diverged is drawn up to its last finite loss and marked with an ``x`` and the
    step where the loss became ``nan``/``inf``. Diverged runs are always drawn per step.
    """
    n = len(histories)
    cols = n if separate else 1
    fig, axes = plt.subplots(1, cols, figsize=(4.2 * cols if separate else 7, 3.6), squeeze=False)
    for i, (name, hist) in enumerate(histories.items()):
        ax = axes[0, i if separate else 0]
        _loss_line(ax, hist, per, name)
        if separate:
            ax.set_title(name)
    for ax in axes[0]:
        ax.set_xlabel("optimizer step" if per == "step" else "epoch")
        ax.set_ylabel("training loss")
        if log:
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
        if not separate:
            ax.legend()
            ax.set_title(title)
    if separate:
        fig.suptitle(title)
    return _finish(fig)


def plot_lr_schedule(
    lrs: History | Sequence[Sequence[float]],
    *,
    group_names: Sequence[str] | None = None,
    per: Literal["step", "epoch"] = "step",
    log: bool = False,
    title: str = "Learning rate per param group",
) -> Figure:
    """The lr of each param group over time.

    ``lrs`` is a ``History`` (its recorded ``step_lrs``/``epoch_lrs``) or rows of per-group lrs
    such as ``lr_trace`` returns.
    """
    if isinstance(lrs, History):
        rows = lrs.step_lrs if per == "step" else lrs.epoch_lrs
    else:
        rows = [list(r) for r in lrs]
    n_groups = len(rows[0]) if rows else 0
    names = list(group_names) if group_names else [f"group {g}" for g in range(n_groups)]
    fig, ax = plt.subplots(figsize=(7, 3.4))
    for g in range(n_groups):
        ax.plot([row[g] for row in rows], label=names[g], drawstyle="steps-post")
    ax.set_xlabel("optimizer step" if per == "step" else "epoch")
    ax.set_ylabel("lr used")
    if log:
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title(title)
    return _finish(fig)


def plot_lr_range_test(result: RangeTest, *, title: str = "LR range test") -> Figure:
    """Smoothed loss against lr (log scale), with the suggested lr and the minimum marked."""
    fig, ax = plt.subplots(figsize=(7, 3.6))
    ax.plot(result.lrs, result.raw_losses, color="0.8", lw=1, label="mini-batch loss")
    ax.plot(result.lrs, result.losses, lw=2, label="smoothed loss")
    marks = [
        (result.min_loss_lr, "tab:red", ":", "minimum"),
        (result.steepest_lr, "tab:orange", "-.", "steepest"),
        (result.suggested_lr, "tab:green", "--", "suggested"),
    ]
    for lr, color, style, name in marks:
        ax.axvline(lr, color=color, ls=style, label=f"{name} ({lr:.2g})")
    ax.set_xscale("log")
    top = max(result.losses[0], min(result.losses)) * 1.5
    ax.set_ylim(min(result.losses) * 0.8 if min(result.losses) > 0 else None, top)
    ax.set_xlabel("learning rate (log scale)")
    ax.set_ylabel("training loss")
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title(title)
    return _finish(fig)


def plot_accuracy(histories: Mapping[str, History], *, title: str = "Test accuracy") -> Figure:
    """A bar per run with its final accuracy (diverged runs are labelled as such)."""
    fig, ax = plt.subplots(figsize=(7, 3.2))
    names = list(histories)
    accs = [histories[n].accuracy or 0.0 for n in names]
    bars = ax.barh(names, accs, color="tab:blue")
    for bar, name in zip(bars, names, strict=True):
        text = "diverged" if histories[name].diverged else f"{bar.get_width():.1%}"
        ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, f" {text}", va="center")
    ax.set_xlim(0, 1.12)
    ax.invert_yaxis()
    ax.set_xlabel("accuracy")
    ax.set_title(title)
    return _finish(fig)
