"""Judges for exercises whose answer is an optimizer's param groups."""

from __future__ import annotations

import math
import random
from collections.abc import Callable

import torch

from lrcourse.exercises.fixtures import Spec, build_model
from lrcourse.exercises.judges import Context, judge
from lrcourse.exercises.judges.common import (
    freeze,
    group_rows,
    initial_parameters,
    module_of,
    parameter_names,
    part,
    read_groups,
    reference_trajectory,
    require_class,
    require_each_once,
    require_returned,
    require_trajectory,
    unchanged,
)
from lrcourse.exercises.observations import Observed
from lrcourse.exercises.outcomes import Incorrect
from lrcourse.exercises.traces import close, lr


def _draw(model: str, batches: int) -> Callable[[random.Random], Spec]:
    def draw(rng: random.Random) -> Spec:
        return {
            "model": model,
            "seed": rng.randrange(2**31),
            "batch_size": rng.randint(4, 9),
            "batches": batches,
            "rounds": 2,
        }

    return draw


@judge("two-lr-groups", _draw("backbone-head", 2))
def two_lr_groups(spec: Spec, observed: Observed, context: Context) -> str:
    model = build_model(spec)
    names = parameter_names(model)
    require_returned(observed, "a `torch.optim.SGD`", "optimizer")
    require_class(observed, "SGD")
    where, foreign, groups = read_groups(observed, names)
    require_each_once(where, foreign)
    want = {n: 1e-3 if n.startswith("backbone.") else 1e-2 for n in names}
    rows = group_rows(groups, where, "lr", want)
    if rows:
        raise Incorrect("Some parameters train with the wrong learning rate", "", rows)
    rows = group_rows(groups, where, "momentum", dict.fromkeys(names, 0.9))
    if rows:
        raise Incorrect(
            "Momentum must be 0.9 in every group",
            "A group without a `momentum` key inherits the value passed to `SGD(...)` (lesson 3, "
            "*What a group inherits*).",
            rows,
        )
    reference = reference_trajectory(
        spec,
        lambda m: torch.optim.SGD(
            [
                {"params": part(m, "backbone").parameters(), "lr": 1e-3},
                {"params": part(m, "head").parameters(), "lr": 1e-2},
            ],
            momentum=0.9,
        ),
    )
    require_trajectory(observed, reference, names, "torch.optim.SGD")
    return f"{len(groups)} groups; backbone at lr 1e-3, head at 1e-2."


@judge("freeze-backbone", _draw("backbone-head", 3))
def freeze_backbone(spec: Spec, observed: Observed, context: Context) -> str:
    model = build_model(spec)
    names = parameter_names(model)
    require_returned(observed, "a `torch.optim.Adam`", "optimizer")
    require_class(observed, "Adam")
    where, _, groups = read_groups(observed, names)
    head = [n for n in names if n.startswith("head.")]
    missing = [n for n in head if not where[n]]
    if missing:
        raise Incorrect(
            "The head's parameters are not in the optimizer", "", [f"`{n}`" for n in missing]
        )
    rows = group_rows(groups, {n: where[n] for n in head}, "lr", dict.fromkeys(head, 1e-3))
    if rows:
        raise Incorrect("The head must train with lr=1e-3", "", rows)
    before = dict(zip(names, initial_parameters(spec), strict=True))
    steps = observed["trajectory"].items()
    if not steps:
        raise Incorrect("The optimizer never stepped")
    after = dict(zip(names, steps[-1].items(), strict=False))
    moved = [n for n in names if n.startswith("backbone.") and not unchanged(before[n], after[n])]
    if moved:
        raise Incorrect(
            "The backbone still trains",
            "After a few training steps these backbone parameters changed:",
            [f"`{n}` (group {where[n][0] if where[n] else '-'})" for n in moved[:6]],
        )
    still = [n for n in head if unchanged(before[n], after[n])]
    if still:
        raise Incorrect(
            "The head did not train",
            "These head parameters never changed; do they still have `requires_grad=True`?",
            [f"`{n}`" for n in still],
        )
    with_state = [names[i] for i in observed["state"].integers() if 0 <= i < len(names)]
    with_state = [n for n in with_state if n.startswith("backbone.")]
    if with_state:
        lrs = {
            groups[where[n][0]]["lr"].value
            for n in with_state
            if where[n] and "lr" in groups[where[n][0]]
        }
        raise Incorrect(
            "Frozen by lr=0? The optimizer still keeps state for the backbone"
            if lrs == {0.0} or lrs == {0}
            else "The optimizer keeps state for backbone parameters",
            "Adam allocates `exp_avg`/`exp_avg_sq` for every parameter it updates, even at lr=0, "
            "and the backbone still gets gradients (lesson 3, *Freezing done right*).",
            [f"state kept for `{n}`" for n in with_state[:3]],
        )

    def reference(m: torch.nn.Module) -> torch.optim.Optimizer:
        freeze(m, "backbone.")
        return torch.optim.Adam(part(m, "head").parameters(), lr=1e-3)

    require_trajectory(
        observed,
        reference_trajectory(spec, reference),
        names,
        "torch.optim.Adam(lr=1e-3) on the head",
    )
    return (
        "Backbone bit-identical after training, head trained, no optimizer state for the backbone."
    )


