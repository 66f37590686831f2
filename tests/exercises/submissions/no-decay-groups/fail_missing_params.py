# expect: in no param group
import torch


def make_optimizer(model):
    decay = [p for p in model.parameters() if p.ndim >= 2]
    return torch.optim.AdamW(decay, lr=1e-3, weight_decay=0.05)
