import torch


class MomentumSGD(torch.optim.Optimizer):
    def __init__(self, params, lr, momentum=0.0, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay))

    def step(self, closure=None):
        with torch.no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    g = p.grad + group["weight_decay"] * p
                    buf = self.state[p].get("buf")
                    buf = g.clone() if buf is None else group["momentum"] * buf + g
                    self.state[p]["buf"] = buf
                    p -= group["lr"] * buf
