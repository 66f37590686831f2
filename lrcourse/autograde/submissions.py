"""Find and read a class's notebooks without trusting a single byte of them.

Layout accepted: ``FOLDER/<student>.ipynb`` or ``FOLDER/<student>/<any>.ipynb``. Only regular
files are read (a FIFO, a device or a symbolic link is skipped with a note, never opened for
reading), with a size cap checked on the open file; every failure in reading, decoding,
parsing or walking one notebook becomes that student's status and reason. Code cells are found
by their ``exercise:<id>`` tag or, when the tag is gone, by the name they define.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import json
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024
MAX_CELLS = 10_000
TAG_PREFIX = "exercise:"
_MAGIC = re.compile(r"^\s*[%!]")


class NotebookError(ValueError):
    """A submission could not be read as a notebook; the message says why."""


@dataclass(frozen=True)
class CodeCell:
    """One code cell: its source, its ``exercise:`` tags and its position."""

    index: int
    source: str
    tags: tuple[str, ...]
    heading: str = ""  # the last Markdown cell before it


@dataclass
class Submission:
    """One student's notebooks, read: cells by exercise id, notes, or why it is unreadable."""

    student: str
    notebooks: list[str] = field(default_factory=list)
    sha256: str = ""
    cells: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # id -> (code, nb, how)
    answers: dict[str, tuple[str, str]] = field(default_factory=dict)  # question -> (answer, nb)
    notes: list[str] = field(default_factory=list)
    unreadable: str | None = None


def display_name(raw: str) -> str:
    """A file-system name as text that any output can hold (undecodable bytes escaped)."""
    return raw.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _regular_files(root: Path) -> tuple[dict[str, list[Path]], list[str]]:
    by_student: dict[str, list[Path]] = {}
    notes: list[str] = []
    for entry in sorted(root.iterdir(), key=lambda p: p.name):
        name = display_name(entry.name)
        if entry.name.startswith(".") or entry.name == "__pycache__":
            continue
        info = entry.lstat()
        if stat.S_ISLNK(info.st_mode):
            notes.append(f"{name}: skipped, a symbolic link (copy the real folder or file in)")
            continue
        if stat.S_ISDIR(info.st_mode):
            found = []
            for sub in sorted(entry.rglob("*.ipynb"), key=lambda p: str(p)):
                rel = sub.relative_to(entry)
                if ".ipynb_checkpoints" in rel.parts:
                    continue
                sub_info = sub.lstat()
                label = display_name(str(sub.relative_to(root)))
                if stat.S_ISLNK(sub_info.st_mode):
                    notes.append(f"{label}: skipped, a symbolic link")
                elif not stat.S_ISREG(sub_info.st_mode):
                    notes.append(f"{label}: skipped, not a regular file")
                else:
                    found.append(sub)
            by_student[name] = found
        elif entry.suffix == ".ipynb":
            student = display_name(entry.name[: -len(".ipynb")])
            if not stat.S_ISREG(info.st_mode):
                notes.append(f"{name}: skipped, not a regular file")
                by_student.setdefault(student, [])
                continue
            by_student.setdefault(student, []).append(entry)
    return by_student, notes


def find_submissions(folder: str | os.PathLike[str]) -> tuple[dict[str, list[Path]], list[str]]:
    """Each student's notebook files, and a note for each path skipped."""
    root = Path(folder)
    if not root.is_dir():
        raise NotADirectoryError(f"not a folder of submissions: {root}")
    return _regular_files(root)


