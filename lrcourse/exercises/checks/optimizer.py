"""Check for the exercise whose answer is an Optimizer subclass: compare its parameter
trajectory with torch.optim.SGD, and name the hyperparameter it mishandles."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from lrcourse.exercises.checks import CheckContext, check
from lrcourse.exercises.outcomes import Incorrect, NotAttempted

STEPS = 8
Trajectory = list[list[torch.Tensor]]


def _hyper(rng: random.Random) -> dict[str, Any]:
    return {
        "lr0": 10 ** rng.uniform(-2, -1),
        "m0": rng.uniform(0.5, 0.95),
        "wd0": rng.uniform(1e-3, 1e-1),
        "lr1": 10 ** rng.uniform(-3, -2),
        "m1": rng.uniform(0.0, 0.5),
        "wd1": 0.0,
        "gamma": rng.uniform(0.3, 0.8),
        "width": rng.randint(2, 5),
    }


def trajectory(
    make: Callable[[list[dict], dict[str, Any]], Any],
    h: dict[str, Any],
    seed: int,
    *,
    schedule: bool = True,
) -> Trajectory:
    """Train a tiny two-group problem (with one parameter that never gets a gradient) for
    STEPS steps with the optimizer ``make(groups, h)``; return the parameters after each step."""
    torch.manual_seed(seed)
    w = h["width"]
    a, b = nn.Parameter(torch.randn(w, w)), nn.Parameter(torch.randn(w))
    c, unused = nn.Parameter(torch.randn(w)), nn.Parameter(torch.randn(w))
    groups = [
        {"params": [a, b]},
        {"params": [c, unused], "lr": h["lr1"], "momentum": h["m1"], "weight_decay": h["wd1"]},
    ]
    optimizer = make(groups, h)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 3, h["gamma"]) if schedule else None
    xs = torch.randn(STEPS, w)
    out: Trajectory = []
    for t in range(STEPS):
        optimizer.zero_grad()
        loss = ((a @ xs[t] + b) * c).pow(2).sum() + torch.sin(c).sum()
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        out.append([p.detach().clone() for p in (a, b, c, unused)])
    return out


def _sgd(**overrides: Any) -> Callable[[list[dict], dict[str, Any]], Any]:
    def make(groups: list[dict], h: dict[str, Any]) -> Any:
        for g in groups:
            for key in ("momentum", "weight_decay", "lr"):
                if key in overrides and key in g:
                    g[key] = overrides[key]
            if overrides.get("defaults_only"):
                for key in ("momentum", "weight_decay", "lr"):
                    g.pop(key, None)
        kwargs = {k: v for k, v in overrides.items() if k in ("dampening", "nesterov")}
        if kwargs.get("dampening") == "momentum":
            kwargs["dampening"] = h["m0"]
            for g in groups:
                g["dampening"] = g.get("momentum", h["m0"])
        return torch.optim.SGD(
            groups,
            lr=h["lr0"],
            momentum=overrides.get("momentum", h["m0"]),
            weight_decay=overrides.get("weight_decay", h["wd0"]),
            foreach=False,
            **kwargs,
        )

    return make


def first_difference(got: Trajectory, want: Trajectory) -> tuple[int, int] | None:
    """(step, parameter index) of the first mismatch at rtol 1e-5."""
    for t, (row_g, row_w) in enumerate(zip(got, want, strict=True)):
        for i, (g, w) in enumerate(zip(row_g, row_w, strict=True)):
            if not torch.allclose(g, w, rtol=1e-5, atol=1e-7):
                return t, i
    return None


VARIANTS: list[tuple[dict[str, Any], bool, str, str]] = [
    (
        {},
        False,
        "Scheduler lr changes are ignored",
        "Read `group['lr']` inside `step()` every time; a scheduler changes it between steps.",
    ),
    (
        {"defaults_only": True},
        True,
        "Per-group hyperparameters are ignored",
        "Read lr, momentum and weight_decay from each `group` dict, not from `self.defaults`.",
    ),
    (
        {"weight_decay": 0.0},
        True,
        "Weight decay is missing",
        "Add it to the gradient first: `g = p.grad + weight_decay * p`.",
    ),
    (
        {"momentum": 0.0},
        True,
        "Momentum is missing",
        "Keep a buffer per parameter in `self.state[p]`: `buf = momentum * buf + g`.",
    ),
    (
        {"dampening": "momentum"},
        True,
        "The momentum buffer is damped",
        "torch's SGD (dampening 0) uses `buf = momentum * buf + g`, "
        "not `momentum * buf + (1 - momentum) * g`.",
    ),
    (
        {"nesterov": True},
        True,
        "That is Nesterov momentum",
        "Update with `p -= lr * buf`, not with `g + momentum * buf`.",
    ),
]
NAMES = ("a (2-D, group 0)", "b (group 0)", "c (group 1)", "an unused parameter (group 1)")


@check("momentum-sgd")
def momentum_sgd(cls: Any, ctx: CheckContext) -> str:
    if not (isinstance(cls, type) and issubclass(cls, torch.optim.Optimizer)):
        raise Incorrect("`MomentumSGD` must be a subclass of `torch.optim.Optimizer`")
    h, seed = _hyper(ctx.rng), ctx.rng.randrange(2**31)
    want = trajectory(_sgd(), h, seed)

    def learner(groups: list[dict], hyper: dict[str, Any]) -> Any:
        return cls(groups, lr=hyper["lr0"], momentum=hyper["m0"], weight_decay=hyper["wd0"])

    got = trajectory(learner, h, seed)
    start = trajectory(lambda g, hh: torch.optim.SGD(g, lr=0.0), h, seed, schedule=False)
    if first_difference(got, start) is None:
        raise NotAttempted("Not attempted yet", "`step()` never changed any parameter.")
    diff = first_difference(got, want)
    if diff is None:
        return f"Matches torch.optim.SGD for {STEPS} steps with two groups and a StepLR."
    for overrides, schedule, title, message in VARIANTS:
        if first_difference(got, trajectory(_sgd(**overrides), h, seed, schedule=schedule)) is None:
            raise Incorrect(
                title, message, [f"first difference at step {diff[0]}, {NAMES[diff[1]]}"]
            )
    raise Incorrect(
        f"The parameters differ from torch.optim.SGD at step {diff[0]}",
        "Per parameter: g = grad + weight_decay * p; buf = g on the first step, then "
        "buf = momentum * buf + g; p -= lr * buf. Skip parameters whose grad is None.",
        [f"first difference: {NAMES[diff[1]]}"],
    )
