# expect: Group 0 decays at the wrong rate
import torch


def make_scheduler(optimizer):
    return torch.optim.lr_scheduler.LambdaLR(optimizer, [lambda e: 0.9**e, lambda e: 1.0])
