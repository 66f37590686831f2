"""The verify-snippet kit ties a proof to the question's own text (prompt code, choice numbers)."""

from __future__ import annotations

import pytest

from lrcourse.snippet_kit import (
    Kit,
    SnippetError,
    Verdict,
    code_of,
    is_numeric_choice,
    matches_written,
    numbers_in,
    python_blocks,
    raises,
    run_snippet,
    warns,
)

PROMPT = """Text.

```python
x = 2 * 3
print(x, [0.5, 1e-05])
```

```text
not python
```

```
y = 1
```
"""
CHOICES = {"a": "`0.1`", "b": "`0.05`", "c": "It raises `ValueError: bad`", "d": "`[0.1, 0.05]`"}


def kit(kind: str = "choice") -> Kit:
    return Kit("q", PROMPT, CHOICES, kind)


def test_python_blocks_and_code_of() -> None:
    assert python_blocks(PROMPT) == ["x = 2 * 3\nprint(x, [0.5, 1e-05])\n", "y = 1\n"]
    assert code_of("Use `a = 1` or `b = 2`.") == "a = 1\nb = 2"
    with pytest.raises(SnippetError, match="no code"):
        code_of("plain words")


def test_numbers_are_read_as_written() -> None:
    assert numbers_in("lr 0.01. Then 1e-05, -0.125 and [0.1, 0.05]; v2 x3") == [
        "0.01",
        "1e-05",
        "-0.125",
        "0.1",
        "0.05",
    ]
    assert is_numeric_choice("`[0.1, 0.05]`") and not is_numeric_choice("It raises `0.1`")


@pytest.mark.parametrize(
    ("value", "token", "same"),
    [
        (0.1, "0.1", True),
        (0.0951, "0.095", True),  # two significant digits: rounding counts
        (0.12, "0.1", False),  # one significant digit: only exact counts
        (0.00625, "0.0063", True),
        (4e-07, "4e-07", True),
        (1.01e-05, "1.0e-05", True),
        (1.2e-05, "1.0e-05", False),
    ],
)
def test_matches_written(value: float, token: str, same: bool) -> None:
    assert matches_written(value, token) is same


def test_run_prompt_runs_the_prompt_code_and_records_it() -> None:
    k = kit()
    run = k.run_prompt(0)
    assert run.x == 6 and run.printed == ["6 [0.5, 1e-05]"]
    assert k.ran == {0}
    assert k.run_prompt(1, y=5).y == 1
    with pytest.raises(SnippetError, match="2 Python block"):
        k.run_prompt(2)
    assert k.run_prompt_variant(0, "2 * 3", "2 * 4").x == 8
    with pytest.raises(SnippetError, match="occurs 0 times"):
        k.run_prompt_variant(0, "nope", "x")


def test_pick_reads_choice_text_and_refuses_ties_and_stale_values() -> None:
    k = kit()
    assert k.pick(0.05) == "b" and isinstance(k.pick(0.05), Verdict)
    assert k.pick([0.1, 0.05]) == "d"
    assert k.pick(0.2).startswith("none of the choices")
    assert k.pick(0.1, {"a": 0.1, "b": 0.05}) == "a"
    with pytest.raises(SnippetError, match="not what the choice's text says"):
        k.pick(0.1, {"a": 0.2})
    tie = Kit("q", "", {"a": "`0.1`", "b": "`0.10`"})
    with pytest.raises(SnippetError, match="ambiguous"):
        tie.pick(0.1)


def test_pick_true_needs_every_choice_and_numbers_read() -> None:
    words = Kit("q", "", {"a": "yes", "b": "no"})
    assert words.pick_true({"a": True, "b": False}) == ["a"]
    with pytest.raises(SnippetError, match="every choice"):
        words.pick_true({"a": True})
    with pytest.raises(SnippetError, match="True or False"):
        words.pick_true({"a": 1, "b": 0})  # type: ignore[dict-item]  # a planted wrong type
    numbers = Kit("q", "", {"a": "`0.1`", "b": "`0.2`"})
    with pytest.raises(SnippetError, match="the choices are numbers"):
        numbers.pick_true({"a": True, "b": False})
    assert numbers.numbers("a") == [0.1] and numbers.numbers("b") == [0.2]
    assert numbers.pick_true({"a": True, "b": False}) == ["a"]


def test_pick_true_needs_stated_numbers_read() -> None:
    claims = Kit("q", "", {"a": "It stays at 0.1.", "b": "It halves, twice."})
    with pytest.raises(SnippetError, match="choice\\(s\\) a state numbers the snippet never read"):
        claims.pick_true({"a": False, "b": True})
    assert claims.numbers("a") == [0.1]
    assert claims.pick_true({"a": False, "b": True}) == ["b"]
    code = Kit("q", "", {"a": "`x = 0.5`", "b": "no"})
    assert code.choice_code("a") == "x = 0.5"  # running or reading the code counts
    assert code.pick_true({"a": True, "b": False}) == ["a"]


def test_raises_names_type_and_message() -> None:
    def bad() -> None:
        raise ValueError("bad lr")

    assert raises(bad, ValueError, "bad lr") is True
    assert raises(lambda: None, ValueError, "bad lr") is False
    with pytest.raises(SnippetError, match="expected ValueError saying 'other'"):
        raises(bad, ValueError, "other")
    with pytest.raises(ValueError):
        raises(bad, TypeError, "bad lr")  # another type propagates: a bug stays a bug
    with pytest.raises(SnippetError, match="needs the expected message"):
        raises(bad, ValueError, "")


def test_kit_records_the_exceptions_and_warnings_it_saw() -> None:
    import warnings

    k = Kit(
        "q", "```python\nimport warnings\nwarnings.warn('w', FutureWarning, stacklevel=1)\n```", {}
    )

    def bad() -> None:
        raise KeyError("missing")

    assert k.raises(bad, LookupError, "missing") and k.observed == {"KeyError"}
    assert not k.raises(lambda: None, ValueError, "x")
    k.run_prompt(0)
    assert k.warns(lambda: warnings.warn("careful", UserWarning, stacklevel=1), Warning, "care")
    assert k.observed == {"KeyError", "FutureWarning", "UserWarning"}


def test_warns() -> None:
    import warnings

    assert warns(
        lambda: warnings.warn("careful now", UserWarning, stacklevel=1), UserWarning, "careful"
    )
    assert not warns(lambda: None, UserWarning, "careful")


def test_numeric_answer_only_for_numeric_questions() -> None:
    assert kit("numeric").numeric_answer(0.5) == "0.5"
    with pytest.raises(SnippetError, match="kind = 'numeric'"):
        kit().numeric_answer(0.5)
    with pytest.raises(SnippetError, match="not finite"):
        kit("numeric").numeric_answer(float("nan"))


def test_run_snippet_reports_verdict_and_blocks_run() -> None:
    payload = {
        "id": "q",
        "prompt": PROMPT,
        "choices": CHOICES,
        "code": "run = run_prompt(0)\nanswer = pick(run.x / 60)",
    }
    assert run_snippet(payload) == {"answer": "a", "ran": [0], "blocks": 2, "observed": []}
    with pytest.raises(SnippetError, match="not a value typed"):
        run_snippet({**payload, "code": "answer = 'a' + ''"})
    with pytest.raises(SnippetError, match="did not set"):
        run_snippet({**payload, "code": "x = 1"})
