import torch


def make_scheduler(optimizer):
    def mult(e):
        if e < 20:
            return 0.5 if e % 5 == 0 else 1.0
        return 0.9

    return torch.optim.lr_scheduler.MultiplicativeLR(optimizer, mult)
