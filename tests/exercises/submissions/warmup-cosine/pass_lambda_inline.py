import math

import torch


def make_scheduler(optimizer, total_steps, warmup_steps):
    w, T = warmup_steps, total_steps
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda t: t / w if t < w else (1 + math.cos(math.pi * (t - w) / (T - w))) / 2,
    )
