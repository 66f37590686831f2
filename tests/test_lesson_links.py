"""Lessons link to the previous and next lesson, and every link points to a lesson that exists."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
LINK = re.compile(r"\[[^\]]+\]\(([^)]+\.ipynb)\)")
#: lessons that must carry "Previous"/"Next" link cells tagged ``lesson-nav``
WITH_NAV = ["01_start_here", "02_convergence", "03_param_groups", "04_parameter_specific",
            "05_schedulers", "06_capstone", "07_test_yourself", "08_at_scale"]  # fmt: skip


def _nav_cells(path: Path) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    return [c.source for c in nb.cells if "lesson-nav" in c.get("metadata", {}).get("tags", [])]


@pytest.mark.parametrize("stem", WITH_NAV)
def test_lesson_links_to_its_neighbours(stem: str) -> None:
    names = [p.name for p in NOTEBOOKS]
    i = names.index(f"{stem}.ipynb")
    cells = _nav_cells(NOTEBOOKS[i])
    assert len(cells) == 2, "a link cell at the top and one at the bottom"
    for text in cells:
        targets = LINK.findall(text)
        expected = []
        if i > 0:
            expected.append(names[i - 1])
            assert "Previous:" in text
        if i < len(names) - 1:
            expected.append(names[i + 1])
            assert "Next:" in text
        assert targets == expected


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_notebook_link_points_to_a_lesson(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    names = {p.name for p in NOTEBOOKS}
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for target in LINK.findall(cell.source):
                assert target in names, f"{path.name} links to a missing lesson {target}"
