"""Exercise content as data: parse and validate ``content/<id>.toml`` and read the reference
solution ``solutions/<id>.py`` shipped inside the package.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Literal

SCHEMA_VERSION = 1
_REQUIRED = {
    "schema_version",
    "id",
    "title",
    "kind",
    "entry_point",
    "statement",
    "hints",
    "starter",
}
_OPTIONAL = {"summary"}


class ContentError(ValueError):
    """An exercise TOML file breaks the schema."""


@dataclass(frozen=True)
class ExerciseContent:
    """The learner-facing text of one exercise.

    Attributes:
        id: kebab-case slug, equal to the file stem.
        title: one line.
        kind: ``"function"`` or ``"class"``: what the learner defines.
        entry_point: the name the learner's code must define.
        statement: Markdown contract.
        hints: the hint ladder, gentlest first (at least 3).
        starter: starter code (a stub that checks as not-attempted).
        solution: reference solution source.
    """

    id: str
    title: str
    kind: Literal["function", "class"]
    entry_point: str
    statement: str
    hints: tuple[str, ...]
    starter: str
    solution: str


def _files() -> resources.abc.Traversable:
    return resources.files("lrcourse.exercises")


def content_ids() -> list[str]:
    """Ids of all exercises shipped in the package, sorted."""
    names = (f.name for f in (_files() / "content").iterdir())
    return sorted(n.removesuffix(".toml") for n in names if n.endswith(".toml"))


def parse_content(exercise_id: str, text: str, solution: str) -> ExerciseContent:
    """Validate one TOML document; raise ContentError naming the first problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ContentError(f"{exercise_id}.toml: {exc}") from None
    unknown = set(data) - _REQUIRED - _OPTIONAL
    missing = _REQUIRED - set(data)
    if unknown or missing:
        raise ContentError(
            f"{exercise_id}.toml: unknown keys {sorted(unknown)}, missing keys {sorted(missing)}"
        )
    if data["schema_version"] != SCHEMA_VERSION:
        raise ContentError(
            f"{exercise_id}.toml: unsupported schema_version {data['schema_version']}"
        )
    if data["id"] != exercise_id:
        raise ContentError(f"{exercise_id}.toml: id {data['id']!r} differs from the file name")
    if data["kind"] not in ("function", "class"):
        raise ContentError(f"{exercise_id}.toml: kind must be 'function' or 'class'")
    hints = data["hints"]
    if not (isinstance(hints, list) and len(hints) >= 3 and all(isinstance(h, str) for h in hints)):
        raise ContentError(f"{exercise_id}.toml: hints must be a list of at least 3 strings")
    return ExerciseContent(
        id=exercise_id,
        title=str(data["title"]),
        kind=data["kind"],
        entry_point=str(data["entry_point"]),
        statement=str(data["statement"]).strip(),
        hints=tuple(h.strip() for h in hints),
        starter=str(data["starter"]).strip() + "\n",
        solution=solution,
    )


def load_content(exercise_id: str) -> ExerciseContent:
    """Read and validate ``content/<id>.toml`` and ``solutions/<id>.py``."""
    base = _files()
    text = (base / "content" / f"{exercise_id}.toml").read_text(encoding="utf-8")
    solution = (base / "solutions" / f"{exercise_id}.py").read_text(encoding="utf-8")
    return parse_content(exercise_id, text, solution)
