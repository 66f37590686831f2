"""Fresh, randomized models and data for the checks (sizes and depths drawn from an rng)."""

from __future__ import annotations

import itertools
import random

import torch
from torch import nn


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
        return self.head(self.backbone(x))


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
        self.out = nn.Linear(width, rng.randint(1, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.norm(self.proj(x)) + self.pos
        h = self.bn(torch.relu(self.bias_gate(h))) * self.scale / self.temperature
        return self.out(h)


class LayeredNet(nn.Module):
    """``embed`` → ``blocks`` (an nn.ModuleList of ``num_blocks``) → ``head``."""

    def __init__(self, rng: random.Random, num_blocks: int) -> None:
        super().__init__()
        width = rng.randint(3, 8)
        self.embed = nn.Linear(rng.randint(2, 6), width)
        self.blocks = nn.ModuleList(
            nn.Sequential(nn.Linear(width, width), nn.LayerNorm(width)) for _ in range(num_blocks)
        )
        self.head = nn.Linear(width, rng.randint(1, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.embed(x)
        for block in self.blocks:
            h = h + torch.relu(block(h))
        return self.head(h)


def batches(
    rng: random.Random, in_features: int, out_features: int, count: int
) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """``count`` regression batches of random size (x, y), drawn from the global torch RNG."""
    size = rng.randint(4, 9)
    return [(torch.randn(size, in_features), torch.randn(size, out_features)) for _ in range(count)]


def scheduled_optimizer(rng: random.Random, num_groups: int) -> torch.optim.SGD:
    """An SGD optimizer with ``num_groups`` one-parameter groups and random base lrs."""
    groups = [
        {"params": [nn.Parameter(torch.randn(rng.randint(1, 4)))], "lr": 10 ** rng.uniform(-4, -1)}
        for _ in range(num_groups)
    ]
    return torch.optim.SGD(groups, lr=groups[0]["lr"], momentum=rng.choice([0.0, 0.9]))


def snapshot(module: nn.Module) -> dict[str, torch.Tensor]:
    """Detached copies of a module's parameters, by name."""
    return {n: p.detach().clone() for n, p in module.named_parameters()}
