# expect: torch.optim.Adam
import torch


def make_optimizer(model):
    return torch.optim.AdamW(model.head.parameters(), lr=1e-3)
