# expect: different optimizer
import torch


def make_scheduler(optimizer):
    fresh = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    return torch.optim.lr_scheduler.StepLR(fresh, step_size=10, gamma=0.5)
