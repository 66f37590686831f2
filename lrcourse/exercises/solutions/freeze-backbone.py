import torch


def make_optimizer(model):
    """Return torch.optim.Adam (lr 1e-3) that trains only model.head."""
    for p in model.backbone.parameters():
        p.requires_grad_(False)
    return torch.optim.Adam(model.head.parameters(), lr=1e-3)
