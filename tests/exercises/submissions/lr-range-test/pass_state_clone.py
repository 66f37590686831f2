import torch


def lr_range_test(model, loss_fn, batches, start_lr, end_lr, num_steps):
    saved = {k: v.detach().clone() for k, v in model.state_dict().items()}
    opt = torch.optim.SGD(model.parameters(), lr=start_lr, momentum=0.0)
    ratio = end_lr / start_lr
    lrs, losses = [], []
    for i in range(num_steps):
        for g in opt.param_groups:
            g["lr"] = start_lr * ratio ** (i / (num_steps - 1))
        x, y = batches[i % len(batches)]
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        losses.append(float(loss))
        lrs.append(opt.param_groups[0]["lr"])
        loss.backward()
        opt.step()
    model.load_state_dict(saved)
    return lrs, losses
