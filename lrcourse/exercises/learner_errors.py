"""Explain an exception raised by learner code: type, message, the learner's line, and a
sentence for the torch errors that stand for a known mistake.
"""

from __future__ import annotations

import linecache
import os
import sysconfig
import traceback

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

# (fragment of torch's message, the mistake it stands for, the lesson section that teaches it)
KNOWN_ERRORS: tuple[tuple[str, str, str], ...] = (
    (
        "some parameters appear in more than one parameter group",
        "The same parameter was put in two param groups",
        "lesson 3, *What a group inherits*",
    ),
    (
        "optimizer can only optimize Tensors",
        "A param group's `params` holds modules instead of tensors",
        "lesson 3, *Syntaxes that do not make groups*",
    ),
    (
        "ordering of tensors in sets",
        "A param group's `params` is a set, whose order torch cannot rely on",
        "lesson 3, *Syntaxes that do not make groups*",
    ),
    (
        "bad operand type for unary -: 'list'",
        "One group was given a list of lrs: each group takes a single lr",
        "lesson 3, *Syntaxes that do not make groups*",
    ),
    (
        "can't multiply sequence by non-int of type 'float'",
        "One group was given a list of lrs: each group takes a single lr",
        "lesson 3, *Syntaxes that do not make groups*",
    ),
    (
        "leaf Variable that requires grad is being used in an in-place operation",
        "Parameters were changed in place while autograd was recording the update",
        "lesson 4, *Inside an optimizer: a loop over groups*",
    ),
    (
        "missing 1 required positional argument: 'metrics'",
        "ReduceLROnPlateau needs a metric in every `step(metric)`, but this schedule is fixed in "
        "advance",
        "lesson 5, *ReduceLROnPlateau: a schedule driven by a metric*",
    ),
    (
        "Starting multiplicative factor expected to be greater than 0",
        "LinearLR was asked to start at factor 0, which it refuses",
        "lesson 5, *Warmup*",
    ),
    (
        "unscale_() is being called after step()",
        "`scaler.update()` did not run after the previous `scaler.step(optimizer)`: each "
        "iteration must end the scaler's cycle with `update()`",
        "lesson 8, *Mixed precision: skipped steps and a scheduler that does not notice*",
    ),
    (
        "unscale_() has already been called on this optimizer since the last update()",
        "`scaler.unscale_(optimizer)` ran twice in one iteration, or `scaler.update()` did not "
        "run after the previous step",
        "lesson 8, *Mixed precision: skipped steps and a scheduler that does not notice*",
    ),
    (
        "step() has already been called since the last update()",
        "`scaler.update()` did not run after the previous `scaler.step(optimizer)`",
        "lesson 8, *Mixed precision: skipped steps and a scheduler that does not notice*",
    ),
    (
        "did not use scaler.scale(loss or outputs)",
        "The loss never went through `scaler.scale(...)` before `backward()`",
        "lesson 8, *Mixed precision: skipped steps and a scheduler that does not notice*",
    ),
    (
        "No inf checks were recorded prior to update",
        "`scaler.update()` ran without a `scaler.step(optimizer)` before it: the update went "
        "around the scaler",
        "lesson 8, *Mixed precision: skipped steps and a scheduler that does not notice*",
    ),
    (
        "is non-finite, so it cannot be clipped",
        "`clip_grad_norm_(..., error_if_nonfinite=True)` raises on the overflowing step that the "
        "scaler would have skipped: leave the flag off and let `scaler.step` skip it",
        "lesson 8, *Mixed precision: skipped steps and a scheduler that does not notice*",
    ),
    (
        "lr_lambdas, but got",
        "LambdaLR got a list of functions whose length is not the number of param groups",
        "lesson 4, *A schedule per group: `LambdaLR` with a list*",
    ),
)


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


def known_mistake(message: str) -> tuple[str, str] | None:
    """(sentence, lesson section or "") when torch's ``message`` stands for a known mistake."""
    for fragment, sentence, lesson in KNOWN_ERRORS:
        if fragment in message:
            return sentence, lesson
    return None
