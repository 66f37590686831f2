"""A sandbox target that reports what a job can see and do, for the grader's start-up
self-test: the grader checks these facts against its isolation plan before grading anyone."""

from __future__ import annotations

import os
import socket
from typing import Any


def _readable(path: str) -> bool:
    try:
        if os.path.isdir(path):
            return bool(os.listdir(path))  # an empty folder (a covered one) shows nothing
        else:
            with open(path, "rb") as handle:
                handle.read(1)
    except OSError:
        return False
    return True


def _network() -> bool:
    """Whether any network interface but the loopback is visible."""
    try:
        return any(name != "lo" for _, name in socket.if_nameindex())
    except OSError:
        return False


def facts(payload: dict[str, Any]) -> dict[str, Any]:
    """What this job can see: uid, visible processes, network, and whether each path in
    ``payload["paths"]`` is readable."""
    paths = [p for p in payload.get("paths", []) if isinstance(p, str)]
    processes = [e for e in os.listdir("/proc") if e.isdigit()] if os.path.isdir("/proc") else []
    return {
        "uid": os.getuid(),
        "euid": os.geteuid(),
        "processes": len(processes),
        "network": _network(),
        "readable": {p: _readable(p) for p in paths},
        "environment": sorted(os.environ),
    }


def run_code(payload: dict[str, Any]) -> Any:
    """Execute ``payload["code"]`` (source text) and return ``payload["call"](payload["args"])``
    from its namespace: untrusted code under the worker's isolation, as a grading job runs it."""
    namespace: dict[str, Any] = {"__name__": "__job__"}
    exec(compile(str(payload["code"]), "<job>", "exec"), namespace)
    return namespace[str(payload["call"])](payload.get("args", {}))
