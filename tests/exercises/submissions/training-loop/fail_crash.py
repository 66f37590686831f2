# expect: raised NameError
# ruff: noqa: B007, F821, F841
def fit(model, loader, loss_fn, optimizer, scheduler, epochs):
    for _ in range(epochs):
        for x, y in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(x), target)
