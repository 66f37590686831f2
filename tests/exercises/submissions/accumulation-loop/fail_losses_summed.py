# expect: backpropagated together, not one at a time
def train_accumulated(model, loss_fn, optimizer, scheduler, micro_batches, accum):
    group = []
    for x, y in micro_batches:
        group.append(loss_fn(model(x), y))
        if len(group) == accum:
            optimizer.zero_grad()
            (sum(group) / accum).backward()
            optimizer.step()
            scheduler.step()
            group = []
