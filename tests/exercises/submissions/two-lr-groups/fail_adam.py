# expect: torch.optim.SGD
import torch


def make_optimizer(model):
    return torch.optim.Adam(
        [
            {"params": model.backbone.parameters(), "lr": 1e-3},
            {"params": model.head.parameters(), "lr": 1e-2},
        ]
    )
