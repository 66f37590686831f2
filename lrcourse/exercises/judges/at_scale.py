"""Judges for the lesson on training at scale: gradient accumulation, and a mixed-precision step
with clipping."""

from __future__ import annotations

import math
import random

import torch
from torch import nn

from lrcourse.exercises.fixtures import (
    Spec,
    build_batches,
    build_grad_scaler,
    build_model,
    flat_parameters,
    loss_factor,
    sgd_with_step_lr,
)
from lrcourse.exercises.judges import Context, judge
from lrcourse.exercises.judges.common import (
    differing_parameters,
    parameter_names,
    step_order_note,
)
from lrcourse.exercises.observations import Observed
from lrcourse.exercises.observe import grad_norm
from lrcourse.exercises.outcomes import Incorrect, NotAttempted
from lrcourse.exercises.traces import lr, times


def _relatively_close(got: float, want: float, rtol: float = 1e-4) -> bool:
    return math.isfinite(got) and abs(got - want) <= rtol * abs(want) + 1e-12


# ---- accumulation-loop -------------------------------------------------------------------
def _draw_accumulation(rng: random.Random) -> Spec:
    accum = rng.randint(2, 4)
    steps = rng.choice([n for n in (3, 4, 5) if n != accum])  # keeps 1/accum and 1/steps apart
    return {
        "model": "backbone-head",
        "seed": rng.randrange(2**31),
        "batch_size": rng.randint(3, 6),
        "accum": accum,
        "steps": steps,
        "batches": accum * steps,
        "lr": rng.choice((0.01, 0.02, 0.05)),
        "gamma": rng.choice((0.5, 0.7, 0.8)),
    }


def _reference_accumulation(spec: Spec) -> tuple[float, list[list[float]]]:
    """(gradient norm at the first optimizer step, final parameters) of a correct loop."""
    model = build_model(spec)
    data = build_batches(spec, model)
    optimizer, scheduler = sgd_with_step_lr(model, spec)
    accum, params = int(spec["accum"]), list(model.parameters())
    first_norm = math.nan
    for k in range(int(spec["steps"])):
        optimizer.zero_grad()
        for x, y in data[k * accum : (k + 1) * accum]:
            torch.autograd.backward(nn.functional.mse_loss(model(x), y) / accum)
        if k == 0:
            first_norm = grad_norm(params)
        optimizer.step()
        scheduler.step()
    return first_norm, flat_parameters(model)


def _steps_after(names: list[str]) -> list[int]:
    """For each optimizer step, how many ``backward()`` calls came before it."""
    seen, after = 0, []
    for name in names:
        if name == "backward":
            seen += 1
        elif name == "step":
            after.append(seen)
    return after


