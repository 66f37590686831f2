# expect: lr=1e-3
import torch


def make_optimizer(model):
    return torch.optim.Adam(model.head.parameters(), lr=1e-2)
