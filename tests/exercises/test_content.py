"""Is every exercise's content valid data, and does the loader refuse bad files?"""

from __future__ import annotations

import pytest

from lrcourse.exercises.content import ContentError, content_ids, load_content, parse_content

GOOD = """
schema_version = 1
id = "x"
title = "t"
kind = "function"
entry_point = "f"
statement = "s"
hints = ["a", "b", "c"]
starter = "def f(): ..."
"""


@pytest.mark.parametrize("exercise_id", content_ids())
def test_content_files_load(exercise_id: str) -> None:
    content = load_content(exercise_id)
    assert len(content.hints) >= 3
    assert content.entry_point in content.starter and content.entry_point in content.solution


def test_eleven_exercises_ship() -> None:
    assert len(content_ids()) == 11


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace('hints = ["a", "b", "c"]', 'hints = ["a"]'), "at least 3"),
        (lambda t: t + "corect = 1\n", "unknown keys"),
        (lambda t: t.replace("schema_version = 1", "schema_version = 2"), "schema_version"),
        (lambda t: t.replace('id = "x"', 'id = "y"'), "differs"),
        (lambda t: t.replace('"function"', '"lambda"'), "kind"),
    ],
)
def test_bad_content_is_refused(edit, message: str) -> None:  # type: ignore[no-untyped-def]
    parse_content("x", GOOD, "")
    with pytest.raises(ContentError, match=message):
        parse_content("x", edit(GOOD), "")
