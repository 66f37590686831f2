import torch


def make_optimizer(model):
    """Return torch.optim.SGD: backbone lr 1e-3, head lr 1e-2, momentum 0.9 everywhere."""
    return torch.optim.SGD(
        [
            {"params": model.backbone.parameters(), "lr": 1e-3},
            {"params": model.head.parameters(), "lr": 1e-2},
        ],
        momentum=0.9,
    )
