def train_accumulated(model, loss_fn, optimizer, scheduler, micro_batches, accum):
    n_steps = len(micro_batches) // accum
    for step in range(n_steps):
        model.zero_grad()
        for j in range(accum):
            x, y = micro_batches[step * accum + j]
            loss = loss_fn(model(x), y) * (1.0 / accum)
            loss.backward()
        optimizer.step()
        scheduler.step()
    return n_steps
