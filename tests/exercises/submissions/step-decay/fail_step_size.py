# expect: halves every 5 epochs instead of every 10
import torch


def make_scheduler(optimizer):
    return torch.optim.lr_scheduler.StepLR(optimizer, step_size=5, gamma=0.5)
