# expect: default 0.001
def make_param_groups(model, base_lr, decay):
    L = len(model.blocks)
    groups = [{"params": model.head.parameters()}]
    for i, block in enumerate(model.blocks):
        groups.append({"params": block.parameters(), "lr": base_lr * decay ** (L - i)})
    groups.append({"params": model.embed.parameters(), "lr": base_lr * decay ** (L + 1)})
    return groups
