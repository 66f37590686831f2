"""The values progress is made of: one :class:`Attempt`, one topic's :class:`TopicMastery`.

Also the one rule that turns attempts into mastery (:func:`summarise`): a subject is mastered
when its latest attempt was correct.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

__all__ = ["FIELDS", "Attempt", "TopicMastery", "iso_utc", "now_utc", "summarise", "to_utc"]


def now_utc() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def to_utc(value: datetime) -> datetime:
    """Aware datetimes are converted to UTC; naive ones are taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def iso_utc(value: datetime) -> str:
    """Fixed-width UTC ISO-8601, so text order is time order (in SQLite and in exports)."""
    return to_utc(value).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class Attempt:
    """One graded answer to a quiz question, or one exercise check.

    Attributes:
        subject: the question id or exercise id.
        kind: ``"question"`` or ``"exercise"``.
        topic: the quiz topic id (``"convergence"``, ``"param-groups"``,
            ``"parameter-specific"``, ``"schedulers"``) or ``"exercises"``.
        difficulty: ``"easy"``, ``"medium"``, ``"hard"`` or ``None``.
        mode: ``"practice"``, ``"test"`` or ``"check"``.
        answer: the chosen choice id(s) as text, or the feedback status for exercises.
        correct: whether the answer was right / the check passed.
        at: when it happened; normalised to an aware UTC datetime (a naive value is taken
            to be UTC). Defaults to now.

    Values are not checked against the lists above (a quiz must never fail because of its
    progress record); ``correct`` is coerced to ``bool`` and ``answer`` to ``str``.
    """

    subject: str
    kind: str
    topic: str
    difficulty: str | None
    mode: str
    answer: str
    correct: bool
    at: datetime = field(default_factory=now_utc)

    def __post_init__(self) -> None:
        object.__setattr__(self, "correct", bool(self.correct))
        # Callers outside the type checker's reach (notebooks) may pass other types: coerce
        # what can be, and leave the rest for the store to refuse with a warning.
        object.__setattr__(self, "answer", str(self.answer))
        if isinstance(self.at, datetime):
            object.__setattr__(self, "at", to_utc(self.at))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; ``at`` as ISO-8601 text."""
        return {
            "subject": self.subject,
            "kind": self.kind,
            "topic": self.topic,
            "difficulty": self.difficulty,
            "mode": self.mode,
            "answer": self.answer,
            "correct": self.correct,
            "at": iso_utc(self.at),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Attempt:
        """Rebuild an Attempt from :meth:`to_dict` output."""
        at = data["at"]
        return cls(
            subject=str(data["subject"]),
            kind=str(data["kind"]),
            topic=str(data["topic"]),
            difficulty=data.get("difficulty") or None,
            mode=str(data["mode"]),
            answer=str(data["answer"]),
            correct=bool(data["correct"]),
            at=datetime.fromisoformat(at) if isinstance(at, str) else at,
        )


#: The attempt fields in order: the columns of the ``attempts`` table and of the CSV export.
FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Attempt))


@dataclass(frozen=True)
class TopicMastery:
    """Progress summary for one topic.

    Attributes:
        topic: the topic id.
        attempted: distinct subjects attempted.
        mastered: distinct subjects whose latest attempt was correct.
        attempts: total attempts.
        accuracy: correct attempts / attempts (0.0 when none).
        last_at: time of the latest attempt (UTC), or ``None``.
    """

    topic: str
    attempted: int
    mastered: int
    attempts: int
    accuracy: float
    last_at: datetime | None

    @property
    def mastery(self) -> float:
        """mastered / attempted (0.0 when nothing was attempted)."""
        return self.mastered / self.attempted if self.attempted else 0.0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict, ``mastery`` included."""
        return {
            "topic": self.topic,
            "attempted": self.attempted,
            "mastered": self.mastered,
            "attempts": self.attempts,
            "accuracy": self.accuracy,
            "mastery": self.mastery,
            "last_at": None if self.last_at is None else iso_utc(self.last_at),
        }


def summarise(attempts: Iterable[Attempt], topics: Iterable[str] = ()) -> list[TopicMastery]:
    """One :class:`TopicMastery` per topic seen, plus each of ``topics`` even if unseen.

    A subject (kind and id) is mastered when its latest attempt was correct; ties in time keep
    the given order. Rows are sorted by topic.
    """
    by_topic: dict[str, list[Attempt]] = {t: [] for t in topics}
    for a in attempts:
        by_topic.setdefault(a.topic, []).append(a)
    out: list[TopicMastery] = []
    for topic in sorted(by_topic):
        items = sorted(by_topic[topic], key=lambda a: a.at)  # stable on ties
        latest: dict[tuple[str, str], Attempt] = {}
        for a in items:
            latest[(a.kind, a.subject)] = a
        n = len(items)
        out.append(
            TopicMastery(
                topic=topic,
                attempted=len(latest),
                mastered=sum(1 for a in latest.values() if a.correct),
                attempts=n,
                accuracy=sum(1 for a in items if a.correct) / n if n else 0.0,
                last_at=items[-1].at if items else None,
            )
        )
    return out
