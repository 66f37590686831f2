# expect: once per batch instead of once per epoch
def fit(model, loader, loss_fn, optimizer, scheduler, epochs):
    for _ in range(epochs):
        for x, y in loader:
            optimizer.zero_grad()
            loss_fn(model(x), y).backward()
            optimizer.step()
            scheduler.step()
