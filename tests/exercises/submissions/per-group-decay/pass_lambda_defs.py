import torch


def decaying(epoch):
    return 0.95**epoch


def constant(epoch):
    return 1.0


def make_scheduler(optimizer):
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda=[decaying, constant])
