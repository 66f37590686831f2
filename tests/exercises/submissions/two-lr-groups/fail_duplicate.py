# expect: two param groups
import torch


def make_optimizer(model):
    return torch.optim.SGD(
        [{"params": model.parameters()}, {"params": model.head.parameters(), "lr": 1e-2}],
        lr=1e-3,
        momentum=0.9,
    )
