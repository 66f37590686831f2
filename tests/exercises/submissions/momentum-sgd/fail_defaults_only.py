# expect: Per-group hyperparameters are ignored
import torch


class MomentumSGD(torch.optim.Optimizer):
    def __init__(self, params, lr, momentum=0.0, weight_decay=0.0):
        super().__init__(params, {"lr": lr, "momentum": momentum, "weight_decay": weight_decay})

    @torch.no_grad()
    def step(self, closure=None):
        d = self.defaults
        for group in self.param_groups:
            scale = group["lr"] / group["initial_lr"] if "initial_lr" in group else 1.0
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad + d["weight_decay"] * p
                st = self.state[p]
                st["buf"] = g.clone() if "buf" not in st else d["momentum"] * st["buf"] + g
                p.sub_(d["lr"] * scale * st["buf"])
