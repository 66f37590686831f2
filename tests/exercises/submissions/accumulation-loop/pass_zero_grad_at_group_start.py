def train_accumulated(model, loss_fn, optimizer, scheduler, micro_batches, accum):
    model.train()
    for i, (x, y) in enumerate(micro_batches):
        if i % accum == 0:
            optimizer.zero_grad(set_to_none=True)
        (loss_fn(model(x), y) / accum).backward()
        if i % accum == accum - 1:
            optimizer.step()
            scheduler.step()
