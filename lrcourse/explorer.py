"""An interactive learning-rate schedule explorer for the schedulers lesson.

The curve is never a hand-written formula: ``lr_trace`` builds the real ``torch.optim``
scheduler on a dummy optimizer and steps it in the documented order (read the lr the
optimizer will use, ``optimizer.step()``, then ``scheduler.step()``).

``schedule_explorer(kind)`` returns a ``ScheduleExplorer`` (an ``ipywidgets.VBox``) with a
family dropdown, one slider per parameter and a PNG plot that redraws on every change.
Every control carries a stable CSS class so a browser test can drive it:

========================  ==========================================
``lrc-explorer``          the root box
``lrc-explorer-kind``     the scheduler-family dropdown
``lrc-explorer-<param>``  one slider per parameter, e.g. ``lrc-explorer-step-size``
``lrc-explorer-plot``     the ``Image`` widget holding the PNG curve
``lrc-explorer-caption``  an HTML line repeating the plot title as text
========================  ==========================================
"""

from __future__ import annotations

import html
import io
import math
from dataclasses import dataclass
from typing import Any

import ipywidgets as widgets
import torch
from matplotlib.figure import Figure
from torch.optim import lr_scheduler

from lrcourse.training import lr_trace as trace_optimizer

__all__ = ["KINDS", "PARAMS", "ScheduleExplorer", "lr_trace", "schedule_explorer", "title_for"]


@dataclass(frozen=True)
class Param:
    """One slider: the keyword ``lr_trace`` reads, its range and its default."""

    name: str
    label: str
    default: Any
    min: float
    max: float
    step: float
    kind: str = "float"  # "float" | "int" | "log" | "range"

    @property
    def css(self) -> str:
        return "lrc-explorer-" + self.name.replace("_", "-")


_COMMON = (
    Param("lr", "base lr", 0.1, -3.0, 0.0, 0.1, "log"),
    Param("num_steps", "steps", 60, 10, 200, 1, "int"),
)

#: scheduler family id -> human label
KINDS: dict[str, str] = {
    "steplr": "StepLR",
    "multisteplr": "MultiStepLR",
    "exponentiallr": "ExponentialLR",
    "cosineannealinglr": "CosineAnnealingLR",
    "warmup-cosine": "LinearLR warmup + cosine (SequentialLR)",
    "onecyclelr": "OneCycleLR",
    "cosine-warm-restarts": "CosineAnnealingWarmRestarts",
}

#: scheduler family id -> its own parameters (the common ``lr`` and ``num_steps`` come first)
PARAMS: dict[str, tuple[Param, ...]] = {
    "steplr": (
        Param("step_size", "step_size", 10, 1, 50, 1, "int"),
        Param("gamma", "gamma", 0.5, 0.05, 0.95, 0.05),
    ),
    "multisteplr": (
        Param("milestones", "milestones", (20, 40), 1, 199, 1, "range"),
        Param("gamma", "gamma", 0.1, 0.05, 0.95, 0.05),
    ),
    "exponentiallr": (Param("gamma", "gamma", 0.95, 0.8, 0.999, 0.001),),
    "cosineannealinglr": (
        Param("t_max", "T_max", 40, 1, 200, 1, "int"),
        Param("eta_min", "eta_min", 0.0, 0.0, 0.05, 0.001),
    ),
    "warmup-cosine": (
        Param("warmup_steps", "warmup", 10, 1, 100, 1, "int"),
        Param("start_factor", "start_factor", 0.01, 0.001, 1.0, 0.001),
        Param("eta_min", "eta_min", 0.0, 0.0, 0.05, 0.001),
    ),
    "onecyclelr": (
        Param("max_lr", "max_lr", 0.1, -3.0, 0.0, 0.1, "log"),
        Param("pct_start", "pct_start", 0.3, 0.05, 0.95, 0.05),
        Param("div_factor", "div_factor", 25.0, 1.0, 100.0, 1.0),
    ),
    "cosine-warm-restarts": (
        Param("t_0", "T_0", 10, 1, 100, 1, "int"),
        Param("t_mult", "T_mult", 2, 1, 4, 1, "int"),
        Param("eta_min", "eta_min", 0.0, 0.0, 0.05, 0.001),
    ),
}


def _defaults(kind: str) -> dict[str, Any]:
    return {p.name: p.default for p in (*_COMMON, *PARAMS[kind])}


