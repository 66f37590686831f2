"""Small, fast training helpers shared by the lessons.

* ``mlp`` builds the course's tiny network (a ``body`` and a ``head``, so param groups are
  easy to form).
* ``train`` runs a seeded mini-batch loop and returns a ``History``: the loss and the lr of
  every param group at every step. A loss that becomes ``nan``/``inf`` stops the run and is
  recorded (``History.diverged``), it is never raised, so a divergence demo runs cleanly.
* ``lr_range_test`` is the exponential lr sweep of lesson 2 (Smith, 2017): it restores the
  model and optimizer afterwards and suggests an lr.
* ``sweep`` trains the same model from the same start under several strategies.
* ``lr_trace`` lists the lr an optimizer would use at each step under a scheduler, with no
  training at all.
"""

from __future__ import annotations

import copy
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import torch
from torch import nn
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler, ReduceLROnPlateau
from tqdm.auto import tqdm

from lrcourse.data import Split
from lrcourse.devices import pick_device, place, seed_everything
from lrcourse.live_progress import finish_bar

Scheduler = LRScheduler | ReduceLROnPlateau
Strategy = Callable[[nn.Module], Optimizer | tuple[Optimizer, Scheduler | None]]
Data = Split | tuple[torch.Tensor, torch.Tensor]


def mlp(
    in_features: int = 64,
    out_features: int = 10,
    hidden: Sequence[int] = (64,),
    *,
    norm: bool = False,
    seed: int | None = None,
) -> nn.Sequential:
    """A small multilayer perceptron with two named parts: ``body`` and ``head``.

    ``body`` holds the hidden ``Linear`` layers (each followed by ``LayerNorm`` when
    ``norm=True``, then ``ReLU``); ``head`` is the final ``Linear`` that produces the outputs.
    ``seed`` makes the initial weights repeatable.
    """
    if seed is not None:
        torch.manual_seed(seed)
    layers: list[nn.Module] = []
    width = in_features
    for size in hidden:
        layers.append(nn.Linear(width, size))
        if norm:
            layers.append(nn.LayerNorm(size))
        layers.append(nn.ReLU())
        width = size
    return nn.Sequential(
        OrderedDict(body=nn.Sequential(*layers), head=nn.Linear(width, out_features))
    )


@dataclass
class History:
    """What one training run recorded.

    Attributes:
        label: the run's name (used in plot legends).
        step_loss: training loss of every mini-batch, in order.
        epoch_loss: mean training loss of each finished epoch.
        step_lrs: for every ``optimizer.step()``, the lr of each param group it used.
        epoch_lrs: the lr of each param group at the first step of each epoch.
        train_accuracy, test_accuracy: accuracy after training (classification only).
        diverged: True when a loss became ``nan`` or ``inf``; training stopped there.
        diverged_at: index (into ``step_loss``) of the first non-finite loss.
        device: the device the run used.
        seconds: wall-clock time of the run.
    """

    label: str = ""
    step_loss: list[float] = field(default_factory=list)
    epoch_loss: list[float] = field(default_factory=list)
    step_lrs: list[list[float]] = field(default_factory=list)
    epoch_lrs: list[list[float]] = field(default_factory=list)
    train_accuracy: float | None = None
    test_accuracy: float | None = None
    diverged: bool = False
    diverged_at: int | None = None
    device: str = "cpu"
    seconds: float = 0.0

    @property
    def accuracy(self) -> float | None:
        """Test accuracy when there is a test set, else training accuracy."""
        return self.test_accuracy if self.test_accuracy is not None else self.train_accuracy

    @property
    def final_loss(self) -> float:
        """Last recorded training loss (``nan``/``inf`` after a divergence)."""
        return self.step_loss[-1] if self.step_loss else math.nan

    def lrs(self, group: int = 0, *, per: Literal["step", "epoch"] = "step") -> list[float]:
        """The lr of one param group at every step (or epoch)."""
        rows = self.step_lrs if per == "step" else self.epoch_lrs
        return [row[group] for row in rows]

    def summary(self) -> str:
        """One line: final loss, accuracy or the step where the run diverged."""
        name = f"{self.label}: " if self.label else ""
        if self.diverged:
            return f"{name}diverged at step {self.diverged_at} (loss {self.final_loss})"
        acc = "" if self.accuracy is None else f", accuracy {self.accuracy:.1%}"
        last = self.epoch_loss[-1] if self.epoch_loss else self.final_loss
        return f"{name}final epoch loss {last:.4f}{acc}"


