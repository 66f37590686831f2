def make_param_groups(model, base_lr, decay):
    """Return param-group dicts with layer-wise decayed lrs (head = base_lr)."""
    depth = len(model.blocks)
    groups = [{"params": list(model.head.parameters()), "lr": base_lr}]
    for i, block in enumerate(model.blocks):
        groups.append({"params": list(block.parameters()), "lr": base_lr * decay ** (depth - i)})
    groups.append({"params": list(model.embed.parameters()), "lr": base_lr * decay ** (depth + 1)})
    return groups
