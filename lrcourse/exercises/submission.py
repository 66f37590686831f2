"""Turn learner source code into the object an exercise checks, or into a verdict.

Execution happens in a fresh namespace; the source is registered with ``linecache`` so that
learner-line reports show the code. Syntax errors and missing names become Feedback values.
"""

from __future__ import annotations

import difflib
import linecache
from typing import Any

from lrcourse.exercises.outcomes import Incorrect, NotAttempted


def execute_source(source: str, filename: str = "<submission>") -> dict[str, Any]:
    """Compile and run ``source`` as a module body; return its namespace.

    Raises SyntaxError as is; any exception of the module body propagates as well.
    """
    code = compile(source, filename, "exec", dont_inherit=True)
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace: dict[str, Any] = {"__name__": "__submission__", "__file__": filename}
    exec(code, namespace)
    return namespace


def find_entry_point(namespace: dict[str, Any], name: str, kind: str) -> object:
    """Return ``namespace[name]``; raise NotAttempted/Incorrect when it is missing or wrong."""
    if name in namespace:
        obj = namespace[name]
        if kind == "class" and not isinstance(obj, type):
            raise Incorrect(f"`{name}` must be a class", f"Found a {type(obj).__name__} instead.")
        if kind == "function" and not callable(obj):
            raise Incorrect(f"`{name}` must be a function", f"Found {type(obj).__name__}.")
        return obj
    public = [k for k in namespace if not k.startswith("__")]
    close = difflib.get_close_matches(name, public, n=1, cutoff=0.6)
    hint = f" Found a similar name: `{close[0]}`." if close else ""
    raise NotAttempted(
        f"`{name}` is not defined",
        f"Your code must define a {kind} named `{name}`.{hint}",
    )


def syntax_error_message(exc: SyntaxError) -> str:
    """One Markdown paragraph naming the line and the offending code."""
    where = f"line {exc.lineno}" if exc.lineno else "somewhere"
    code = (exc.text or "").rstrip()
    shown = f"\n\n```python\n{code}\n```" if code else ""
    return f"Python could not read your code ({where}): {exc.msg}.{shown}"
