"""The trusted side of every exercise check: draw a random spec, and decide from raw
observations whether the learner's code did what the contract asks.

A judge rebuilds the fixtures from the spec itself and computes what a correct answer does with
real torch, then compares the observations with that; it names known mistakes by testing the
observations against known wrong variants. Judges never see the learner's objects, and in batch
grading this folder is hidden from the sandbox (it holds the answer key).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from lrcourse.exercises.fixtures import Spec
from lrcourse.exercises.observations import Observed


@dataclass(frozen=True)
class Context:
    """What a judge knows besides the observations: warnings the learner's code raised."""

    warnings: tuple[str, ...] = field(default_factory=tuple)

    def warned(self, fragment: str) -> bool:
        """True if some warning contains ``fragment``."""
        return any(fragment in text for text in self.warnings)


Decide = Callable[[Spec, Observed, Context], str]


@dataclass(frozen=True)
class Judge:
    """``draw(rng)`` makes a spec; ``decide(spec, observed, context)`` returns a success message
    or raises an Outcome (lrcourse.exercises.outcomes)."""

    draw: Callable[[random.Random], Spec]
    decide: Decide


JUDGES: dict[str, Judge] = {}


def judge(exercise_id: str, draw: Callable[[random.Random], Spec]) -> Callable[[Decide], Decide]:
    """Register ``decide`` (with its spec drawer) as the judge of ``exercise_id``."""

    def register(decide: Decide) -> Decide:
        if exercise_id in JUDGES:
            raise ValueError(f"two judges registered for {exercise_id!r}")
        JUDGES[exercise_id] = Judge(draw, decide)
        return decide

    return register


def load_all() -> dict[str, Judge]:
    """Import every family module so that their judges register; return the registry."""
    from lrcourse.exercises.judges import (  # noqa: F401
        at_scale,
        loops,
        optimizer,
        param_groups,
        schedules,
    )

    return JUDGES
