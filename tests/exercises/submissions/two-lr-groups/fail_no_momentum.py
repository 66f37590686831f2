# expect: Momentum must be 0.9
import torch


def make_optimizer(model):
    return torch.optim.SGD(
        [
            {"params": model.backbone.parameters()},
            {"params": model.head.parameters(), "lr": 1e-2, "momentum": 0.9},
        ],
        lr=1e-3,
    )
