"""Keep a check from damaging the learner's session: save and restore torch global state,
capture warnings and prints, and (best effort, main thread only) bound the wall time.
"""

from __future__ import annotations

import contextlib
import io
import random
import signal
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import torch

from lrcourse.exercises.outcomes import CheckTimeout

PRINT_CAP_CHARS = 20_000


@dataclass
class Captured:
    """What learner code emitted during a check (live while the check runs)."""

    records: list[warnings.WarningMessage] = field(default_factory=list)
    stdout: str = ""

    @property
    def warnings(self) -> list[str]:
        """The text of every warning recorded so far."""
        return [str(w.message) for w in self.records]

    def warned(self, fragment: str) -> bool:
        """True if some recorded warning contains ``fragment``."""
        return any(fragment in text for text in self.warnings)


def _torch_state() -> dict[str, Any]:
    state: dict[str, Any] = {
        "dtype": torch.get_default_dtype(),
        "rng": torch.random.get_rng_state(),
        "grad": torch.is_grad_enabled(),
        "threads": torch.get_num_threads(),
        "deterministic": torch.are_deterministic_algorithms_enabled(),
        "py_random": random.getstate(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():  # type: ignore[no-untyped-call]  # unannotated in torch
        state["cuda_rng"] = torch.cuda.get_rng_state_all()
    return state


def _restore(state: dict[str, Any]) -> None:
    torch.set_default_dtype(state["dtype"])
    torch.random.set_rng_state(state["rng"])
    torch.set_grad_enabled(state["grad"])
    if torch.get_num_threads() != state["threads"]:
        torch.set_num_threads(state["threads"])
    if torch.are_deterministic_algorithms_enabled() != state["deterministic"]:
        torch.use_deterministic_algorithms(state["deterministic"])
    random.setstate(state["py_random"])
    if "cuda_rng" in state:
        torch.cuda.set_rng_state_all(state["cuda_rng"])


@contextlib.contextmanager
def _soft_timer(seconds: float | None) -> Iterator[None]:
    usable = (
        seconds is not None
        and threading.current_thread() is threading.main_thread()
        and hasattr(signal, "setitimer")
        and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    )
    if not usable:
        yield
        return

    assert seconds is not None

    def _expire(signum: int, frame: object) -> None:
        raise CheckTimeout(f"the check did not finish within {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, _expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def isolated(seed: int, *, timeout: float | None = None) -> Iterator[Captured]:
    """Run a check with a seeded torch RNG, float32, grad on; restore everything afterwards.

    Warnings are recorded (all of them, every time) into the yielded ``Captured``; prints go to
    its ``stdout`` instead of the notebook. ``timeout`` arms a SIGALRM soft timer when called
    from the main thread and no other timer is running; a single long C++ op can overrun it.
    """
    state = _torch_state()
    captured = Captured()
    buffer = io.StringIO()
    try:
        torch.set_default_dtype(torch.float32)
        torch.set_grad_enabled(True)
        if state["threads"] != 1:
            # the fixtures are tiny: a thread pool only adds spin-wait latency on a busy machine
            torch.set_num_threads(1)
        torch.manual_seed(seed)
        with (
            warnings.catch_warnings(record=True) as caught,
            contextlib.redirect_stdout(buffer),
            _soft_timer(timeout),
        ):
            warnings.simplefilter("always")
            captured.records = caught
            try:
                yield captured
            finally:
                captured.stdout = buffer.getvalue()[:PRINT_CAP_CHARS]
    finally:
        _restore(state)