def _build(kind: str, optimizer: torch.optim.Optimizer, q: dict[str, Any], num_steps: int):
    """Create the torch scheduler for ``kind`` with the parameters ``q``."""
    if kind == "steplr":
        return lr_scheduler.StepLR(optimizer, step_size=int(q["step_size"]), gamma=q["gamma"])
    if kind == "multisteplr":
        return lr_scheduler.MultiStepLR(
            optimizer, milestones=sorted({int(m) for m in q["milestones"]}), gamma=q["gamma"]
        )
    if kind == "exponentiallr":
        return lr_scheduler.ExponentialLR(optimizer, gamma=q["gamma"])
    if kind == "cosineannealinglr":
        return lr_scheduler.CosineAnnealingLR(
            optimizer, T_max=int(q["t_max"]), eta_min=q["eta_min"]
        )
    if kind == "warmup-cosine":
        warmup = max(1, min(int(q["warmup_steps"]), num_steps - 1))
        return lr_scheduler.SequentialLR(
            optimizer,
            [
                lr_scheduler.LinearLR(
                    optimizer, start_factor=q["start_factor"], total_iters=warmup
                ),
                lr_scheduler.CosineAnnealingLR(
                    optimizer, T_max=max(1, num_steps - warmup), eta_min=q["eta_min"]
                ),
            ],
            milestones=[warmup],
        )
    if kind == "onecyclelr":
        return lr_scheduler.OneCycleLR(
            optimizer,
            max_lr=q["max_lr"],
            total_steps=num_steps,
            pct_start=q["pct_start"],
            div_factor=q["div_factor"],
        )
    if kind == "cosine-warm-restarts":
        return lr_scheduler.CosineAnnealingWarmRestarts(
            optimizer, T_0=int(q["t_0"]), T_mult=int(q["t_mult"]), eta_min=q["eta_min"]
        )
    raise ValueError(f"unknown scheduler kind {kind!r}; expected one of {sorted(KINDS)}")


