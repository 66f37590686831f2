"""After every check cell of a lesson, a ready (commented) cell offers the exercise's hint and
solution, as learners know from other courses."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_check_cell_is_followed_by_hint_and_solution(path: Path) -> None:
    cells = nbformat.read(path, as_version=4).cells
    for index, cell in enumerate(cells):
        checks = [t for t in cell.metadata.get("tags", []) if t.startswith("check:")]
        if not checks:
            continue
        exercise_id = checks[0].removeprefix("check:")
        after = "\n".join(c.source for c in cells[index + 1 : index + 4] if c.cell_type == "code")
        assert f'lrcourse.exercise("{exercise_id}").hint()' in after, (path.stem, exercise_id)
        if path.stem != "01_start_here":  # lesson 1 shows the solution call in its prose
            assert f'lrcourse.exercise("{exercise_id}").solution()' in after, exercise_id
