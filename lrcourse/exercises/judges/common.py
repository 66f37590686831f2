"""Judging helpers shared by the exercise families: what was returned, param groups, and
parameter trajectories compared with a real torch run on the same spec."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from torch import nn

from lrcourse.exercises.fixtures import Spec, build_batches, build_model
from lrcourse.exercises.judges import Context
from lrcourse.exercises.observations import Observed, same_values
from lrcourse.exercises.observe import train_and_record
from lrcourse.exercises.outcomes import Incorrect, NotAttempted
from lrcourse.exercises.traces import close, lr

Groups = list[dict[str, Observed]]
# the warning torch gives when a scheduler steps before its optimizer
STEP_ORDER_WARNING = "before `optimizer.step()`"


def step_order_note(context: Context) -> str:
    """How a "scheduler stepped before the optimizer" message ends: quoting torch's warning
    when the learner's code raised it."""
    if context.warned(STEP_ORDER_WARNING):
        return (
            " (torch warned: *Detected call of `lr_scheduler.step()` before `optimizer.step()`*)."
        )
    return "."


def differing_parameters(
    names: list[str], got: list[Observed], want: list[list[float]]
) -> list[str]:
    """Names of the parameters whose observed values differ from ``want`` (all of them when
    the counts differ)."""
    if len(got) != len(want):
        return names
    return [n for n, g, w in zip(names, got, want, strict=True) if not same_values(g.numbers(), w)]


def require_returned(observed: Observed, what: str, expected: str) -> str:
    """The ``returned`` field; NotAttempted for ``None``, Incorrect for another kind."""
    kind = observed["returned"].text()
    if kind == "none":
        raise NotAttempted(
            "Not attempted yet", f"Your function returned `None`; it must return {what}."
        )
    if kind != expected:
        found = observed["type"].text() if observed.has("type") else kind
        raise Incorrect(f"Return {what}", f"Your function returned a `{found}`.")
    return kind


def require_class(observed: Observed, name: str) -> None:
    """Incorrect unless the optimizer's exact class is ``torch.optim.<name>``."""
    got = observed["class"].text()
    if got != name:
        shown = got.removeprefix("other:")
        raise Incorrect(
            f"Return a `torch.optim.{name}`",
            f"Your function returned a `{shown}`; the contract asks for `torch.optim.{name}`.",
        )


def parameter_names(model: nn.Module) -> list[str]:
    """Parameter names in ``parameters()`` order (the index the observations use)."""
    return [n for n, _ in model.named_parameters()]


def read_groups(observed: Observed, names: list[str]) -> tuple[dict[str, list[int]], int, Groups]:
    """(parameter name → indexes of the groups holding it, foreign tensor count, each group's
    hyperparameters)."""
    where: dict[str, list[int]] = {n: [] for n in names}
    foreign = 0
    hypers: Groups = []
    for g, group in enumerate(observed["groups"].items()):
        for index in group["params"].integers():
            if 0 <= index < len(names):
                where[names[index]].append(g)
            else:
                foreign += 1
        hypers.append(group["hyper"].mapping())
    return where, foreign, hypers


def module_of(name: str) -> str:
    """Top-level module of a parameter name; ``blocks.3.0.weight`` → ``blocks[3]``."""
    parts = name.split(".")
    if parts[0] == "blocks" and len(parts) > 1:
        return f"blocks[{parts[1]}]"
    return parts[0]


def require_each_once(where: dict[str, list[int]], foreign: int) -> None:
    """Every model parameter in exactly one group, and nothing else in the optimizer."""
    missing = [n for n, groups in where.items() if not groups]
    repeated = [n for n, groups in where.items() if len(groups) > 1]
    if missing:
        raise Incorrect(
            f"{len(missing)} parameter(s) are in no param group",
            "Every parameter of the model must sit in exactly one group; these will never train:",
            [f"`{n}`" for n in missing[:8]],
        )
    if repeated:
        raise Incorrect(
            f"{len(repeated)} parameter(s) appear twice in one param group",
            "torch only warns about this (a duplicate inside one group), but the parameter would "
            "be updated twice per step.",
            [f"`{n}` in groups {where[n]}" for n in repeated[:8]],
        )
    if foreign:
        raise Incorrect(
            f"The optimizer holds {foreign} tensor(s) that are not parameters of `model`",
            "Did you build a new model (or new tensors) inside your function? Use the parameters "
            "of the `model` you were given.",
        )


