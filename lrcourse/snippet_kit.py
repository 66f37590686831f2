"""What a question's ``verify`` snippet runs with, in its child process.

A snippet proves a keyed answer by running torch. It may not state the answer itself: it must
produce ``answer`` through one of the helpers below, each of which ties the result to the
question's own text, so an edit to the prompt or to a choice cannot leave a stale proof behind.

- ``run_prompt(index=0, **names)`` executes the prompt's fenced Python block ``index`` (the code
  the learner reads, not a copy) with ``names`` predefined; it returns a ``Run`` holding the
  resulting variables, the printed lines and the warnings. Every Python block of the prompt must
  be run: the validator reports a block the snippet never executed.
- ``run_prompt_variant(index, old, new, **names)`` runs the block with one edit (a "what if").
- ``run_choice(cid, **names)`` does the same for the code written in a choice;
  ``eval_choice(cid, **names)`` evaluates a choice's expression; ``numbers(cid)`` reads the
  numbers written in a choice. ``_prelude="..."`` runs setup code in the block's namespace.
- ``pick(value)`` returns the choice whose own text holds ``value`` (numbers are read from the
  choices' text, at the precision written there). ``pick(value, {"a": ..., ...})`` maps values
  to choices explicitly; any number in a mapped value must also be written in that choice's
  text. More than one match is reported as ambiguous, never settled by dict order.
- ``pick_true({"a": bool, ...})`` returns the choice(s) whose claim the snippet checked True;
  it needs a verdict for every choice. Not allowed when the choices are plain numbers.
- ``numeric_answer(x)`` reports the measured value of a ``kind = "numeric"`` question.
- ``raises(fn, ExcType, "message")`` is True when ``fn()`` raises exactly that kind of exception
  with that text in its message, False when it returns; any other exception propagates, so a bug
  in the snippet fails the proof instead of selecting a choice.
- ``warns(fn, Category, "message")`` is True when ``fn()`` emits that warning.

The kit records the exception and warning classes the snippet saw (through ``raises``,
``warns`` and the code it ran); the validator requires every such class that a keyed choice
names (``TypeError``, ``UserWarning``, ...) to be among them.
"""

from __future__ import annotations

import contextlib
import io
import math
import re
import warnings
from collections.abc import Callable, Iterator, Mapping
from typing import Any

FENCE = re.compile(r"^[ \t]*```[ \t]*([\w+-]*)[^\n]*\n(.*?)^[ \t]*```", re.MULTILINE | re.DOTALL)
NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?!\w|\.\d)")
PYTHON_FENCES = ("", "python", "py", "python3", "pycon")
_NUMERIC_CHOICE = re.compile(r"^[\s`\[\]()(),;~≈-]*$")


class SnippetError(Exception):
    """The snippet used the kit wrongly; the message says how (reported as a failed proof)."""


class Verdict(str):
    """A choice id (or a measured value) produced by a kit helper, not typed by the author."""

    __slots__ = ()


def python_blocks(markdown: str) -> list[str]:
    """The fenced Python code blocks of a Markdown text, in order (unlabelled fences count)."""
    return [m.group(2) for m in FENCE.finditer(markdown) if m.group(1).lower() in PYTHON_FENCES]


def code_of(markdown: str) -> str:
    """The code a choice shows: its fenced blocks, else its inline code spans joined by lines."""
    blocks = python_blocks(markdown)
    if blocks:
        return "\n".join(blocks)
    spans = re.findall(r"`([^`]+)`", markdown)
    if not spans:
        raise SnippetError(f"no code in the text {markdown!r}")
    return "\n".join(spans)


def numbers_in(text: str) -> list[str]:
    """The number tokens written in a text, as written (so their precision is known)."""
    return NUMBER.findall(text)


def _decimals(text: str) -> bool:
    """Does the text state a number with a fractional part or an exponent (not a count)?"""
    return any("." in t or "e" in t.lower() for t in numbers_in(text))


