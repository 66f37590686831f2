# expect: stepped before the optimizer
def fit(model, loader, loss_fn, optimizer, scheduler, epochs):
    for _ in range(epochs):
        scheduler.step()
        for x, y in loader:
            optimizer.zero_grad()
            loss_fn(model(x), y).backward()
            optimizer.step()
