# expect: not the number of param groups
import torch


def make_scheduler(optimizer):
    return torch.optim.lr_scheduler.LambdaLR(optimizer, [lambda e: 0.95**e])
