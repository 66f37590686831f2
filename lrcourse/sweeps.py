"""Batched learning-rate sweeps: K copies of one model, K lrs, one computation.

``lr_sweep`` trains K copies of the same model (same initial weights, same mini-batches) with
K learning rates at once. The K copies' parameters are stacked along a new first dimension,
so each training step is one batched forward and backward pass instead of K small ones; on
one CPU thread that is several times faster than training the copies one after another,
because the course's models are so small that per-call overhead, not arithmetic, dominates.

Two batched forms are used:

* **batched matmuls** for models made only of ``nn.Linear``, ``nn.LayerNorm``, element-wise
  activations and ``nn.Sequential`` (the course's ``training.mlp`` and plain linear models):
  each layer becomes one ``torch.baddbmm`` over the K copies;
* ``torch.func.functional_call`` under ``torch.vmap`` for any other model (slower, general).

The optimizer updates (SGD with momentum, Adam and AdamW with its decoupled weight decay) are
written out here for stacked tensors, following the arithmetic of ``torch.optim``'s
single-tensor implementations step by step, with one lr per copy. Each copy's curve therefore
equals an ordinary ``training.train`` run with the same seed up to float rounding (the tests
compare every step's loss). A schedule is either a list of lr multipliers or a scheduler
factory; a factory is traced once on a throwaway optimizer (``training.lr_trace``), so any
scheduler whose lrs do not depend on the losses works (not ``ReduceLROnPlateau``).
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LRScheduler, ReduceLROnPlateau
from tqdm.auto import tqdm

from lrcourse.data import Split
from lrcourse.devices import pick_device, seed_everything
from lrcourse.training import Data, History, _as_split, _batches, lr_trace

OptimizerName = Literal["sgd", "adam", "adamw"]
Schedule = Sequence[float] | Callable[[Optimizer], LRScheduler]
"""Per-step (or per-epoch) lr multipliers, or a function that builds a scheduler."""
Method = Literal["auto", "matmul", "vmap"]

_ACTIVATIONS: dict[type[nn.Module], Callable[[torch.Tensor], torch.Tensor]] = {
    nn.ReLU: F.relu,
    nn.Tanh: torch.tanh,
    nn.Sigmoid: torch.sigmoid,
    nn.GELU: F.gelu,
    nn.SiLU: F.silu,
    nn.Identity: lambda x: x,
}


@dataclass
class Sweep(Mapping[str, History]):
    """The result of ``lr_sweep``: one ``History`` per lr, in the order of ``lrs``.

    It is a mapping from label (``"lr=0.1"``) to ``History``, so it plots with
    ``plotting.plot_losses`` like the result of ``training.sweep``.

    Attributes:
        lrs: the base lr of each copy.
        histories: label -> the copy's ``History`` (``seconds`` is the whole sweep's time).
        method: ``"matmul"`` or ``"vmap"``: how the copies were batched.
        seconds: wall-clock time of the whole sweep.
    """

    lrs: list[float]
    histories: dict[str, History] = field(default_factory=dict)
    method: str = ""
    seconds: float = 0.0

    def __getitem__(self, label: str) -> History:
        return self.histories[label]

    def __iter__(self) -> Iterator[str]:
        return iter(self.histories)

    def __len__(self) -> int:
        return len(self.histories)

    def final_losses(self, *, per: Literal["step", "epoch"] = "epoch") -> list[float]:
        """Each copy's last epoch-mean loss (or last step loss); ``inf`` where it diverged."""
        out = []
        for hist in self.histories.values():
            if hist.diverged:
                out.append(math.inf)
            elif per == "epoch" and hist.epoch_loss:
                out.append(hist.epoch_loss[-1])
            else:
                out.append(hist.final_loss)
        return out

    def best(self) -> tuple[float, History]:
        """The lr with the lowest final epoch loss, and its history."""
        losses = self.final_losses()
        i = int(np.argmin(losses))
        return self.lrs[i], list(self.histories.values())[i]


# ----------------------------------------------------------------------------- schedules


