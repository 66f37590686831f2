# expect: The exponential phase is missing
import torch


def make_scheduler(optimizer):
    return torch.optim.lr_scheduler.StepLR(optimizer, 5, 0.5)
