# expect: lr=0
import torch


def make_optimizer(model):
    return torch.optim.Adam(
        [{"params": model.backbone.parameters(), "lr": 0.0}, {"params": model.head.parameters()}],
        lr=1e-3,
    )
