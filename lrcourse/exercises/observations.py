"""Read untrusted observations strictly: every access checks the exact JSON type it expects.

Observations come from the process that ran the learner's code, so they are data to validate,
never to believe. A missing key or a value of the wrong type raises ``MalformedObservation``,
which the grader reports as an error of the checking process, never as a pass.
"""

from __future__ import annotations

import math
from typing import Any


class MalformedObservation(ValueError):
    """The observations do not have the shape the judge expects."""


class Observed:
    """A node of an observation tree, with typed accessors."""

    def __init__(self, value: Any, path: str = "observations") -> None:
        self.value = value
        self.path = path

    def _fail(self, expected: str) -> MalformedObservation:
        return MalformedObservation(
            f"{self.path}: expected {expected}, got {type(self.value).__name__}"
        )

    def __getitem__(self, key: str) -> Observed:
        if not isinstance(self.value, dict):
            raise self._fail("an object")
        if key not in self.value:
            raise MalformedObservation(f"{self.path}: no {key!r}")
        return Observed(self.value[key], f"{self.path}.{key}")

    def has(self, key: str) -> bool:
        """Whether this object has ``key``."""
        return isinstance(self.value, dict) and key in self.value

    def text(self) -> str:
        """A string."""
        if type(self.value) is not str:
            raise self._fail("a string")
        return self.value

    def flag(self) -> bool:
        """A boolean."""
        if type(self.value) is not bool:
            raise self._fail("a boolean")
        return self.value

    def integer(self) -> int:
        """An integer (not a boolean)."""
        if type(self.value) is not int:
            raise self._fail("an integer")
        return self.value

    def number(self) -> float:
        """A number (int or float, NaN and infinities allowed; not a boolean)."""
        if type(self.value) not in (int, float):
            raise self._fail("a number")
        return float(self.value)

    def is_number(self) -> bool:
        """Whether this is a genuine number (the learner's value may be a type name instead)."""
        return type(self.value) in (int, float)

    def items(self) -> list[Observed]:
        """A list, as nodes."""
        if type(self.value) is not list:
            raise self._fail("a list")
        return [Observed(v, f"{self.path}[{i}]") for i, v in enumerate(self.value)]

    def numbers(self) -> list[float]:
        """A list of numbers."""
        return [item.number() for item in self.items()]

    def integers(self) -> list[int]:
        """A list of integers."""
        return [item.integer() for item in self.items()]

    def grid(self) -> list[list[float]]:
        """A list of lists of numbers."""
        return [item.numbers() for item in self.items()]

    def mapping(self) -> dict[str, Observed]:
        """An object, as nodes."""
        if not isinstance(self.value, dict) or not all(type(k) is str for k in self.value):
            raise self._fail("an object")
        return {k: Observed(v, f"{self.path}.{k}") for k, v in self.value.items()}


def same_values(
    got: list[float], want: list[float], rtol: float = 1e-5, atol: float = 1e-7
) -> bool:
    """Element-wise closeness of two flat lists (NaN never matches)."""
    if len(got) != len(want):
        return False
    return all(
        math.isfinite(g) and abs(g - w) <= atol + rtol * abs(w)
        for g, w in zip(got, want, strict=True)
    )
