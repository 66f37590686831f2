# expect: not cleared before
def fit(model, loader, loss_fn, optimizer, scheduler, epochs):
    for _ in range(epochs):
        for x, y in loader:
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
        scheduler.step()
