"""Models, data and optimizers built from a *spec*: a small JSON dict of sizes, seeds and
hyperparameters that the trusted side draws at random.

Both sides build from the same spec: the sandboxed child, to run the learner's code on it, and
the grader, to compute what a correct answer does on it. Every builder seeds torch itself, so
the two builds are identical.
"""

from __future__ import annotations

import itertools
import random
from typing import Any

import torch
from torch import nn

Spec = dict[str, Any]


class BackboneHead(nn.Module):
    """``backbone`` (Linear/ReLU/LayerNorm stack) followed by a Linear ``head``."""

    def __init__(self, rng: random.Random) -> None:
        super().__init__()
        self.in_features = rng.randint(3, 8)
        widths = [self.in_features] + [rng.randint(4, 12) for _ in range(rng.randint(1, 3))]
        layers: list[nn.Module] = []
        for a, b in itertools.pairwise(widths):
            layers += [nn.Linear(a, b), nn.ReLU()]
        layers.append(nn.LayerNorm(widths[-1]))
        self.backbone = nn.Sequential(*layers)
        self.out_features = rng.randint(1, 4)
        self.head = nn.Linear(widths[-1], self.out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.head(self.backbone(x))
        return out


class MixedNet(nn.Module):
    """Linear, LayerNorm, BatchNorm, bare scale parameters and a tricky ``bias_gate`` layer
    (a 2-D weight whose *name* contains "bias")."""

    def __init__(self, rng: random.Random) -> None:
        super().__init__()
        self.in_features = rng.randint(3, 8)
        width = rng.randint(4, 10)
        self.proj = nn.Linear(self.in_features, width)
        self.norm = nn.LayerNorm(width)
        self.bias_gate = nn.Linear(width, width, bias=rng.random() < 0.5)
        self.bn = nn.BatchNorm1d(width)
        self.scale = nn.Parameter(torch.ones(width))
        self.temperature = nn.Parameter(torch.tensor(1.0))
        self.pos = nn.Parameter(torch.randn(1, width) * 0.02)
        self.out_features = rng.randint(1, 3)
        self.out = nn.Linear(width, self.out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.norm(self.proj(x)) + self.pos
        h = self.bn(torch.relu(self.bias_gate(h))) * self.scale / self.temperature
        out: torch.Tensor = self.out(h)
        return out


class LayeredNet(nn.Module):
    """``embed`` → ``blocks`` (an nn.ModuleList of ``num_blocks``) → ``head``."""

    def __init__(self, rng: random.Random, num_blocks: int) -> None:
        super().__init__()
        width = rng.randint(3, 8)
        self.in_features = rng.randint(2, 6)
        self.embed = nn.Linear(self.in_features, width)
        self.blocks = nn.ModuleList(
            nn.Sequential(nn.Linear(width, width), nn.LayerNorm(width)) for _ in range(num_blocks)
        )
        self.out_features = rng.randint(1, 3)
        self.head = nn.Linear(width, self.out_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.embed(x)
        for block in self.blocks:
            h = h + torch.relu(block(h))
        out: torch.Tensor = self.head(h)
        return out


def build_model(spec: Spec) -> nn.Module:
    """The spec's model (``spec["model"]``: backbone-head, mixed or layered), seeded."""
    seed = int(spec["seed"])
    torch.manual_seed(seed)
    rng = random.Random(seed)
    kind = spec["model"]
    if kind == "backbone-head":
        return BackboneHead(rng)
    if kind == "mixed":
        return MixedNet(rng)
    if kind == "layered":
        return LayeredNet(rng, int(spec["depth"]))
    raise ValueError(f"unknown fixture model {kind!r}")


def build_batches(spec: Spec, model: nn.Module) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """``spec["batches"]`` regression batches of ``spec["batch_size"]`` rows for ``model``."""
    generator = torch.Generator().manual_seed(int(spec["seed"]) + 1)
    size, count = int(spec["batch_size"]), int(spec["batches"])
    sizes: Any = model  # every fixture model records its in_features and out_features
    shape_in, shape_out = int(sizes.in_features), int(sizes.out_features)
    return [
        (
            torch.randn(size, shape_in, generator=generator),
            torch.randn(size, shape_out, generator=generator),
        )
        for _ in range(count)
    ]


def build_scheduled_optimizer(spec: Spec) -> torch.optim.SGD:
    """An SGD optimizer with one one-parameter group per entry of ``spec["lrs"]``."""
    generator = torch.Generator().manual_seed(int(spec["seed"]))
    groups: list[dict[str, Any]] = [
        {"params": [nn.Parameter(torch.randn(int(size), generator=generator))], "lr": float(lr)}
        for lr, size in zip(spec["lrs"], spec["sizes"], strict=True)
    ]
    return torch.optim.SGD(groups, lr=float(spec["lrs"][0]), momentum=float(spec["momentum"]))


def sgd_with_step_lr(
    model: nn.Module, spec: Spec
) -> tuple[torch.optim.SGD, torch.optim.lr_scheduler.StepLR]:
    """SGD (``spec["lr"]``, momentum 0.9) over ``model`` and a StepLR that multiplies the lr by
    ``spec["gamma"]`` at every ``scheduler.step()``: what the loop exercises hand the learner."""
    optimizer = torch.optim.SGD(model.parameters(), lr=float(spec["lr"]), momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=float(spec["gamma"]))
    return optimizer, scheduler


def build_grad_scaler(spec: Spec) -> torch.amp.GradScaler:
    """A CPU ``GradScaler`` starting at ``spec["init_scale"]`` that never grows during a check
    (growth would add nothing to test and hide a halving)."""
    return torch.amp.GradScaler("cpu", init_scale=float(spec["init_scale"]), growth_interval=10**6)


def loss_factor(spec: Spec, step: int) -> float:
    """What the mixed-precision check multiplies step ``step``'s loss by: ``inf`` on the step
    ``spec["overflow"]`` (an overflow the scaler must skip), else ``spec["factors"][step]``."""
    return float("inf") if step == int(spec["overflow"]) else float(spec["factors"][step])


def flat_parameters(model: nn.Module) -> list[list[float]]:
    """Every parameter of ``model`` (in ``parameters()`` order) as a flat list of floats."""
    return [p.detach().reshape(-1).tolist() for p in model.parameters()]


def round_lr(rng: random.Random) -> float:
    """A learning rate that reads well: 1, 2 or 5 times a power of ten from 1e-4 to 1e-1."""
    return float(rng.choice((1, 2, 5)) * 10.0 ** rng.randint(-4, -2))


CUSTOM_STEPS = 8


def custom_problem_trajectory(
    make: Any, spec: Spec, *, schedule: bool = True
) -> list[list[list[float]]]:
    """Train the two-group problem of the custom-optimizer exercise (one parameter never gets a
    gradient) for CUSTOM_STEPS steps with ``make(groups)``; the parameters after every step.

    Group 0 holds ``a`` (2-D) and ``b`` and takes the constructor's hyperparameters; group 1
    holds ``c`` and ``unused`` with its own lr, momentum and weight_decay. A StepLR (step 3,
    ``spec["gamma"]``) runs unless ``schedule`` is false.
    """
    torch.manual_seed(int(spec["seed"]))
    w = int(spec["width"])
    a, b = nn.Parameter(torch.randn(w, w)), nn.Parameter(torch.randn(w))
    c, unused = nn.Parameter(torch.randn(w)), nn.Parameter(torch.randn(w))
    groups: list[dict[str, Any]] = [
        {"params": [a, b]},
        {
            "params": [c, unused],
            "lr": spec["lr1"],
            "momentum": spec["m1"],
            "weight_decay": spec["wd1"],
        },
    ]
    optimizer = make(groups)
    scheduler = (
        torch.optim.lr_scheduler.StepLR(optimizer, 3, float(spec["gamma"])) if schedule else None
    )
    xs = torch.randn(CUSTOM_STEPS, w)
    out = []
    for t in range(CUSTOM_STEPS):
        optimizer.zero_grad()
        loss = ((a @ xs[t] + b) * c).pow(2).sum() + torch.sin(c).sum()
        torch.autograd.backward(loss)
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        out.append([p.detach().reshape(-1).tolist() for p in (a, b, c, unused)])
    return out
