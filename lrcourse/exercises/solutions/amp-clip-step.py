import torch


def amp_step(model, loss, optimizer, scheduler, scaler, max_norm):
    """Scaled backward, unscale, clip to `max_norm`, scaler step and update, scheduler step."""
    scaler.scale(loss).backward()
    scaler.unscale_(optimizer)  # the gradients at their true size, before measuring them
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    scaler.step(optimizer)  # skipped when a gradient is inf or nan
    scaler.update()
    scheduler.step()  # once per call, skipped update or not
    return norm
