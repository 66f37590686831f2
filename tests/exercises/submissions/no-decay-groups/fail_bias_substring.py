# expect: names misclassifies
import torch


def make_optimizer(model):
    named = list(model.named_parameters())
    no_decay = [p for n, p in named if "bias" in n or p.ndim <= 1]
    decay = [p for n, p in named if not ("bias" in n or p.ndim <= 1)]
    return torch.optim.AdamW(
        [{"params": decay, "weight_decay": 0.05}, {"params": no_decay, "weight_decay": 0.0}],
        lr=1e-3,
    )
