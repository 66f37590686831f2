# expect: in no param group
import torch


def make_optimizer(model):
    return torch.optim.SGD(model.backbone.parameters(), lr=1e-3, momentum=0.9)
