# expect: never called
# ruff: noqa: F841
def fit(model, loader, loss_fn, optimizer, scheduler, epochs):
    for _ in range(epochs):
        for x, y in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            optimizer.step()
        scheduler.step()