def hyper(groups: Groups, group: int, key: str) -> Observed | None:
    """The observed value of ``key`` in ``group`` (None when the group has no such key)."""
    return groups[group].get(key)


def group_rows(
    groups: Groups, where: dict[str, list[int]], key: str, want: dict[str, float]
) -> list[str]:
    """Rows ``backbone (4 parameters) in group 0: lr=0.01, expected 0.001`` for mismatches."""
    wrong: dict[tuple[str, int, str, float], int] = defaultdict(int)
    for name, held in where.items():
        value = hyper(groups, held[0], key)
        if value is None or not value.is_number():
            shown = (
                "missing" if value is None else f"a {str(value.value).strip('<>')}, not a number"
            )
            wrong[(module_of(name), held[0], shown, want[name])] += 1
            continue
        got = value.number()
        if not close(got, want[name], max(abs(want[name]), 1e-12)):
            wrong[(module_of(name), held[0], lr(got), want[name])] += 1
    return [
        f"{module} ({count} parameter{'s' if count > 1 else ''}) in group {g}: "
        f"{key}={got}, expected {lr(exp)}"
        for (module, g, got, exp), count in wrong.items()
    ]


def reference_trajectory(
    spec: Spec, make_optimizer: Callable[[nn.Module], Any]
) -> list[list[list[float]]]:
    """What a correct optimizer does: ``make_optimizer(model)`` trained like the observer does."""
    model = build_model(spec)
    data = build_batches(spec, model)
    return train_and_record(model, make_optimizer(model), data, int(spec["rounds"]))


def first_trajectory_difference(
    got: Observed, want: list[list[list[float]]], names: list[str]
) -> tuple[int, str] | None:
    """(step, parameter name) of the first difference, or None when they agree."""
    steps = got.items()
    if len(steps) != len(want):
        return (min(len(steps), len(want)), names[0])
    for t, (row, expected) in enumerate(zip(steps, want, strict=True)):
        params = row.items()
        if len(params) != len(expected):
            return (t, names[0])
        for name, p, w in zip(names, params, expected, strict=True):
            if not same_values(p.numbers(), w):
                return (t, name)
    return None


def require_trajectory(
    observed: Observed, want: list[list[list[float]]], names: list[str], reference: str
) -> None:
    """Incorrect unless training with the learner's optimizer moved every parameter as
    ``reference`` does (catches objects that only look right)."""
    diff = first_trajectory_difference(observed["trajectory"], want, names)
    if diff is not None:
        step, name = diff
        raise Incorrect(
            f"Training with your optimizer does not move the parameters as {reference} would",
            "Its param groups look right, but after a few real training steps the parameters "
            "differ from the same training with the optimizer the contract describes.",
            [f"first difference after step {step + 1}: `{name}`"],
        )


def initial_parameters(spec: Spec) -> list[list[float]]:
    """The spec's model parameters before any training."""
    return [p.detach().reshape(-1).tolist() for p in build_model(spec).parameters()]


def unchanged(before: list[float], after: Observed) -> bool:
    """Whether a parameter kept its value exactly."""
    values = after.numbers()
    return len(values) == len(before) and all(a == b for a, b in zip(values, before, strict=True))


def part(model: nn.Module, name: str) -> nn.Module:
    """The submodule ``name`` of a fixture model."""
    return model.get_submodule(name)


def freeze(model: nn.Module, prefix: str) -> None:
    """``requires_grad_(False)`` for every parameter whose name starts with ``prefix``."""
    for name, p in model.named_parameters():
        if name.startswith(prefix):
            p.requires_grad_(False)
