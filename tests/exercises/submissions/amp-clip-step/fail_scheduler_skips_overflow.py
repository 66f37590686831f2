# expect: does not step on the call whose update was skipped
import torch


def amp_step(model, loss, optimizer, scheduler, scaler, max_norm):
    scale_before = scaler.get_scale()
    scaler.scale(loss).backward()
    scaler.unscale_(optimizer)
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    scaler.step(optimizer)
    scaler.update()
    if scaler.get_scale() >= scale_before:
        scheduler.step()
    return norm
