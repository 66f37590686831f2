# expect: one epoch late
import torch


def make_scheduler(optimizer):
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda e: 0.5 ** (e // 5) if e < 20 else 0.5**3 * 0.9 ** (e - 20)
    )
