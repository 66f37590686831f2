"""Matplotlib figures for the lessons, made to be read.

* Runs drawn on one axes get distinct line styles and markers, so a curve that lies on top of
  another is still visible, and every legend entry matches a line you can find.
* Epoch and step axes get integer ticks; a log axis is used only when the values span at
  least a decade (a narrower range reads better on a linear axis).
* Sizes suit a 1024 px wide browser: at most two panels side by side, 8.5 inches wide.
* Figures keep an opaque white background, so their dark text stays readable in JupyterLab's
  dark theme.

Every function builds a new ``LessonFigure``, closes it in pyplot (so Jupyter's inline backend
does not show it a second time) and returns it: put the call last in a cell, or
``display(fig)``. A ``LessonFigure`` displays itself as a PNG rendered in one pass
(``render_png``): the inline backend's ``bbox_inches="tight"`` draws every figure twice, once
to measure it and once to save it; here the layout engine places everything during the one
draw. Nothing here calls ``plt.show()``; :func:`show` gives a figure a lesson drew itself
the same one-pass display.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter

from lrcourse.training import History, RangeTest

#: (line style, marker) per run, in order; cycled when there are more runs
STYLES: tuple[tuple[Any, str], ...] = (
    ("-", "o"),
    ("--", "s"),
    (":", "^"),
    ("-.", "D"),
    ((0, (5, 1, 1, 1)), "v"),  # dash patterns: (offset, (on, off, ...))
    ((0, (1, 1)), "P"),
)
MAX_COLUMNS = 2
WIDTH_IN = 8.5


class LessonFigure(Figure):
    """A Figure that shows itself in a notebook as a PNG rendered in a single pass."""

    def _ipython_display_(self, **kwargs: Any) -> None:
        _display_png(self)


def render_png(fig: Figure, dpi: float | None = None) -> bytes:
    """The figure as PNG bytes, drawn once (no ``bbox_inches="tight"`` second pass)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi or fig.dpi, facecolor="white")
    return buf.getvalue()


def show(fig: Figure) -> None:
    """Show a figure a lesson drew itself with ``plt.subplots``, as the library's own are shown:
    laid out once, closed in pyplot, and displayed as a PNG rendered in one pass.

    Use it where a cell would call ``plt.show()``; that goes through the inline backend, whose
    ``bbox_inches="tight"`` draws the figure twice.
    """
    _display_png(_finish(fig))


def _display_png(fig: Figure) -> None:
    """Display ``fig`` in the notebook as a PNG from :func:`render_png`."""
    from IPython.display import display

    bundle = {"image/png": render_png(fig), "text/plain": repr(fig)}
    display(bundle, raw=True)  # type: ignore[no-untyped-call]  # IPython has no hints


def _figure(rows: int = 1, cols: int = 1, height: float = 3.6) -> tuple[LessonFigure, Any]:
    fig, axes = plt.subplots(
        rows,
        cols,
        figsize=(WIDTH_IN if cols > 1 else 7.0, height * rows),
        squeeze=False,
        FigureClass=LessonFigure,
        facecolor="white",
    )
    assert isinstance(fig, LessonFigure)
    return fig, axes


def _finish(fig: Figure) -> Figure:
    """Lay the figure out once, now, and close it in pyplot.

    A layout engine attached to a figure lays it out again inside every ``savefig`` with an
    extra draw. Run once here and detached, the layout is kept and a save draws once.
    """
    ConstrainedLayoutEngine().execute(fig)
    plt.close(fig)
    return fig


def style(index: int) -> dict[str, Any]:
    """Line style and marker for the ``index``-th run on an axes."""
    ls, marker = STYLES[index % len(STYLES)]
    return {"linestyle": ls, "marker": marker, "markersize": 4, "markevery": 0.1}


def use_log_scale(values: Iterable[float]) -> bool:
    """True when positive ``values`` span at least one decade (then a log axis helps)."""
    finite = [v for v in values if math.isfinite(v) and v > 0]
    return bool(finite) and max(finite) / min(finite) >= 10


def _log_y(ax: Axes, values: Sequence[float]) -> None:
    """A log y axis labelled with plain numbers (0.5, 2), never as 2×10⁰."""
    ax.set_yscale("log")
    plain = FuncFormatter(lambda v, _: f"{v:g}")
    ax.yaxis.set_major_formatter(plain)
    finite = [v for v in values if math.isfinite(v) and v > 0]
    if finite and math.log10(max(finite) / min(finite)) <= 2:
        ax.yaxis.set_minor_locator(LogLocator(subs=(2.0, 5.0)))
        ax.yaxis.set_minor_formatter(plain)
    else:
        ax.yaxis.set_minor_formatter(NullFormatter())


