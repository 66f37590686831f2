import torch


def make_scheduler(optimizer):
    return torch.optim.lr_scheduler.MultiplicativeLR(optimizer, [lambda e: 0.95, lambda e: 1.0])
