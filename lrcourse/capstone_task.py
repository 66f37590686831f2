"""The capstone's open task: a fine-tuning strategy, judged by its outcome.

A *strategy* is a function ``strategy(model, fit)``. It builds optimizers (and schedulers) for
``model`` and trains only by calling ``fit(optimizer, epochs, scheduler=None)``, once or several
times (two stages, for example), within a fixed budget of optimizer steps; schedulers are
stepped after every batch. ``Arena`` runs strategies from the same starting weights over several
seeds and scores each by its mean accuracy on the held-out split, which no strategy trains on.
``judge`` compares the learner's strategy with the best of the given ones and returns a
``Feedback``: it never raises for what the learner's code does.
"""

from __future__ import annotations

import math
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.optim import Optimizer
from torch.optim.optimizer import register_optimizer_step_pre_hook

from lrcourse import training
from lrcourse.data import Split
from lrcourse.feedback import Feedback
from lrcourse.training import History, Scheduler

Fit = Callable[..., History]
Strategy = Callable[[nn.Module, Fit], object]


class BudgetExceeded(RuntimeError):
    """A strategy asked ``fit`` for more optimizer steps than the budget has left."""


@dataclass(frozen=True)
class Score:
    """One strategy's outcome: held-out accuracy per seed, and the steps it used."""

    label: str
    accuracies: tuple[float, ...]
    steps: tuple[int, ...]
    histories: tuple[tuple[History, ...], ...] = field(default=(), compare=False, repr=False)

    @property
    def mean(self) -> float:
        return sum(self.accuracies) / len(self.accuracies)

    def __str__(self) -> str:
        per_seed = ", ".join(f"{a:.1%}" for a in self.accuracies)
        return f"{self.label}: mean held-out accuracy {self.mean:.1%} (seeds: {per_seed})"


@dataclass(frozen=True)
class Arena:
    """Where strategies compete: the same task, starting weights, budget and seeds for all.

    Attributes:
        make_model: ``make_model(seed)`` returns a fresh model (e.g. pretrained body, new head).
        task: train split for ``fit``; its test split is the held-out split that scores.
        epochs: the budget in epochs; ``budget`` is the same in optimizer steps.
        batch_size: rows per optimizer step.
        seeds: one run per seed (new head and batch order).
        device: where to train (default: ``pick_device()``).
    """

    make_model: Callable[[int], nn.Module]
    task: Split
    epochs: int
    batch_size: int
    seeds: tuple[int, ...] = (0, 1, 2)
    device: torch.device | str | None = None
    _boards: dict[tuple[tuple[str, Strategy], ...], list[Score]] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )
    """Each ``leaderboard`` this arena has computed, by its (label, strategy) pairs."""

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(len(self.task.x_train) / self.batch_size)

    @property
    def budget(self) -> int:
        return self.epochs * self.steps_per_epoch

    def run(self, strategy: Strategy, seed: int) -> tuple[float, int, tuple[History, ...]]:
        """One run: (held-out accuracy, optimizer steps used, the histories of its fits)."""
        model = self.make_model(seed)
        histories: list[History] = []
        counted = [0]

        def fit(optimizer: Optimizer, epochs: int, scheduler: Scheduler | None = None) -> History:
            if not isinstance(epochs, int) or epochs < 1:
                raise ValueError(f"fit needs a whole number of epochs >= 1, got {epochs!r}")
            used = sum(len(h.step_loss) for h in histories)
            if used + epochs * self.steps_per_epoch > self.budget:
                raise BudgetExceeded(
                    f"fit(epochs={epochs}) needs {epochs * self.steps_per_epoch} steps, but only "
                    f"{self.budget - used} of the {self.budget} are left"
                )
            hist = training.train(
                model,
                optimizer,
                self.task,
                epochs=epochs,
                batch_size=self.batch_size,
                scheduler=scheduler,
                step_scheduler="batch",
                device=self.device,
                seed=1000 * seed + len(histories),
                progress=False,
            )
            histories.append(hist)
            return hist

        hook = register_optimizer_step_pre_hook(lambda *_: counted.__setitem__(0, counted[0] + 1))
        try:
            strategy(model, fit)
        finally:
            hook.remove()
        fitted = sum(len(h.step_loss) for h in histories)
        if counted[0] > fitted:
            raise BudgetExceeded(
                f"the strategy stepped an optimizer {counted[0] - fitted} time(s) outside fit()"
            )
        accuracy = training.accuracy(model, self.task.x_test, self.task.y_test)
        return accuracy, counted[0], tuple(histories)

    def score(self, strategy: Strategy, label: str = "") -> Score:
        """Run ``strategy`` once per seed; exceptions propagate (see ``judge`` for learners)."""
        runs = [self.run(strategy, seed) for seed in self.seeds]
        return Score(
            label or getattr(strategy, "__name__", "strategy"),
            tuple(r[0] for r in runs),
            tuple(r[1] for r in runs),
            tuple(r[2] for r in runs),
        )

    def leaderboard(self, strategies: Mapping[str, Strategy]) -> list[Score]:
        """Scores of several strategies, best mean first.

        The arena remembers each leaderboard it has computed, keyed by the (label, strategy
        object) pairs: asking again for the same strategies (``judge`` after the lesson has
        printed the leaderboard) returns the scores already printed instead of training every
        strategy on every seed a second time. A redefined strategy is a new object, so it is
        run again; a new ``Arena`` starts with no memory.
        """
        key = tuple(strategies.items())
        try:
            known = self._boards.get(key)
        except TypeError:  # an unhashable callable: nothing to remember it by
            known, key = None, ()
        if known is None:
            scores = [self.score(s, label) for label, s in strategies.items()]
            known = sorted(scores, key=lambda s: s.mean, reverse=True)
            if key:
                self._boards[key] = known
        return list(known)