def is_numeric_choice(text: str) -> bool:
    """True when a choice's text is only numbers (with backticks, brackets and commas)."""
    return bool(numbers_in(text)) and bool(_NUMERIC_CHOICE.match(NUMBER.sub("", text)))


def matches_written(value: float, token: str, rel: float = 1e-6) -> bool:
    """Does ``value`` equal the number written as ``token``, at the precision written there?

    Exact (relative ``rel``) always counts; rounding counts when the token has at least two
    significant digits (``0.0952`` matches 0.09517, but ``0.1`` does not match 0.12).
    """
    written = float(token)
    if math.isclose(value, written, rel_tol=rel, abs_tol=1e-12):
        return True
    mantissa = token.lower().split("e")[0].lstrip("-")
    digits = mantissa.replace(".", "").lstrip("0")
    if len(digits) < 2:
        return False
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    exponent = int(token.lower().split("e")[1]) if "e" in token.lower() else 0
    half_unit = 0.5 * 10.0 ** (exponent - decimals)
    return abs(value - written) <= half_unit * (1 + 1e-9)


def _flat_numbers(value: Any) -> list[float] | None:
    """The numbers of a number or (nested) list of numbers; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return [float(value)]
    if isinstance(value, list | tuple):
        out: list[float] = []
        for item in value:
            inner = _flat_numbers(item)
            if inner is None:
                return None
            out += inner
        return out
    return None


def same(a: Any, b: Any, rel: float = 1e-6) -> bool:
    """Equality with a relative tolerance for floats, elementwise for lists; bools stay bools."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(a, b, rel_tol=rel, abs_tol=1e-12)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(same(x, y, rel) for x, y in zip(a, b, strict=True))
    return bool(a == b)


class Run(dict[str, Any]):
    """The variables a prompt's (or choice's) code left behind, plus what it printed and warned."""

    printed: list[str]
    warned: list[str]

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"the code defines no variable {name!r}") from None


