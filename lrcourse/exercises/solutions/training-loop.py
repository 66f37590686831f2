def fit(model, loader, loss_fn, optimizer, scheduler, epochs):
    """Train for `epochs` epochs; step the scheduler once per epoch."""
    for _ in range(epochs):
        for x, y in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
        scheduler.step()
