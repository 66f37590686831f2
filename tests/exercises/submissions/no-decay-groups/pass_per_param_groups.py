import torch


def make_optimizer(model):
    groups = [
        {"params": [p], "weight_decay": 0.05 if p.ndim >= 2 else 0.0} for p in model.parameters()
    ]
    return torch.optim.AdamW(groups, lr=1e-3)
