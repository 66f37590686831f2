"""Judges for exercises whose answer is a training procedure: ``fit`` and the lr range test."""

from __future__ import annotations

import random

import torch
from torch import nn

from lrcourse.exercises.fixtures import (
    Spec,
    build_batches,
    build_model,
    flat_parameters,
    sgd_with_step_lr,
)
from lrcourse.exercises.judges import Context, judge
from lrcourse.exercises.judges.common import (
    differing_parameters,
    initial_parameters,
    parameter_names,
    require_returned,
    step_order_note,
)
from lrcourse.exercises.observations import Observed
from lrcourse.exercises.outcomes import Incorrect, NotAttempted
from lrcourse.exercises.traces import close, lr, times


def _draw_loop(rng: random.Random) -> Spec:
    return {
        "model": "backbone-head",
        "seed": rng.randrange(2**31),
        "batch_size": rng.randint(4, 9),
        "batches": rng.randint(2, 4),
        "epochs": rng.randint(2, 4),
        "lr": rng.choice((0.005, 0.01, 0.02)),
        "gamma": rng.choice((0.3, 0.5, 0.8)),
    }


def _reference_fit(spec: Spec) -> list[list[float]]:
    model = build_model(spec)
    data = build_batches(spec, model)
    optimizer, scheduler = sgd_with_step_lr(model, spec)
    for _ in range(int(spec["epochs"])):
        for x, y in data:
            optimizer.zero_grad()
            torch.autograd.backward(nn.functional.mse_loss(model(x), y))
            optimizer.step()
        scheduler.step()
    return flat_parameters(model)


@judge("training-loop", _draw_loop)
def training_loop(spec: Spec, observed: Observed, context: Context) -> str:
    epochs, count = int(spec["epochs"]), int(spec["batches"])
    events = [e.mapping() for e in observed["events"].items()]
    if not events:
        raise NotAttempted("Not attempted yet", "`fit` returned without touching the model.")
    _diagnose_calls(events, epochs, count, context)
    names = parameter_names(build_model(spec))
    off = differing_parameters(names, observed["final"].items(), _reference_fit(spec))
    if off:
        raise Incorrect(
            "The call order looks right, but the final parameters differ from a reference run",
            "Use each (x, y) batch once per epoch, compute `loss = loss_fn(model(x), y)`, and "
            "change the parameters only through `optimizer.step()`.",
            [f"`{n}` differs" for n in off[:5]],
        )
    return f"{epochs} epochs × {count} batches: call order and final parameters match."


def _diagnose_calls(
    events: list[dict[str, Observed]], epochs: int, count: int, context: Context
) -> None:
    names = [e["event"].text() for e in events]
    steps = [e for e in events if e["event"].text() == "step"]
    backwards = [e["clear"].flag() for e in events if e["event"].text() == "backward"]
    if not backwards:
        raise Incorrect("`loss.backward()` is never called", "Without it there are no gradients.")
    if not steps:
        raise Incorrect("`optimizer.step()` is never called", "The parameters never change.")
    if len(steps) != epochs * count:
        raise Incorrect(
            f"`optimizer.step()` ran {times(len(steps))}; expected {epochs * count}",
            f"One step per batch: {epochs} epochs × {count} batches.",
        )
    if not all(backwards[1:]):
        raise Incorrect(
            "Gradients are not cleared before `backward()`",
            "`backward()` adds to `.grad`; without `optimizer.zero_grad()` each step uses the sum "
            "of all gradients so far.",
        )
    clears = [s["clear"].flag() for s in steps]
    if any(clears):
        raise Incorrect(
            "Gradients are cleared between `backward()` and `optimizer.step()`",
            "`zero_grad()` must come before `backward()`; between `backward()` and `step()` it "
            "throws the gradients away.",
        )
    scheds = names.count("sched")
    if scheds == 0:
        raise Incorrect("`scheduler.step()` is never called", "The lr never changes.")
    if scheds == epochs * count and count > 1:
        raise Incorrect(
            "The scheduler is stepped once per batch instead of once per epoch",
            f"It ran {times(scheds)} for {epochs} epochs.",
        )
    if scheds != epochs:
        raise Incorrect(
            f"`scheduler.step()` ran {times(scheds)}; expected once per epoch ({epochs})"
        )
    if names.index("sched") < names.index("step"):
        first = steps[0]["lrs"].items()
        shown = lr(first[0].number()) if first and first[0].is_number() else "?"
        raise Incorrect(
            "The scheduler is stepped before the optimizer",
            "`scheduler.step()` runs before the epoch's `optimizer.step()` calls, so the first "
            "lr of the schedule is skipped" + step_order_note(context),
            [f"lr used in epoch 0: {shown}"],
        )


def _draw_range(rng: random.Random) -> Spec:
    return {
        "model": "backbone-head",
        "seed": rng.randrange(2**31),
        "batch_size": rng.randint(4, 9),
        "batches": rng.randint(2, 4),
        "n": rng.randint(5, 12),
        "start": rng.choice((1e-5, 1e-4, 1e-3)),
        "end": rng.choice((0.05, 0.1, 0.3)),
    }