class Kit:
    """The helpers for one question; ``namespace()`` is what the snippet sees."""

    def __init__(
        self, question_id: str, prompt: str, choices: Mapping[str, str], kind: str = "choice"
    ) -> None:
        self.question_id = question_id
        self.blocks = python_blocks(prompt)
        self.choices = dict(choices)
        self.kind = kind
        self.ran: set[int] = set()
        self.read: set[str] = set()
        self.observed: set[str] = set()  # exception and warning classes the snippet saw

    # ---- running the question's own code -------------------------------------------------
    def _execute(self, code: str, label: str, names: Mapping[str, Any]) -> Run:
        import torch  # the code a learner reads assumes `torch` and `nn` are imported

        run = Run({"torch": torch, "nn": torch.nn})
        run.update(names)
        prelude = run.pop("_prelude", "")
        run["__name__"] = "__prompt__"
        out = io.StringIO()
        with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(out):
            warnings.simplefilter("always")
            if prelude:
                exec(compile(prelude, f"<{self.question_id} prelude>", "exec"), run)
            exec(compile(code, f"<{self.question_id} {label}>", "exec"), run)
        run.pop("__builtins__", None)
        run.printed = out.getvalue().splitlines()
        run.warned = [str(w.message) for w in caught]
        self.observed |= {w.category.__name__ for w in caught}
        return run

    def run_prompt(self, index: int = 0, /, **names: Any) -> Run:
        if not 0 <= index < len(self.blocks):
            raise SnippetError(f"the prompt has {len(self.blocks)} Python block(s), no {index}")
        self.ran.add(index)
        return self._execute(self.blocks[index], f"prompt block {index}", names)

    def run_prompt_variant(self, index: int, old: str, new: str, /, **names: Any) -> Run:
        """Run prompt block ``index`` with ``old`` (which must occur once) replaced by ``new``."""
        if not 0 <= index < len(self.blocks):
            raise SnippetError(f"the prompt has {len(self.blocks)} Python block(s), no {index}")
        code = self.blocks[index]
        if code.count(old) != 1:
            raise SnippetError(f"{old!r} occurs {code.count(old)} times in prompt block {index}")
        return self._execute(code.replace(old, new), f"prompt block {index} (variant)", names)

    def eval_choice(self, cid: str, /, **names: Any) -> Any:
        """The value of the expression a choice shows (one inline code span or block)."""
        import torch

        scope: dict[str, Any] = {"torch": torch, "nn": torch.nn, **names}
        code = self.choice_code(cid).strip()
        return eval(compile(code, f"<{self.question_id} choice {cid}>", "eval"), scope)

    def numbers(self, cid: str) -> list[float]:
        """The numbers written in choice ``cid``'s text, in order."""
        self.read.add(cid)
        return [float(t) for t in numbers_in(self._text(cid))]

    def choice_code(self, cid: str) -> str:
        self.read.add(cid)
        return code_of(self._text(cid))

    def run_choice(self, cid: str, /, **names: Any) -> Run:
        return self._execute(self.choice_code(cid), f"choice {cid}", names)

    def _text(self, cid: str) -> str:
        if cid not in self.choices:
            raise SnippetError(f"no choice {cid!r} (choices: {', '.join(self.choices)})")
        return self.choices[cid]

    # ---- turning results into a verdict ---------------------------------------------------
    def _written(self, cid: str, expected: Any) -> None:
        """Every number in ``expected`` must be written in choice ``cid``'s text."""
        text = self._text(cid)
        nums = _flat_numbers(expected)
        if nums is None and isinstance(expected, str):
            nums = [float(t) for t in numbers_in(expected)]
        tokens = numbers_in(text)
        for n in nums or []:
            if not any(matches_written(n, t) for t in tokens):
                raise SnippetError(
                    f"the snippet's value {expected!r} for choice {cid} is not "
                    f"what the choice's text says: {text!r}"
                )

    def pick(
        self, value: Any, options: Mapping[str, Any] | None = None, *, rel: float = 1e-6
    ) -> Verdict:
        if options is None:
            found = [cid for cid, text in self.choices.items() if self._text_holds(text, value)]
        else:
            for cid, expected in options.items():
                self._written(cid, expected)
            found = [cid for cid, expected in options.items() if same(value, expected, rel)]
        if len(found) > 1:
            raise SnippetError(f"ambiguous: {value!r} matches choices {', '.join(found)}")
        if not found:
            return Verdict(f"none of the choices (got {value!r})")
        return Verdict(found[0])

    @staticmethod
    def _text_holds(text: str, value: Any) -> bool:
        nums = _flat_numbers(value)
        if nums is None:
            raise SnippetError(f"pick(value) without options needs numbers, got {value!r}")
        tokens = numbers_in(text)
        return len(tokens) == len(nums) and all(
            matches_written(n, t) for n, t in zip(nums, tokens, strict=True)
        )

    def pick_true(self, claims: Mapping[str, bool]) -> Verdict | list[Verdict]:
        if set(claims) != set(self.choices):
            raise SnippetError(
                f"pick_true needs a verdict for every choice "
                f"({', '.join(self.choices)}), got {', '.join(claims)}"
            )
        numeric = [c for c, t in self.choices.items() if is_numeric_choice(t)]
        if any(c not in self.read for c in numeric):
            raise SnippetError(
                "the choices are numbers: read them with pick(value), or read "
                "each with numbers(id) when they are inputs"
            )
        unread = [c for c, t in self.choices.items() if _decimals(t) and c not in self.read]
        if unread:
            raise SnippetError(
                f"choice(s) {', '.join(unread)} state numbers the snippet never read: use "
                "numbers(id) (or run the choice's code), so an edited number fails the proof"
            )
        for cid, claim in claims.items():
            if not isinstance(claim, bool):
                raise SnippetError(f"claim for {cid} must be True or False, got {claim!r}")
        true = [Verdict(cid) for cid, claim in claims.items() if claim]
        return true

    def numeric_answer(self, value: float) -> Verdict:
        if self.kind != "numeric":
            raise SnippetError("numeric_answer() is for kind = 'numeric' questions")
        number = float(value)
        if not math.isfinite(number):
            raise SnippetError(f"the measured value is not finite: {number!r}")
        return Verdict(repr(number))

    def raises(self, fn: Callable[[], object], exc_type: type[BaseException], match: str) -> bool:
        caught = _caught(fn, exc_type, match)
        if caught is not None:
            self.observed.add(type(caught).__name__)
        return caught is not None

    def warns(self, fn: Callable[[], object], category: type[Warning], match: str) -> bool:
        seen = _warned(fn, category, match)
        self.observed |= seen
        return bool(seen)

    def namespace(self) -> dict[str, Any]:
        return {
            "__name__": "__verify__",
            "run_prompt": self.run_prompt,
            "run_prompt_variant": self.run_prompt_variant,
            "run_choice": self.run_choice,
            "eval_choice": self.eval_choice,
            "numbers": self.numbers,
            "choice_code": self.choice_code,
            "pick": self.pick,
            "pick_true": self.pick_true,
            "numeric_answer": self.numeric_answer,
            "raises": self.raises,
            "warns": self.warns,
            "choices": dict(self.choices),
        }


