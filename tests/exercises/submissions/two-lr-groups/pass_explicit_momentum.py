import torch


def make_optimizer(model):
    groups = [
        dict(params=list(model.head.parameters()), lr=0.01, momentum=0.9),
        dict(params=list(model.backbone.parameters()), lr=0.001, momentum=0.9),
    ]
    return torch.optim.SGD(groups)
