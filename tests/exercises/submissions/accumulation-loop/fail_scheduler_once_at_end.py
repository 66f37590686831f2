# expect: `scheduler.step()` ran once; expected once per optimizer step
def train_accumulated(model, loss_fn, optimizer, scheduler, micro_batches, accum):
    for i, (x, y) in enumerate(micro_batches):
        (loss_fn(model(x), y) / accum).backward()
        if (i + 1) % accum == 0:
            optimizer.step()
            optimizer.zero_grad()
    scheduler.step()
