"""The messages between the grader and a sandbox worker: JSON lines, each tied to one job.

Every job the parent sends carries a fresh random nonce, and the worker's answer must carry the
same nonce and nothing else may follow it. A line with another nonce, a second line, a line
that is not a JSON object of the expected shape: each is a ``ProtocolError``, which costs the
job it arrived for (its worker is replaced) and never reaches another job. Nothing is ever
unpickled.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass
from typing import Any, Literal

ChildStatus = Literal["ok", "error", "timeout", "crashed"]
STATUSES: tuple[ChildStatus, ...] = ("ok", "error", "timeout", "crashed")


@dataclass(frozen=True)
class ChildResult:
    """What came back from one job.

    Attributes:
        status: ``"ok"`` (the target returned), ``"error"`` (it raised), ``"timeout"`` (killed
            after the wall-clock limit) or ``"crashed"`` (the process ended without a result,
            or the worker broke the protocol).
        value: the JSON value the target returned (``None`` unless status is ``"ok"``). It is an
            untrusted observation: callers validate it before use.
        error: ``"ExcType: message"`` for ``"error"``; what happened for timeout/crashed.
        stdout: the child's captured standard output, truncated to about 20 kB.
        stderr: the child's captured standard error, truncated to about 20 kB.
        seconds: wall-clock seconds from start to the end of the child.
    """

    status: ChildStatus
    value: Any
    error: str | None
    stdout: str
    stderr: str
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict."""
        return asdict(self)


class ProtocolError(Exception):
    """A worker's answer is not the one well-formed line this job's nonce allows."""


def new_nonce() -> str:
    """A fresh, unguessable job nonce."""
    return secrets.token_hex(16)


def encode(message: dict[str, Any]) -> bytes:
    """One JSON line."""
    return json.dumps(message, allow_nan=True).encode() + b"\n"


def decode_reply(line: bytes, nonce: str) -> ChildResult:
    """Parse and check a worker's answer to the job with ``nonce``; ProtocolError if it is not
    exactly one well-formed answer for that job."""
    try:
        message = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ProtocolError(f"the answer is not JSON ({exc})") from None
    if not isinstance(message, dict):
        raise ProtocolError("the answer is not a JSON object")
    if message.get("nonce") != nonce:
        raise ProtocolError("the answer carries another job's nonce")
    status = message.get("status")
    error = message.get("error")
    stdout, stderr, seconds = message.get("stdout"), message.get("stderr"), message.get("seconds")
    if (
        status not in STATUSES
        or not (error is None or isinstance(error, str))
        or not isinstance(stdout, str)
        or not isinstance(stderr, str)
        or not isinstance(seconds, int | float)
        or isinstance(seconds, bool)
    ):
        raise ProtocolError("the answer does not have the fields of a result")
    return ChildResult(status, message.get("value"), error, stdout, stderr, float(seconds))
