# expect: wrong learning rate
import torch


def make_optimizer(model):
    return torch.optim.SGD(
        [
            {"params": model.backbone.parameters(), "lr": 1e-2},
            {"params": model.head.parameters(), "lr": 1e-3},
        ],
        momentum=0.9,
    )
