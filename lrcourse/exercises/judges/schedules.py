"""Judges for exercises whose answer is an lr scheduler: compare the lr every
``optimizer.step()`` used with the contract's formula, and name the known wrong schedules."""

from __future__ import annotations

import math
import random
from collections.abc import Callable

from lrcourse.exercises.fixtures import Spec
from lrcourse.exercises.judges import Context, judge
from lrcourse.exercises.judges.common import STEP_ORDER_WARNING, require_returned
from lrcourse.exercises.observations import Observed
from lrcourse.exercises.outcomes import Incorrect
from lrcourse.exercises.traces import Trace, first_divergence, lr, matches, side_by_side

Variant = tuple[Trace, str, str]


def draw_optimizer(rng: random.Random, groups: int) -> Spec:
    """A scheduled optimizer's spec: round base lrs, small one-parameter groups."""
    return {
        "seed": rng.randrange(2**31),
        "lrs": [float(rng.choice((1, 2, 5)) * 10.0 ** rng.randint(-4, -1)) for _ in range(groups)],
        "sizes": [rng.randint(1, 4) for _ in range(groups)],
        "momentum": rng.choice([0.0, 0.9]),
    }


def expected(bases: list[float], factor: Callable[[int, int], float], units: int) -> Trace:
    """``bases[g] * factor(g, unit)`` for every unit and group."""
    return [[b * factor(g, u) for g, b in enumerate(bases)] for u in range(units)]


def read_trace(observed: Observed, what: str = "a scheduler") -> list[list[float]]:
    """The observed lr trace; Incorrect when the learner returned no usable scheduler or the
    lrs are not plain numbers."""
    kind = observed["returned"].text()
    if kind == "foreign-scheduler":
        raise Incorrect(
            "The scheduler is attached to a different optimizer",
            "Build the scheduler on the `optimizer` argument, not on a new optimizer.",
        )
    if kind == "other":
        raise Incorrect(
            "Return a scheduler",
            f"Got a `{observed['type'].text()}`, which has no `step()` method.",
        )
    require_returned(observed, what, "scheduler")
    rows = observed["trace"].items()
    trace: list[list[float]] = []
    for row in rows:
        values = row.items()
        if not all(v.is_number() for v in values):
            odd = next(v.value for v in values if not v.is_number())
            raise Incorrect(
                "The lr is not a plain number",
                f"An optimizer step saw an lr of type {odd}; schedulers must set Python floats.",
            )
        trace.append([v.number() for v in values])
    return trace


def compounded(want: Trace, bases: list[float]) -> Trace:
    """The trace a MultiplicativeLR gives when handed the contract's factor: every step
    multiplies the lr by the factor again."""
    out: list[list[float]] = []
    for e in range(len(want)):
        values = []
        for g, base in enumerate(bases):
            product = 1.0
            for k in range(1, e + 1):
                product *= want[k][g] / base if base else 0.0
            values.append(base * product)
        out.append(values)
    return out


def _looks_like_an_lr(value: float, bases: list[float]) -> bool:
    if any(abs(value - b) <= 1e-9 * max(b, 1e-12) for b in bases):
        return True
    return any(abs(value - m * 10.0**-k) <= 1e-9 for k in range(1, 7) for m in (1, 2, 5))


def _constant_ratio(want: Trace, got: Trace) -> float | None:
    """r when every lr is r times the contract's (r != 1), else None."""
    ratios = [
        g / w
        for row_w, row_g in zip(want, got, strict=False)
        for w, g in zip(row_w, row_g, strict=False)
        if w != 0
    ]
    if len(got) != len(want) or not ratios:
        return None
    first = ratios[0]
    if abs(first - 1) < 1e-6 or any(abs(r - first) > 1e-6 * abs(first) for r in ratios):
        return None
    return first


