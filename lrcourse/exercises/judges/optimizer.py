"""Judge for the exercise whose answer is an Optimizer subclass: compare its parameter
trajectory with torch.optim.SGD on the same problem, and name the hyperparameter it mishandles
by matching the trajectory of each known wrong variant."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import torch

from lrcourse.exercises.fixtures import CUSTOM_STEPS, Spec, custom_problem_trajectory
from lrcourse.exercises.judges import Context, judge
from lrcourse.exercises.observations import Observed, same_values
from lrcourse.exercises.outcomes import Incorrect, NotAttempted

NAMES = ("a (2-D, group 0)", "b (group 0)", "c (group 1)", "an unused parameter (group 1)")
Trajectory = list[list[list[float]]]


def _draw(rng: random.Random) -> Spec:
    return {
        "seed": rng.randrange(2**31),
        "width": rng.randint(2, 5),
        "lr0": rng.choice((0.01, 0.02, 0.05)),
        "m0": rng.choice((0.5, 0.8, 0.9)),
        "wd0": rng.choice((0.001, 0.01, 0.05)),
        "lr1": rng.choice((0.001, 0.002, 0.005)),
        "m1": rng.choice((0.1, 0.3)),
        "wd1": 0.0,
        "gamma": rng.choice((0.3, 0.5, 0.8)),
    }


def _sgd(spec: Spec, **overrides: Any) -> Callable[[list[dict[str, Any]]], Any]:
    def make(groups: list[dict[str, Any]]) -> Any:
        for g in groups:
            for key in ("momentum", "weight_decay", "lr"):
                if key in overrides and key in g:
                    g[key] = overrides[key]
            if overrides.get("defaults_only"):
                for key in ("momentum", "weight_decay", "lr"):
                    g.pop(key, None)
        kwargs = {k: v for k, v in overrides.items() if k in ("dampening", "nesterov")}
        if kwargs.get("dampening") == "momentum":
            kwargs["dampening"] = spec["m0"]
            for g in groups:
                g["dampening"] = g.get("momentum", spec["m0"])
        return torch.optim.SGD(
            groups,
            lr=spec["lr0"],
            momentum=float(overrides["momentum"] if "momentum" in overrides else spec["m0"]),
            weight_decay=float(
                overrides["weight_decay"] if "weight_decay" in overrides else spec["wd0"]
            ),
            foreach=False,
            **kwargs,
        )

    return make


def _frozen(groups: list[dict[str, Any]]) -> Any:
    """An optimizer that never moves anything (every group at lr 0): what a stub does."""
    return torch.optim.SGD([{**g, "lr": 0.0} for g in groups], lr=0.0)


VARIANTS: list[tuple[dict[str, Any], bool, str, str]] = [
    (
        {},
        False,
        "Scheduler lr changes are ignored",
        "The scheduler changes `group['lr']` between steps, but your `step()` keeps using the lr "
        "it was created with (read in `__init__`, or cached).",
    ),
    (
        {"defaults_only": True},
        True,
        "Per-group hyperparameters are ignored",
        "Group 1 sets its own lr, momentum and weight_decay, but your `step()` applies the "
        "constructor's values (`self.defaults`) to every group.",
    ),
    (
        {"weight_decay": 0.0},
        True,
        "Weight decay is missing",
        "Your update matches SGD without weight decay: the `weight_decay * p` term never reaches "
        "the gradient.",
    ),
    (
        {"momentum": 0.0},
        True,
        "Momentum is missing",
        "Your update matches plain SGD: no momentum buffer carries over from one step to the next.",
    ),
    (
        {"dampening": "momentum"},
        True,
        "The momentum buffer is damped",
        "Your buffer mixes in only `(1 - momentum)` of each new gradient; torch's SGD "
        "(dampening 0) adds the whole gradient.",
    ),
    (
        {"nesterov": True},
        True,
        "That is Nesterov momentum",
        "Your update looks one step ahead along the buffer; the contract's SGD steps along the "
        "buffer itself.",
    ),
]


def _first_difference(got: list[Observed], want: Trajectory) -> tuple[int, int] | None:
    if len(got) != len(want):
        return (min(len(got), len(want)), 0)
    for t, (row, expected) in enumerate(zip(got, want, strict=True)):
        params = row.items()
        if len(params) != len(expected):
            return (t, 0)
        for i, (p, w) in enumerate(zip(params, expected, strict=True)):
            if not same_values(p.numbers(), w):
                return (t, i)
    return None


@judge("momentum-sgd", _draw)
def momentum_sgd(spec: Spec, observed: Observed, context: Context) -> str:
    if observed["returned"].text() != "class":
        raise Incorrect("`MomentumSGD` must be a subclass of `torch.optim.Optimizer`")
    got = observed["trajectory"].items()
    want = custom_problem_trajectory(_sgd(spec), spec)
    start = custom_problem_trajectory(_frozen, spec, schedule=False)
    if _first_difference(got, start) is None:
        raise NotAttempted("Not attempted yet", "`step()` never changed any parameter.")
    diff = _first_difference(got, want)
    if diff is None:
        return f"Matches torch.optim.SGD for {CUSTOM_STEPS} steps with two groups and a StepLR."
    for overrides, schedule, title, message in VARIANTS:
        variant = custom_problem_trajectory(_sgd(spec, **overrides), spec, schedule=schedule)
        if _first_difference(got, variant) is None:
            raise Incorrect(
                title, message, [f"first difference at step {diff[0]}, {NAMES[diff[1]]}"]
            )
    raise Incorrect(
        f"The parameters differ from torch.optim.SGD at step {diff[0]}",
        "None of the usual slips explains the difference; compare your update, term by term, "
        "with the statement (gradient, weight decay, buffer, lr), and check that parameters "
        "without a gradient are skipped.",
        [f"first difference: {NAMES[diff[1]]}"],
    )