def lr_trace(
    kind: str, params: dict[str, Any] | None = None, num_steps: int | None = None
) -> list[float]:
    """Return the lr the optimizer uses at each of ``num_steps`` steps under scheduler ``kind``.

    ``params`` overrides the defaults in ``PARAMS[kind]`` (plus ``lr``, the optimizer's lr).
    ``num_steps`` defaults to ``params["num_steps"]`` or 60. The trace is made by stepping the
    real scheduler: element ``i`` is ``optimizer.param_groups[0]["lr"]`` just before the
    ``i``-th ``optimizer.step()``.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown scheduler kind {kind!r}; expected one of {sorted(KINDS)}")
    q = _defaults(kind)
    unknown = set(params or {}) - set(q)
    if unknown:
        raise ValueError(f"unknown parameter(s) {sorted(unknown)} for {kind!r}; known: {sorted(q)}")
    q.update(params or {})
    n = int(num_steps if num_steps is not None else q["num_steps"])
    if n < 1:
        raise ValueError("num_steps must be at least 1")
    dummy = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([dummy], lr=float(q["lr"]), momentum=0.9)
    scheduler = _build(kind, optimizer, q, n)
    return [float(group_lrs[0]) for group_lrs in trace_optimizer(optimizer, scheduler, n)]


def _fmt(value: Any) -> str:
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def title_for(kind: str, params: dict[str, Any]) -> str:
    """The plot title: the family and every parameter value, e.g. ``StepLR(step_size=10, ...)``."""
    label = KINDS[kind].split(" (")[0]
    args = ", ".join(f"{p.label}={_fmt(params[p.name])}" for p in PARAMS[kind])
    return f"{label}({args}) · lr={_fmt(params['lr'])} · {params['num_steps']} steps"


def _slider(p: Param) -> widgets.Widget:
    common = {
        "description": p.label,
        "continuous_update": False,
        "style": {"description_width": "90px"},
        "layout": widgets.Layout(width="420px"),
    }
    if p.kind == "int":
        w = widgets.IntSlider(value=p.default, min=p.min, max=p.max, step=p.step, **common)
    elif p.kind == "range":
        w = widgets.IntRangeSlider(value=p.default, min=p.min, max=p.max, step=p.step, **common)
    elif p.kind == "log":
        w = widgets.FloatLogSlider(
            value=p.default,
            base=10,
            min=p.min,
            max=p.max,
            step=p.step,
            readout_format=".3g",
            **common,
        )
    else:
        decimals = max(0, -math.floor(math.log10(p.step)))
        w = widgets.FloatSlider(
            value=p.default,
            min=p.min,
            max=p.max,
            step=p.step,
            readout_format=f".{decimals}f",
            **common,
        )
    w.add_class(p.css)
    w.add_class("lrc-explorer-slider")
    return w


class ScheduleExplorer(widgets.VBox):
    """Dropdown + sliders + plot. Read ``trace``, ``params`` and ``title`` in tests.

    ``sliders`` maps parameter name -> slider for the *current* family; changing the dropdown
    swaps them. Every change recomputes ``trace`` with ``lr_trace`` and redraws ``plot``.
    """

    def __init__(self, kind: str = "steplr") -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown scheduler kind {kind!r}; expected one of {sorted(KINDS)}")
        self.kind = widgets.Dropdown(
            options=[(label, k) for k, label in KINDS.items()],
            value=kind,
            description="scheduler",
            layout=widgets.Layout(width="420px"),
        )
        self.kind.add_class("lrc-explorer-kind")
        self._all: dict[str, dict[str, widgets.Widget]] = {}
        self.sliders: dict[str, widgets.Widget] = {}
        self.slider_box = widgets.VBox()
        self.slider_box.add_class("lrc-explorer-sliders")
        self.plot = widgets.Image(format="png", layout=widgets.Layout(width="640px"))
        self.plot.add_class("lrc-explorer-plot")
        self.caption = widgets.HTML()
        self.caption.add_class("lrc-explorer-caption")
        self.trace: list[float] = []
        self.title = ""
        self.redraws = 0
        super().__init__([self.kind, self.slider_box, self.caption, self.plot])
        self.add_class("lrc-explorer")
        self.kind.observe(self._on_kind, names="value")
        self._show(kind)

    # ---- state --------------------------------------------------------------------------
    @property
    def params(self) -> dict[str, Any]:
        """The current parameter values, as ``lr_trace`` takes them."""
        return {
            name: (tuple(w.value) if isinstance(w.value, tuple) else w.value)
            for name, w in self.sliders.items()
        }

    def set(self, **values: Any) -> ScheduleExplorer:
        """Set several sliders at once (one redraw per slider); returns self."""
        for name, value in values.items():
            self.sliders[name].value = value
        return self

    # ---- internals ----------------------------------------------------------------------
    def _sliders_for(self, kind: str) -> dict[str, widgets.Widget]:
        if kind not in self._all:
            made = {p.name: _slider(p) for p in (*_COMMON, *PARAMS[kind])}
            for w in made.values():
                w.observe(self._on_change, names="value")
            self._all[kind] = made
        return self._all[kind]

    def _show(self, kind: str) -> None:
        self.sliders = self._sliders_for(kind)
        self.slider_box.children = tuple(self.sliders.values())
        self.redraw()

    def _on_kind(self, change: dict[str, Any]) -> None:
        self._show(change["new"])

    def _on_change(self, change: dict[str, Any]) -> None:
        if change["owner"] in self.sliders.values():
            self.redraw()

    def redraw(self) -> None:
        """Recompute the trace with torch and redraw the PNG and the caption."""
        kind, params = self.kind.value, self.params
        try:
            self.trace = lr_trace(kind, params)
            self.title = title_for(kind, params)
            error = ""
        except (ValueError, ZeroDivisionError) as exc:  # e.g. a parameter torch rejects
            self.trace, self.title = [], title_for(kind, params)
            error = f"{type(exc).__name__}: {exc}"
        self.plot.value = _render_png(self.trace, self.title, error)
        lo = f"{min(self.trace):.3g}" if self.trace else "-"
        hi = f"{max(self.trace):.3g}" if self.trace else "-"
        self.caption.value = f"<code>{html.escape(self.title)}</code><br>lr range [{lo}, {hi}]" + (
            f" <b>torch says:</b> {html.escape(error)}" if error else ""
        )
        self.redraws += 1


def _render_png(trace: list[float], title: str, error: str = "") -> bytes:
    fig = Figure(figsize=(7, 3.2), dpi=90)
    ax = fig.add_subplot()
    if trace:
        ax.plot(range(len(trace)), trace, marker=".", markersize=3, linewidth=1.2)
        ax.set_ylim(bottom=0)
    else:
        ax.text(0.5, 0.5, error, ha="center", va="center", wrap=True, transform=ax.transAxes)
    ax.set_xlabel("step (0-based count of optimizer.step() calls)")
    ax.set_ylabel("lr used")
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def schedule_explorer(kind: str = "steplr") -> ScheduleExplorer:
    """Return the explorer widget (display it as a cell's last expression)."""
    return ScheduleExplorer(kind)