def _schedule_lrs(
    lr: float,
    schedule: Schedule | None,
    make_optimizer: Callable[[list[nn.Parameter], float], Optimizer],
    n_entries: int,
) -> list[float]:
    """The lr of each of ``n_entries`` steps (or epochs) for base lr ``lr``."""
    if schedule is None:
        return [lr] * n_entries
    if callable(schedule):
        dummy = [nn.Parameter(torch.zeros(1))]
        optimizer = make_optimizer(dummy, lr)
        scheduler = schedule(optimizer)
        if isinstance(scheduler, ReduceLROnPlateau):
            raise TypeError("ReduceLROnPlateau depends on the losses; it cannot be precomputed")
        if not isinstance(scheduler, LRScheduler):
            raise TypeError(f"the schedule factory returned {type(scheduler).__name__}")
        before = _momenta(optimizer)
        used = [row[0] for row in lr_trace(optimizer, scheduler, n_entries)]
        if _momenta(optimizer) != before:
            raise ValueError("schedules that change momentum or betas are not supported")
        return used
    multipliers = [float(m) for m in schedule]
    if len(multipliers) < n_entries:
        raise ValueError(f"the schedule has {len(multipliers)} multipliers, need {n_entries}")
    return [lr * m for m in multipliers[:n_entries]]


def _momenta(optimizer: Optimizer) -> list[object]:
    return [(g.get("momentum"), g.get("betas")) for g in optimizer.param_groups]


# ------------------------------------------------------------------------ batched models


