"""Checks for exercises whose answer is an optimizer's param groups."""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import torch
from torch import nn

from lrcourse.exercises.checks import CheckContext, check
from lrcourse.exercises.fixtures import BackboneHead, LayeredNet, MixedNet, batches, snapshot
from lrcourse.exercises.observe import describe_groups
from lrcourse.exercises.outcomes import Incorrect, NotAttempted
from lrcourse.exercises.traces import close, lr


def require_result(value: Any, what: str) -> Any:
    """NotAttempted when the learner's function returned None (the stub's result)."""
    if value is None:
        raise NotAttempted(
            "Not attempted yet", f"Your function returned `None`; it must return {what}."
        )
    return value


def require_type(optimizer: Any, cls: type, *, exclude: tuple[type, ...] = ()) -> None:
    """Incorrect unless ``optimizer`` is an instance of ``cls`` (and of none of ``exclude``)."""
    if not isinstance(optimizer, cls) or isinstance(optimizer, exclude):
        name = f"torch.optim.{cls.__name__}"
        raise Incorrect(
            f"Return a `{name}`",
            f"Your function returned a `{type(optimizer).__name__}`; "
            f"the contract asks for `{name}`.",
        )


def module_of(name: str) -> str:
    """Top-level module of a parameter name; ``blocks.3.0.weight`` → ``blocks[3]``."""
    parts = name.split(".")
    if parts[0] == "blocks" and len(parts) > 1:
        return f"blocks[{parts[1]}]"
    return parts[0]


def require_each_once(where: dict[str, list[int]], foreign: int) -> None:
    """Every model parameter in exactly one group, and nothing else in the optimizer."""
    missing = [n for n, groups in where.items() if not groups]
    repeated = [n for n, groups in where.items() if len(groups) > 1]
    if missing:
        raise Incorrect(
            f"{len(missing)} parameter(s) are in no param group",
            "Every parameter of the model must sit in exactly one group; these will never train:",
            [f"`{n}`" for n in missing[:8]],
        )
    if repeated:
        raise Incorrect(
            f"{len(repeated)} parameter(s) appear twice in one param group",
            "torch only warns about this (a duplicate inside one group), but the parameter would "
            "be updated twice per step.",
            [f"`{n}` in groups {where[n]}" for n in repeated[:8]],
        )
    if foreign:
        raise Incorrect(
            f"The optimizer holds {foreign} tensor(s) that are not parameters of `model`",
            "Did you build a new model (or new tensors) inside your function? Use the parameters "
            "of the `model` you were given.",
        )


def group_rows(
    optimizer: Any, where: dict[str, list[int]], key: str, want: dict[str, float]
) -> list[str]:
    """Rows ``backbone (4 parameters) in group 0: lr=0.01, expected 0.001`` for mismatches."""
    wrong: dict[tuple[str, int, float, float], int] = defaultdict(int)
    for name, groups in where.items():
        got = float(optimizer.param_groups[groups[0]].get(key, float("nan")))
        if not close(got, want[name], max(abs(want[name]), 1e-12)):
            wrong[(module_of(name), groups[0], got, want[name])] += 1
    return [
        f"{module} ({count} parameter{'s' if count > 1 else ''}) in group {g}: "
        f"{key}={lr(got)}, expected {lr(exp)}"
        for (module, g, got, exp), count in wrong.items()
    ]


@check("two-lr-groups")
def two_lr_groups(make_optimizer: Any, ctx: CheckContext) -> str:
    model = BackboneHead(ctx.rng)
    optimizer = require_result(make_optimizer(model), "a torch.optim.SGD")
    require_type(optimizer, torch.optim.SGD)
    where, foreign = describe_groups(optimizer, model)
    require_each_once(where, foreign)
    want = {n: 1e-3 if n.startswith("backbone.") else 1e-2 for n in where}
    rows = group_rows(optimizer, where, "lr", want)
    if rows:
        raise Incorrect("Some parameters train with the wrong learning rate", "", rows)
    rows = group_rows(optimizer, where, "momentum", dict.fromkeys(where, 0.9))
    if rows:
        raise Incorrect(
            "Momentum must be 0.9 in every group",
            "A group without a `momentum` key inherits the value passed to `SGD(...)`.",
            rows,
        )
    return f"{len(optimizer.param_groups)} groups; backbone at lr 1e-3, head at 1e-2."


