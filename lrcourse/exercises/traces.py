"""Compare lr traces (one row of group lrs per step or epoch) and name known pitfalls."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

Trace = Sequence[Sequence[float]]
RTOL = 1e-6
ATOL_FRACTION = 1e-6


def close(got: float, want: float, scale: float, rtol: float = RTOL) -> bool:
    """|got - want| <= rtol*|want| + ATOL_FRACTION*scale (scale: the group's base lr)."""
    return abs(got - want) <= rtol * abs(want) + ATOL_FRACTION * abs(scale)


@dataclass(frozen=True)
class Divergence:
    """The first place two traces differ."""

    index: int
    group: int
    want: float
    got: float


def first_divergence(want: Trace, got: Trace, scales: Sequence[float]) -> Divergence | None:
    """First (index, group) where ``got`` differs from ``want``; a short ``got`` diverges at its
    end (reported with got = nan)."""
    for index, row in enumerate(want):
        if index >= len(got):
            return Divergence(index, 0, row[0], float("nan"))
        for group, value in enumerate(row):
            have = got[index][group] if group < len(got[index]) else float("nan")
            if not close(have, value, scales[group]):
                return Divergence(index, group, value, have)
    return None


def matches(want: Trace, got: Trace, scales: Sequence[float]) -> bool:
    """True when the traces agree everywhere (and have the same length)."""
    return len(want) == len(got) and first_divergence(want, got, scales) is None


def times(count: int) -> str:
    """``once``, ``twice``, ``3 times``: a call count for people."""
    return {1: "once", 2: "twice"}.get(count, f"{count} times")


def lr(value: float) -> str:
    """An lr for people: 6 significant digits."""
    return f"{value:.6g}"


def side_by_side(
    want: Trace, got: Trace, start: int, unit: str, scales: Sequence[float], count: int = 4
) -> list[str]:
    """Up to ``count`` detail rows ``epoch 12 (group 1): expected 0.0125, got 0.1`` from
    ``start`` on, only where the values differ."""
    rows: list[str] = []
    for index in range(max(0, start), len(want)):
        if len(rows) >= count:
            break
        if index >= len(got):
            rows.append(f"{unit} {index}: no optimizer step")
            continue
        for group, value in enumerate(want[index]):
            have = got[index][group] if group < len(got[index]) else float("nan")
            if not close(have, value, scales[group]):
                label = f" (group {group})" if len(want[index]) > 1 else ""
                rows.append(f"{unit} {index}{label}: expected {lr(value)}, got {lr(have)}")
    return rows[:count]
