"""What each exercise's learner code does on a spec, as raw JSON observations.

``OBSERVERS[exercise_id](learner_object, spec)`` runs the learner's function or class on
fixtures built from ``spec`` and returns plain data. This module runs where the learner's code
runs (a sandbox child in batch grading), so it holds no expected values and decides nothing:
lrcourse.exercises.judges does that, on the grader's side.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from lrcourse.exercises.fixtures import (
    Spec,
    build_batches,
    build_grad_scaler,
    build_model,
    build_scheduled_optimizer,
    custom_problem_trajectory,
    flat_parameters,
    loss_factor,
    sgd_with_step_lr,
)
from lrcourse.exercises.observe import (
    CallLog,
    LoggedBatches,
    LrTrace,
    count_calls,
    describe_optimizer,
    drive_scheduler,
    instrument_loop,
    state_holders,
    train_and_record,
)

Observer = Callable[[Any, Spec], dict[str, Any]]
OBSERVERS: dict[str, Observer] = {}


def observer(exercise_id: str) -> Callable[[Observer], Observer]:
    """Register ``fn`` as the observer of ``exercise_id``."""

    def register(fn: Observer) -> Observer:
        OBSERVERS[exercise_id] = fn
        return fn

    return register


def _returned_optimizer(make_optimizer: Any, spec: Spec) -> dict[str, Any]:
    model = build_model(spec)
    data = build_batches(spec, model)
    optimizer = make_optimizer(model)
    if optimizer is None:
        return {"returned": "none"}
    if not isinstance(optimizer, torch.optim.Optimizer):
        return {"returned": "other", "type": type(optimizer).__name__}
    found: dict[str, Any] = {"returned": "optimizer", **describe_optimizer(optimizer, model)}
    found["trajectory"] = train_and_record(model, optimizer, data, int(spec["rounds"]))
    found["requires_grad"] = [p.requires_grad for p in model.parameters()]
    found["state"] = state_holders(optimizer, model)
    return found


observer("two-lr-groups")(_returned_optimizer)
observer("freeze-backbone")(_returned_optimizer)
observer("no-decay-groups")(_returned_optimizer)


@observer("layerwise-lr-decay")
def _layerwise(make_param_groups: Any, spec: Spec) -> dict[str, Any]:
    runs: list[dict[str, Any]] = []
    for config in spec["configs"]:
        model = build_model(config)
        groups = make_param_groups(model, config["base_lr"], config["decay"])
        if groups is None:
            runs.append({"returned": "none"})
        elif isinstance(groups, torch.optim.Optimizer):
            runs.append({"returned": "optimizer"})
        else:
            optimizer = torch.optim.AdamW(groups)
            runs.append({"returned": "groups", **describe_optimizer(optimizer, model)})
    return {"runs": runs}


def _schedule(make_scheduler: Any, spec: Spec) -> dict[str, Any]:
    optimizer = build_scheduled_optimizer(spec)
    scheduler = make_scheduler(optimizer, *spec.get("args", ()))
    return drive_scheduler(optimizer, scheduler, int(spec["units"]), int(spec["steps_per_unit"]))


observer("step-decay")(_schedule)
observer("phased-schedule")(_schedule)
observer("per-group-decay")(_schedule)


@observer("warmup-cosine")
def _warmup_cosine(make_scheduler: Any, spec: Spec) -> dict[str, Any]:
    return {"runs": [_schedule(make_scheduler, config) for config in spec["configs"]]}


@observer("training-loop")
def _training_loop(fit: Any, spec: Spec) -> dict[str, Any]:
    model = build_model(spec)
    data = build_batches(spec, model)
    optimizer, scheduler = sgd_with_step_lr(model, spec)
    log = CallLog()
    loss_fn = instrument_loop(model, nn.MSELoss(), optimizer, scheduler, log)
    fit(model, LoggedBatches(data, log), loss_fn, optimizer, scheduler, int(spec["epochs"]))
    return {"events": log.events, "final": flat_parameters(model)}


@observer("accumulation-loop")
def _accumulation_loop(train_accumulated: Any, spec: Spec) -> dict[str, Any]:
    model = build_model(spec)
    data = build_batches(spec, model)
    optimizer, scheduler = sgd_with_step_lr(model, spec)
    log = CallLog()
    loss_fn = instrument_loop(model, nn.MSELoss(), optimizer, scheduler, log)
    batches = LoggedBatches(data, log)
    train_accumulated(model, loss_fn, optimizer, scheduler, batches, int(spec["accum"]))
    return {"events": log.events, "final": flat_parameters(model)}


@observer("amp-clip-step")
def _amp_clip_step(amp_step: Any, spec: Spec) -> dict[str, Any]:
    """One call of ``amp_step`` per batch; after each: what it returned, the parameters, the
    loss scale, the lrs of the optimizer steps it took and how often it stepped the scheduler."""
    model = build_model(spec)
    data = build_batches(spec, model)
    optimizer, scheduler = sgd_with_step_lr(model, spec)
    scaler = build_grad_scaler(spec)
    trace = LrTrace(optimizer)
    scheduler_calls = count_calls(scheduler, "step")
    calls: list[dict[str, Any]] = []
    try:
        for index, (x, y) in enumerate(data):
            optimizer.zero_grad()
            loss = nn.functional.mse_loss(model(x), y) * loss_factor(spec, index)
            steps_before, scheds_before = len(trace.steps), scheduler_calls[0]
            result = amp_step(model, loss, optimizer, scheduler, scaler, float(spec["max_norm"]))
            calls.append(
                {
                    "returned": "none" if result is None else _number(result),
                    "params": flat_parameters(model),
                    "scale": _number(scaler.get_scale()),
                    "step_lrs": trace.steps[steps_before:],
                    "scheduler_steps": scheduler_calls[0] - scheds_before,
                }
            )
    finally:
        trace.close()
    return {"calls": calls}


@observer("momentum-sgd")
def _momentum_sgd(cls: Any, spec: Spec) -> dict[str, Any]:
    if not (isinstance(cls, type) and issubclass(cls, torch.optim.Optimizer)):
        return {"returned": "other", "type": type(cls).__name__}

    learner_class: Any = cls  # the contract's constructor, not Optimizer's

    def make(groups: list[dict[str, Any]]) -> Any:
        return learner_class(groups, lr=spec["lr0"], momentum=spec["m0"], weight_decay=spec["wd0"])

    return {"returned": "class", "trajectory": custom_problem_trajectory(make, spec)}


def _number(value: Any) -> Any:
    if type(value) in (int, float):
        return float(value)
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return float(value.detach().reshape(-1)[0])
    return f"<{type(value).__name__}>"


@observer("lr-range-test")
def _lr_range_test(fn: Any, spec: Spec) -> dict[str, Any]:
    model = build_model(spec)
    data = build_batches(spec, model)
    result = fn(model, nn.MSELoss(), data, spec["start"], spec["end"], int(spec["n"]))
    final = flat_parameters(model)
    if result is None:
        return {"returned": "none"}
    try:
        lrs, losses = result
        found = {"lrs": [_number(v) for v in lrs], "losses": [_number(v) for v in losses]}
    except (TypeError, ValueError):
        return {"returned": "other", "type": type(result).__name__}
    return {"returned": "pair", **found, "final": final}