def _train(model: nn.Module, optimizer: Any, data: list, rounds: int = 2) -> None:
    for _ in range(rounds):
        for x, y in data:
            optimizer.zero_grad()
            loss = nn.functional.mse_loss(model(x), y)
            if loss.requires_grad:
                loss.backward()
            optimizer.step()


@check("freeze-backbone")
def freeze_backbone(make_optimizer: Any, ctx: CheckContext) -> str:
    model = BackboneHead(ctx.rng)
    data = batches(ctx.rng, model.in_features, model.out_features, 3)
    before = snapshot(model)
    optimizer = require_result(make_optimizer(model), "a torch.optim.Adam")
    require_type(optimizer, torch.optim.Adam, exclude=(torch.optim.AdamW,))
    where, _ = describe_groups(optimizer, model)
    head = [n for n in where if n.startswith("head.")]
    missing = [n for n in head if not where[n]]
    if missing:
        raise Incorrect(
            "The head's parameters are not in the optimizer", "", [f"`{n}`" for n in missing]
        )
    rows = group_rows(optimizer, {n: where[n] for n in head}, "lr", dict.fromkeys(head, 1e-3))
    if rows:
        raise Incorrect("The head must train with lr=1e-3", "", rows)
    _train(model, optimizer, data)
    after = snapshot(model)
    moved = [n for n in where if n.startswith("backbone.") and not torch.equal(before[n], after[n])]
    if moved:
        raise Incorrect(
            "The backbone still trains",
            "After a few training steps these backbone parameters changed:",
            [f"`{n}` (group {where[n][0] if where[n] else '-'})" for n in moved[:6]],
        )
    still = [n for n in head if torch.equal(before[n], after[n])]
    if still:
        raise Incorrect(
            "The head did not train",
            "These head parameters never changed; do they still have `requires_grad=True`?",
            [f"`{n}`" for n in still],
        )
    with_state = [
        n for n, p in model.named_parameters() if n.startswith("backbone.") and p in optimizer.state
    ]
    if with_state:
        lrs = {optimizer.param_groups[where[n][0]]["lr"] for n in with_state if where[n]}
        raise Incorrect(
            "Frozen by lr=0? The optimizer still keeps state for the backbone"
            if lrs == {0.0}
            else "The optimizer keeps state for backbone parameters",
            "Adam allocates `exp_avg`/`exp_avg_sq` for every parameter it updates, even at lr=0, "
            "and the backbone still gets gradients. Freeze with `p.requires_grad_(False)` and give "
            "the optimizer only the head's parameters.",
            [
                f"state for `{n}`: {sorted(optimizer.state[p].keys())}"
                for n, p in model.named_parameters()
                if n in with_state[:3]
            ],
        )
    return (
        "Backbone bit-identical after training, head trained, no optimizer state for the backbone."
    )


@check("no-decay-groups")
def no_decay_groups(make_optimizer: Any, ctx: CheckContext) -> str:
    model = MixedNet(ctx.rng)
    optimizer = require_result(make_optimizer(model), "a torch.optim.AdamW")
    require_type(optimizer, torch.optim.AdamW)
    where, foreign = describe_groups(optimizer, model)
    require_each_once(where, foreign)
    shapes = {n: p.ndim for n, p in model.named_parameters()}
    rows = group_rows(optimizer, where, "lr", dict.fromkeys(where, 1e-3))
    if rows:
        raise Incorrect("Every group needs lr=1e-3", "", rows)
    want = {n: 0.05 if shapes[n] >= 2 else 0.0 for n in where}
    wrong = [
        (n, float(optimizer.param_groups[where[n][0]]["weight_decay"]))
        for n in where
        if not close(float(optimizer.param_groups[where[n][0]]["weight_decay"]), want[n], 0.05)
    ]
    if wrong:
        raise Incorrect(
            _decay_title(wrong, shapes),
            _decay_message(wrong, shapes),
            [
                f"`{n}` (ndim {shapes[n]}): weight_decay={lr(g)}, expected {lr(want[n])}"
                for n, g in wrong[:8]
            ],
        )
    return "Matrices decay at 0.05; biases, norm weights and other 0-/1-D parameters do not."


