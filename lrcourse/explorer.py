"""An interactive learning-rate schedule explorer for the schedulers lesson.

The curve is never a hand-written formula: ``family_trace`` builds the real ``torch.optim``
scheduler on a dummy optimizer and steps it in the documented order (read the lr the
optimizer will use, ``optimizer.step()``, then ``scheduler.step()``).

``schedule_explorer(kind)`` returns a ``ScheduleExplorer`` (an ``ipywidgets.VBox``) with a
family dropdown, one slider per parameter the family uses, a log-scale switch and a PNG plot
that redraws on every change. Each family is one entry of the ``FAMILIES`` registry: its
label, its sliders and how to build the torch scheduler.
Every control carries a stable CSS class so a browser test can drive it:

========================  ==========================================
``lrc-explorer``          the root box
``lrc-explorer-kind``     the scheduler-family dropdown
``lrc-explorer-<param>``  one slider per parameter, e.g. ``lrc-explorer-step-size``
``lrc-explorer-log``      the "log scale" checkbox for the lr axis
``lrc-explorer-plot``     the ``Image`` widget holding the PNG curve
``lrc-explorer-caption``  an HTML line repeating the plot title as text
========================  ==========================================
"""

from __future__ import annotations

import html
import io
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import ipywidgets as widgets
import torch
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from torch.optim import lr_scheduler
from torch.optim.lr_scheduler import LRScheduler

from lrcourse.display_fallback import LIVE_CLASS, display_with_note
from lrcourse.training import lr_trace

__all__ = [
    "FAMILIES",
    "KINDS",
    "PARAMS",
    "Family",
    "ScheduleExplorer",
    "family",
    "family_trace",
    "schedule_explorer",
    "title_for",
]


@dataclass(frozen=True)
class Param:
    """One slider: the keyword ``family_trace`` reads, its range and its default.

    ``within_steps`` marks a parameter counted in steps that must stay inside the run: its
    slider's maximum follows the ``steps`` slider (a milestone past the last step would never
    be reached).
    """

    name: str
    label: str
    default: Any
    min: float
    max: float
    step: float
    kind: str = "float"  # "float" | "int" | "log" | "range"
    within_steps: bool = False

    @property
    def css(self) -> str:
        return "lrc-explorer-" + self.name.replace("_", "-")


Build = Callable[[torch.optim.Optimizer, dict[str, Any], int], LRScheduler]


@dataclass(frozen=True)
class Family:
    """One scheduler family: its label, its own sliders and how to build it.

    ``uses_base_lr`` is False for a scheduler that ignores the optimizer's lr (OneCycleLR sets
    its own from ``max_lr``), so the explorer offers no base-lr slider for it.
    """

    label: str
    params: tuple[Param, ...]
    build: Build
    uses_base_lr: bool = True

    def controls(self) -> tuple[Param, ...]:
        """Every slider this family shows, the common ones first."""
        common = (_BASE_LR, _STEPS) if self.uses_base_lr else (_STEPS,)
        return (*common, *self.params)


_BASE_LR = Param("lr", "base lr", 0.1, -3.0, 0.0, 0.1, "log")
_STEPS = Param("num_steps", "steps", 60, 10, 200, 1, "int")
_COMMON = (_BASE_LR, _STEPS)


def _warmup_cosine(opt: torch.optim.Optimizer, q: dict[str, Any], n: int) -> LRScheduler:
    warmup = max(1, min(int(q["warmup_steps"]), n - 1))
    return lr_scheduler.SequentialLR(
        opt,
        [
            lr_scheduler.LinearLR(opt, start_factor=q["start_factor"], total_iters=warmup),
            lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, n - warmup), eta_min=q["eta_min"]),
        ],
        milestones=[warmup],
    )


