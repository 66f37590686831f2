# expect: starts at step 0 instead of after warmup
import math

import torch


def make_scheduler(optimizer, total_steps, warmup_steps):
    def f(t):
        if t < warmup_steps:
            return t / warmup_steps
        return 0.5 * (1 + math.cos(math.pi * t / total_steps))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, f)