def _decay_title(wrong: list[tuple[str, float]], shapes: dict[str, int]) -> str:
    names = {n for n, _ in wrong}
    if {g for _, g in wrong} == {0.01}:
        return "Some groups fall back to AdamW's default weight_decay=0.01"
    if names and all(shapes[n] <= 1 and not n.endswith("bias") for n in names):
        return "Normalization weights and other 1-D parameters are decayed"
    if "bias_gate.weight" in names:
        return "A rule based on names misclassifies parameters"
    return "Some parameters get the wrong weight decay"


def _decay_message(wrong: list[tuple[str, float]], shapes: dict[str, int]) -> str:
    names = {n for n, _ in wrong}
    if {g for _, g in wrong} == {0.01}:
        return (
            "A group without a `weight_decay` key inherits the constructor's value, and "
            "AdamW's default is 0.01. Set it in every group (or pass weight_decay=0.05)."
        )
    if any(n == "bias_gate.weight" for n in names):
        return (
            '`bias_gate.weight` is a 2-D matrix whose *name* contains "bias". Decide by '
            "shape: `p.ndim >= 2` decays, `p.ndim <= 1` does not."
        )
    if all(shapes[n] <= 1 for n in names):
        return (
            "Biases are not the only parameters to exempt: LayerNorm/BatchNorm weights and "
            "other 1-D (or 0-D) parameters must get weight_decay=0.0 too. Use `p.ndim <= 1`."
        )
    return "Group by `p.ndim`: >= 2 gets weight_decay=0.05, <= 1 gets 0.0."


def _exponent(value: float, base: float, decay: float) -> str:
    if value <= 0 or base <= 0:
        return ""
    k = math.log(value / base) / math.log(decay)
    return f" = base_lr·decay^{round(k)}" if abs(k - round(k)) < 1e-4 else ""


@check("layerwise-lr-decay")
def layerwise_lr_decay(make_param_groups: Any, ctx: CheckContext) -> str:
    configs = [
        (ctx.rng.randint(2, 6), 10 ** ctx.rng.uniform(-4, -2), ctx.rng.uniform(0.5, 0.95))
        for _ in range(3)
    ]
    for depth, base_lr, decay in configs:
        model = LayeredNet(ctx.rng, depth)
        groups = require_result(
            make_param_groups(model, base_lr, decay), "a list of param-group dicts"
        )
        if isinstance(groups, torch.optim.Optimizer):
            raise Incorrect("Return the list of param-group dicts, not an optimizer")
        optimizer = torch.optim.AdamW(groups)
        where, foreign = describe_groups(optimizer, model)
        require_each_once(where, foreign)
        want = {}
        for n in where:
            m = module_of(n)
            power = 0 if m == "head" else depth + 1 if m == "embed" else depth - int(m[7:-1])
            want[n] = base_lr * decay**power
        bad: dict[str, tuple[float, float]] = {}
        for n, g in where.items():
            got = float(optimizer.param_groups[g[0]]["lr"])
            if not close(got, want[n], base_lr):
                bad.setdefault(module_of(n), (got, want[n]))
        if bad:
            rows = [
                f"{m}: lr={lr(got)}{_exponent(got, base_lr, decay)}, expected "
                f"{lr(exp)}{_exponent(exp, base_lr, decay)}"
                for m, (got, exp) in bad.items()
            ]
            raise Incorrect(
                _layerwise_title(optimizer, where, depth),
                f"With L={depth} blocks, base_lr={lr(base_lr)}, decay={decay:.4g} "
                "(a group without `'lr'` gets AdamW's default 0.001):",
                rows,
            )
    return f"Checked L = {', '.join(str(c[0]) for c in configs)}."


def _layerwise_title(optimizer: Any, where: dict[str, list[int]], depth: int) -> str:
    first = optimizer.param_groups[where["blocks.0.0.weight"][0]]["lr"]
    last = optimizer.param_groups[where[f"blocks.{depth - 1}.0.weight"][0]]["lr"]
    if first > last:
        return "The decay runs the wrong way: earlier blocks must get *smaller* lrs"
    return "Some layers get the wrong learning rate"
