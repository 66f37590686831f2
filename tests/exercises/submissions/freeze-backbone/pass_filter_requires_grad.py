import torch


def make_optimizer(model):
    model.backbone.requires_grad_(False)
    return torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=0.001)
