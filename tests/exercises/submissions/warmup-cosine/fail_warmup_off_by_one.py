# expect: Warmup is off by one
import math

import torch


def make_scheduler(optimizer, total_steps, warmup_steps):
    def f(t):
        if t < warmup_steps:
            return (t + 1) / warmup_steps
        return 0.5 * (1 + math.cos(math.pi * (t - warmup_steps) / (total_steps - warmup_steps)))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, f)
