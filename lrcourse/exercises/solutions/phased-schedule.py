import torch


def make_scheduler(optimizer):
    """Return a per-epoch scheduler: halve every 5 epochs, then x0.9 per epoch from epoch 20."""

    def factor(epoch):
        if epoch < 20:
            return 0.5 ** (epoch // 5)
        return 0.5**3 * 0.9 ** (epoch - 19)

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
