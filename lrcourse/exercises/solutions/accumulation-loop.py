def train_accumulated(model, loss_fn, optimizer, scheduler, micro_batches, accum):
    """One optimizer and one scheduler step per `accum` micro-batches (their mean loss)."""
    optimizer.zero_grad()
    for i, (x, y) in enumerate(micro_batches):
        loss = loss_fn(model(x), y) / accum  # the group's mean, one micro-batch at a time
        loss.backward()
        if (i + 1) % accum == 0:
            optimizer.step()
            scheduler.step()  # schedulers count optimizer steps, not micro-batches
            optimizer.zero_grad()
