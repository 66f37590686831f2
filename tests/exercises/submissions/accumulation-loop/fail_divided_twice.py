# expect: divided by `accum` once too often
def train_accumulated(model, loss_fn, optimizer, scheduler, micro_batches, accum):
    for i, (x, y) in enumerate(micro_batches):
        (loss_fn(model(x), y) / accum).backward()
        if (i + 1) % accum == 0:
            for p in model.parameters():
                p.grad /= accum  # the mean again, on top of the divided loss
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