@judge("accumulation-loop", _draw_accumulation)
def accumulation_loop(spec: Spec, observed: Observed, context: Context) -> str:
    accum, steps = int(spec["accum"]), int(spec["steps"])
    micro = accum * steps
    events = [e.mapping() for e in observed["events"].items()]
    if not events:
        raise NotAttempted(
            "Not attempted yet", "`train_accumulated` returned without touching the model."
        )
    names = [e["event"].text() for e in events]
    _judge_step_placement(names, events, accum, steps, micro)
    _judge_clearing(events, accum)
    _judge_scheduler(names, events, float(spec["lr"]), steps, micro, context)
    want_norm, want_final = _reference_accumulation(spec)
    got_norm = next(e for e in events if e["event"].text() == "step")["grad_norm"].number()
    if not _relatively_close(got_norm, want_norm):
        ratio = got_norm / want_norm if want_norm else math.inf
        if _relatively_close(ratio, float(accum), 1e-3):
            raise Incorrect(
                "Each micro-batch's loss is not divided by `accum`",
                f"The gradient at the first optimizer step is {accum}× the gradient of the mean "
                f"loss over its {accum} micro-batches: `backward()` adds the gradients up, so the "
                "step is as large as "
                f"{accum} steps at once.",
            )
        if _relatively_close(ratio, accum / micro, 1e-3):
            raise Incorrect(
                "Each micro-batch's loss is divided by the number of all micro-batches",
                f"The gradient at the first optimizer step is {accum}/{micro} of the gradient of "
                f"the mean loss over its {accum} micro-batches: a step averages over its own "
                f"group of {accum}, not over the whole list.",
            )
        if _relatively_close(ratio, 1 / accum, 1e-3):
            raise Incorrect(
                "The accumulated gradient is divided by `accum` once too often",
                f"At the first optimizer step it is 1/{accum} of the gradient of the mean loss "
                f"over its {accum} micro-batches: dividing each micro-batch's loss by `accum` "
                "already gives the mean, so a second division shrinks every step.",
            )
        raise Incorrect(
            "The accumulated gradient is not the gradient of the mean loss",
            f"At the first optimizer step its norm is {ratio:.4g}× the norm of the gradient of "
            f"the mean loss over the first {accum} micro-batches (1× expected).",
        )
    off = differing_parameters(
        parameter_names(build_model(spec)), observed["final"].items(), want_final
    )
    if off:
        raise Incorrect(
            "The call order and the first gradient are right, but the final parameters differ "
            "from a reference run",
            "Feed each micro-batch to the model once, in order, with the loss function you were "
            "given, and change the parameters only through `optimizer.step()`.",
            [f"`{n}` differs" for n in off[:5]],
        )
    return (
        f"{micro} micro-batches, accum={accum}: {steps} optimizer and scheduler steps, each "
        "with the mean-loss gradient."
    )


def _judge_step_placement(
    names: list[str], events: list[dict[str, Observed]], accum: int, steps: int, micro: int
) -> None:
    backwards = names.count("backward")
    if backwards == 0:
        raise Incorrect("`loss.backward()` is never called", "Without it there are no gradients.")
    after = _steps_after(names)
    if not after:
        raise Incorrect("`optimizer.step()` is never called", "The parameters never change.")
    losses = names.count("loss")
    if losses != micro:
        raise Incorrect(
            f"`loss_fn` ran {times(losses)} for {micro} micro-batches",
            "Every micro-batch needs one forward pass and one loss, each used once.",
        )
    pending = 0  # losses computed since the last backward
    for name in names:
        if name == "loss":
            pending += 1
            if pending > 1:
                raise Incorrect(
                    "The micro-batch losses are backpropagated together, not one at a time",
                    "A second micro-batch's loss is computed before the first one's "
                    "`backward()`, so the graphs of all of them are alive at once: as much "
                    "memory as the large batch, which is what accumulation exists to avoid. "
                    "Call `backward()` on each micro-batch's loss before the next forward pass.",
                )
        elif name == "backward":
            pending = 0
    if backwards != micro:
        raise Incorrect(
            f"`backward()` ran {times(backwards)} for {micro} micro-batches",
            "Every micro-batch needs one `backward()`.",
        )
    want = [accum * (k + 1) for k in range(steps)]
    if after == want:
        return
    if len(after) == micro:
        raise Incorrect(
            "`optimizer.step()` runs after every micro-batch: nothing is accumulated",
            f"It ran {times(micro)}; with accum={accum} the gradients of {accum} micro-batches "
            f"should add up before each step ({steps} steps in all).",
        )
    if after[0] < accum and len(after) == steps:
        raise Incorrect(
            f"The first optimizer step comes after micro-batch {after[0]}, not after micro-batch "
            f"{accum}",
            "The test that decides when to step fires one micro-batch early in every group, so "
            "each step uses the wrong micro-batches and the last ones are never applied.",
            [f"steps after micro-batches {after}", f"expected after {want}"],
        )
    raise Incorrect(
        f"`optimizer.step()` ran {times(len(after))}; expected {steps}, one after every {accum} "
        "micro-batches",
        "",
        [f"steps after micro-batches {after[:8]}", f"expected after {want}"],
    )