def read_bytes(path: Path) -> bytes:
    """The file's bytes, opened without following links or blocking, only if it is a regular
    file under the size cap."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise NotebookError(f"cannot open: {exc.strerror or exc}") from None
    with contextlib.closing(os.fdopen(fd, "rb")) as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise NotebookError("not a regular file")
        if info.st_size > MAX_NOTEBOOK_BYTES:
            raise NotebookError(f"{info.st_size} bytes, over the {MAX_NOTEBOOK_BYTES}-byte limit")
        data = handle.read(MAX_NOTEBOOK_BYTES + 1)
    if len(data) > MAX_NOTEBOOK_BYTES:
        raise NotebookError(f"over the {MAX_NOTEBOOK_BYTES}-byte limit")
    return data


def _text(value: Any, where: str) -> str:
    if isinstance(value, str):
        text = value
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        text = "".join(value)
    else:
        raise NotebookError(f"{where}: the source is not text")
    # a lone surrogate cannot be encoded, compiled or written: replace it visibly
    return text.encode("utf-8", "replace").decode("utf-8")


def parse_cells(data: bytes) -> list[CodeCell]:
    """The code cells of a notebook file (nbformat 3 or 4); NotebookError if it is not one."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NotebookError(
            f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        ) from None
    try:
        notebook = json.loads(text)
    except (json.JSONDecodeError, RecursionError, ValueError) as exc:
        raise NotebookError(f"not valid JSON ({str(exc)[:120]})") from None
    if not isinstance(notebook, dict):
        raise NotebookError("not a Jupyter notebook (the top level is not an object)")
    version = notebook.get("nbformat")
    if version == 3:
        worksheets = notebook.get("worksheets")
        first = worksheets[0] if isinstance(worksheets, list) and worksheets else {}
        cells = first.get("cells") if isinstance(first, dict) else None
        source_key = "input"
    elif version == 4:
        cells, source_key = notebook.get("cells"), "source"
    else:
        raise NotebookError(f"unsupported notebook format version {version!r} (expected 3 or 4)")
    if not isinstance(cells, list):
        raise NotebookError("not a Jupyter notebook (no list of cells)")
    if len(cells) > MAX_CELLS:
        raise NotebookError(f"{len(cells)} cells, over the {MAX_CELLS}-cell limit")
    out = []
    heading = ""
    for index, cell in enumerate(cells):
        if isinstance(cell, dict) and cell.get("cell_type") in ("markdown", "heading"):
            with contextlib.suppress(NotebookError):
                heading = _text(cell.get(source_key, cell.get("source", "")), f"cell {index}")
            continue
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        try:
            source = _text(cell.get(source_key, ""), f"cell {index}")
        except NotebookError:
            continue  # a malformed cell is skipped; the others still count
        metadata = cell.get("metadata")
        tags = metadata.get("tags") if isinstance(metadata, dict) else None
        clean = tuple(t for t in tags if isinstance(t, str)) if isinstance(tags, list) else ()
        out.append(CodeCell(index, source, clean, heading))
    return out


def _defines(source: str) -> set[str]:
    try:
        tree = ast.parse(strip_magics(source))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set()
    return {
        n.name
        for n in tree.body
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
    }


def strip_magics(source: str) -> str:
    """IPython magics and shell lines become comments: they are not executed when grading."""
    return "\n".join(
        f"# (not run when grading) {line.strip()}" if _MAGIC.match(line) else line
        for line in source.splitlines()
    )


def _is_literal(node: ast.expr) -> bool:
    """A constant, or a container of constants (``LR = 1e-3``, ``SIZES = (4, 8)``)."""
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
        return False
    return True


def _context(cells: list[CodeCell], before: int) -> str:
    """Imports, functions, classes and constants defined in the cells before ``before``: the
    helpers an answer may use from other cells."""
    kept: list[str] = []
    for cell in cells:
        if cell.index >= before:
            break
        source = strip_magics(cell.source)
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        for node in tree.body:
            keep = isinstance(
                node,
                ast.Import | ast.ImportFrom | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef,
            )
            if isinstance(node, ast.Assign | ast.AnnAssign):
                keep = node.value is not None and _is_literal(node.value)
            if keep:
                segment = ast.get_source_segment(source, node)
                if segment:
                    kept.append(segment)
    return "\n".join(kept)