#: scheduler family id -> its registry entry (label, sliders, builder): one place per family
FAMILIES: dict[str, Family] = {
    "steplr": Family(
        "StepLR",
        (
            Param("step_size", "step_size", 10, 1, 50, 1, "int", within_steps=True),
            Param("gamma", "gamma", 0.5, 0.05, 0.95, 0.05),
        ),
        lambda o, q, n: lr_scheduler.StepLR(o, step_size=int(q["step_size"]), gamma=q["gamma"]),
    ),
    "multisteplr": Family(
        "MultiStepLR",
        (
            Param("milestones", "milestones", (20, 40), 1, 199, 1, "range", within_steps=True),
            Param("gamma", "gamma", 0.1, 0.05, 0.95, 0.05),
        ),
        lambda o, q, n: lr_scheduler.MultiStepLR(
            # as given: torch counts a repeated milestone twice (gamma**2 there)
            o,
            milestones=sorted(int(m) for m in q["milestones"]),
            gamma=q["gamma"],
        ),
    ),
    "exponentiallr": Family(
        "ExponentialLR",
        (Param("gamma", "gamma", 0.95, 0.8, 0.999, 0.001),),
        lambda o, q, n: lr_scheduler.ExponentialLR(o, gamma=q["gamma"]),
    ),
    "cosineannealinglr": Family(
        "CosineAnnealingLR",
        (
            Param("t_max", "T_max", 40, 1, 200, 1, "int", within_steps=True),
            Param("eta_min", "eta_min", 0.0, 0.0, 0.05, 0.001),
        ),
        lambda o, q, n: lr_scheduler.CosineAnnealingLR(
            o, T_max=int(q["t_max"]), eta_min=q["eta_min"]
        ),
    ),
    "warmup-cosine": Family(
        "LinearLR warmup + cosine (SequentialLR)",
        (
            Param("warmup_steps", "warmup", 10, 1, 100, 1, "int", within_steps=True),
            Param("start_factor", "start_factor", 0.01, 0.001, 1.0, 0.001),
            Param("eta_min", "eta_min", 0.0, 0.0, 0.05, 0.001),
        ),
        _warmup_cosine,
    ),
    "onecyclelr": Family(
        "OneCycleLR",
        (
            Param("max_lr", "max_lr", 0.1, -3.0, 0.0, 0.1, "log"),
            Param("pct_start", "pct_start", 0.3, 0.05, 0.95, 0.05),
            Param("div_factor", "div_factor", 25.0, 1.0, 100.0, 1.0),
        ),
        lambda o, q, n: lr_scheduler.OneCycleLR(
            o,
            max_lr=q["max_lr"],
            total_steps=n,
            pct_start=q["pct_start"],
            div_factor=q["div_factor"],
        ),
        uses_base_lr=False,
    ),
    "cosine-warm-restarts": Family(
        "CosineAnnealingWarmRestarts",
        (
            Param("t_0", "T_0", 10, 1, 100, 1, "int", within_steps=True),
            Param("t_mult", "T_mult", 2, 1, 4, 1, "int"),
            Param("eta_min", "eta_min", 0.0, 0.0, 0.05, 0.001),
        ),
        lambda o, q, n: lr_scheduler.CosineAnnealingWarmRestarts(
            o, T_0=int(q["t_0"]), T_mult=int(q["t_mult"]), eta_min=q["eta_min"]
        ),
    ),
}

#: scheduler family id -> human label (derived from ``FAMILIES``)
KINDS: dict[str, str] = {k: f.label for k, f in FAMILIES.items()}
#: scheduler family id -> its own parameters (derived from ``FAMILIES``)
PARAMS: dict[str, tuple[Param, ...]] = {k: f.params for k, f in FAMILIES.items()}


def family(kind: str) -> Family:
    """The registry entry for ``kind``; the one place an unknown kind is reported."""
    try:
        return FAMILIES[kind]
    except KeyError:
        raise ValueError(
            f"unknown scheduler kind {kind!r}; expected one of {sorted(FAMILIES)}"
        ) from None


def _defaults(kind: str) -> dict[str, Any]:
    return {p.name: p.default for p in (*_COMMON, *family(kind).params)}


def family_trace(
    kind: str, params: dict[str, Any] | None = None, num_steps: int | None = None
) -> list[float]:
    """Return the lr the optimizer uses at each of ``num_steps`` steps under scheduler ``kind``.

    ``params`` overrides the defaults in ``PARAMS[kind]`` (plus ``lr``, the optimizer's lr).
    ``num_steps`` defaults to ``params["num_steps"]`` or 60. The trace is made by stepping the
    real scheduler: element ``i`` is ``optimizer.param_groups[0]["lr"]`` just before the
    ``i``-th ``optimizer.step()``.
    """
    fam = family(kind)
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
    scheduler = fam.build(optimizer, q, n)
    return [float(group_lrs[0]) for group_lrs in lr_trace(optimizer, scheduler, n)]


def _fmt(value: Any) -> str:
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def title_for(kind: str, params: dict[str, Any]) -> str:
    """The plot title: the family and every parameter value, e.g. ``StepLR(step_size=10, ...)``.

    The base lr is named only for families that use it (OneCycleLR sets its own lrs).
    """
    fam = family(kind)
    label = fam.label.split(" (")[0]
    args = ", ".join(f"{p.label}={_fmt(params[p.name])}" for p in fam.params)
    lr = f" · lr={_fmt(params['lr'])}" if fam.uses_base_lr else ""
    return f"{label}({args}){lr} · {params['num_steps']} steps"


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


