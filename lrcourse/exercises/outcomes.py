"""Verdict exceptions a check raises; `exercise.run_check` turns them into Feedback values.

A check returns normally when the submission is correct (optionally with a short success
message) and raises one of these otherwise. Exceptions of any other type are learner crashes.
"""

from __future__ import annotations

from collections.abc import Iterable

from lrcourse.feedback import Status


class Outcome(Exception):
    """A verdict other than "correct", with the text the learner will see."""

    status: Status = "incorrect"

    def __init__(
        self,
        title: str,
        message: str = "",
        details: Iterable[str] = (),
        hint: str | None = None,
    ) -> None:
        super().__init__(title)
        self.title = title
        self.message = message
        self.details = tuple(details)
        self.hint = hint


class Incorrect(Outcome):
    """The submission runs but behaves differently from the contract."""

    status: Status = "incorrect"


class NotAttempted(Outcome):
    """The submission is still the starter stub (returns None, `pass`, NotImplementedError)."""

    status: Status = "not-attempted"


class CheckTimeout(Exception):
    """Raised by the soft interactive timer when a check runs too long."""
