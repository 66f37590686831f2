import torch


class MomentumSGD(torch.optim.Optimizer):
    def __init__(self, params, lr, momentum=0.0, weight_decay=0.0):
        super().__init__(params, {"lr": lr, "momentum": momentum, "weight_decay": weight_decay})

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            lr, mom, wd = group["lr"], group["momentum"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is not None:
                    g = p.grad.add(p, alpha=wd)
                    state = self.state[p]
                    buf = state.setdefault("buf", torch.zeros_like(p))
                    buf.mul_(mom).add_(g)
                    p.add_(buf, alpha=-lr)
