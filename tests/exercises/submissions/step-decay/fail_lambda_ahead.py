# expect: computed one step ahead
import torch


def make_scheduler(optimizer):
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda e: 0.5 ** ((e + 1) // 10))