def _integer_ticks(ax: Axes) -> None:
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))


def _loss_line(
    ax: Axes, hist: History, per: Literal["step", "epoch"], label: str, index: int
) -> list[float]:
    if per == "epoch" and not hist.diverged:
        xs = list(range(1, len(hist.epoch_loss) + 1))
        ys = hist.epoch_loss
    else:
        ys = hist.step_loss
        xs = list(range(len(ys)))
    finite = [(x, y) for x, y in zip(xs, ys, strict=True) if math.isfinite(y)]
    line = ax.plot([x for x, _ in finite], [y for _, y in finite], label=label, **style(index))[0]
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
    return [y for _, y in finite]


def plot_losses(
    histories: Mapping[str, History],
    *,
    per: Literal["step", "epoch"] = "step",
    log: bool = True,
    separate: bool = False,
    title: str = "Training loss",
) -> Figure:
    """Loss curves of several runs: on one axes, or one panel each (``separate=True``).

    A run that diverged is drawn up to its last finite loss and marked with an ``x`` and the
    step where the loss became ``nan``/``inf``. Diverged runs are always drawn per step.
    ``log=True`` asks for a log loss axis; it is used where the losses span a decade or more.
    Separate panels wrap after two per row.
    """
    n = len(histories)
    cols = min(n, MAX_COLUMNS) if separate else 1
    rows = math.ceil(n / cols) if separate else 1
    fig, axes = _figure(rows, cols, height=3.2 if separate else 3.6)
    flat = list(axes.flat)
    values: dict[int, list[float]] = {}
    for i, (name, hist) in enumerate(histories.items()):
        slot = i if separate else 0
        ax = flat[slot]
        values.setdefault(slot, []).extend(_loss_line(ax, hist, per, name, i))
        if separate:
            ax.set_title(name)
    everything = [v for vs in values.values() for v in vs]
    log_axis = log and use_log_scale(everything)  # one choice for all panels: comparable
    for slot, ax in enumerate(flat):
        if slot not in values:
            ax.set_visible(False)  # an empty panel of an odd count
            continue
        ax.set_xlabel("optimizer step" if per == "step" else "epoch")
        ax.set_ylabel("training loss")
        if log_axis:
            _log_y(ax, values[slot])
        _integer_ticks(ax)
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

    ``lrs`` is a ``History`` (its recorded ``step_lrs``/``epoch_lrs``) or rows of per-group
    lrs such as ``training.lr_trace`` returns. ``log=True`` asks for a log lr axis, used when
    the lrs span a decade or more.
    """
    if isinstance(lrs, History):
        rows = lrs.step_lrs if per == "step" else lrs.epoch_lrs
    else:
        rows = [list(r) for r in lrs]
    n_groups = len(rows[0]) if rows else 0
    names = list(group_names) if group_names else [f"group {g}" for g in range(n_groups)]
    fig, axes = _figure()
    ax = axes[0, 0]
    for g in range(n_groups):
        ax.plot([row[g] for row in rows], label=names[g], drawstyle="steps-post", **style(g))
    ax.set_xlabel("optimizer step" if per == "step" else "epoch")
    ax.set_ylabel("lr used")
    flat_lrs = [v for row in rows for v in row]
    if log and use_log_scale(flat_lrs):
        _log_y(ax, flat_lrs)
    _integer_ticks(ax)
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title(title)
    return _finish(fig)


def plot_lr_range_test(result: RangeTest, *, title: str = "LR range test") -> Figure:
    """Smoothed loss against lr (log scale), with the suggested lr and the minimum marked."""
    fig, axes = _figure()
    ax = axes[0, 0]
    ax.plot(result.lrs, result.raw_losses, color="0.75", lw=1, label="mini-batch loss")
    ax.plot(result.lrs, result.losses, lw=2, label="smoothed loss")
    marks = [
        (result.min_loss_lr, "tab:red", ":", "minimum"),
        (result.steepest_lr, "tab:orange", "-.", "steepest"),
        (result.suggested_lr, "tab:green", "--", "suggested"),
    ]
    for lr, color, ls, name in marks:
        ax.axvline(lr, color=color, ls=ls, label=f"{name} ({lr:.2g})")
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
    fig, axes = _figure(height=0.5 * len(histories) + 1.4)
    ax = axes[0, 0]
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