def _judge_clearing(events: list[dict[str, Observed]], accum: int) -> None:
    backwards = [e for e in events if e["event"].text() == "backward"]
    for j, event in enumerate(backwards):
        clear, position = event["clear"].flag(), j % accum
        if position == 0 and j > 0 and not clear:
            raise Incorrect(
                "Gradients are not cleared between optimizer steps",
                f"Micro-batch {j + 1} starts a new group while `.grad` still holds the last "
                "group's gradients, so every step after the first applies old gradients again.",
            )
        if position != 0 and clear:
            raise Incorrect(
                "Gradients are cleared inside an accumulation group",
                f"They were cleared before micro-batch {j + 1}, the {_ordinal(position + 1)} of "
                f"its group, so the step never sees the gradients of the micro-batches before it.",
            )
    if any(e["clear"].flag() for e in events if e["event"].text() == "step"):
        raise Incorrect(
            "Gradients are cleared between the last `backward()` and `optimizer.step()`",
            "The step then finds no gradients: the accumulated group is thrown away.",
        )


def _ordinal(n: int) -> str:
    return {1: "1st", 2: "2nd", 3: "3rd"}.get(n, f"{n}th")


def _judge_scheduler(
    names: list[str],
    events: list[dict[str, Observed]],
    base_lr: float,
    steps: int,
    micro: int,
    context: Context,
) -> None:
    scheds = names.count("sched")
    if scheds == 0:
        raise Incorrect("`scheduler.step()` is never called", "The lr never changes.")
    if scheds == micro:
        raise Incorrect(
            "The scheduler is stepped once per micro-batch, not once per optimizer step",
            f"It ran {times(scheds)} for {steps} optimizer steps, so the schedule runs "
            f"{micro // steps}× too fast.",
        )
    if scheds != steps:
        raise Incorrect(
            f"`scheduler.step()` ran {times(scheds)}; expected once per optimizer step ({steps})"
        )
    if names.index("sched") < names.index("step"):
        first = next(e for e in events if e["event"].text() == "step")["lrs"].items()
        shown = lr(first[0].number()) if first and first[0].is_number() else "?"
        raise Incorrect(
            "The scheduler is stepped before the optimizer",
            "The first `scheduler.step()` comes before the first `optimizer.step()`, so the "
            "schedule's first lr is never used" + step_order_note(context),
            [f"lr of the first optimizer step: {shown} (the schedule starts at {lr(base_lr)})"],
        )


# ---- amp-clip-step -----------------------------------------------------------------------
def _draw_amp(rng: random.Random) -> Spec:
    calls = rng.randint(4, 5)
    spec: Spec = {
        "model": "backbone-head",
        "seed": rng.randrange(2**31),
        "batch_size": rng.randint(3, 6),
        "batches": calls,
        "lr": rng.choice((0.01, 0.02, 0.05)),
        "gamma": rng.choice((0.5, 0.7, 0.8)),
        "init_scale": 2.0 ** rng.randint(8, 14),
        "overflow": rng.randint(1, calls - 2),
        # a few steps large enough to be clipped, and one small enough to pass unclipped
        "factors": [rng.choice((1.0, 2.0, 4.0)) for _ in range(calls)],
    }
    spec["factors"][calls - 1] = 0.01
    # max_norm: a fraction of the first step's true gradient norm, so that step is clipped
    model = build_model(spec)
    x, y = build_batches(spec, model)[0]
    torch.autograd.backward(nn.functional.mse_loss(model(x), y) * loss_factor(spec, 0))
    first = grad_norm(list(model.parameters()))
    spec["max_norm"] = float(f"{first * rng.uniform(0.3, 0.7):.3g}")
    return spec


