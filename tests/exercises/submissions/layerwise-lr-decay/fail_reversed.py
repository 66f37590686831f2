# expect: wrong way
def make_param_groups(model, base_lr, decay):
    L = len(model.blocks)
    groups = [{"params": model.head.parameters(), "lr": base_lr}]
    for i, block in enumerate(model.blocks):
        groups.append({"params": block.parameters(), "lr": base_lr * decay ** (i + 1)})
    groups.append({"params": model.embed.parameters(), "lr": base_lr * decay ** (L + 1)})
    return groups
