# expect: ignores `total_steps` and `warmup_steps`
import math

import torch


def make_scheduler(optimizer, total_steps, warmup_steps):
    def factor(t):
        if t < 10:
            return t / 10
        return 0.5 * (1 + math.cos(math.pi * (t - 10) / 90))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
