from torch.optim.lr_scheduler import MultiStepLR


def make_scheduler(optimizer):
    return MultiStepLR(optimizer, milestones=[10, 20, 30, 40, 50], gamma=0.5)
