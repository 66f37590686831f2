# expect: The factors compound
import torch


def make_scheduler(optimizer):
    return torch.optim.lr_scheduler.MultiplicativeLR(optimizer, lambda e: 0.5 ** (e // 10))
