from torch.optim import lr_scheduler as L


def make_scheduler(optimizer, total_steps, warmup_steps):
    warm = L.LinearLR(optimizer, start_factor=1e-8, total_iters=warmup_steps)
    cos = L.CosineAnnealingLR(optimizer, T_max=total_steps - warmup_steps)
    return L.SequentialLR(optimizer, [warm, cos], milestones=[warmup_steps])
