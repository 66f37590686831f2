# expect: clipped while still multiplied by the loss scale
import torch


def amp_step(model, loss, optimizer, scheduler, scaler, max_norm):
    scaler.scale(loss).backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    scaler.step(optimizer)
    scaler.update()
    scheduler.step()
    return norm
