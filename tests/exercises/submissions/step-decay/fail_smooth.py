# expect: decays smoothly instead of in steps
import torch


def make_scheduler(optimizer):
    return torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.5 ** (1 / 10))
