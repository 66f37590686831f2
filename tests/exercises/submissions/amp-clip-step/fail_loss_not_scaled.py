# expect: not scaled before `backward()`
import torch


def amp_step(model, loss, optimizer, scheduler, scaler, max_norm):
    scaled = scaler.scale(loss)  # computed, but the backward below uses the plain loss
    loss.backward()
    scaler.unscale_(optimizer)
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    scaler.step(optimizer)
    scaler.update()
    scheduler.step()
    return norm
