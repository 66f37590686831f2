# expect: overflowing gradient was applied
import torch


def amp_step(model, loss, optimizer, scheduler, scaler, max_norm):
    scaler.scale(loss).backward()
    scaler.unscale_(optimizer)
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    optimizer.step()
    scaler.update(scaler.get_scale())
    scheduler.step()
    return norm
