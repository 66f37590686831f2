# expect: spaced linearly
import copy

import torch


def lr_range_test(model, loss_fn, batches, start_lr, end_lr, num_steps):
    saved = copy.deepcopy(model.state_dict())
    opt = torch.optim.SGD(model.parameters(), lr=start_lr)
    lrs, losses = [], []
    for i in range(num_steps):
        lr = start_lr + (end_lr - start_lr) * i / (num_steps - 1)
        opt.param_groups[0]["lr"] = lr
        x, y = batches[i % len(batches)]
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        lrs.append(lr)
        losses.append(loss.item())
    model.load_state_dict(saved)
    return lrs, losses
