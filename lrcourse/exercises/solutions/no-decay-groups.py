import torch


def make_optimizer(model):
    """Return torch.optim.AdamW (lr 1e-3): weight_decay 0.05 for ndim >= 2, 0.0 otherwise."""
    decay = [p for p in model.parameters() if p.ndim >= 2]
    no_decay = [p for p in model.parameters() if p.ndim <= 1]
    return torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": 0.05},
            {"params": no_decay, "weight_decay": 0.0},
        ],
        lr=1e-3,
    )
