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


def test_thirteen_exercises_ship() -> None:
    assert len(content_ids()) == 13


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


def test_every_problem_is_reported_and_nothing_is_coerced() -> None:
    bad = GOOD.replace('title = "t"', "title = 3").replace(
        'entry_point = "f"', 'entry_point = "f g"'
    )
    bad = bad.replace('hints = ["a", "b", "c"]', "hints = [1, 2, 3]") + "extra = true\n"
    with pytest.raises(ContentError) as refused:
        parse_content("x", bad, "")
    problems = str(refused.value).splitlines()
    assert problems == [
        "x.toml: unknown keys ['extra']",
        "x.toml: title must be a non-empty string",
        "x.toml: entry_point 'f g' is not a Python name",
        "x.toml: hints must be a list of at least 3 strings",
    ]