def _as_split(data: Data) -> Split:
    if isinstance(data, Split):
        return data
    x, y = data
    return Split(x, y, x[:0], y[:0], 0 if y.is_floating_point() else int(y.max()) + 1)


def _default_loss(y: torch.Tensor) -> nn.Module:
    return nn.MSELoss() if y.is_floating_point() else nn.CrossEntropyLoss()


def _group_lrs(optimizer: Optimizer) -> list[float]:
    return [float(group["lr"]) for group in optimizer.param_groups]


@torch.no_grad()
def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Share of rows of ``x`` whose arg-max output equals the label in ``y``."""
    was_training = model.training
    model.eval()
    hits = (model(x).argmax(dim=1) == y).float().mean().item()
    model.train(was_training)
    return float(hits)


def _batches(n: int, batch_size: int, gen: torch.Generator) -> list[torch.Tensor]:
    order = torch.randperm(n, generator=gen)
    return [order[i : i + batch_size] for i in range(0, n, batch_size)]


def train(
    model: nn.Module,
    optimizer: Optimizer,
    data: Data,
    *,
    epochs: int,
    scheduler: Scheduler | None = None,
    step_scheduler: Literal["epoch", "batch"] = "epoch",
    batch_size: int = 64,
    loss_fn: nn.Module | None = None,
    device: torch.device | str | None = None,
    seed: int = 0,
    progress: bool = True,
    label: str = "",
) -> History:
    """Train ``model`` with mini-batches and record loss and lr at every step.

    Args:
        model, optimizer: the optimizer must already hold the model's parameters.
        data: a ``Split`` or a ``(x, y)`` pair; integer targets use cross-entropy, float
            targets mean squared error (override with ``loss_fn``).
        epochs: passes over the training set.
        scheduler: stepped after ``optimizer.step()`` (the order PyTorch requires), once per
            epoch or once per batch according to ``step_scheduler``. ``ReduceLROnPlateau`` is
            stepped once per epoch with the epoch's mean loss.
        batch_size: rows per step; use ``len(x)`` for full-batch gradient descent.
        device: defaults to ``pick_device()``; the model and data are moved there.
        seed: seeds the shuffling, so equal seeds give equal batches.
        progress: show a notebook-aware progress bar over epochs.
        label: the run's name in plots.

    Returns:
        A ``History``. A non-finite loss stops training (``History.diverged``); it never raises.
    """
    if step_scheduler not in ("epoch", "batch"):
        raise ValueError(f"step_scheduler must be 'epoch' or 'batch', got {step_scheduler!r}")
    dev = pick_device() if device is None else torch.device(device)
    split = _as_split(data).to(dev)
    place(model, dev)
    model.train()
    loss_fn = loss_fn or _default_loss(split.y_train)
    hist = History(label=label, device=str(dev))
    gen = torch.Generator().manual_seed(seed)
    start = time.perf_counter()
    plateau = isinstance(scheduler, ReduceLROnPlateau)
    bar = tqdm(range(epochs), desc=label or "training", disable=not progress, leave=False)
    for _ in bar:
        hist.epoch_lrs.append(_group_lrs(optimizer))
        losses: list[float] = []
        for idx in _batches(len(split.x_train), batch_size, gen):
            idx = idx.to(dev)
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(split.x_train[idx]), split.y_train[idx])
            value = float(loss.item())
            hist.step_loss.append(value)
            if not math.isfinite(value):
                hist.diverged, hist.diverged_at = True, len(hist.step_loss) - 1
                break
            loss.backward()
            hist.step_lrs.append(_group_lrs(optimizer))
            optimizer.step()
            losses.append(value)
            if scheduler is not None and not plateau and step_scheduler == "batch":
                scheduler.step()
        if hist.diverged:
            break
        hist.epoch_loss.append(float(np.mean(losses)))
        bar.set_postfix(loss=f"{hist.epoch_loss[-1]:.4f}")
        if isinstance(scheduler, ReduceLROnPlateau):
            scheduler.step(hist.epoch_loss[-1])
        elif scheduler is not None and step_scheduler == "epoch":
            scheduler.step()
    bar.close()
    if split.n_classes:
        hist.train_accuracy = accuracy(model, split.x_train, split.y_train)
        if len(split.x_test):
            hist.test_accuracy = accuracy(model, split.x_test, split.y_test)
    hist.seconds = time.perf_counter() - start
    return hist


def sweep(
    make_model: Callable[[], nn.Module],
    strategies: Mapping[str, Strategy],
    data: Data,
    *,
    epochs: int,
    step_scheduler: Literal["epoch", "batch"] = "epoch",
    batch_size: int = 64,
    seed: int = 0,
    device: torch.device | str | None = None,
    progress: bool = True,
) -> dict[str, History]:
    """Train a fresh model under each strategy, from the same start, and return the histories.

    Args:
        make_model: builds the model; it is called after seeding, so every strategy starts
            from identical weights (return a deep copy if you start from a trained model).
        strategies: name -> function that takes the model and returns an optimizer, or an
            ``(optimizer, scheduler)`` pair.
        epochs, step_scheduler, batch_size, seed, device: as in ``train``.
    """
    results: dict[str, History] = {}
    bar = tqdm(strategies.items(), desc="strategies", disable=not progress, leave=False)
    for name, strategy in bar:
        bar.set_postfix_str(name)
        seed_everything(seed)
        model = make_model()
        built = strategy(model)
        optimizer, scheduler = built if isinstance(built, tuple) else (built, None)
        results[name] = train(
            model,
            optimizer,
            data,
            epochs=epochs,
            scheduler=scheduler,
            step_scheduler=step_scheduler,
            batch_size=batch_size,
            device=device,
            seed=seed,
            progress=False,
            label=name,
        )
    bar.close()
    return results


def lr_strategies(
    lrs: Sequence[float], optimizer: Callable[..., Optimizer] = torch.optim.SGD, **kwargs: object
) -> dict[str, Strategy]:
    """One strategy per lr, ready for ``sweep``: ``{"lr=0.1": model -> SGD(..., lr=0.1)}``."""

    def make(lr: float) -> Strategy:
        return lambda model: optimizer(model.parameters(), lr=lr, **kwargs)

    return {f"lr={lr:g}": make(lr) for lr in lrs}


def lr_trace(optimizer: Optimizer, scheduler: LRScheduler, steps: int) -> list[list[float]]:
    """The lr of every param group used by each of ``steps`` optimizer steps.

    Runs the correct loop (read the lr, ``optimizer.step()``, then ``scheduler.step()``) on the
    given objects without any data: gradients are cleared first, so the parameters do not
    move. Use a throwaway optimizer: the scheduler's state advances.
    """
    optimizer.zero_grad(set_to_none=True)
    used = []
    for _ in range(steps):
        used.append(_group_lrs(optimizer))
        optimizer.step()
        scheduler.step()
    return used


@dataclass
class RangeTest:
    """Result of ``lr_range_test``.

    Attributes:
        lrs: the lr used at each step (growing exponentially).
        losses: the smoothed (bias-corrected moving average) training loss at each step.
        raw_losses: the unsmoothed mini-batch losses.
        min_loss_lr: the lr where the smoothed loss was lowest.
        steepest_lr: the lr where the smoothed loss fell fastest (per unit of log lr).
        suggested_lr: ``min_loss_lr / 10``, a safe starting lr for training.
        stopped_early: True when the loss blew up and the sweep ended before ``end_lr``.
    """

    lrs: list[float]
    losses: list[float]
    raw_losses: list[float]
    min_loss_lr: float
    steepest_lr: float
    suggested_lr: float
    stopped_early: bool

    def explain(self) -> str:
        """How to read this curve, with its numbers filled in."""
        end = "the loss blew up, so the sweep stopped" if self.stopped_early else "the sweep ended"
        return (
            f"Reading the curve from left to right: at tiny lrs the loss hardly moves; it then "
            f"falls fastest near lr={self.steepest_lr:.2g}, bottoms out near "
            f"lr={self.min_loss_lr:.2g}, and beyond that {end}. The lowest point is already "
            f"too aggressive for a whole training run, so start one step of ten below it: "
            f"lr ≈ {self.suggested_lr:.2g}. The steepest point is a second candidate: "
            + (
                "here it is the bolder of the two."
                if self.steepest_lr > self.suggested_lr
                else "here it is the more cautious of the two."
            )
        )


def _smoothed(values: Sequence[float], beta: float) -> list[float]:
    avg, out = 0.0, []
    for i, v in enumerate(values, start=1):
        avg = beta * avg + (1 - beta) * v
        out.append(avg / (1 - beta**i))
    return out


def lr_range_test(
    model: nn.Module,
    optimizer: Optimizer,
    data: Data,
    *,
    start_lr: float = 1e-5,
    end_lr: float = 10.0,
    num_steps: int = 100,
    batch_size: int = 64,
    beta: float = 0.9,
    diverge_factor: float = 4.0,
    loss_fn: nn.Module | None = None,
    device: torch.device | str | None = None,
    seed: int = 0,
    progress: bool = True,
) -> RangeTest:
    """Raise the lr exponentially from ``start_lr`` to ``end_lr``, one mini-batch per lr.

    Every param group gets the same lr at each step. The sweep stops early once the smoothed
    loss exceeds ``diverge_factor`` times its best value (or is not finite). Afterwards the
    model's weights and the optimizer's state (lrs included) are restored, so the model can be
    trained normally with the suggested lr.
    """
    if not 0 < start_lr < end_lr:
        raise ValueError("need 0 < start_lr < end_lr")
    dev = pick_device() if device is None else torch.device(device)
    split = _as_split(data).to(dev)
    place(model, dev)
    model.train()
    saved_model = copy.deepcopy(model.state_dict())
    saved_opt = copy.deepcopy(optimizer.state_dict())
    loss_fn = loss_fn or _default_loss(split.y_train)
    gen = torch.Generator().manual_seed(seed)
    factor = (end_lr / start_lr) ** (1 / max(1, num_steps - 1))
    lrs: list[float] = []
    raw: list[float] = []
    batches: list[torch.Tensor] = []
    stopped = False
    bar = tqdm(range(num_steps), desc="lr range test", disable=not progress, leave=False)
    try:
        for step in bar:
            if not batches:
                batches = _batches(len(split.x_train), batch_size, gen)
            idx = batches.pop().to(dev)
            lr = start_lr * factor**step
            for group in optimizer.param_groups:
                group["lr"] = lr
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(split.x_train[idx]), split.y_train[idx])
            value = float(loss.item())
            if not math.isfinite(value):
                stopped = True
                break
            lrs.append(lr)
            raw.append(value)
            smooth = _smoothed(raw, beta)
            if len(raw) > 5 and smooth[-1] > diverge_factor * min(smooth):
                stopped = True
                break
            loss.backward()
            optimizer.step()
    finally:
        model.load_state_dict(saved_model)
        optimizer.load_state_dict(saved_opt)
    finish_bar(bar, normal_end=True)  # stopping on divergence is how a range test ends
    if len(lrs) < 3:
        raise RuntimeError("the loss diverged at once; lower start_lr")
    losses = _smoothed(raw, beta)
    best = int(np.argmin(losses))
    slopes = np.gradient(np.asarray(losses), np.log(np.asarray(lrs)))
    steepest = int(np.argmin(slopes[: best + 1]))
    return RangeTest(
        lrs=lrs,
        losses=losses,
        raw_losses=raw,
        min_loss_lr=lrs[best],
        steepest_lr=lrs[steepest],
        suggested_lr=lrs[best] / 10,
        stopped_early=stopped,
    )