def _reference_amp(spec: Spec, clip: str = "unscaled") -> list[dict[str, object]]:
    """What each call should leave behind. ``clip``: ``"unscaled"`` (right), ``"scaled"``
    (clipped before unscaling) or ``"none"`` (no clip before the step)."""
    model = build_model(spec)
    data = build_batches(spec, model)
    optimizer, scheduler = sgd_with_step_lr(model, spec)
    scaler = build_grad_scaler(spec)
    params = list(model.parameters())
    out: list[dict[str, object]] = []
    for index, (x, y) in enumerate(data):
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(x), y) * loss_factor(spec, index)
        torch.autograd.backward(scaler.scale(loss))
        if clip == "unscaled":
            scaler.unscale_(optimizer)
        norm = grad_norm(params)
        if clip != "none":
            torch.nn.utils.clip_grad_norm_(params, float(spec["max_norm"]))
        scaler.step(optimizer)
        scaler.update()
        scheduler.step()
        out.append({"norm": norm, "params": flat_parameters(model), "scale": scaler.get_scale()})
    return out


def _scale_before(spec: Spec, index: int) -> float:
    """The loss scale in force during call ``index`` of a correct run."""
    return float(spec["init_scale"]) * (0.5 if index > int(spec["overflow"]) else 1.0)


@judge("amp-clip-step", _draw_amp)
def amp_clip_step(spec: Spec, observed: Observed, context: Context) -> str:
    calls = [c.mapping() for c in observed["calls"].items()]
    overflow, count = int(spec["overflow"]), int(spec["batches"])
    if len(calls) != count:
        raise Incorrect(f"The check made {count} calls but observed {len(calls)}")
    model = build_model(spec)
    names, initial = parameter_names(model), flat_parameters(model)
    if all(
        c["returned"].value == "none"
        and not c["step_lrs"].items()
        and c["scheduler_steps"].integer() == 0
        and not differing_parameters(names, c["params"].items(), initial)
        for c in calls
    ):
        raise NotAttempted("Not attempted yet", "`amp_step` returned `None` and changed nothing.")
    _judge_amp_calls(calls, spec, overflow, context)
    want = _reference_amp(spec)
    # Call by call: while the parameters so far match, each call's norm is comparable.
    for index, (call, expected) in enumerate(zip(calls, want, strict=True)):
        if index != overflow:  # an overflowing gradient's norm is inf or nan; any will do
            _judge_amp_norm(index, call["returned"], expected, spec)
        params = expected["params"]
        assert isinstance(params, list)
        off = differing_parameters(names, call["params"].items(), params)
        if not off:
            continue
        for variant, title, message in (
            (
                "none",
                "The gradients are not clipped before the update",
                "The parameters match a run without clipping: clip after unscaling and before "
                "`scaler.step(optimizer)`; clipping after the step changes nothing.",
            ),
            (
                "scaled",
                "The gradients are clipped while still multiplied by the loss scale",
                "The parameters match a run that clips before `scaler.unscale_(optimizer)`: "
                "the scaled norm is huge, so the clip shrinks the true gradient far too much.",
            ),
        ):
            other = _reference_amp(spec, variant)[index]["params"]
            assert isinstance(other, list)
            if not differing_parameters(names, call["params"].items(), other):
                raise Incorrect(title, message, [f"call {index}: `{n}` differs" for n in off[:3]])
        raise Incorrect(
            f"The parameters first differ from a reference run after call {index}",
            "Clip the true (unscaled) gradients to `max_norm`, step through the scaler and use "
            "only the loss you were given.",
            [f"`{n}` differs" for n in off[:5]],
        )
    return (
        f"{count} calls with an overflow at call {overflow}: clipping, skipped step, loss scale, "
        "schedule and returned norms all match."
    )


