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


class UnknownExerciseError(KeyError):
    """No exercise has this id; the message lists the valid ids. (Defined here, with the
    content ids and without torch, so a command line can catch it before importing torch.)"""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown exercise"


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
    """Validate one TOML document; ContentError lists every problem, each naming the file and
    the key. Nothing is coerced: a value of the wrong type is a problem."""
    where = f"{exercise_id}.toml"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ContentError(f"{where}: {exc}") from None
    problems: list[str] = []
    unknown, missing = set(data) - _REQUIRED - _OPTIONAL, _REQUIRED - set(data)
    if unknown:
        problems.append(f"{where}: unknown keys {sorted(unknown)}")
    if missing:
        problems.append(f"{where}: missing keys {sorted(missing)}")
    if "schema_version" in data and data["schema_version"] != SCHEMA_VERSION:
        problems.append(f"{where}: unsupported schema_version {data['schema_version']!r}")
    for key in ("id", "title", "kind", "entry_point", "statement", "starter", "summary"):
        if key in data and (not isinstance(data[key], str) or not data[key].strip()):
            problems.append(f"{where}: {key} must be a non-empty string")
    if isinstance(data.get("id"), str) and data["id"] != exercise_id:
        problems.append(f"{where}: id {data['id']!r} differs from the file name")
    if "kind" in data and data["kind"] not in ("function", "class"):
        problems.append(f"{where}: kind must be 'function' or 'class'")
    entry = data.get("entry_point")
    if isinstance(entry, str) and not entry.isidentifier():
        problems.append(f"{where}: entry_point {entry!r} is not a Python name")
    hints = data.get("hints")
    if "hints" in data and not (
        isinstance(hints, list) and len(hints) >= 3 and all(isinstance(h, str) for h in hints)
    ):
        problems.append(f"{where}: hints must be a list of at least 3 strings")
    if problems:
        raise ContentError("\n".join(problems))
    return ExerciseContent(
        id=exercise_id,
        title=data["title"],
        kind=data["kind"],
        entry_point=data["entry_point"],
        statement=data["statement"].strip(),
        hints=tuple(h.strip() for h in data["hints"]),
        starter=data["starter"].strip() + "\n",
        solution=solution,
    )


def load_content(exercise_id: str) -> ExerciseContent:
    """Read and validate ``content/<id>.toml`` and ``solutions/<id>.py``."""
    base = _files()
    text = (base / "content" / f"{exercise_id}.toml").read_text(encoding="utf-8")
    solution = (base / "solutions" / f"{exercise_id}.py").read_text(encoding="utf-8")
    return parse_content(exercise_id, text, solution)
