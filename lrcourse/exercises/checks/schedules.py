"""Checks for exercises whose answer is an lr scheduler: drive it with the contract's loop,
record the lr every ``optimizer.step()`` uses, compare with the formula and name pitfalls."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from lrcourse.exercises.checks import CheckContext, check
from lrcourse.exercises.checks.param_groups import require_result
from lrcourse.exercises.fixtures import scheduled_optimizer
from lrcourse.exercises.observe import LrTrace
from lrcourse.exercises.outcomes import Incorrect
from lrcourse.exercises.traces import Trace, first_divergence, lr, matches, side_by_side

STEP_ORDER_WARNING = "before `optimizer.step()`"
Variant = tuple[Trace, str, str]


def drive(optimizer: Any, scheduler: Any, units: int, steps_per_unit: int) -> Trace:
    """Run ``units`` epochs (or batches) of ``steps_per_unit`` optimizer steps, then one
    ``scheduler.step()``; return the lrs used by the first optimizer step of every unit."""
    if not callable(getattr(scheduler, "step", None)):
        raise Incorrect(
            "Return a scheduler",
            f"Got a `{type(scheduler).__name__}`, which has no `step()` method.",
        )
    owner = getattr(scheduler, "optimizer", optimizer)
    if owner is not optimizer:
        raise Incorrect(
            "The scheduler is attached to a different optimizer",
            "Build the scheduler on the `optimizer` argument, not on a new optimizer.",
        )
    trace = LrTrace(optimizer)
    try:
        for _ in range(units):
            for _ in range(steps_per_unit):
                optimizer.step()
            scheduler.step()
    finally:
        trace.close()
    return trace.steps[::steps_per_unit]


def expected(bases: list[float], factor: Callable[[int, int], float], units: int) -> Trace:
    """``bases[g] * factor(g, unit)`` for every unit and group."""
    return [[b * factor(g, u) for g, b in enumerate(bases)] for u in range(units)]


def judge(
    want: Trace,
    got: Trace,
    bases: list[float],
    variants: list[Variant],
    unit: str,
    ctx: CheckContext,
) -> None:
    """Raise Incorrect naming the pitfall (or the first divergence) unless ``got`` == ``want``."""
    if matches(want, got, bases):
        return
    shifted_ahead = (
        list(want[1:]),
        "The schedule runs one step ahead",
        f"Your lr for {unit} e is the contract's lr for {unit} e+1: the first value "
        "is skipped. Did `make_scheduler` call `scheduler.step()` itself, or pass "
        "`last_epoch`?",
    )
    constant = (
        [list(bases)] * len(want),
        "The lr never changes",
        "Is the scheduler attached to this optimizer, and does it change the lr?",
    )
    for trace, title, message in [*variants, constant]:
        if matches(trace, got, bases):
            raise Incorrect(title, message, _rows(want, got, bases, unit))
    if matches(shifted_ahead[0], got[:-1], bases):
        raise Incorrect(
            shifted_ahead[1], shifted_ahead[2] + _warned(ctx), _rows(want, got, bases, unit)
        )
    d = first_divergence(want, got, bases)
    assert d is not None
    raise Incorrect(
        f"The lr first differs at {unit} {d.index}"
        + (f" (param group {d.group})" if len(bases) > 1 else ""),
        f"Expected lr {lr(d.want)}, got {lr(d.got)}." + _warned(ctx),
        _rows(want, got, bases, unit),
    )


def _rows(want: Trace, got: Trace, bases: list[float], unit: str) -> list[str]:
    d = first_divergence(want, got, bases)
    return side_by_side(want, got, d.index if d else 0, unit)


def _warned(ctx: CheckContext) -> str:
    if ctx.captured.warned(STEP_ORDER_WARNING):
        return (
            " torch warned that `lr_scheduler.step()` ran before `optimizer.step()`: "
            "the scheduler was stepped before training started."
        )
    return ""


def _bases(optimizer: Any) -> list[float]:
    return [float(g["lr"]) for g in optimizer.param_groups]


@check("step-decay")
def step_decay(make_scheduler: Any, ctx: CheckContext) -> str:
    optimizer = scheduled_optimizer(ctx.rng, ctx.rng.randint(1, 3))
    bases = _bases(optimizer)
    scheduler = require_result(make_scheduler(optimizer), "a scheduler")
    got = drive(optimizer, scheduler, 60, ctx.rng.randint(1, 3))
    want = expected(bases, lambda g, e: 0.5 ** (e // 10), 60)
    judge(want, got, bases, [], "epoch", ctx)
    return f"lr halves every 10 epochs for all {len(bases)} group(s)."


def _warmup_cosine(
    total: int, warmup: int, shift: int = 0, span: int | None = None, cos_from: int | None = None
) -> Callable[[int, int], float]:
    span = total - warmup if span is None else span
    start = warmup if cos_from is None else cos_from

    def factor(g: int, t: int) -> float:
        if t < warmup:
            return min(1.0, (t + shift) / warmup)
        return 0.5 * (1 + math.cos(math.pi * (t - start) / span))

    return factor


@check("warmup-cosine")
def warmup_cosine(make_scheduler: Any, ctx: CheckContext) -> str:
    configs = []
    for _ in range(3):
        total = ctx.rng.randint(12, 120)
        configs.append((total, ctx.rng.randint(1, total // 3)))
    for total, warmup in configs:
        optimizer = scheduled_optimizer(ctx.rng, ctx.rng.randint(1, 2))
        bases = _bases(optimizer)
        scheduler = require_result(make_scheduler(optimizer, total, warmup), "a scheduler")
        got = drive(optimizer, scheduler, total, 1)
        want = expected(bases, _warmup_cosine(total, warmup), total)
        variants: list[Variant] = [
            (
                expected(bases, _warmup_cosine(total, warmup, shift=1), total),
                "Warmup is off by one",
                f"Step 0 must use lr 0 (m(t) = t / warmup_steps); yours starts at "
                f"base_lr/{warmup} and reaches the peak one step early.",
            ),
            (
                expected(bases, _warmup_cosine(total, warmup, span=total), total),
                "The cosine spans the wrong number of steps",
                "The cosine must run over the `total_steps - warmup_steps` steps after warmup; "
                "yours uses `T_max = total_steps`, so the lr never reaches 0.",
            ),
            (
                expected(bases, _warmup_cosine(total, warmup, span=total, cos_from=0), total),
                "The cosine starts at step 0 instead of after warmup",
                "Measure the cosine's progress from the end of warmup: (t - warmup_steps) / "
                "(total_steps - warmup_steps).",
            ),
        ]
        try:
            judge(want, got, bases, variants, "step", ctx)
        except Incorrect as wrong:
            raise Incorrect(
                wrong.title,
                f"With total_steps={total}, warmup_steps={warmup}: {wrong.message}"
                + _linear_start_note(got, bases, warmup),
                wrong.details,
            ) from None
    return "Checked (total_steps, warmup_steps) = " + ", ".join(map(str, configs)) + "."


def _linear_start_note(got: Trace, bases: list[float], warmup: int) -> str:
    if got and 0 < got[0][0] < bases[0] * 0.5 and warmup > 1:
        return (
            f" At step 0 your lr is {got[0][0] / bases[0]:.3g}·base_lr instead of 0: "
            "LinearLR cannot start at 0; a LambdaLR (or start_factor ≤ 1e-6) can."
        )
    return ""


def _phased(e: int) -> float:
    return 0.5 ** (e // 5) if e < 20 else 0.5**3 * 0.9 ** (e - 19)


@check("phased-schedule")
def phased_schedule(make_scheduler: Any, ctx: CheckContext) -> str:
    optimizer = scheduled_optimizer(ctx.rng, ctx.rng.randint(1, 2))
    bases = _bases(optimizer)
    scheduler = require_result(make_scheduler(optimizer), "a scheduler")
    got = drive(optimizer, scheduler, 60, ctx.rng.randint(1, 2))
    want = expected(bases, lambda g, e: _phased(e), 60)
    step_phase = [min(e, 19) for e in range(60)]
    variants: list[Variant] = [
        (
            expected(bases, lambda g, e: _phased(e) if e < 20 else 0.9 ** (e - 20), 60),
            "The exponential phase restarts from the initial lr",
            "At epoch 20 the lr jumps back to base_lr: `SequentialLR` restarts the second "
            "scheduler "
            "from `initial_lr`. Use one `LambdaLR` with a piecewise factor, e.g. "
            "`0.5 ** (e // 5) if e < 20 else 0.5 ** 3 * 0.9 ** (e - 19)`.",
        ),
        (
            expected(
                bases,
                lambda g, e: (
                    _phased(step_phase[e]) * 0.5 * 0.9 ** max(0, e - 20) if e >= 20 else _phased(e)
                ),
                60,
            ),
            "The step phase decays once too often",
            "At epoch 20 the lr is halved once more before the exponential phase starts: "
            "switching schedulers by hand at epoch 20 applies the StepLR decay of epoch 19→20.",
        ),
        (
            expected(bases, lambda g, e: _phased(e) if e < 20 else 0.5**3 * 0.9 ** (e - 20), 60),
            "The exponential phase starts one epoch late",
            "Epoch 20 must already use 0.5**3 * 0.9 (the first exponential decay); yours keeps "
            "0.5**3 for epoch 20.",
        ),
    ]
    judge(want, got, bases, variants, "epoch", ctx)
    return "Step phase, then a continuous exponential phase from epoch 20."


@check("per-group-decay")
def per_group_decay(make_scheduler: Any, ctx: CheckContext) -> str:
    optimizer = scheduled_optimizer(ctx.rng, 2)
    bases = _bases(optimizer)
    scheduler = require_result(make_scheduler(optimizer), "a scheduler")
    got = drive(optimizer, scheduler, 50, ctx.rng.randint(1, 2))
    want = expected(bases, lambda g, e: 0.95**e if g == 0 else 1.0, 50)
    variants: list[Variant] = [
        (
            expected(bases, lambda g, e: 0.95**e, 50),
            "Both groups decay",
            "Only group 0 decays; group 1 keeps its lr. Give LambdaLR a list with one function per "
            "group: `[lambda e: 0.95 ** e, lambda e: 1.0]`.",
        ),
        (
            expected(bases, lambda g, e: 0.95**e if g == 1 else 1.0, 50),
            "The groups are swapped",
            "Group 0 must decay and group 1 stay constant; the list of lambdas is in group order.",
        ),
    ]
    judge(want, got, bases, variants, "epoch", ctx)
    return "Group 0 decays by 0.95 per epoch, group 1 stays constant."