def _judge_amp_calls(
    calls: list[dict[str, Observed]], spec: Spec, overflow: int, context: Context
) -> None:
    skipped = calls[overflow]
    if skipped["step_lrs"].items():
        raise Incorrect(
            "The update with an overflowing gradient was applied",
            f"Call {overflow}'s loss overflowed to inf, yet `optimizer.step()` ran, so the "
            "weights took inf/nan values. `scaler.step(optimizer)` checks the gradients and "
            "skips such a step; calling `optimizer.step()` yourself bypasses that check.",
        )
    for index, call in enumerate(calls):
        if index == overflow:
            continue
        taken = len(call["step_lrs"].items())
        if taken != 1:
            raise Incorrect(
                f"Call {index} took {taken} optimizer steps; expected 1",
                "One call is one training step: `scaler.step(optimizer)` once.",
            )
    for index, call in enumerate(calls):
        want, got = _scale_before(spec, index + 1), call["scale"]
        if not got.is_number() or got.number() != want:
            shown = f"{got.number():g}" if got.is_number() else str(got.value)
            raise Incorrect(
                "The loss scale is not updated after the overflow",
                f"After call {index} the scale is {shown}; `scaler.update()` halves it after a "
                f"skipped step (expected {want:g}).",
            )
    per_call = [c["scheduler_steps"].integer() for c in calls]
    if not any(per_call):
        raise Incorrect("`scheduler.step()` is never called", "The lr never changes.")
    if per_call[overflow] == 0 and all(n == 1 for i, n in enumerate(per_call) if i != overflow):
        raise Incorrect(
            "The scheduler does not step on the call whose update was skipped",
            "The contract steps the schedule once per call, skipped or not (as a plain "
            "`scaler.step`/`scheduler.step` loop does), so the schedule stays tied to the "
            "number of batches.",
        )
    if per_call != [1] * len(per_call):
        raise Incorrect(
            "`scheduler.step()` must run exactly once per call",
            "",
            [f"scheduler steps per call: {per_call}"],
        )
    first = calls[0]["step_lrs"].items()[0].items()
    base = float(spec["lr"])
    if first and first[0].is_number() and not _relatively_close(first[0].number(), base, 1e-9):
        raise Incorrect(
            "The scheduler is stepped before the optimizer",
            "`scheduler.step()` runs before `scaler.step(optimizer)`, so the schedule's first "
            "lr is never used" + step_order_note(context),
            [f"lr of the first step: {lr(first[0].number())} (the schedule starts at {lr(base)})"],
        )


def _judge_amp_norm(index: int, got: Observed, expected: dict[str, object], spec: Spec) -> None:
    norm = expected["norm"]
    assert isinstance(norm, float)
    if got.value == "none":
        raise Incorrect(
            "`amp_step` returns nothing",
            "Return the total gradient norm before clipping: the value that `clip_grad_norm_` "
            "returns.",
        )
    if not got.is_number():
        raise Incorrect(
            "Return the gradient norm as a number or a one-element tensor",
            f"Call {index} returned a `{str(got.value).strip('<>')}`.",
        )
    value, scale, max_norm = got.number(), _scale_before(spec, index), float(spec["max_norm"])
    if _relatively_close(value, norm):
        return
    if _relatively_close(value, norm * scale):
        raise Incorrect(
            "The gradients are clipped while still multiplied by the loss scale",
            f"Call {index} returned a norm {scale:g}× the true one: the gradients still carried "
            "the loss scale when they were measured and clipped.",
            [f"call {index}: true norm {norm:.6g}, returned {value:.6g}"],
        )
    if _relatively_close(value, norm / scale):
        raise Incorrect(
            "The loss is not scaled before `backward()`",
            f"Call {index} returned a norm 1/{scale:g} of the true one: unscaling divided "
            "gradients that had never been multiplied by the scale.",
            [f"call {index}: true norm {norm:.6g}, returned {value:.6g}"],
        )
    if norm > max_norm and _relatively_close(value, max_norm, 1e-3):
        raise Incorrect(
            "The returned norm is measured after clipping",
            f"Call {index} returned {value:.6g}, the clipped size; return the norm before "
            "clipping so that a log shows how large the gradients really were.",
            [f"call {index}: norm before clipping {norm:.6g}"],
        )
    raise Incorrect(
        f"The returned norm differs from the true gradient norm at call {index}",
        "",
        [f"call {index}: expected {norm:.6g}, returned {value:.6g}"],
    )
