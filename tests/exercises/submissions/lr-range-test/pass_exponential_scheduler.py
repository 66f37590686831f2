import copy

import torch


def lr_range_test(model, loss_fn, batches, start_lr, end_lr, num_steps):
    backup = copy.deepcopy(model)
    opt = torch.optim.SGD(model.parameters(), lr=start_lr)
    gamma = (end_lr / start_lr) ** (1 / (num_steps - 1))
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma)
    lrs, losses = [], []
    for i in range(num_steps):
        x, y = batches[i % len(batches)]
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        lrs.append(opt.param_groups[0]["lr"])
        losses.append(loss.item())
        opt.step()
        sched.step()
    model.load_state_dict(backup.state_dict())
    return lrs, losses
