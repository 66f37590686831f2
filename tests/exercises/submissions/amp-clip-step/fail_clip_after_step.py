# expect: not clipped before the update
import torch


def amp_step(model, loss, optimizer, scheduler, scaler, max_norm):
    scaler.scale(loss).backward()
    scaler.unscale_(optimizer)
    scaler.step(optimizer)
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    scaler.update()
    scheduler.step()
    return norm