@judge("no-decay-groups", _draw("mixed", 2))
def no_decay_groups(spec: Spec, observed: Observed, context: Context) -> str:
    model = build_model(spec)
    names = parameter_names(model)
    shapes = {n: p.ndim for n, p in model.named_parameters()}
    require_returned(observed, "a `torch.optim.AdamW`", "optimizer")
    require_class(observed, "AdamW")
    where, foreign, groups = read_groups(observed, names)
    require_each_once(where, foreign)
    rows = group_rows(groups, where, "lr", dict.fromkeys(names, 1e-3))
    if rows:
        raise Incorrect("Every group needs lr=1e-3", "", rows)
    want = {n: 0.05 if shapes[n] >= 2 else 0.0 for n in names}
    rows = group_rows(groups, where, "weight_decay", want)
    if rows:
        got = {n: groups[where[n][0]]["weight_decay"].value for n in names}
        wrong = {
            n
            for n in names
            if not (isinstance(got[n], int | float) and close(float(got[n]), want[n], 0.05))
        }
        raise Incorrect(
            *_decay_diagnosis(wrong, got, shapes),
            [
                f"`{n}` (ndim {shapes[n]}): weight_decay={got[n]}, expected {lr(want[n])}"
                for n in names
                if n in wrong
            ][:8],
        )
    decay = [n for n in names if shapes[n] >= 2]
    reference = reference_trajectory(
        spec,
        lambda m: torch.optim.AdamW(
            [
                {
                    "params": [p for n, p in m.named_parameters() if n in decay],
                    "weight_decay": 0.05,
                },
                {
                    "params": [p for n, p in m.named_parameters() if n not in decay],
                    "weight_decay": 0.0,
                },
            ],
            lr=1e-3,
        ),
    )
    require_trajectory(observed, reference, names, "torch.optim.AdamW")
    return "Matrices decay at 0.05; biases, norm weights and other 0-/1-D parameters do not."


def _decay_diagnosis(
    wrong: set[str], got: dict[str, object], shapes: dict[str, int]
) -> tuple[str, str]:
    """(title, message) naming the rule the learner's split follows."""
    values = {got[n] for n in wrong}
    if values == {0.01}:
        return (
            "Some groups fall back to AdamW's default weight_decay=0.01",
            "A group without a `weight_decay` key inherits the constructor's value, and AdamW's "
            "default is 0.01. Set it in every group.",
        )
    if wrong == set(got) and all(got[n] == (0.0 if shapes[n] >= 2 else 0.05) for n in wrong):
        return (
            "The two weight-decay values are swapped",
            "Your split is right, but the matrices got 0.0 and the 0-/1-D parameters got 0.05.",
        )
    low = {n for n in wrong if shapes[n] <= 1}
    if wrong and wrong == low and all(got[n] == 0.05 for n in wrong):
        if all(n.endswith("bias") is False for n in wrong) and any(
            n.endswith("bias") for n in got if shapes[n] <= 1
        ):
            return (
                "Normalization weights and other 1-D parameters are decayed",
                "Biases are not the only parameters to exempt: LayerNorm/BatchNorm weights and "
                "other 1-D (or 0-D) parameters must not decay either.",
            )
        if all(shapes[n] == 0 for n in wrong):
            return (
                "The 0-D parameter is decayed",
                "A scalar parameter (ndim 0) counts as a 'small' parameter too: your cut-off "
                "leaves it out.",
            )
        return (
            "The cut-off is off by one: 1-D parameters are decayed",
            "Your rule decays every parameter of ndim 1, but only matrices (ndim 2 and up) "
            "should decay.",
        )
    if any(shapes[n] >= 2 and "bias" in n for n in wrong):
        return (
            "A rule based on names misclassifies parameters",
            '`bias_gate.weight` is a 2-D matrix whose *name* contains "bias", so a rule based on '
            "names treats a matrix as a bias (lesson 4, *Weight decay groups: keep biases and "
            "norms out*).",
        )
    if wrong and all(shapes[n] >= 2 for n in wrong):
        return (
            "Some matrices do not decay",
            "Every parameter with ndim >= 2 must get weight_decay=0.05.",
        )
    return (
        "Some parameters get the wrong weight decay",
        "Decide by each parameter's number of dimensions.",
    )


