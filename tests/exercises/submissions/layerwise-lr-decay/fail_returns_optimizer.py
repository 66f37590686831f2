# expect: not an optimizer
import torch


def make_param_groups(model, base_lr, decay):
    return torch.optim.AdamW(model.parameters(), lr=base_lr)
