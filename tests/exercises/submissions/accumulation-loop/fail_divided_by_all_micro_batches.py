# expect: divided by the number of all micro-batches
def train_accumulated(model, loss_fn, optimizer, scheduler, micro_batches, accum):
    for i, (x, y) in enumerate(micro_batches):
        (loss_fn(model(x), y) / len(micro_batches)).backward()
        if (i + 1) % accum == 0:
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
