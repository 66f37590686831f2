import torch


def make_scheduler(optimizer):
    """Return a scheduler: lr(e) = base_lr * 0.5 ** (e // 10), stepped once per epoch."""
    return torch.optim.lr_scheduler.StepLR(optimizer, step_size=10, gamma=0.5)
