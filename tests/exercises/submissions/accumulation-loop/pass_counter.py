def train_accumulated(model, loss_fn, optimizer, scheduler, micro_batches, accum):
    seen = 0
    optimizer.zero_grad()
    for batch in micro_batches:
        inputs, targets = batch
        loss = loss_fn(model(inputs), targets)
        (loss / accum).backward()
        seen += 1
        if seen == accum:
            optimizer.step()
            optimizer.zero_grad()
            scheduler.step()
            seen = 0
