# expect: Both groups decay
import torch


def make_scheduler(optimizer):
    return torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.95)