class _Batched:
    """A forward pass over K stacked copies of a model: ``(params, x) -> outputs [K, B, ...]``."""

    def __init__(self, model: nn.Module, method: Method) -> None:
        self.names = [name for name, _ in model.named_parameters()]
        plan = _matmul_plan(model) if method in ("auto", "matmul") else None
        if method == "matmul" and plan is None:
            raise ValueError("method='matmul' needs Linear/LayerNorm/activation layers only")
        self.plan = plan
        self.method = "matmul" if plan is not None else "vmap"
        if plan is None:
            if any(True for _ in model.buffers()):
                raise ValueError("models with buffers (e.g. BatchNorm) cannot be swept")
            base = copy.deepcopy(model).to("meta")

            def one(params: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
                out: torch.Tensor = torch.func.functional_call(base, params, (x,))
                return out

            self.vmapped = torch.vmap(one, in_dims=(0, None))

    def __call__(self, params: list[torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        if self.plan is None:
            return self.vmapped(dict(zip(self.names, params, strict=True)), x)
        named = dict(zip(self.names, params, strict=True))
        h = x.expand(params[0].shape[0], *x.shape)
        for layer in self.plan:
            h = layer(named, h)
        return h


_Layer = Callable[[dict[str, torch.Tensor], torch.Tensor], torch.Tensor]


def _matmul_plan(model: nn.Module) -> list[_Layer] | None:
    """The model as a list of batched layers, or None when a module is not supported."""
    plan: list[_Layer] = []

    def visit(module: nn.Module, prefix: str) -> bool:
        if isinstance(module, nn.Sequential):
            return all(visit(child, f"{prefix}{name}.") for name, child in module.named_children())
        if isinstance(module, nn.Linear):
            plan.append(_linear(prefix, module.bias is not None))
            return True
        if isinstance(module, nn.LayerNorm) and len(module.normalized_shape) == 1:
            affine = module.weight is not None
            plan.append(_layer_norm(prefix, module.normalized_shape[0], module.eps, affine))
            return module.bias is None or affine
        if type(module) in _ACTIVATIONS:
            act = _ACTIVATIONS[type(module)]
            plan.append(lambda named, h: act(h))
            return True
        return False

    return plan if visit(model, "") else None


def _linear(prefix: str, has_bias: bool) -> _Layer:
    weight, bias = prefix + "weight", prefix + "bias"

    def layer(named: dict[str, torch.Tensor], h: torch.Tensor) -> torch.Tensor:
        w = named[weight].transpose(1, 2)
        if has_bias:
            return torch.baddbmm(named[bias].unsqueeze(1), h, w)
        return torch.bmm(h, w)

    return layer


def _layer_norm(prefix: str, size: int, eps: float, affine: bool) -> _Layer:
    weight, bias = prefix + "weight", prefix + "bias"

    def layer(named: dict[str, torch.Tensor], h: torch.Tensor) -> torch.Tensor:
        out = F.layer_norm(h, (size,), eps=eps)
        if affine:
            out = out * named[weight].unsqueeze(1)
            if bias in named:
                out = out + named[bias].unsqueeze(1)
        return out

    return layer


def _losses(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Each copy's mean loss: cross-entropy for integer targets, squared error for floats."""
    k, b = out.shape[0], out.shape[1]
    if y.is_floating_point():
        diff = out - y.expand(k, *y.shape)
        return (diff * diff).reshape(k, -1).mean(dim=1)
    flat = F.cross_entropy(out.reshape(k * b, -1), y.repeat(k), reduction="none")
    return flat.view(k, b).mean(dim=1)


# ------------------------------------------------------------------- batched optimizers


class _Update:
    """The update rule of one ``torch.optim`` optimizer on stacked parameters ``[K, ...]``."""

    def __init__(
        self,
        name: OptimizerName,
        params: list[torch.Tensor],
        *,
        momentum: float,
        dampening: float,
        nesterov: bool,
        weight_decay: float,
        betas: tuple[float, float],
        eps: float,
    ) -> None:
        self.name, self.params = name, params
        self.momentum, self.dampening, self.nesterov = momentum, dampening, nesterov
        self.weight_decay, self.betas, self.eps = weight_decay, betas, eps
        self.step_count = 0
        self.buffers: list[torch.Tensor | None] = [None] * len(params)
        self.exp_avg = [torch.zeros_like(p) for p in params] if name != "sgd" else []
        self.exp_avg_sq = [torch.zeros_like(p) for p in params] if name != "sgd" else []

    def make_optimizer(self, params: list[nn.Parameter], lr: float) -> Optimizer:
        """The ordinary optimizer these updates reproduce (used to trace schedulers)."""
        if self.name == "sgd":
            return torch.optim.SGD(
                params,
                lr=lr,
                momentum=self.momentum,
                dampening=self.dampening,
                nesterov=self.nesterov,
                weight_decay=self.weight_decay,
            )
        kind = torch.optim.Adam if self.name == "adam" else torch.optim.AdamW
        return kind(params, lr=lr, betas=self.betas, eps=self.eps, weight_decay=self.weight_decay)

    @torch.no_grad()
    def step(self, grads: Sequence[torch.Tensor], lr: torch.Tensor) -> None:
        """One step; ``lr`` holds each copy's lr (float64, shape ``[K]``)."""
        self.step_count += 1
        if self.name == "sgd":
            self._sgd(grads, lr)
        else:
            self._adam(grads, lr)

    @staticmethod
    def _per_copy(values: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
        """``values[K]`` cast like torch casts a Python-float scalar, shaped to broadcast."""
        return values.to(like.dtype).view(-1, *([1] * (like.dim() - 1)))

    def _sgd(self, grads: Sequence[torch.Tensor], lr: torch.Tensor) -> None:
        for i, (p, g) in enumerate(zip(self.params, grads, strict=True)):
            d = g.add(p, alpha=self.weight_decay) if self.weight_decay != 0 else g
            if self.momentum != 0:
                buf = self.buffers[i]
                if buf is None:
                    buf = d.detach().clone()
                    self.buffers[i] = buf
                else:
                    buf.mul_(self.momentum).add_(d, alpha=1 - self.dampening)
                d = d.add(buf, alpha=self.momentum) if self.nesterov else buf
            p.addcmul_(d, self._per_copy(-lr, p))

    def _adam(self, grads: Sequence[torch.Tensor], lr: torch.Tensor) -> None:
        beta1, beta2 = self.betas
        t = self.step_count
        bias_correction1 = 1 - beta1**t
        bias_correction2_sqrt = math.sqrt(1 - beta2**t)
        neg_step_size = -lr / bias_correction1
        for p, g, m, v in zip(self.params, grads, self.exp_avg, self.exp_avg_sq, strict=True):
            if self.weight_decay != 0:
                if self.name == "adamw":
                    p.mul_(self._per_copy(1 - lr * self.weight_decay, p))
                else:
                    g = g.add(p, alpha=self.weight_decay)
            m.lerp_(g, 1 - beta1)
            v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
            denom = (v.sqrt() / bias_correction2_sqrt).add_(self.eps)
            p.addcmul_(m / denom, self._per_copy(neg_step_size, p))


# -------------------------------------------------------------------------------- sweep


def lr_sweep(
    make_model: Callable[[], nn.Module],
    lrs: Sequence[float],
    data: Data,
    *,
    epochs: int,
    optimizer: OptimizerName = "sgd",
    momentum: float = 0.0,
    dampening: float = 0.0,
    nesterov: bool = False,
    weight_decay: float | None = None,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    schedules: Schedule | Sequence[Schedule | None] | None = None,
    step_scheduler: Literal["epoch", "batch"] = "epoch",
    batch_size: int = 64,
    labels: Sequence[str] | None = None,
    seed: int = 0,
    device: torch.device | str | None = None,
    method: Method = "auto",
    progress: bool = True,
) -> Sweep:
    """Train one copy of ``make_model()`` per lr in ``lrs``, all in one batched computation.

    Every copy starts from the same weights (``make_model`` is called once, after seeding
    with ``seed``) and sees the same mini-batches, exactly as ``training.sweep`` with
    ``training.lr_strategies(lrs, ...)`` would give each of its runs; only the lr differs.

    Args:
        make_model: builds the model (called once, after ``seed_everything(seed)``).
        lrs: one base lr per copy.
        data: a ``Split`` or ``(x, y)``; integer targets use cross-entropy, float targets
            mean squared error (``nn.CrossEntropyLoss()`` / ``nn.MSELoss()``, mean reduction).
        epochs, batch_size, seed, device: as in ``training.train``.
        optimizer: ``"sgd"`` (``momentum``, ``dampening``, ``nesterov``), ``"adam"`` or
            ``"adamw"`` (``betas``, ``eps``); ``weight_decay`` defaults to the optimizer's
            own default (0, 0 and 0.01).
        schedules: one schedule for every copy, or one per copy (``None`` = constant lr). A
            schedule is a list of lr multipliers (one per epoch, or per optimizer step with
            ``step_scheduler="batch"``) or a function ``optimizer -> LRScheduler``, stepped
            once per epoch or once per batch as ``step_scheduler`` says.
        labels: the histories' names (default ``"lr=<lr>"``).
        method: ``"matmul"``, ``"vmap"`` or ``"auto"`` (matmul when the model allows it).
        progress: a notebook-aware progress bar over epochs.

    Returns:
        A ``Sweep`` (a mapping label -> ``History``). A copy whose loss becomes ``nan`` or
        ``inf`` is recorded as diverged at that step and frozen there, as ``training.train``
        would stop it; the other copies carry on.
    """
    lrs = [float(lr) for lr in lrs]
    if not lrs:
        raise ValueError("need at least one lr")
    if step_scheduler not in ("epoch", "batch"):
        raise ValueError(f"step_scheduler must be 'epoch' or 'batch', got {step_scheduler!r}")
    if optimizer not in ("sgd", "adam", "adamw"):
        raise ValueError(f"optimizer must be 'sgd', 'adam' or 'adamw', got {optimizer!r}")
    names = list(labels) if labels is not None else [f"lr={lr:g}" for lr in lrs]
    if len(names) != len(lrs) or len(set(names)) != len(names):
        raise ValueError("need one distinct label per lr")
    per_copy: list[Schedule | None]
    if schedules is None or callable(schedules) or _is_multipliers(schedules):
        per_copy = [schedules] * len(lrs)  # type: ignore[list-item]
    else:
        per_copy = list(schedules)  # type: ignore[arg-type]
        if len(per_copy) != len(lrs):
            raise ValueError(f"need one schedule per lr: {len(lrs)} lrs, {len(per_copy)}")

    dev = pick_device() if device is None else torch.device(device)
    split = _as_split(data).to(dev)
    n_train, k = len(split.x_train), len(lrs)
    steps_per_epoch = math.ceil(n_train / batch_size)
    seed_everything(seed)
    model = make_model().to(dev)
    batched = _Batched(model, method)
    params = [
        p.detach().unsqueeze(0).repeat(k, *([1] * p.dim())).requires_grad_()
        for p in model.parameters()
    ]
    decay = weight_decay if weight_decay is not None else (0.01 if optimizer == "adamw" else 0.0)
    update = _Update(
        optimizer,
        params,
        momentum=momentum,
        dampening=dampening,
        nesterov=nesterov,
        weight_decay=decay,
        betas=betas,
        eps=eps,
    )
    entries = epochs if step_scheduler == "epoch" else epochs * steps_per_epoch
    table = [
        _schedule_lrs(lr, sched, update.make_optimizer, entries)
        for lr, sched in zip(lrs, per_copy, strict=True)
    ]
    lr_table = torch.tensor(table, dtype=torch.float64).T.contiguous()  # [entries, K]
    lr_dev = lr_table.to(dev)

    hists = [History(label=name, device=str(dev)) for name in names]
    active = [True] * k
    frozen: dict[int, list[torch.Tensor]] = {}
    gen = torch.Generator().manual_seed(seed)
    start = time.perf_counter()
    bar = tqdm(range(epochs), desc=f"{k} lrs at once", disable=not progress, leave=False)
    step = 0
    for epoch in bar:
        epoch_values: list[list[float]] = [[] for _ in range(k)]
        first = epoch if step_scheduler == "epoch" else step
        for i in range(k):
            if active[i]:
                hists[i].epoch_lrs.append([table[i][first]])
        for idx in _batches(n_train, batch_size, gen):
            idx = idx.to(dev)
            row = epoch if step_scheduler == "epoch" else step
            out = batched(params, split.x_train[idx])
            losses = _losses(out, split.y_train[idx])
            values = losses.tolist()
            for i, value in enumerate(values):
                if not active[i]:
                    continue
                hists[i].step_loss.append(value)
                if math.isfinite(value):
                    hists[i].step_lrs.append([table[i][row]])
                    epoch_values[i].append(value)
                else:
                    active[i] = False
                    hists[i].diverged, hists[i].diverged_at = True, len(hists[i].step_loss) - 1
                    frozen[i] = [p[i].detach().clone() for p in params]
            if not any(active):
                break
            grads = torch.autograd.grad(losses.sum(), params)
            update.step(grads, lr_dev[row])
            step += 1
        for i in range(k):
            if active[i]:
                hists[i].epoch_loss.append(float(np.mean(epoch_values[i])))
        done = [h.epoch_loss[-1] for h, a in zip(hists, active, strict=True) if a]
        if done:
            bar.set_postfix(best=f"{min(done):.4f}", diverged=k - sum(active))
        if not any(active):
            break
    bar.close()
    with torch.no_grad():
        for i, saved in frozen.items():
            for p, value in zip(params, saved, strict=True):
                p[i] = value
        if split.n_classes:
            _accuracies(batched, params, split, hists)
    seconds = time.perf_counter() - start
    for hist in hists:
        hist.seconds = seconds
    return Sweep(lrs, dict(zip(names, hists, strict=True)), batched.method, seconds)


def _is_multipliers(value: object) -> bool:
    return isinstance(value, Sequence) and all(isinstance(v, int | float) for v in value)


def _accuracies(
    batched: _Batched, params: list[torch.Tensor], split: Split, hists: list[History]
) -> None:
    def acc(x: torch.Tensor, y: torch.Tensor) -> list[float]:
        hits = (batched(params, x).argmax(dim=2) == y).float().mean(dim=1)
        return [float(h) for h in hits.tolist()]

    for hist, value in zip(hists, acc(split.x_train, split.y_train), strict=True):
        hist.train_accuracy = value
    if len(split.x_test):
        for hist, value in zip(hists, acc(split.x_test, split.y_test), strict=True):
            hist.test_accuracy = value
