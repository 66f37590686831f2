# expect: The two weight-decay values are swapped
import torch


def make_optimizer(model):
    decay = [p for p in model.parameters() if p.ndim >= 2]
    rest = [p for p in model.parameters() if p.ndim < 2]
    return torch.optim.AdamW(
        [{"params": decay, "weight_decay": 0.0}, {"params": rest, "weight_decay": 0.05}], lr=1e-3
    )
