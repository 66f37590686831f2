def fit(model, loader, loss_fn, optimizer, scheduler, epochs):
    for _epoch in range(epochs):
        for x, y in loader:
            model.zero_grad(set_to_none=True)
            out = model(x)
            loss_fn(out, y).backward()
            optimizer.step()
        scheduler.step()
    return model
