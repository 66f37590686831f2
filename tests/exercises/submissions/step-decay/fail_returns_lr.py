# expect: returns an lr, not a factor
import torch


def make_scheduler(optimizer):
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda e: 0.1 * 0.5 ** (e // 10))
