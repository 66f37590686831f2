"""Checks for exercises whose answer is a training procedure: ``fit`` and the lr range test."""

from __future__ import annotations

import random
from typing import Any

import torch
from torch import nn

from lrcourse.exercises.checks import CheckContext, check
from lrcourse.exercises.checks.param_groups import require_result
from lrcourse.exercises.fixtures import BackboneHead, batches, snapshot
from lrcourse.exercises.observe import CallLog, LoggedBatches, instrument_loop
from lrcourse.exercises.outcomes import Incorrect, NotAttempted
from lrcourse.exercises.traces import close, lr

STEP_ORDER_WARNING = "before `optimizer.step()`"


def _loop_fixture(seed: int, lr0: float, gamma: float, count: int) -> tuple[Any, ...]:
    torch.manual_seed(seed)
    model = BackboneHead(random.Random(seed))
    data = batches(random.Random(seed + 1), model.in_features, model.out_features, count)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr0, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=gamma)
    return model, data, optimizer, scheduler


def _reference_fit(
    model: nn.Module, data: list, optimizer: Any, scheduler: Any, epochs: int
) -> None:
    for _ in range(epochs):
        for x, y in data:
            optimizer.zero_grad()
            nn.functional.mse_loss(model(x), y).backward()
            optimizer.step()
        scheduler.step()


@check("training-loop")
def training_loop(fit: Any, ctx: CheckContext) -> str:
    seed, epochs, count = ctx.rng.randrange(2**31), ctx.rng.randint(2, 4), ctx.rng.randint(2, 4)
    lr0, gamma = 10 ** ctx.rng.uniform(-2.5, -1.5), ctx.rng.uniform(0.3, 0.8)
    ref_model, ref_data, ref_opt, ref_sched = _loop_fixture(seed, lr0, gamma, count)
    _reference_fit(ref_model, ref_data, ref_opt, ref_sched, epochs)
    model, data, optimizer, scheduler = _loop_fixture(seed, lr0, gamma, count)
    log = CallLog()
    loss_fn = instrument_loop(model, nn.MSELoss(), optimizer, scheduler, log)
    fit(model, LoggedBatches(data, log), loss_fn, optimizer, scheduler, epochs)
    if not log.events:
        raise NotAttempted("Not attempted yet", "`fit` returned without touching the model.")
    _diagnose_calls(log, epochs, count, ctx)
    got, want = snapshot(model), snapshot(ref_model)
    off = [n for n in want if not torch.allclose(got[n], want[n], rtol=1e-5, atol=1e-7)]
    if off:
        raise Incorrect(
            "The call order looks right, but the final parameters differ from a reference run",
            "Use each (x, y) batch once per epoch, `loss = loss_fn(model(x), y)`, and nothing "
            "else that changes the parameters.",
            [f"`{n}` differs" for n in off[:5]],
        )
    return f"{epochs} epochs × {count} batches: call order and final parameters match."


def _diagnose_calls(log: CallLog, epochs: int, count: int, ctx: CheckContext) -> None:
    names = log.names()
    steps = [info for e, info in log.events if e == "step"]
    backwards = [info for e, info in log.events if e == "backward"]
    if not backwards:
        raise Incorrect("`loss.backward()` is never called", "Without it there are no gradients.")
    if not steps:
        raise Incorrect("`optimizer.step()` is never called", "The parameters never change.")
    if len(steps) != epochs * count:
        raise Incorrect(
            f"`optimizer.step()` ran {len(steps)} times; expected {epochs * count}",
            f"One step per batch: {epochs} epochs × {count} batches.",
        )
    if not all(backwards[1:]):
        raise Incorrect(
            "Gradients are not cleared before `backward()`",
            "`backward()` adds to `.grad`; without `optimizer.zero_grad()` each step uses the sum "
            "of all gradients so far.",
        )
    if all(not clear for _, clear in steps) is False and any(clear for _, clear in steps):
        raise Incorrect(
            "Gradients are cleared between `backward()` and `optimizer.step()`",
            "`zero_grad()` must come before `backward()`, not between it and `step()`.",
        )
    scheds = names.count("sched")
    if scheds == 0:
        raise Incorrect("`scheduler.step()` is never called", "The lr never changes.")
    if scheds == epochs * count and count > 1:
        raise Incorrect(
            "The scheduler is stepped once per batch instead of once per epoch",
            f"It ran {scheds} times for {epochs} epochs; call it after the loop over batches.",
        )
    if scheds != epochs:
        raise Incorrect(
            f"`scheduler.step()` ran {scheds} times; expected once per epoch ({epochs})"
        )
    if names.index("sched") < names.index("step"):
        warned = any(STEP_ORDER_WARNING in w for w in ctx.captured.warnings)
        raise Incorrect(
            "The scheduler is stepped before the optimizer",
            "Call `scheduler.step()` after the epoch's `optimizer.step()` calls; otherwise the "
            "first lr of the schedule is skipped"
            + (
                " (torch warned: *Detected call of `lr_scheduler.step()` before "
                "`optimizer.step()`*)."
                if warned
                else "."
            ),
            [f"lr used in epoch 0: {lr(steps[0][0][0])}"],
        )


