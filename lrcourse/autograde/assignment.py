"""An assignment: which exercises and quiz questions are graded, and for how many points.

A TOML file (``schema_version``, ``id``, ``title``, ``[[exercises]]`` and ``[[questions]]``
tables, each with ``id`` and ``points``). Loading collects every problem, each naming the file
and the item, and coerces nothing. ``lrcourse/assignments/`` ships ready ones, found by name.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1


class AssignmentError(ValueError):
    """An assignment file is not valid; ``problems`` lists every problem found."""

    def __init__(self, path: str, problems: list[str]) -> None:
        super().__init__(f"{path}: " + f"\n{path}: ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Item:
    """One graded item: an exercise or a quiz question, and its points."""

    id: str
    kind: str  # "exercise" or "question"
    points: float


@dataclass(frozen=True)
class Assignment:
    """A validated assignment."""

    id: str
    title: str
    items: tuple[Item, ...]
    source: str

    @property
    def exercises(self) -> list[str]:
        """Exercise ids, in file order."""
        return [i.id for i in self.items if i.kind == "exercise"]

    @property
    def questions(self) -> list[str]:
        """Question ids, in file order."""
        return [i.id for i in self.items if i.kind == "question"]

    def points(self, item: str) -> float:
        """The points of ``item``."""
        return next(i.points for i in self.items if i.id == item)

    @property
    def total(self) -> float:
        """Points of the whole assignment."""
        return sum(i.points for i in self.items)


def ready_assignments() -> list[str]:
    """Names of the assignments shipped with lrcourse."""
    folder = resources.files("lrcourse") / "assignments"
    return sorted(e.name[:-5] for e in folder.iterdir() if e.name.endswith(".toml"))


def _items(
    data: dict[str, Any], key: str, kind: str, known: set[str], problems: list[str]
) -> list[Item]:
    raw = data.get(key, [])
    if not isinstance(raw, list):
        problems.append(f"`{key}` must be a list of tables")
        return []
    items = []
    for index, entry in enumerate(raw):
        where = f"{key}[{index}]"
        if not isinstance(entry, dict):
            problems.append(f"{where}: must be a table with `id` and `points`")
            continue
        unknown = set(entry) - {"id", "points"}
        if unknown:
            problems.append(f"{where}: unknown key(s) {sorted(unknown)}")
        item_id, points = entry.get("id"), entry.get("points")
        if not isinstance(item_id, str):
            problems.append(f"{where}: `id` must be a string")
            continue
        if item_id not in known:
            problems.append(f"{where}: unknown {kind} {item_id!r}")
        if isinstance(points, bool) or not isinstance(points, int | float) or points <= 0:
            problems.append(f"{where} ({item_id}): `points` must be a positive number")
            continue
        items.append(Item(item_id, kind, float(points)))
    return items


def parse_assignment(text: str, source: str) -> Assignment:
    """Validate an assignment's TOML text; AssignmentError lists every problem."""
    from lrcourse.bank import load_bank
    from lrcourse.exercises.catalog import exercise_ids

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise AssignmentError(source, [f"not valid TOML ({exc})"]) from None
    problems: list[str] = []
    unknown = set(data) - {"schema_version", "id", "title", "exercises", "questions"}
    if unknown:
        problems.append(f"unknown key(s) {sorted(unknown)}")
    if data.get("schema_version") != SCHEMA_VERSION:
        problems.append(f"`schema_version` must be {SCHEMA_VERSION}")
    for key in ("id", "title"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            problems.append(f"`{key}` must be a non-empty string")
    items = _items(data, "exercises", "exercise", set(exercise_ids()), problems)
    items += _items(data, "questions", "question", {q.id for q in load_bank().questions}, problems)
    ids = [i.id for i in items]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        problems.append(f"listed twice: {', '.join(repeated)}")
    if not items and not problems:
        problems.append("no exercises and no questions")
    if problems:
        raise AssignmentError(source, problems)
    return Assignment(str(data["id"]), str(data["title"]), tuple(items), source)


def load_assignment(name_or_path: str | os.PathLike[str]) -> Assignment:
    """A ready assignment by name (see ``ready_assignments``) or an assignment file."""
    path = Path(name_or_path)
    if path.is_file():
        return parse_assignment(path.read_text(encoding="utf-8"), str(path))
    name = str(name_or_path)
    if name in ready_assignments():
        node = resources.files("lrcourse") / "assignments" / f"{name}.toml"
        return parse_assignment(node.read_text(encoding="utf-8"), f"lrcourse:{name}")
    raise FileNotFoundError(
        f"no assignment file {name!r} and no ready assignment of that name "
        f"(ready: {', '.join(ready_assignments())})"
    )
