# expect: The cut-off is off by one
import torch


def make_optimizer(model):
    decay = [p for p in model.parameters() if p.ndim >= 1]
    rest = [p for p in model.parameters() if p.ndim < 1]
    return torch.optim.AdamW(
        [{"params": decay, "weight_decay": 0.05}, {"params": rest, "weight_decay": 0.0}], lr=1e-3
    )