def decide_trace(
    want: Trace,
    got: Trace,
    bases: list[float],
    variants: list[Variant],
    unit: str,
    context: Context,
) -> None:
    """Raise Incorrect naming the known mistake (or, when none fits, where the lr first
    differs) unless ``got`` equals ``want``."""
    if matches(want, got, bases):
        return
    rows = _rows(want, got, bases, unit)
    generic: list[Variant] = [
        (
            [list(bases)] * len(want),
            "The lr never changes",
            "Every step used the base lr: the scheduler did not change it.",
        ),
        (
            compounded(want, bases),
            "The factors compound",
            "Each step's lr is the previous one times the contract's factor, as "
            "`MultiplicativeLR` does; the contract's factor is relative to the base lr, which "
            "is how `LambdaLR` applies it.",
        ),
    ]
    for trace, title, message in [*variants, *generic]:
        if matches(trace, got, bases):
            raise Incorrect(title, message, rows)
    ratio = _constant_ratio(want, got)
    if ratio is not None:
        if _looks_like_an_lr(ratio, bases):
            raise Incorrect(
                "The schedule's function returns an lr, not a factor",
                f"Every lr is {ratio:g} times the contract's: `LambdaLR` multiplies each "
                f"group's base lr by what your function returns, and yours returns values "
                f"scaled by {ratio:g}, an lr.",
                rows,
            )
        raise Incorrect(
            f"Every lr is {ratio:g} times the contract's",
            "The shape of your schedule is right; its scale is not.",
            rows,
        )
    if len(got) == len(want) and matches(list(want[1:]), got[:-1], bases):
        cause = (
            " torch warned that `lr_scheduler.step()` ran before `optimizer.step()`: "
            "`make_scheduler` steps the scheduler before training starts (lesson 5, *Rule 1*)."
            if context.warned(STEP_ORDER_WARNING)
            else " The schedule is computed one step ahead (e.g. from `e + 1`)."
        )
        raise Incorrect(
            "The schedule runs one step ahead",
            f"Your lr for {unit} e is the contract's lr for {unit} e+1: the first value is "
            "skipped." + cause,
            rows,
        )
    if len(got) == len(want) and len(want) > 1 and matches(list(want[:-1]), got[1:], bases):
        raise Incorrect(
            "The schedule runs one step behind",
            f"Your lr for {unit} e+1 is the contract's lr for {unit} e: the schedule is "
            "shifted by one (e.g. computed from `e - 1`).",
            rows,
        )
    d = first_divergence(want, got, bases)
    assert d is not None
    raise Incorrect(
        f"The lr first differs at {unit} {d.index}"
        + (f" (param group {d.group})" if len(bases) > 1 else ""),
        f"Expected lr {lr(d.want)}, got {lr(d.got)}." + _warned(context),
        rows,
    )


def _rows(want: Trace, got: Trace, bases: list[float], unit: str) -> list[str]:
    d = first_divergence(want, got, bases)
    return side_by_side(want, got, d.index if d else 0, unit, bases)


def _warned(context: Context) -> str:
    if context.warned(STEP_ORDER_WARNING):
        return (
            " torch warned that `lr_scheduler.step()` ran before `optimizer.step()`: "
            "the scheduler was stepped before training started."
        )
    return ""


def _draw_epochs(
    groups: tuple[int, int], units: int, steps: tuple[int, int]
) -> Callable[[random.Random], Spec]:
    def draw(rng: random.Random) -> Spec:
        spec = draw_optimizer(rng, rng.randint(*groups))
        spec.update(units=units, steps_per_unit=rng.randint(*steps))
        return spec

    return draw


