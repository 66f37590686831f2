# expect: cleared inside an accumulation group
def train_accumulated(model, loss_fn, optimizer, scheduler, micro_batches, accum):
    for i, (x, y) in enumerate(micro_batches):
        optimizer.zero_grad()
        (loss_fn(model(x), y) / accum).backward()
        if (i + 1) % accum == 0:
            optimizer.step()
            scheduler.step()
