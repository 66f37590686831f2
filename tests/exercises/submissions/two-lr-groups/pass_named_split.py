import torch


def make_optimizer(model):
    back = [p for n, p in model.named_parameters() if n.startswith("backbone.")]
    head = [p for n, p in model.named_parameters() if n.startswith("head.")]
    return torch.optim.SGD([{"params": back}, {"params": head, "lr": 1e-2}], lr=1e-3, momentum=0.9)
