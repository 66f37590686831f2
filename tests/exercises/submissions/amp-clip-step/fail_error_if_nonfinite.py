# expect: error_if_nonfinite=True
import torch


def amp_step(model, loss, optimizer, scheduler, scaler, max_norm):
    scaler.scale(loss).backward()
    scaler.unscale_(optimizer)
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm, error_if_nonfinite=True)
    scaler.step(optimizer)
    scaler.update()
    scheduler.step()
    return norm
