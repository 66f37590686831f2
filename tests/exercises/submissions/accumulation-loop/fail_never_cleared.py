# expect: not cleared between optimizer steps
def train_accumulated(model, loss_fn, optimizer, scheduler, micro_batches, accum):
    optimizer.zero_grad()
    for i, (x, y) in enumerate(micro_batches):
        (loss_fn(model(x), y) / accum).backward()
        if (i + 1) % accum == 0:
            optimizer.step()
            scheduler.step()
