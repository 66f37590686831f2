# expect: stepped before the optimizer
def train_accumulated(model, loss_fn, optimizer, scheduler, micro_batches, accum):
    for i, (x, y) in enumerate(micro_batches):
        (loss_fn(model(x), y) / accum).backward()
        if (i + 1) % accum == 0:
            scheduler.step()
            optimizer.step()
            optimizer.zero_grad()
