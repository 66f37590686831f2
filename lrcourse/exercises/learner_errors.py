"""Explain an exception raised by learner code: type, message, the learner's line, and a
sentence for the torch errors that stand for a known mistake.
"""

from __future__ import annotations

import linecache
import os
import sysconfig
import traceback
from dataclasses import dataclass

import torch

_LIBRARY_DIRS = tuple(
    os.path.normcase(os.path.realpath(d)) + os.sep
    for d in (
        os.path.dirname(torch.__file__),
        os.path.dirname(os.path.dirname(__file__)),
        sysconfig.get_paths()["stdlib"],
        sysconfig.get_paths()["purelib"],
        sysconfig.get_paths()["platlib"],
    )
)

# (fragment of torch's message, sentence for the learner, counts as a wrong answer?)
KNOWN_ERRORS: tuple[tuple[str, str], ...] = (
    (
        "some parameters appear in more than one parameter group",
        "The same parameter was put in two param groups; torch refuses that. Build the groups "
        "so that every parameter lands in exactly one (e.g. one group per submodule, or split "
        "`model.named_parameters()` with a single if/else).",
    ),
    (
        "optimizer can only optimize Tensors",
        "A param group's `params` must hold tensors (`module.parameters()`), not modules.",
    ),
    (
        "ordering of tensors in sets",
        "Param groups need ordered collections: use a list, not a set.",
    ),
    (
        "leaf Variable that requires grad is being used in an in-place operation",
        "Parameters were changed in place while autograd was recording: decorate `step` with "
        "`@torch.no_grad()` (or update under `with torch.no_grad():`).",
    ),
    (
        "missing 1 required positional argument: 'metrics'",
        "ReduceLROnPlateau needs a metric in `step(metric)`; this exercise's schedule is fixed "
        "in advance, so use a scheduler whose `step()` takes no argument.",
    ),
    (
        "Starting multiplicative factor expected to be greater than 0",
        "LinearLR cannot start at factor 0; use LambdaLR for a warmup that starts at 0.",
    ),
    (
        "lr_lambdas, but got",
        "LambdaLR with a list needs exactly one function per param group.",
    ),
)


@dataclass(frozen=True)
class LearnerError:
    """A learner exception, described for a person."""

    kind: str
    message: str
    where: str | None
    known: str | None

    @property
    def headline(self) -> str:
        """``"ValueError: message"`` on one line."""
        first = self.message.strip().splitlines()[0] if self.message.strip() else ""
        return f"{self.kind}: {first}" if first else self.kind


def is_library_file(filename: str) -> bool:
    """True for frames in torch, lrcourse, the standard library or installed packages."""
    path = os.path.normcase(os.path.realpath(filename))
    return path.startswith(_LIBRARY_DIRS) or filename.startswith("<frozen ")


def learner_line(exc: BaseException) -> str | None:
    """``line N in f: `code` `` for the deepest traceback frame that is the learner's own."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not is_library_file(f.filename)]
    if not frames:
        return None
    frame = frames[-1]
    code = (frame.line or linecache.getline(frame.filename, frame.lineno or 0)).strip()
    where = f"line {frame.lineno} in `{frame.name}`"
    return f"{where}: `{code}`" if code else where


def describe(exc: BaseException) -> LearnerError:
    """Describe ``exc`` for the learner; ``known`` is set when it matches a known mistake."""
    text = str(exc)
    known = next((sentence for frag, sentence in KNOWN_ERRORS if frag in text), None)
    return LearnerError(type(exc).__name__, text, learner_line(exc), known)
