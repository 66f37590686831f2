"""Reading a class: every hostile or broken notebook becomes that student's status and reason;
nothing raises, nothing blocks, nothing is silently picked."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from lrcourse.autograde.submissions import (
    display_name,
    find_submissions,
    parse_cells,
    quiz_answers,
    read_submission,
)
from tests.autograde.conftest import write_notebook, write_raw

ENTRY = {"two-lr-groups": "make_optimizer", "step-decay": "make_scheduler"}
GOOD = "def make_optimizer(model):\n    return 1\n"


def cell(source: object, **extra: object) -> dict[str, object]:
    return {
        "cell_type": "code",
        "source": source,
        "metadata": extra.pop("metadata", {}),
        "outputs": [],
        "execution_count": None,
        **extra,
    }


def v4(*cells: object) -> dict[str, object]:
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": list(cells)}


def read(tmp_path: Path, data: object, name: str = "s.ipynb") -> object:
    path = write_raw(tmp_path / name, data)
    return read_submission("s", [path], ENTRY)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "not valid JSON"),
        (b'{"cells": [', "not valid JSON"),
        ("[" * 200_000 + "]" * 200_000, "not valid JSON"),
        ('{"x": ' + "1" * 50_000 + "}", "not valid JSON"),
        ([1, 2, 3], "top level is not an object"),
        ({"nbformat": 4, "cells": {"a": 1}}, "no list of cells"),
        ({"nbformat": 5, "cells": []}, "unsupported notebook format version 5"),
        (b"\xff\xfe{\x00}", "not UTF-8"),
        ("caf\x92".encode("latin-1"), "not UTF-8"),
    ],
)
def test_unreadable_notebooks_get_a_reason(tmp_path: Path, data: object, reason: str) -> None:
    sub = read(tmp_path, data)
    assert sub.unreadable and reason in sub.unreadable  # type: ignore[attr-defined]


def test_malformed_cells_are_skipped_and_the_rest_graded(tmp_path: Path) -> None:
    nb = v4(
        cell(12345),
        cell(["a = 1\n", None]),
        cell(GOOD, metadata="not a dict"),
        cell(GOOD, metadata={"tags": "exercise:two-lr-groups"}),
        cell(GOOD, metadata={"tags": [None, 3, "exercise:two-lr-groups"]}),
        "not even a cell",
    )
    sub = read(tmp_path, nb)
    assert sub.unreadable is None  # type: ignore[attr-defined]
    assert sub.cells["two-lr-groups"][2] == "tagged cell"  # type: ignore[attr-defined]


def test_a_lone_surrogate_is_replaced_not_crashed_on(tmp_path: Path) -> None:
    text = json.dumps(
        v4(
            cell(
                "def make_optimizer(m):\n    return '\ud800'\n",
                metadata={"tags": ["exercise:two-lr-groups"]},
            )
        )
    )
    sub = read(tmp_path, text)
    code = sub.cells["two-lr-groups"][0]  # type: ignore[attr-defined]
    code.encode("utf-8")  # would raise on a lone surrogate


def test_unknown_tags_are_notes_and_untagged_answers_are_found_by_name(tmp_path: Path) -> None:
    nb = v4(
        cell("x = 1", metadata={"tags": ["exercise:no-such-thing"]}),
        cell("import torch\ndef make_scheduler(o):\n    return None\n"),
    )
    sub = read(tmp_path, nb)
    notes = " ".join(sub.notes)  # type: ignore[attr-defined]
    assert "unknown exercise tag 'exercise:no-such-thing'" in notes
    assert "step-decay: no tagged cell; graded untagged cell 1 defining `make_scheduler`" in notes
    assert "step-decay" in sub.cells and "two-lr-groups" not in sub.cells  # type: ignore[attr-defined]


def test_a_name_shared_by_exercises_needs_a_tag_or_a_heading(tmp_path: Path) -> None:
    entry = {"step-decay": "make_scheduler", "warmup-cosine": "make_scheduler"}
    markdown = {"cell_type": "markdown", "metadata": {}, "source": "### Exercise · `warmup-cosine`"}
    nb = v4(
        cell("def make_scheduler(o):\n    return 1\n"),
        markdown,
        cell("def make_scheduler(o, t, w):\n    return 2\n"),
    )
    path = write_raw(tmp_path / "s.ipynb", nb)
    sub = read_submission("s", [path], entry)
    assert list(sub.cells) == ["warmup-cosine"]
    assert "return 2" in sub.cells["warmup-cosine"][0]
    assert any("under the warmup-cosine heading" in n for n in sub.notes)


def test_helpers_from_earlier_cells_travel_with_the_answer(tmp_path: Path) -> None:
    nb = v4(
        cell(
            "import torch\nLR = 1e-3\n%matplotlib inline\ndef helper(m):\n    return 2\n"
            "train_for_an_hour()\n"
        ),
        cell(
            "def make_optimizer(model):\n    return helper(model)\n",
            metadata={"tags": ["exercise:two-lr-groups"]},
        ),
    )
    code = read(tmp_path, nb).cells["two-lr-groups"][0]  # type: ignore[attr-defined]
    assert "def helper" in code and "LR = 1e-3" in code and "import torch" in code
    assert "train_for_an_hour" not in code and "%matplotlib" not in code


def test_nbformat_3_is_read(tmp_path: Path) -> None:
    nb3 = {
        "nbformat": 3,
        "nbformat_minor": 0,
        "metadata": {},
        "worksheets": [
            {"cells": [{"cell_type": "code", "input": GOOD, "outputs": [], "language": "python"}]}
        ],
    }
    sub = read(tmp_path, nb3)
    assert sub.cells["two-lr-groups"][2].startswith("untagged cell")  # type: ignore[attr-defined]


def test_two_notebooks_with_one_exercise_say_which_was_graded(tmp_path: Path) -> None:
    old = write_notebook(
        tmp_path / "s" / "old.ipynb", [("def make_optimizer(m):\n    return 1", "two-lr-groups")]
    )
    new = write_notebook(
        tmp_path / "s" / "new.ipynb", [("def make_optimizer(m):\n    return 2", "two-lr-groups")]
    )
    os.utime(old, (1_000_000, 1_000_000))
    sub = read_submission("s", [new, old], ENTRY)
    assert "return 2" in sub.cells["two-lr-groups"][0]
    assert any("graded the one in new.ipynb (newest)" in n for n in sub.notes)


def test_only_regular_files_are_read_and_links_are_noted(tmp_path: Path) -> None:
    root = tmp_path / "class"
    write_notebook(root / "alice.ipynb", [(GOOD, "two-lr-groups")])
    os.mkfifo(root / "fifo.ipynb")
    (root / "linked").symlink_to(root, target_is_directory=True)
    (root / "link.ipynb").symlink_to(root / "alice.ipynb")
    (root / "carol").mkdir()
    os.mkfifo(root / "carol" / "hw.ipynb")
    files, notes = find_submissions(root)
    text = "\n".join(notes)
    assert "linked: skipped, a symbolic link" in text
    assert "link.ipynb: skipped, a symbolic link" in text
    assert "fifo.ipynb: skipped, not a regular file" in text
    assert "carol/hw.ipynb: skipped, not a regular file" in text
    assert sorted(files) == ["alice", "carol", "fifo"]
    assert (
        read_submission("carol", files["carol"], ENTRY).unreadable == "no notebook (.ipynb) found"
    )


def test_undecodable_file_names_become_printable_names(tmp_path: Path) -> None:
    root = tmp_path / "class"
    root.mkdir()
    raw = os.fsencode(str(root)) + b"/caf\xe9.ipynb"
    write_notebook(Path(os.fsdecode(raw)), [(GOOD, "two-lr-groups")])
    files, _ = find_submissions(root)
    (name,) = files
    assert name == "caf\\xe9" and name == display_name(os.fsdecode(b"caf\xe9"))
    name.encode("utf-8")


def test_quiz_answers_are_read_statically() -> None:
    cells = parse_cells(
        json.dumps(
            v4(
                cell(
                    'lrcourse.answer("q-one", "b")\nanswer("q-two", ["c", "a"])\nanswer(x, "d")\n'
                    'answer("q-one", "c")  # changed my mind\n'
                ),
                cell("answer('q-three', 0.001)"),
            )
        ).encode()
    )
    assert quiz_answers(cells) == {"q-one": "c", "q-two": "a,c", "q-three": "0.001"}


def test_a_missing_folder_is_an_error_before_anything(tmp_path: Path) -> None:
    with pytest.raises(NotADirectoryError):
        find_submissions(tmp_path / "nope")
