# expect: The warmup is missing
import math

import torch


def make_scheduler(optimizer, total_steps, warmup_steps):
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda t: 0.5 * (1 + math.cos(math.pi * t / total_steps))
    )