class ScheduleExplorer(widgets.VBox):  # type: ignore[misc]  # ipywidgets has no type hints
    """Dropdown + sliders + log-scale switch + plot. Read ``trace``, ``params`` and ``title``.

    ``sliders`` maps parameter name -> slider for the *current* family, and holds only what
    that family uses (no base lr for OneCycleLR); changing the dropdown swaps them. Sliders
    counted in steps cannot go past the last step. Every change recomputes ``trace`` with
    ``family_trace`` and redraws ``plot``.
    """

    def __init__(self, kind: str = "steplr") -> None:
        family(kind)
        self.kind = widgets.Dropdown(
            options=[(f.label, k) for k, f in FAMILIES.items()],
            value=kind,
            description="scheduler",
            layout=widgets.Layout(width="420px"),
        )
        self.kind.add_class("lrc-explorer-kind")
        self.log_scale = widgets.Checkbox(
            value=False, description="log scale (lr axis)", indent=False
        )
        self.log_scale.add_class("lrc-explorer-log")
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
        super().__init__([self.kind, self.slider_box, self.log_scale, self.caption, self.plot])
        self.add_class("lrc-explorer")
        self.add_class(LIVE_CLASS)
        self.kind.observe(self._on_kind, names="value")
        self.log_scale.observe(lambda _: self.redraw(), names="value")
        self._show(kind)

    def _ipython_display_(self, **kwargs: Any) -> None:
        display_with_note("Schedule explorer", self._repr_mimebundle_())

    # ---- state --------------------------------------------------------------------------
    @property
    def params(self) -> dict[str, Any]:
        """The current parameter values, as ``family_trace`` takes them."""
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
            made = {p.name: _slider(p) for p in family(kind).controls()}
            for w in made.values():
                w.observe(self._on_change, names="value")
            self._all[kind] = made
        return self._all[kind]

    def _show(self, kind: str) -> None:
        self.sliders = self._sliders_for(kind)
        self.slider_box.children = tuple(self.sliders.values())
        self._limit()
        self.redraw()

    def _limit(self) -> bool:
        """Keep step-counted sliders inside the run; True when a value had to move."""
        steps = int(self.sliders["num_steps"].value)
        moved = False
        for p in family(self.kind.value).params:
            if not p.within_steps:
                continue
            w = self.sliders[p.name]
            top = steps - 1 if p.kind == "range" else steps
            before = w.value
            w.max = max(int(p.min) + 1, min(int(p.max), top))  # ipywidgets clamps the value
            moved = moved or w.value != before
        return moved

    def _on_kind(self, change: dict[str, Any]) -> None:
        self._show(change["new"])

    def _on_change(self, change: dict[str, Any]) -> None:
        if change["owner"] not in self.sliders.values():
            return
        if change["owner"] is self.sliders["num_steps"]:
            self._limit()
        self.redraw()

    def redraw(self) -> None:
        """Recompute the trace with torch and redraw the PNG and the caption."""
        kind, params = self.kind.value, self.params
        self.title = title_for(kind, {"lr": _BASE_LR.default, **params})
        try:
            self.trace = family_trace(kind, params)
            error = ""
        except (ValueError, ZeroDivisionError) as exc:  # e.g. a parameter torch rejects
            self.trace = []
            error = f"{type(exc).__name__}: {exc}"
        self.plot.value = render_png(self.trace, self.title, error, log=self.log_scale.value)
        lo = f"{min(self.trace):.3g}" if self.trace else "-"
        hi = f"{max(self.trace):.3g}" if self.trace else "-"
        self.caption.value = f"<code>{html.escape(self.title)}</code><br>lr range [{lo}, {hi}]" + (
            f" <b>torch says:</b> {html.escape(error)}" if error else ""
        )
        self.redraws += 1


def render_png(trace: list[float], title: str, error: str = "", *, log: bool = False) -> bytes:
    """The lr curve as PNG bytes: integer step ticks, optional log lr axis, white background.

    On a log axis, steps where the lr is 0 cannot be drawn; the plot says how many were left
    out. The opaque white background keeps the dark text readable in a dark theme too.
    """
    fig = Figure(figsize=(7, 3.2), dpi=90, facecolor="white")
    ax = fig.add_subplot()
    if trace:
        points = [(i, v) for i, v in enumerate(trace) if v > 0 or not log]
        # the lr is constant during a step: draw it as a staircase, not as slopes
        ax.plot([i for i, _ in points], [v for _, v in points], marker=".", markersize=3,
                linewidth=1.2, drawstyle="steps-post")  # fmt: skip
        if log and points:
            ax.set_yscale("log")
            if len(points) < len(trace):
                ax.text(0.99, 0.02, f"{len(trace) - len(points)} step(s) at lr=0 not shown",
                        ha="right", va="bottom", fontsize=8, transform=ax.transAxes)  # fmt: skip
        else:
            ax.set_ylim(bottom=0)
    else:
        ax.text(0.5, 0.5, error, ha="center", va="center", wrap=True, transform=ax.transAxes)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("step (0-based count of optimizer.step() calls)")
    ax.set_ylabel("lr used" + (" (log scale)" if log else ""))
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def schedule_explorer(kind: str = "steplr") -> ScheduleExplorer:
    """Return the explorer widget (display it as a cell's last expression)."""
    return ScheduleExplorer(kind)