def _reference_range_test(
    model: nn.Module,
    data: list,
    start: float,
    end: float,
    n: int,
) -> tuple[list[float], list[float], list[float]]:
    lrs = [start * (end / start) ** (i / (n - 1)) for i in range(n)]
    optimizer = torch.optim.SGD(model.parameters(), lr=start)
    before, after = [], []
    for i, value in enumerate(lrs):
        x, y = data[i % len(data)]
        optimizer.param_groups[0]["lr"] = value
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        before.append(float(loss))
        with torch.no_grad():
            after.append(float(nn.functional.mse_loss(model(x), y)))
    return lrs, before, after


@check("lr-range-test")
def lr_range_test(fn: Any, ctx: CheckContext) -> str:
    seed, n = ctx.rng.randrange(2**31), ctx.rng.randint(5, 12)
    start, end = 10 ** ctx.rng.uniform(-5, -3), 10 ** ctx.rng.uniform(-1.5, -0.5)
    torch.manual_seed(seed)
    model = BackboneHead(random.Random(seed))
    data = batches(
        random.Random(seed + 1), model.in_features, model.out_features, ctx.rng.randint(2, 4)
    )
    reference = BackboneHead(random.Random(seed))
    reference.load_state_dict(model.state_dict())
    want_lrs, want_losses, after_losses = _reference_range_test(reference, data, start, end, n)
    before = snapshot(model)
    result = require_result(fn(model, nn.MSELoss(), data, start, end, n), "(lrs, losses)")
    lrs, losses = _unpack(result, n)
    _judge_lrs(lrs, want_lrs, start, end, n)
    _judge_losses(losses, want_losses, after_losses)
    moved = [k for k, v in snapshot(model).items() if not torch.equal(v, before[k])]
    if moved:
        raise Incorrect(
            "The model's parameters were not restored",
            "Save a *copy* before training (`copy.deepcopy(model.state_dict())`; "
            "`model.state_dict()` alone returns the live tensors) and load it back at the end.",
            [f"`{k}` changed" for k in moved[:5]],
        )
    return f"{n} steps from {lr(start)} to {lr(end)}: lrs, losses and restore all match."


def _unpack(result: Any, n: int) -> tuple[list[float], list[float]]:
    try:
        lrs, losses = result
        lrs, losses = [float(v) for v in lrs], [float(v) for v in losses]
    except (TypeError, ValueError):
        raise Incorrect(
            "Return a pair `(lrs, losses)` of two lists of numbers",
            f"Got a `{type(result).__name__}`.",
        ) from None
    if len(lrs) != n or len(losses) != n:
        raise Incorrect(
            f"Both lists need num_steps={n} entries",
            f"Got {len(lrs)} lrs and {len(losses)} losses.",
        )
    return lrs, losses


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
        title = "The sweep never reaches end_lr: divide by (num_steps - 1), not num_steps"
    raise Incorrect(
        title,
        "lr_i = start_lr * (end_lr / start_lr) ** (i / (num_steps - 1)).",
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
        "Use plain SGD (no momentum), batch `batches[i % len(batches)]`, set the lr before each "
        "step and record `loss.item()` before `optimizer.step()`.",
        [f"step {bad}: expected loss {want[bad]:.6g}, got {losses[bad]:.6g}"],
    )
