# expect: first differs at epoch 20
import torch


def make_scheduler(optimizer):
    return torch.optim.lr_scheduler.StepLR(optimizer, 5, 0.5)
