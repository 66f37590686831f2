# expect: stepped before the optimizer
import torch


def amp_step(model, loss, optimizer, scheduler, scaler, max_norm):
    scheduler.step()
    scaler.scale(loss).backward()
    scaler.unscale_(optimizer)
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    scaler.step(optimizer)
    scaler.update()
    return norm
