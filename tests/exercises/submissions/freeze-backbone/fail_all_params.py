# expect: backbone still trains
import torch


def make_optimizer(model):
    return torch.optim.Adam(model.parameters(), lr=1e-3)