def _exponent(value: float, base: float, decay: float) -> str:
    if value <= 0 or base <= 0:
        return ""
    k = math.log(value / base) / math.log(decay)
    return f" = base_lr·decay^{round(k)}" if abs(k - round(k)) < 1e-4 else ""


def _draw_layerwise(rng: random.Random) -> Spec:
    configs = []
    for _ in range(3):
        configs.append(
            {
                "model": "layered",
                "seed": rng.randrange(2**31),
                "depth": rng.randint(2, 6),
                "base_lr": float(rng.choice((1, 2, 5)) * 10.0 ** rng.randint(-4, -3)),
                "decay": rng.choice((0.5, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9)),
            }
        )
    return {"configs": configs}


@judge("layerwise-lr-decay", _draw_layerwise)
def layerwise_lr_decay(spec: Spec, observed: Observed, context: Context) -> str:
    runs = observed["runs"].items()
    if len(runs) != len(spec["configs"]):
        raise Incorrect("The function did not run for every model it was given")
    for config, run in zip(spec["configs"], runs, strict=True):
        depth, base_lr, decay = int(config["depth"]), float(config["base_lr"]), config["decay"]
        kind = run["returned"].text()
        if kind == "optimizer":
            raise Incorrect("Return the list of param-group dicts, not an optimizer")
        require_returned(run, "a list of param-group dicts", "groups")
        names = parameter_names(build_model(config))
        where, foreign, groups = read_groups(run, names)
        require_each_once(where, foreign)
        want = {}
        for n in names:
            m = module_of(n)
            power = 0 if m == "head" else depth + 1 if m == "embed" else depth - int(m[7:-1])
            want[n] = base_lr * decay**power
        bad: dict[str, tuple[str, float]] = {}
        for n, held in where.items():
            value = groups[held[0]].get("lr")
            if value is None or not value.is_number():
                bad.setdefault(module_of(n), ("not a number", want[n]))
                continue
            got = value.number()
            if not close(got, want[n], base_lr):
                bad.setdefault(
                    module_of(n), (f"{lr(got)}{_exponent(got, base_lr, decay)}", want[n])
                )
        if bad:
            rows = [
                f"{m}: lr={got}, expected {lr(exp)}{_exponent(exp, base_lr, decay)}"
                for m, (got, exp) in bad.items()
            ]
            raise Incorrect(
                _layerwise_title(groups, where, depth),
                f"With L={depth} blocks, base_lr={lr(base_lr)}, decay={decay:g} "
                "(a group without `'lr'` gets AdamW's default 0.001):",
                rows,
            )
    return f"Checked L = {', '.join(str(c['depth']) for c in spec['configs'])}."


def _layerwise_title(
    groups: list[dict[str, Observed]], where: dict[str, list[int]], depth: int
) -> str:
    first = groups[where["blocks.0.0.weight"][0]].get("lr")
    last = groups[where[f"blocks.{depth - 1}.0.weight"][0]].get("lr")
    if (
        first is not None
        and last is not None
        and first.is_number()
        and last.is_number()
        and (first.number() > last.number())
    ):
        return "The decay runs the wrong way: earlier blocks must get *smaller* lrs"
    return "Some layers get the wrong learning rate"
