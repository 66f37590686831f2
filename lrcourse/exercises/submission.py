"""Learner source code: execute it in a fresh namespace, and recognise a starter stub without
running anything.

The source is registered with ``linecache`` so that learner-line reports show the code.
"""

from __future__ import annotations

import ast
import linecache
from typing import Any


def execute_source(source: str, filename: str = "<submission>") -> dict[str, Any]:
    """Compile and run ``source`` as a module body; return its namespace.

    Raises SyntaxError as is; any exception of the module body propagates as well.
    """
    code = compile(source, filename, "exec", dont_inherit=True)
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace: dict[str, Any] = {"__name__": "__submission__", "__file__": filename}
    exec(code, namespace)
    return namespace


def _is_stub_body(body: list[ast.stmt]) -> bool:
    """Only a docstring, ``pass``, ``...``, ``return``/``return None`` or ``raise
    NotImplementedError`` (the shapes course starters, nbgrader and otter use)."""
    for stmt in body:
        if isinstance(stmt, ast.Pass):
            continue
        if (
            isinstance(stmt, ast.Expr)
            and isinstance(stmt.value, ast.Constant)
            and (stmt.value.value is Ellipsis or isinstance(stmt.value.value, str))
        ):
            continue
        if isinstance(stmt, ast.Return) and (
            stmt.value is None
            or (isinstance(stmt.value, ast.Constant) and stmt.value.value is None)
        ):
            continue
        if isinstance(stmt, ast.Raise) and stmt.exc is not None:
            exc = stmt.exc.func if isinstance(stmt.exc, ast.Call) else stmt.exc
            if isinstance(exc, ast.Name) and exc.id == "NotImplementedError":
                continue
        return False
    return True


def is_stub(source: str, name: str) -> bool:
    """True when the last top-level definition of ``name`` in ``source`` is still a stub: a
    function whose body is a stub, or a class whose every method is one."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    found: ast.stmt | None = None
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and (
            node.name == name
        ):
            found = node
    if isinstance(found, ast.FunctionDef | ast.AsyncFunctionDef):
        return _is_stub_body(found.body)
    if isinstance(found, ast.ClassDef):
        methods = [n for n in found.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
        if not methods:
            return _is_stub_body(found.body)
        return all(_is_stub_body(m.body) for m in methods if m.name != "__init__") and any(
            m.name != "__init__" for m in methods
        )
    return False


def syntax_error_message(message: str, line: int | None, text: str) -> str:
    """One Markdown paragraph naming the line and the offending code."""
    where = f"line {line}" if line else "somewhere"
    shown = f"\n\n```python\n{text}\n```" if text else ""
    return f"Python could not read your code ({where}): {message}.{shown}"
