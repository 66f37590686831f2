def make_param_groups(model, base_lr, decay):
    L = len(model.blocks)
    layers = [model.embed, *model.blocks, model.head]
    return [
        {"params": m.parameters(), "lr": base_lr * decay ** (L + 1 - k)}
        for k, m in enumerate(layers)
    ]