def exercise_sources(
    cells: list[CodeCell], entry_points: dict[str, str]
) -> tuple[dict[str, tuple[str, str]], list[str]]:
    """Exercise id → (code to grade, how it was found); and notes (unknown tags, re-created
    cells). The code is the answer cell with the helpers defined before it."""
    found: dict[str, tuple[CodeCell, str]] = {}
    notes: list[str] = []
    for cell in cells:
        for tag in cell.tags:
            if tag.startswith(TAG_PREFIX):
                ex_id = tag.removeprefix(TAG_PREFIX)
                if ex_id not in entry_points:
                    notes.append(f"cell {cell.index}: unknown exercise tag {tag!r} (ignored)")
                    continue
                found[ex_id] = (cell, "tagged cell")
    tagged = {c.index for c, _ in found.values()}
    shared = {n for n in entry_points.values() if list(entry_points.values()).count(n) > 1}
    for ex_id, name in entry_points.items():
        if ex_id in found:
            continue
        defining = [c for c in cells if c.index not in tagged and name in _defines(c.source)]
        headed = [c for c in defining if f"`{ex_id}`" in c.heading or ex_id in c.heading]
        if headed:
            cell = headed[-1]
            how = f"untagged cell {cell.index} defining `{name}` under the {ex_id} heading"
        elif defining and name not in shared:
            cell = defining[-1]
            how = f"untagged cell {cell.index} defining `{name}`"
        else:
            if defining:
                notes.append(
                    f"{ex_id}: cell {defining[-1].index} defines `{name}`, but no tag "
                    "or heading says which exercise it answers (not graded)"
                )
            continue
        found[ex_id] = (cell, how)
        notes.append(f"{ex_id}: no tagged cell; graded {how}")
    out = {}
    for ex_id, (cell, how) in found.items():
        context = _context(cells, cell.index)
        code = (context + "\n\n" if context else "") + strip_magics(cell.source)
        out[ex_id] = (code, how)
    return out, notes


_ANSWER = "answer"


def quiz_answers(cells: list[CodeCell]) -> dict[str, str]:
    """Question id → answer from ``answer("question-id", "c")`` calls with literal arguments
    (read statically; the last call for a question wins)."""
    answers: dict[str, str] = {}
    for cell in cells:
        try:
            tree = ast.parse(strip_magics(cell.source))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or len(node.args) != 2:
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name != _ANSWER:
                continue
            qid, value = node.args
            if isinstance(qid, ast.Constant) and isinstance(qid.value, str):
                if isinstance(value, ast.Constant) and isinstance(value.value, str | int | float):
                    answers[qid.value] = str(value.value)
                elif isinstance(value, ast.List | ast.Tuple) and all(
                    isinstance(e, ast.Constant) and isinstance(e.value, str) for e in value.elts
                ):
                    answers[qid.value] = ",".join(
                        sorted(str(e.value) for e in value.elts if isinstance(e, ast.Constant))
                    )
    return answers


def read_submission(student: str, paths: list[Path], entry_points: dict[str, str]) -> Submission:
    """Read one student's notebooks; never raises for what the files contain."""
    sub = Submission(student)
    digest = hashlib.sha256()
    if not paths:
        sub.unreadable = "no notebook (.ipynb) found"
        return sub
    ordered = sorted(paths, key=lambda p: (_mtime(p), str(p)))  # the newest file wins ties
    readable = 0
    for path in ordered:
        label = display_name(path.name)
        sub.notebooks.append(label)
        try:
            data = read_bytes(path)
            digest.update(hashlib.sha256(data).digest())
            cells = parse_cells(data)
            sources, notes = exercise_sources(cells, entry_points)
            answers = quiz_answers(cells)
        except NotebookError as exc:
            sub.notes.append(f"{label}: {exc}")
            continue
        except (RecursionError, MemoryError, ValueError) as exc:
            sub.notes.append(f"{label}: could not be read ({type(exc).__name__})")
            continue
        readable += 1
        sub.notes += [f"{label}: {n}" for n in notes]
        for ex_id, (code, how) in sources.items():
            if ex_id in sub.cells:
                sub.notes.append(
                    f"{ex_id}: found in {sub.cells[ex_id][1]} and in {label}; "
                    f"graded the one in {label} (newest)"
                )
            sub.cells[ex_id] = (code, label, how)
        for qid, value in answers.items():
            sub.answers[qid] = (value, label)
    sub.sha256 = digest.hexdigest()
    if len(paths) > 1:
        sub.notes.append(f"{len(paths)} notebooks: " + ", ".join(sub.notebooks))
    if readable == 0:
        sub.unreadable = "; ".join(sub.notes) or "no readable notebook"
    return sub


def _mtime(path: Path) -> float:
    try:
        return path.lstat().st_mtime
    except OSError:
        return 0.0
