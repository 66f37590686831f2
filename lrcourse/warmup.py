"""Pay torch's one-time lazy import while the learner reads, not while they wait.

The first ``torch.optim`` optimizer a process builds imports ``torch._dynamo`` (about 1.3 s
on one CPU, 800 modules), so every lesson's first training cell used to stall. In a Jupyter
kernel, ``start_in_kernel`` moves that import into a background thread that runs *between*
cells:

* the thread starts only when the current cell has finished (IPython's ``post_run_cell``
  event), so it never competes with the cell that triggered it;
* before the next cell runs (``pre_run_cell``), the kernel waits for the thread to finish, so
  learner code never runs at the same time as the import. Two threads importing overlapping
  sets of modules can otherwise meet Python's import-deadlock detection and see a partially
  initialized module; here the two never overlap. A learner who runs the next cell at once
  waits for the rest of the import, exactly as they would have inside that cell.

The import changes no random-number state and no results (``tests/test_warmup.py``
checks both). Outside an IPython kernel (scripts, tests, the grader) nothing happens, and
``LRCOURSE_WARMUP=0`` turns it off.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
from typing import Any

ENV_VAR = "LRCOURSE_WARMUP"
MODULES = ("torch._dynamo",)
"""What the first optimizer construction imports; importing it first makes that free."""
JOIN_TIMEOUT_S = 120.0

_lock = threading.Lock()
_thread: threading.Thread | None = None
_registered = False
errors: list[BaseException] = []
"""Exceptions raised by the background import (it never raises into the kernel)."""


def _import_all() -> None:
    for name in MODULES:
        try:
            importlib.import_module(name)
        except BaseException as exc:
            errors.append(exc)


def needed() -> bool:
    """True when a warm-up would still save time (enabled, and not yet imported)."""
    if os.environ.get(ENV_VAR, "1").strip() == "0":
        return False
    return any(name not in sys.modules for name in MODULES)


def start() -> threading.Thread | None:
    """Start the background import now (once per process); return its thread."""
    global _thread
    with _lock:
        if _thread is None and needed():
            _thread = threading.Thread(target=_import_all, name="lrcourse-warmup", daemon=True)
            _thread.start()
        return _thread


def wait(timeout: float = JOIN_TIMEOUT_S) -> None:
    """Block until a started warm-up has finished."""
    thread = _thread
    if thread is not None and thread is not threading.current_thread():
        thread.join(timeout)


def _shell() -> Any:
    ipython = sys.modules.get("IPython")
    get = getattr(ipython, "get_ipython", None)
    shell = get() if get is not None else None
    return shell if shell is not None and hasattr(shell, "events") else None


def start_in_kernel() -> bool:
    """In an IPython shell, warm up after the current cell; return True when scheduled.

    The next cell waits for the warm-up before it runs (see the module docstring).
    """
    global _registered
    shell = _shell()
    if shell is None or not needed():
        return False
    with _lock:
        if _registered:
            return True
        _registered = True

    def after_cell(result: object) -> None:
        shell.events.unregister("post_run_cell", after_cell)
        start()

    def before_cell(info: object) -> None:
        wait()
        if _thread is not None and not _thread.is_alive():
            shell.events.unregister("pre_run_cell", before_cell)

    shell.events.register("post_run_cell", after_cell)
    shell.events.register("pre_run_cell", before_cell)
    return True
