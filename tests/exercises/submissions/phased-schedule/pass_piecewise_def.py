import torch


def make_scheduler(optimizer):
    def factor(e):
        return 0.5 ** (e // 5) if e < 20 else 0.125 * 0.9 ** (e - 19)

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