@judge("step-decay", _draw_epochs((1, 3), 60, (1, 3)))
def step_decay(spec: Spec, observed: Observed, context: Context) -> str:
    bases = list(spec["lrs"])
    got = read_trace(observed)
    want = expected(bases, lambda g, e: 0.5 ** (e // 10), 60)
    variants: list[Variant] = [
        (
            expected(bases, lambda g, e: 0.5 ** (e / 10), 60),
            "The lr decays smoothly instead of in steps",
            "The contract halves the lr once every 10 epochs and holds it in between; yours "
            "shrinks a little every epoch.",
        ),
        (
            expected(bases, lambda g, e: 0.1 ** (e // 10), 60),
            "The decay factor is wrong: the lr drops 10× per step",
            "Each step must halve the lr (gamma 0.5); yours divides it by 10.",
        ),
        (
            expected(bases, lambda g, e: 0.5 ** (e // 5), 60),
            "The lr halves every 5 epochs instead of every 10",
            "The step size is 10 epochs.",
        ),
    ]
    decide_trace(want, got, bases, variants, "epoch", context)
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


def _draw_warmup(rng: random.Random) -> Spec:
    configs = []
    for _ in range(3):
        total = rng.randint(12, 120)
        warmup = rng.randint(1, total // 3)
        spec = draw_optimizer(rng, rng.randint(1, 2))
        spec.update(units=total, steps_per_unit=1, args=[total, warmup])
        configs.append(spec)
    return {"configs": configs}


@judge("warmup-cosine", _draw_warmup)
def warmup_cosine(spec: Spec, observed: Observed, context: Context) -> str:
    runs = observed["runs"].items()
    if len(runs) != len(spec["configs"]):
        raise Incorrect("The scheduler was not built for every configuration")
    _require_arguments_used(spec, runs)
    for config, run in zip(spec["configs"], runs, strict=True):
        total, warmup = int(config["args"][0]), int(config["args"][1])
        bases = list(config["lrs"])
        got = read_trace(run)
        want = expected(bases, _warmup_cosine(total, warmup), total)
        variants: list[Variant] = [
            (
                expected(bases, _warmup_cosine(total, warmup, shift=1), total),
                "Warmup is off by one",
                f"Step 0 must use lr 0 (factor t / warmup_steps); yours starts at base_lr/{warmup} "
                "and reaches the peak one step early.",
            ),
            (
                expected(bases, _warmup_cosine(total, warmup, span=total), total),
                "The cosine spans the wrong number of steps",
                "The cosine must run over the `total_steps - warmup_steps` steps after warmup; "
                "yours uses all `total_steps`, so the lr never reaches 0.",
            ),
            (
                expected(bases, _warmup_cosine(total, warmup, span=total, cos_from=0), total),
                "The cosine starts at step 0 instead of after warmup",
                "Measure the cosine's progress from the end of warmup, not from step 0.",
            ),
            (
                expected(bases, _warmup_cosine(total, 0), total),
                "The warmup is missing",
                "The lr must start at 0 and climb linearly for `warmup_steps` steps before the "
                "cosine decay; yours starts the cosine at once.",
            ),
        ]
        try:
            decide_trace(want, got, bases, variants, "step", context)
        except Incorrect as wrong:
            raise Incorrect(
                wrong.title,
                f"With total_steps={total}, warmup_steps={warmup}: {wrong.message}"
                + _linear_start_note(got, bases, warmup),
                wrong.details,
            ) from None
    shown = ", ".join(f"({c['args'][0]}, {c['args'][1]})" for c in spec["configs"])
    return f"Checked (total_steps, warmup_steps) = {shown}."


def _require_arguments_used(spec: Spec, runs: list[Observed]) -> None:
    """Incorrect when the schedule is the same whatever total_steps and warmup_steps are."""
    shapes = []
    for config, run in zip(spec["configs"], runs, strict=True):
        try:
            trace = read_trace(run)
        except Incorrect:
            return  # the per-configuration verdict explains it
        bases = list(config["lrs"])
        shapes.append([row[0] / bases[0] for row in trace])
    common = min(len(shape) for shape in shapes)
    same = all(
        abs(a - b) <= 1e-6
        for shape in shapes[1:]
        for a, b in zip(shape[:common], shapes[0][:common], strict=True)
    )
    wanted = [(int(c["args"][0]), int(c["args"][1])) for c in spec["configs"]]
    if same and common > 2 and len(set(wanted)) > 1:
        raise Incorrect(
            "The schedule ignores `total_steps` and `warmup_steps`",
            "Across (total_steps, warmup_steps) = "
            + ", ".join(map(str, wanted))
            + " your lr follows the same curve: the function does not use the arguments it "
            "was given.",
        )


def _linear_start_note(got: Trace, bases: list[float], warmup: int) -> str:
    if got and 0 < got[0][0] < bases[0] * 0.5 and warmup > 1:
        return (
            f" At step 0 your lr is {got[0][0] / bases[0]:.3g}·base_lr instead of 0: LinearLR "
            "cannot start at exactly 0 (its start_factor must be greater than 0)."
        )
    return ""


def _phased(e: int) -> float:
    return 0.5 ** (e // 5) if e < 20 else 0.5**3 * 0.9 ** (e - 19)


@judge("phased-schedule", _draw_epochs((1, 2), 60, (1, 2)))
def phased_schedule(spec: Spec, observed: Observed, context: Context) -> str:
    bases = list(spec["lrs"])
    got = read_trace(observed)
    want = expected(bases, lambda g, e: _phased(e), 60)
    step_phase = [min(e, 19) for e in range(60)]
    variants: list[Variant] = [
        (
            expected(bases, lambda g, e: _phased(e) if e < 20 else 0.9 ** (e - 20), 60),
            "The exponential phase restarts from the initial lr",
            "At epoch 20 the lr jumps back to base_lr: `SequentialLR` restarts the second "
            "scheduler from each group's `initial_lr`, so the phases are not continuous (lesson 5, "
            "*The restart pitfall*).",
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
            "Epoch 20 must already use the first exponential decay (0.5**3 * 0.9); yours keeps "
            "0.5**3 for epoch 20.",
        ),
        (
            expected(bases, lambda g, e: 0.5 ** (e // 5) * 0.9**e, 60),
            "Both schedules run at once",
            "The lr halves every 5 epochs *and* shrinks by 0.9 every epoch from the start: "
            "`ChainedScheduler` applies every scheduler at every step; the contract runs them "
            "one after the other (lesson 5, *Combining schedulers: SequentialLR vs "
            "ChainedScheduler*).",
        ),
        (
            expected(bases, lambda g, e: 0.5 ** (e // 5), 60),
            "The exponential phase is missing",
            "After epoch 19 the lr must shrink by 0.9 every epoch; yours keeps halving every 5.",
        ),
    ]
    decide_trace(want, got, bases, variants, "epoch", context)
    return "Step phase, then a continuous exponential phase from epoch 20."


@judge("per-group-decay", _draw_epochs((2, 2), 50, (1, 2)))
def per_group_decay(spec: Spec, observed: Observed, context: Context) -> str:
    bases = list(spec["lrs"])
    got = read_trace(observed)
    want = expected(bases, lambda g, e: 0.95**e if g == 0 else 1.0, 50)
    variants: list[Variant] = [
        (
            expected(bases, lambda g, e: 0.95**e, 50),
            "Both groups decay",
            "Only group 0 decays; group 1 must keep its lr. One function for the whole "
            "optimizer applies to every group.",
        ),
        (
            expected(bases, lambda g, e: 0.95**e if g == 1 else 1.0, 50),
            "The groups are swapped",
            "Group 0 must decay and group 1 stay constant; a list of lambdas is read in "
            "param-group order.",
        ),
        (
            expected(bases, lambda g, e: 0.9**e if g == 0 else 1.0, 50),
            "Group 0 decays at the wrong rate",
            "Group 0's lr must shrink by a factor 0.95 per epoch.",
        ),
    ]
    decide_trace(want, got, bases, variants, "epoch", context)
    return "Group 0 decays by 0.95 per epoch, group 1 stays constant."
