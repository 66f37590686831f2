"""The course notebooks: committed stripped, follow the exercise convention, and run.

The slow test executes every notebook with each exercise cell replaced by the exercise's
reference solution and each check cell turned into ``assert_check``, so a solution that the
checker rejects (or a lesson cell that raises) fails the test.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest

from tests.notebook_runner import execute_notebook

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
CHECK_CALL = re.compile(r'lrcourse\.exercise\("(?P<id>[a-z0-9-]+)"\)\.check\((?P<arg>[^)]*)\)\s*$')


def _ids(paths: list[Path]) -> list[str]:
    return [p.stem for p in paths]


def _read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def _tag_value(cell: nbformat.NotebookNode, prefix: str) -> str | None:
    for tag in cell.get("metadata", {}).get("tags", []):
        if tag.startswith(prefix + ":"):
            return tag.split(":", 1)[1]
    return None


def test_there_are_notebooks() -> None:
    assert NOTEBOOKS, "no notebooks found"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_is_valid_and_stripped(path: Path) -> None:
    nb = _read(path)
    nbformat.validate(nb)
    assert "widgets" not in nb.metadata, "stray widget state in notebook metadata"
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        assert cell.outputs == [], f"cell {i} has outputs"
        assert cell.execution_count is None, f"cell {i} has an execution_count"
        assert "execution" not in cell.metadata, f"cell {i} has execution timing metadata"
        assert "widgets" not in cell.metadata, f"cell {i} has widget metadata"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_has_python3_kernelspec(path: Path) -> None:
    spec = _read(path).metadata.get("kernelspec", {})
    assert spec.get("name") == "python3"
    assert spec.get("language") == "python"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_exercise_cells_are_followed_by_their_check(path: Path) -> None:
    cells = _read(path).cells
    for i, cell in enumerate(cells):
        ex_id = _tag_value(cell, "exercise")
        if ex_id is None:
            continue
        tags = cell.metadata["tags"]
        assert "exercise" in tags, f"cell {i}: 'exercise:{ex_id}' without the 'exercise' tag"
        tree = ast.parse(cell.source)
        names = [n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef)]
        assert names, f"cell {i}: exercise cell defines no function"
        assert i + 1 < len(cells), f"cell {i}: exercise cell is the last cell"
        check = cells[i + 1]
        assert check.cell_type == "code"
        assert _tag_value(check, "check") == ex_id, f"cell {i + 1} is not check:{ex_id}"
        assert "check" in check.metadata["tags"]
        last_line = check.source.strip().splitlines()[-1]
        match = CHECK_CALL.match(last_line)
        assert match, f"cell {i + 1}: last line must be lrcourse.exercise(...).check(...)"
        assert match["id"] == ex_id
        assert match["arg"].strip() in names, f"cell {i + 1} checks a name the exercise lacks"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_every_check_cell_follows_an_exercise_cell(path: Path) -> None:
    cells = _read(path).cells
    for i, cell in enumerate(cells):
        ex_id = _tag_value(cell, "check")
        if ex_id is not None:
            assert i > 0 and _tag_value(cells[i - 1], "exercise") == ex_id


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_exercise_cells_start_as_the_registered_starter(path: Path) -> None:
    lrcourse = pytest.importorskip("lrcourse")
    for cell in _read(path).cells:
        ex_id = _tag_value(cell, "exercise")
        if ex_id is not None:
            starter = lrcourse.exercise(ex_id).starter_source
            assert cell.source.strip() == starter.strip(), f"{ex_id}: cell differs from starter"


def with_solutions(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``nb`` whose exercises hold the reference solutions and checks assert."""
    import lrcourse

    nb = nbformat.from_dict(nb)
    for cell in nb.cells:
        ex_id = _tag_value(cell, "exercise")
        if ex_id is not None:
            cell.source = lrcourse.exercise(ex_id).solution_source
        elif _tag_value(cell, "check") is not None:
            lines = cell.source.rstrip().splitlines()
            lines[-1] = lines[-1].replace(").check(", ").assert_check(", 1)
            cell.source = "\n".join(lines)
    return nb


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_runs_with_solutions(path: Path, tmp_path: Path) -> None:

    nb = with_solutions(_read(path))
    execute_notebook(nb, path.parent, tmp_path / "progress.sqlite3")
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            assert out.get("output_type") != "error", f"{out.get('ename')}: {out.get('evalue')}"
