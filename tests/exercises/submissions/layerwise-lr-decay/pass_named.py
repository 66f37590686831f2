def make_param_groups(model, base_lr, decay):
    L = len(model.blocks)
    groups = {}
    for name, p in model.named_parameters():
        top = name.split(".")
        if top[0] == "head":
            power = 0
        elif top[0] == "embed":
            power = L + 1
        else:
            power = L - int(top[1])
        groups.setdefault(power, []).append(p)
    return [{"params": ps, "lr": base_lr * decay**k} for k, ps in groups.items()]