def table(scores: Sequence[Score]) -> str:
    """The scores as an aligned text table, one strategy per line."""
    width = max(len(s.label) for s in scores)
    lines = [f"{'strategy':{width}s}  mean    per seed"]
    for s in scores:
        per_seed = "  ".join(f"{a:.1%}" for a in s.accuracies)
        lines.append(f"{s.label:{width}s}  {s.mean:.1%}  {per_seed}")
    return "\n".join(lines)


def judge(strategy: Strategy, given: Mapping[str, Strategy], arena: Arena) -> Feedback:
    """Does ``strategy`` beat the best of ``given`` on the held-out split, within the budget?"""
    subject = "capstone-open-task"
    try:
        mine = arena.score(strategy, "your strategy")
    except BudgetExceeded as exc:
        return Feedback(
            "incorrect",
            "Over the step budget.",
            message=str(exc),
            subject=subject,
            hint=f"All strategies get {arena.budget} optimizer steps "
            f"({arena.epochs} epochs of {arena.steps_per_epoch}).",
        )
    except Exception as exc:  # learner code: any failure becomes feedback, never a crash
        where = traceback.extract_tb(exc.__traceback__)[-1]
        return Feedback(
            "error",
            f"Your strategy raised {type(exc).__name__}.",
            message=f"`{exc}` (line {where.lineno} of `{where.name}`)",
            subject=subject,
        )
    if sum(mine.steps) == 0:
        return Feedback(
            "not-attempted",
            "Your strategy did not train.",
            message="Call `fit(optimizer, epochs, scheduler)` inside it.",
            subject=subject,
        )
    best = arena.leaderboard(given)[0]
    rows = (str(mine), str(best))
    if mine.mean > best.mean:
        return Feedback(
            "correct",
            f"Your strategy beats the best given one, {best.label}.",
            details=rows,
            subject=subject,
            explanation="Same weights, batches, budget and held-out split; "
            "the mean over seeds decides.",
        )
    return Feedback(
        "incorrect",
        f"Not better than {best.label} yet.",
        details=rows,
        subject=subject,
        hint="Look at what the comparison table says about the backbone's lr; "
        "the budget is fixed, so spend the steps where they help most.",
    )
