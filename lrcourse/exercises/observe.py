"""Observe what learner code does to optimizers: param-group membership, the lr each
``optimizer.step()`` actually used, and the order of training-loop calls.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn


def describe_groups(optimizer: Any, model: nn.Module) -> tuple[dict[str, list[int]], int]:
    """Map each model parameter name to the indexes of the groups holding it (a group index
    repeats if the parameter repeats inside it); also count tensors that are not the model's."""
    names = {id(p): n for n, p in model.named_parameters()}
    where: dict[str, list[int]] = {n: [] for n in names.values()}
    foreign = 0
    for index, group in enumerate(optimizer.param_groups):
        for p in group["params"]:
            if id(p) in names:
                where[names[id(p)]].append(index)
            else:
                foreign += 1
    return where, foreign


class LrTrace:
    """Record ``[group lr, ...]`` at every ``optimizer.step()`` (a step pre-hook, so it sees the
    lr the step uses, not the one a scheduler sets afterwards)."""

    def __init__(self, optimizer: torch.optim.Optimizer) -> None:
        self.steps: list[list[float]] = []
        self._optimizer = optimizer
        self._handle = optimizer.register_step_pre_hook(self._record)

    def _record(self, optimizer: Any, args: Any, kwargs: Any) -> None:
        self.steps.append([float(g["lr"]) for g in optimizer.param_groups])

    def close(self) -> None:
        self._handle.remove()


@dataclass
class CallLog:
    """Events of a training loop, in order: ``batch``, ``forward``, ``loss``, ``backward``
    (with whether gradients were clear before it), ``step`` (with lrs, and whether every
    gradient was zero) and ``sched``."""

    events: list[tuple[str, Any]] = field(default_factory=list)

    def names(self) -> list[str]:
        return [e for e, _ in self.events]

    def add(self, event: str, info: Any = None) -> None:
        self.events.append((event, info))


def _grads_clear(params: list[nn.Parameter]) -> bool:
    return all(p.grad is None or not bool(p.grad.any()) for p in params)


class LoggedBatches:
    """An iterable of batches that logs each batch it hands out (re-iterable per epoch)."""

    def __init__(self, data: list[tuple[torch.Tensor, torch.Tensor]], log: CallLog) -> None:
        self._data, self._log = data, log

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        for index, item in enumerate(self._data):
            self._log.add("batch", index)
            yield item

    def __len__(self) -> int:
        return len(self._data)


def instrument_loop(
    model: nn.Module, loss_fn: Any, optimizer: torch.optim.Optimizer, scheduler: Any, log: CallLog
) -> Any:
    """Attach logging hooks; return the wrapped loss function to hand to the learner."""
    params = list(model.parameters())
    model.register_forward_pre_hook(lambda m, a: log.add("forward"))
    optimizer.register_step_pre_hook(
        lambda o, a, k: log.add(
            "step", ([float(g["lr"]) for g in o.param_groups], _grads_clear(params))
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
            loss.register_hook(lambda g: (log.add("backward", _grads_clear(params)), g)[1])
        return loss

    return logged_loss
