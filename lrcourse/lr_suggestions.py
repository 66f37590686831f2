"""Three ways to read an lr range test, side by side: minimum/10, steepest, and valley.

``lrcourse.training.lr_range_test`` records the smoothed loss at exponentially growing lrs and
reports the first two. The *valley* rule (the default suggestion of fastai's ``lr_find`` since
2021) looks for the longest stretch of the curve along which the loss keeps falling, and picks a
point about half-way along it: late enough to be past the flat start, early enough to stay clear
of the blow-up.
"""

from __future__ import annotations

from collections.abc import Sequence

from lrcourse.training import RangeTest


def longest_valley(losses: Sequence[float]) -> tuple[int, int]:
    """(start, end) indices of the longest run of strictly falling losses.

    The run need not be contiguous: it is the longest subsequence in which each loss is lower
    than the one before, so single noisy bumps do not break it. ``start`` is where it begins and
    ``end`` where it ends.
    """
    if not losses:
        raise ValueError("need at least one loss")
    length = [1] * len(losses)  # longest falling run ending at each index
    begin = list(range(len(losses)))
    for i in range(1, len(losses)):
        for j in range(i):
            if losses[i] < losses[j] and length[j] + 1 > length[i]:
                length[i] = length[j] + 1
                begin[i] = begin[j]
    end = max(range(len(losses)), key=lambda i: (length[i], -i))
    return begin[end], end


def valley_index(losses: Sequence[float]) -> int:
    """The index about half-way along the longest valley (a third, plus a sixth, of its span)."""
    start, end = longest_valley(losses)
    third = (end - start) / 3
    return start + int(third) + int(third / 2)


def suggestions(result: RangeTest) -> dict[str, float]:
    """The three suggested lrs of one range test, by name."""
    return {
        "minimum / 10": result.suggested_lr,
        "steepest": result.steepest_lr,
        "valley": result.lrs[valley_index(result.losses)],
    }