def _reference_range_test(spec: Spec) -> tuple[list[float], list[float], list[float]]:
    model = build_model(spec)
    data = build_batches(spec, model)
    start, end, n = float(spec["start"]), float(spec["end"]), int(spec["n"])
    lrs = [start * (end / start) ** (i / (n - 1)) for i in range(n)]
    optimizer = torch.optim.SGD(model.parameters(), lr=start)
    before, after = [], []
    for i, value in enumerate(lrs):
        x, y = data[i % len(data)]
        optimizer.param_groups[0]["lr"] = value
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        torch.autograd.backward(loss)
        optimizer.step()
        before.append(float(loss))
        with torch.no_grad():
            after.append(float(nn.functional.mse_loss(model(x), y)))
    return lrs, before, after


def _numbers(observed: Observed, key: str) -> list[float]:
    values = observed[key].items()
    odd = next((v.value for v in values if not v.is_number()), None)
    if odd is not None:
        raise Incorrect(
            "Return a pair `(lrs, losses)` of two lists of numbers",
            f"`{key}` holds a value of type {odd}.",
        )
    return [v.number() for v in values]


@judge("lr-range-test", _draw_range)
def lr_range_test(spec: Spec, observed: Observed, context: Context) -> str:
    n, start, end = int(spec["n"]), float(spec["start"]), float(spec["end"])
    kind = observed["returned"].text()
    if kind == "other":
        raise Incorrect(
            "Return a pair `(lrs, losses)` of two lists of numbers",
            f"Got a `{observed['type'].text()}`.",
        )
    require_returned(observed, "(lrs, losses)", "pair")
    lrs, losses = _numbers(observed, "lrs"), _numbers(observed, "losses")
    if len(lrs) != n or len(losses) != n:
        raise Incorrect(
            f"Both lists need num_steps={n} entries",
            f"Got {len(lrs)} lrs and {len(losses)} losses.",
        )
    want_lrs, want_losses, after_losses = _reference_range_test(spec)
    _judge_lrs(lrs, want_lrs, start, end, n)
    _judge_losses(losses, want_losses, after_losses)
    names = parameter_names(build_model(spec))
    before = initial_parameters(spec)
    final = observed["final"].items()
    moved = [n for n, b, f in zip(names, before, final, strict=False) if f.numbers() != b]
    if moved or len(final) != len(before):
        raise Incorrect(
            "The model's parameters were not restored",
            "After the call the parameters must equal their values before it. A saved "
            "`model.state_dict()` holds the live tensors, so it changes as training runs.",
            [f"`{k}` changed" for k in moved[:5]],
        )
    return f"{n} steps from {lr(start)} to {lr(end)}: lrs, losses and restore all match."


def _judge_lrs(lrs: list[float], want: list[float], start: float, end: float, n: int) -> None:
    bad = next(
        (i for i, (g, w) in enumerate(zip(lrs, want, strict=True)) if not close(g, w, start)), None
    )
    if bad is None:
        return
    linear = [start + (end - start) * i / (n - 1) for i in range(n)]
    short = [start * (end / start) ** (i / n) for i in range(n)]
    title = "The lrs differ from the geometric sweep"
    if all(close(g, w, start) for g, w in zip(lrs, linear, strict=True)):
        title = "The lrs are spaced linearly; the range test sweeps them geometrically"
    elif all(close(g, w, start) for g, w in zip(lrs, short, strict=True)):
        title = "The sweep never reaches end_lr: the exponent stops one step short"
    raise Incorrect(
        title,
        "Step i's lr must grow by the same ratio every step, from exactly start_lr (step 0) to "
        "exactly end_lr (the last step).",
        [f"step {bad}: expected lr {lr(want[bad])}, got {lr(lrs[bad])}"],
    )


def _judge_losses(losses: list[float], want: list[float], after: list[float]) -> None:
    def same(a: list[float], b: list[float]) -> bool:
        return all(abs(x - y) <= 1e-4 * abs(y) + 1e-6 for x, y in zip(a, b, strict=True))

    if same(losses, want):
        return
    if same(losses, after):
        raise Incorrect(
            "The losses are measured after the update",
            "losses[i] must be the batch's loss *before* step i's `optimizer.step()`.",
        )
    bad = next(
        i
        for i, (g, w) in enumerate(zip(losses, want, strict=True))
        if abs(g - w) > 1e-4 * abs(w) + 1e-6
    )
    raise Incorrect(
        f"The losses first differ from a reference run at step {bad}",
        "Check the optimizer (plain SGD, no momentum), the batch each step uses and when the lr "
        "is set; the contract lists all three.",
        [f"step {bad}: expected loss {want[bad]:.6g}, got {losses[bad]:.6g}"],
    )
