"""The valley rule finds the longest falling stretch of a range-test curve."""

from __future__ import annotations

import pytest

from lrcourse.lr_suggestions import longest_valley, suggestions, valley_index
from lrcourse.training import RangeTest


def test_longest_valley_skips_a_noisy_bump() -> None:
    #         0    1    2    3    4    5    6    7    8    9
    losses = [2.0, 2.0, 1.9, 1.8, 1.85, 1.5, 1.2, 1.0, 3.0, 9.0]
    assert longest_valley(losses) == (0, 7)  # 2.0 > 1.9 > 1.8 > 1.5 > 1.2 > 1.0
    assert valley_index(losses) == 0 + 2 + 1


def test_a_rising_curve_has_a_one_point_valley() -> None:
    assert longest_valley([1.0, 2.0, 3.0]) == (0, 0)
    assert valley_index([1.0, 2.0, 3.0]) == 0
    with pytest.raises(ValueError, match="at least one loss"):
        longest_valley([])


def test_suggestions_name_the_three_rules() -> None:
    lrs = [1e-4 * 2**i for i in range(10)]
    losses = [2.0, 2.0, 1.9, 1.8, 1.85, 1.5, 1.2, 1.0, 3.0, 9.0]
    result = RangeTest(
        lrs=lrs,
        losses=losses,
        raw_losses=losses,
        min_loss_lr=lrs[7],
        steepest_lr=lrs[5],
        suggested_lr=lrs[7] / 10,
        stopped_early=True,
    )
    assert suggestions(result) == {
        "minimum / 10": lrs[7] / 10,
        "steepest": lrs[5],
        "valley": lrs[3],
    }
