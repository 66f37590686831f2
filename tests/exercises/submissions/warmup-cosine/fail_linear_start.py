# expect: LinearLR cannot start at exactly 0
from torch.optim import lr_scheduler as L


def make_scheduler(optimizer, total_steps, warmup_steps):
    warm = L.LinearLR(optimizer, start_factor=1e-3, total_iters=max(warmup_steps, 2))
    cos = L.CosineAnnealingLR(optimizer, T_max=total_steps - warmup_steps)
    return L.SequentialLR(optimizer, [warm, cos], milestones=[max(warmup_steps, 2)])
