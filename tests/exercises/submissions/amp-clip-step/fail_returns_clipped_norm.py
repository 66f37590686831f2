# expect: measured after clipping
import torch


def amp_step(model, loss, optimizer, scheduler, scaler, max_norm):
    scaler.scale(loss).backward()
    scaler.unscale_(optimizer)
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    grads = [p.grad.norm() for p in model.parameters() if p.grad is not None]
    scaler.step(optimizer)
    scaler.update()
    scheduler.step()
    return torch.stack(grads).norm()
