import math

import torch


def make_scheduler(optimizer, total_steps, warmup_steps):
    """Return a per-batch scheduler: linear warmup from 0, then cosine decay to 0."""

    def factor(t):
        if t < warmup_steps:
            return t / warmup_steps
        progress = (t - warmup_steps) / (total_steps - warmup_steps)
        return 0.5 * (1 + math.cos(math.pi * progress))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
