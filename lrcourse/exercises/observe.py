"""Child-side helpers that turn what learner code *does* into plain JSON observations.

Nothing here decides anything: it records. Every value is reduced to JSON types the grader can
check exactly: numbers stay numbers only when they are genuine ``int``/``float`` values (a
``float`` subclass or a tensor is reported by its type name), tensors become lists of floats,
and parameters are named by their index in ``model.parameters()``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import torch
from torch import nn

from lrcourse.exercises.fixtures import flat_parameters

HYPERPARAMETERS = ("lr", "momentum", "weight_decay", "dampening", "nesterov", "betas", "eps")
KNOWN_OPTIMIZERS = ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad")


def plain(value: Any) -> Any:
    """``value`` if it is a genuine bool/int/float (or a tuple/list of them), else its type's
    name in angle brackets, e.g. ``"<Tensor>"``."""
    if type(value) in (bool, int, float):
        return value
    if type(value) in (tuple, list):
        return [plain(v) for v in value]
    return f"<{type(value).__name__}>"


def optimizer_class(optimizer: Any) -> str:
    """``"SGD"`` when ``type(optimizer)`` is exactly ``torch.optim.SGD`` (likewise for the other
    known optimizers), else ``"other:<name>"``."""
    for name in KNOWN_OPTIMIZERS:
        if type(optimizer) is getattr(torch.optim, name):
            return name
    return f"other:{type(optimizer).__name__}"


def describe_optimizer(optimizer: Any, model: nn.Module) -> dict[str, Any]:
    """Class, and per param group the indexes of its parameters (-1: not the model's) and its
    hyperparameters."""
    index = {id(p): i for i, p in enumerate(model.parameters())}
    groups = []
    for group in optimizer.param_groups:
        groups.append(
            {
                "params": [index.get(id(p), -1) for p in group["params"]],
                "hyper": {k: plain(group[k]) for k in HYPERPARAMETERS if k in group},
            }
        )
    return {"class": optimizer_class(optimizer), "groups": groups}


def train_and_record(
    model: nn.Module, optimizer: Any, data: list[tuple[torch.Tensor, torch.Tensor]], rounds: int
) -> list[list[list[float]]]:
    """``rounds`` passes of zero_grad/MSE/backward/step over ``data``; the parameters after
    every step."""
    out = []
    for _ in range(rounds):
        for x, y in data:
            optimizer.zero_grad()
            loss = nn.functional.mse_loss(model(x), y)
            if loss.requires_grad:
                torch.autograd.backward(loss)
            optimizer.step()
            out.append(flat_parameters(model))
    return out


def state_holders(optimizer: Any, model: nn.Module) -> list[int]:
    """Indexes of the model's parameters for which the optimizer keeps state."""
    state = getattr(optimizer, "state", {})
    return [i for i, p in enumerate(model.parameters()) if state.get(p)]


class LrTrace:
    """Record ``[group lr, ...]`` at every ``optimizer.step()`` (a step pre-hook, so it sees the
    lr the step uses, not the one a scheduler sets afterwards)."""

    def __init__(self, optimizer: torch.optim.Optimizer) -> None:
        self.steps: list[list[Any]] = []
        self._handle = optimizer.register_step_pre_hook(self._record)

    def _record(self, optimizer: Any, args: Any, kwargs: Any) -> None:
        self.steps.append([plain(g["lr"]) for g in optimizer.param_groups])

    def close(self) -> None:
        self._handle.remove()


def count_calls(obj: Any, method: str) -> list[int]:
    """Wrap ``obj.method`` (on the instance) so that every call adds one to the returned
    one-element counter."""
    counter = [0]
    inner = getattr(obj, method)

    def counted(*args: Any, **kwargs: Any) -> Any:
        counter[0] += 1
        return inner(*args, **kwargs)

    setattr(obj, method, counted)
    return counter


def drive_scheduler(
    optimizer: torch.optim.Optimizer, scheduler: Any, units: int, steps_per_unit: int
) -> dict[str, Any]:
    """Run ``units`` epochs (or batches) of ``steps_per_unit`` optimizer steps, then one
    ``scheduler.step()``; observe the lr of the first optimizer step of every unit."""
    if scheduler is None:
        return {"returned": "none"}
    if not callable(getattr(scheduler, "step", None)):
        return {"returned": "other", "type": type(scheduler).__name__}
    if getattr(scheduler, "optimizer", optimizer) is not optimizer:
        return {"returned": "foreign-scheduler"}
    trace = LrTrace(optimizer)
    try:
        for _ in range(units):
            for _ in range(steps_per_unit):
                optimizer.step()
            scheduler.step()
    finally:
        trace.close()
    return {"returned": "scheduler", "trace": trace.steps[::steps_per_unit]}


class CallLog:
    """Events of a training loop, in order, as JSON dicts: ``batch``, ``forward``, ``loss``,
    ``backward`` (gradients clear before it?), ``step`` (lrs; gradients all zero?), ``sched``."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def add(self, event: str, **info: Any) -> None:
        self.events.append({"event": event, **info})


def _grads_clear(params: list[nn.Parameter]) -> bool:
    return all(p.grad is None or not bool(p.grad.any()) for p in params)


def grad_norm(params: list[nn.Parameter]) -> float:
    """Total 2-norm of the parameters' gradients (a missing gradient counts as zero)."""
    total = sum(float(p.grad.detach().double().pow(2).sum()) for p in params if p.grad is not None)
    return math.sqrt(total)


class LoggedBatches:
    """An iterable of batches that logs each batch it hands out (re-iterable per epoch)."""

    def __init__(self, data: list[tuple[torch.Tensor, torch.Tensor]], log: CallLog) -> None:
        self._data, self._log = data, log

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        for index, item in enumerate(self._data):
            self._log.add("batch", index=index)
            yield item

    def __len__(self) -> int:
        return len(self._data)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        item = self._data[index]  # a slice or a bad index fails as a list would
        self._log.add("batch", index=index if type(index) is int else -1)
        return item


def instrument_loop(
    model: nn.Module, loss_fn: Any, optimizer: torch.optim.Optimizer, scheduler: Any, log: CallLog
) -> Any:
    """Attach logging hooks; return the wrapped loss function to hand to the learner.

    Every ``step`` event carries the group lrs, whether the gradients are all clear, and their
    total norm (what the step is about to apply)."""
    params = list(model.parameters())
    model.register_forward_pre_hook(lambda m, a: log.add("forward"))
    optimizer.register_step_pre_hook(
        lambda o, a, k: log.add(
            "step",
            lrs=[plain(g["lr"]) for g in o.param_groups],
            clear=_grads_clear(params),
            grad_norm=grad_norm(params),
        )
    )
    inner_step = scheduler.step

    def sched_step(*args: Any, **kwargs: Any) -> Any:
        log.add("sched")
        return inner_step(*args, **kwargs)

    scheduler.step = sched_step

    def logged_loss(*args: Any, **kwargs: Any) -> Any:
        loss = loss_fn(*args, **kwargs)
        log.add("loss")
        if isinstance(loss, torch.Tensor) and loss.requires_grad:

            def on_backward(grad: torch.Tensor) -> torch.Tensor:
                log.add("backward", clear=_grads_clear(params))
                return grad

            # torch's Tensor.register_hook carries no annotations
            loss.register_hook(on_backward)  # type: ignore[no-untyped-call]
        return loss

    return logged_loss
