# expect: restarts from the initial lr
from torch.optim import lr_scheduler as L


def make_scheduler(optimizer):
    return L.SequentialLR(
        optimizer, [L.StepLR(optimizer, 5, 0.5), L.ExponentialLR(optimizer, 0.9)], milestones=[20]
    )
