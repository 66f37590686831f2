from torch.nn.utils import clip_grad_norm_


def amp_step(model, loss, optimizer, scheduler, scaler, max_norm):
    params = [p for group in optimizer.param_groups for p in group["params"]]
    scaled = scaler.scale(loss)
    scaled.backward()
    scaler.unscale_(optimizer)
    norm = clip_grad_norm_(params, max_norm, norm_type=2.0)
    scaler.step(optimizer)
    scaler.update()
    scheduler.step()
    return norm
