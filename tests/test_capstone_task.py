"""The capstone's open task: strategies run in an arena with a step budget, judged by outcome."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from torch import nn

from lrcourse.capstone_task import Arena, BudgetExceeded, Fit, judge, table
from lrcourse.data import Split


def toy_task() -> Split:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(96, 4, generator=g)
    y = (x[:, 0] + x[:, 1] > 0).long()
    return Split(x[:64], y[:64], x[64:], y[64:], 2, "toy")


def make_model(seed: int) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))


ROOT = Path(__file__).resolve().parents[1]
ARENA = Arena(make_model, toy_task(), epochs=4, batch_size=16, seeds=(0, 1), device="cpu")


def sgd(lr: float) -> Callable[[nn.Module, Fit], object]:
    def strategy(model: nn.Module, fit: Fit) -> None:
        fit(torch.optim.SGD(model.parameters(), lr=lr), ARENA.epochs)

    strategy.__name__ = f"sgd {lr:g}"
    return strategy


def test_budget_and_scores() -> None:
    assert (ARENA.steps_per_epoch, ARENA.budget) == (4, 16)
    score = ARENA.score(sgd(0.1))
    assert score.steps == (16, 16) and len(score.accuracies) == 2
    assert score.label == "sgd 0.1" and 0.0 <= score.mean <= 1.0
    assert ARENA.score(sgd(0.1)) == score  # same seeds, same outcome


def test_two_stages_within_budget_are_allowed() -> None:
    def two_stage(model: nn.Module, fit: Fit) -> None:
        head = list(model.children())[-1]
        fit(torch.optim.SGD(head.parameters(), lr=0.1), 1)
        fit(torch.optim.SGD(model.parameters(), lr=0.1), 3)

    assert ARENA.score(two_stage).steps == (16, 16)


def test_over_budget_and_outside_steps_are_refused() -> None:
    def greedy(model: nn.Module, fit: Fit) -> None:
        fit(torch.optim.SGD(model.parameters(), lr=0.1), 3)
        fit(torch.optim.SGD(model.parameters(), lr=0.1), 2)

    with pytest.raises(BudgetExceeded, match="only 4 of the 16 are left"):
        ARENA.run(greedy, 0)

    def sneaky(model: nn.Module, fit: Fit) -> None:
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        model(torch.ones(1, 4)).sum().backward()
        opt.step()
        fit(opt, ARENA.epochs)

    with pytest.raises(BudgetExceeded, match="1 time\\(s\\) outside fit"):
        ARENA.run(sneaky, 0)


def test_judge_passes_a_better_strategy_and_fails_a_worse_one() -> None:
    given = {"sgd 1e-4": sgd(1e-4)}
    assert judge(sgd(0.5), given, ARENA).passed
    worse = judge(sgd(1e-5), {"sgd 0.5": sgd(0.5)}, ARENA)
    assert worse.status == "incorrect" and worse.title == "Not better than sgd 0.5 yet."
    assert len(worse.details) == 2 and worse.hint


def test_judge_turns_learner_failures_into_feedback() -> None:
    def broken(model: nn.Module, fit: Fit) -> None:
        raise ZeroDivisionError("oops")

    def idle(model: nn.Module, fit: Fit) -> None:
        return None

    def greedy(model: nn.Module, fit: Fit) -> None:
        fit(torch.optim.SGD(model.parameters(), lr=0.1), ARENA.epochs + 1)

    given = {"sgd 0.1": sgd(0.1)}
    assert judge(broken, given, ARENA).title == "Your strategy raised ZeroDivisionError."
    assert judge(idle, given, ARENA).status == "not-attempted"
    over = judge(greedy, given, ARENA)
    assert over.status == "incorrect" and "16 optimizer steps" in (over.hint or "")


def test_table_lists_each_strategy() -> None:
    text = table(ARENA.leaderboard({"a": sgd(0.5), "b": sgd(1e-5)}))
    lines = text.splitlines()
    assert lines[0].startswith("strategy") and len(lines) == 3
    assert lines[1].startswith("a ") or lines[1].startswith("b ")


def test_leaderboard_is_computed_once_per_arena_and_set_of_strategies() -> None:
    """judge after a printed leaderboard reuses its scores; a new strategy object runs again."""
    arena = Arena(make_model, toy_task(), epochs=4, batch_size=16, seeds=(0, 1), device="cpu")
    calls: list[str] = []

    def counted(lr: float) -> Callable[[nn.Module, Fit], object]:
        inner = sgd(lr)

        def strategy(model: nn.Module, fit: Fit) -> None:
            calls.append(f"{lr:g}")
            inner(model, fit)

        return strategy

    given = {"a": counted(0.5), "b": counted(1e-5)}
    first = arena.leaderboard(given)
    assert len(calls) == 4  # two strategies, two seeds
    assert arena.leaderboard(given) == first and len(calls) == 4
    assert judge(counted(0.5), given, arena).status == "incorrect"  # ties with "a": not better
    assert len(calls) == 6  # only the learner's strategy ran, on both seeds
    assert arena.leaderboard({"a": counted(0.5), "b": given["b"]}) == first  # same scores ...
    assert len(calls) == 10  # ... but "a" is a new object, so the board is computed again
    fresh = Arena(make_model, toy_task(), epochs=4, batch_size=16, seeds=(0, 1), device="cpu")
    assert fresh.leaderboard(given) == first and len(calls) == 14


# ---- the capstone notebook's open task is solvable --------------------------------------------
@pytest.mark.slow
def test_capstone_reference_solution_passes_and_starter_does_not() -> None:
    """Run lesson 06 with its open-task cell as shipped, then with the solution it reveals.

    (conftest points the kernel's progress store at a temporary file.)
    """
    import nbformat
    from nbclient import NotebookClient

    from lrcourse.snippet_kit import python_blocks

    path = ROOT / "notebooks" / "06_capstone.ipynb"
    nb = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]  # nbformat is untyped
    tagged = {t: i for i, c in enumerate(nb.cells) for t in c.metadata.get("tags", [])}
    task, solution = tagged["capstone-open-task"], tagged["capstone-solution"]
    (reference,) = python_blocks(nb.cells[solution].source)
    verdicts = []
    for source in (nb.cells[task].source, reference):
        run = nbformat.from_dict(nb)  # type: ignore[no-untyped-call]  # nbformat is untyped
        run.cells[task].source = source
        NotebookClient(
            run,
            timeout=600,
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
        ).execute()
        shown = run.cells[task + 1].outputs[0]["data"]["text/plain"]
        verdicts.append(shown.split("status='")[1].split("'")[0])
    assert verdicts == ["incorrect", "correct"]


def _capstone_table(seed: int) -> dict[str, tuple[float, float]]:
    """Run lesson 06 with every training seed set to ``seed``; parse its comparison table."""
    import nbformat
    from nbclient import NotebookClient

    path = ROOT / "notebooks" / "06_capstone.ipynb"
    nb = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]  # nbformat is untyped
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source = cell.source.replace("seed_everything(0)", f"seed_everything({seed})")
    cut = next(i for i, c in enumerate(nb.cells) if c.get("id") == "06-17") + 1
    nb.cells = nb.cells[:cut]
    NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    rows = {}
    for line in text.splitlines():
        if line[:2] in ("A:", "B:", "C:", "D:", "E:"):
            new, old = (float(v.rstrip("%")) / 100 for v in line.split()[-2:])
            rows[line[0]] = (new, old)
        elif line.startswith("before fine-tuning"):
            rows["before"] = (math.nan, float(line.split()[-1].rstrip("%")) / 100)
    return rows


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_capstone_reading_holds_for_several_seeds(seed: int) -> None:
    """The claims of lesson 06's "Reading the results", checked on three training seeds."""
    t = _capstone_table(seed)
    assert t["A"][0] >= max(t[k][0] for k in "BCDE") - 0.01  # single lr: at or near the top
    assert t["D"][0] < t["C"][0]  # warmup-cosine costs points in so short a run
    assert t["A"][1] < t["B"][1] - 0.10  # one lr of 1e-2 forgets much of the old task
    assert t["B"][1] > t["before"][1] - 0.03  # backbone at 1e-3: almost intact
    assert abs(t["B"][0] - t["C"][0]) <= 0.02 and abs(t["B"][1] - t["C"][1]) <= 0.02  # no-decay
    assert t["E"][0] < t["B"][0] and t["E"][1] >= t["B"][1] - 0.01  # two-stage: keeps, learns less
