def fit(model, loader, loss_fn, optimizer, scheduler, epochs):
    model.train()
    epoch = 0
    while epoch < epochs:
        for batch in loader:
            x, y = batch
            optimizer.zero_grad(set_to_none=False)
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
        scheduler.step()
        epoch += 1
