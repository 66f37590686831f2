# expect: The first optimizer step comes after micro-batch 1
def train_accumulated(model, loss_fn, optimizer, scheduler, micro_batches, accum):
    for i, (x, y) in enumerate(micro_batches):
        (loss_fn(model(x), y) / accum).backward()
        if i % accum == 0:
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