def raises(fn: Callable[[], object], exc_type: type[BaseException], match: str) -> bool:
    """True if ``fn()`` raises ``exc_type`` with ``match`` in its message; False if it returns.

    An exception of another type propagates, and one of the right type with another message
    raises ``SnippetError``: the snippet names what it expects, so a bug cannot pass for it.
    """
    return _caught(fn, exc_type, match) is not None


def _caught(
    fn: Callable[[], object], exc_type: type[BaseException], match: str
) -> BaseException | None:
    if not match:
        raise SnippetError("raises() needs the expected message (or a part of it)")
    try:
        fn()
    except exc_type as exc:
        if match not in str(exc):
            raise SnippetError(
                f"expected {exc_type.__name__} saying {match!r}, got {type(exc).__name__}: {exc}"
            ) from exc
        return exc
    return None


def warns(fn: Callable[[], object], category: type[Warning], match: str) -> bool:
    """True if ``fn()`` emits a ``category`` warning with ``match`` in its message."""
    return bool(_warned(fn, category, match))


def _warned(fn: Callable[[], object], category: type[Warning], match: str) -> set[str]:
    """The class names of the matching warnings ``fn()`` emitted."""
    if not match:
        raise SnippetError("warns() needs the expected message (or a part of it)")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn()
    return {
        w.category.__name__
        for w in caught
        if issubclass(w.category, category) and match in str(w.message)
    }


def _verdicts(answer: Any) -> Iterator[Verdict]:
    items = answer if isinstance(answer, list) else [answer]
    for item in items:
        if not isinstance(item, Verdict):
            raise SnippetError(
                "set `answer` with pick(...), pick_true(...) or numeric_answer(...)"
                f", not a value typed in the snippet ({item!r})"
            )
        yield item


def run_snippet(payload: dict[str, Any]) -> dict[str, Any]:
    """Child-process side: run one verify snippet; return its verdict and which blocks it ran."""
    kit = Kit(
        payload["id"],
        payload.get("prompt", ""),
        payload.get("choices", {}),
        payload.get("kind", "choice"),
    )
    namespace = kit.namespace()
    exec(compile(payload["code"], f"<verify {payload['id']}>", "exec"), namespace)
    if "answer" not in namespace:
        raise SnippetError("the snippet did not set `answer`")
    answer = namespace["answer"]
    said = [str(v) for v in _verdicts(answer)]
    return {
        "answer": said if isinstance(answer, list) else said[0],
        "ran": sorted(kit.ran),
        "blocks": len(kit.blocks),
        "observed": sorted(kit.observed),
    }
