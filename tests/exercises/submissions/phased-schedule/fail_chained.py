# expect: Both schedules run at once
import torch


def make_scheduler(optimizer):
    step = torch.optim.lr_scheduler.StepLR(optimizer, step_size=5, gamma=0.5)
    decay = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.9)
    return torch.optim.lr_scheduler.ChainedScheduler([step, decay])
