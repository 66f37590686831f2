"""Registry of behavioural checks, one per exercise id.

A check is ``fn(obj, ctx) -> str | None``: it builds fresh randomized fixtures from ``ctx.rng``,
calls the learner's ``obj``, compares observations with a reference and raises
``Incorrect``/``NotAttempted`` (lrcourse.exercises.outcomes) when they differ. Returning
normally means correct; a returned string is shown as the success message.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lrcourse.exercises.isolation import Captured


@dataclass
class CheckContext:
    """What a check gets besides the learner's object."""

    rng: random.Random
    captured: Captured


Check = Callable[[Any, CheckContext], "str | None"]
CHECKS: dict[str, Check] = {}


def check(exercise_id: str) -> Callable[[Check], Check]:
    """Register ``fn`` as the check of ``exercise_id``."""

    def register(fn: Check) -> Check:
        if exercise_id in CHECKS:
            raise ValueError(f"two checks registered for {exercise_id!r}")
        CHECKS[exercise_id] = fn
        return fn

    return register


def load_all() -> dict[str, Check]:
    """Import every family module so that their checks register; return the registry."""
    from lrcourse.exercises.checks import loops, optimizer, param_groups, schedules  # noqa: F401

    return CHECKS
