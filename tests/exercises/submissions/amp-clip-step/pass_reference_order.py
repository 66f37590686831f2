import torch


def amp_step(model, loss, optimizer, scheduler, scaler, max_norm):
    scaler.scale(loss).backward()
    scaler.unscale_(optimizer)
    total = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=max_norm)
    scaler.step(optimizer)
    scaler.update()
    scheduler.step()
    return total.item()
