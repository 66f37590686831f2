"""Build class folders of notebooks for the grading tests."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat


def write_notebook(path: Path, cells: list[tuple[str, str | None]]) -> Path:
    """A v4 notebook of code cells ``(source, exercise id to tag or None)``."""
    nb = nbformat.v4.new_notebook()
    for source, tag in cells:
        cell = nbformat.v4.new_code_cell(source)
        if tag:
            cell.metadata["tags"] = ["exercise", f"exercise:{tag}"]
        nb.cells += [nbformat.v4.new_markdown_cell("## answer"), cell]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def write_raw(path: Path, data: object) -> Path:
    """A file holding ``data`` as JSON (any shape), or raw bytes/str as given."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    elif isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_text(json.dumps(data), encoding="utf-8")
    return path
