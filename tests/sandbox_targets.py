"""Targets for tests/test_sandbox.py, run in sandbox children (as tests.sandbox_targets)."""

from __future__ import annotations

import os
import sys
import time


def echo(payload: dict) -> dict:
    print("learner print")
    return {"got": payload, "cwd": os.getcwd(), "threads": os.environ.get("OMP_NUM_THREADS")}


def boom(payload: dict) -> None:
    raise ValueError("bad value " + str(payload.get("n")))


def spin(payload: dict) -> None:
    while True:
        pass


def sleep(payload: dict) -> None:
    time.sleep(1e6)


def hard_exit(payload: dict) -> None:
    os._exit(payload.get("code", 0))


def soft_exit(payload: dict) -> None:
    sys.exit(3)


def flood(payload: dict) -> str:
    for i in range(20_000):
        print("x" * 50, i)
    return "done"


def allocate(payload: dict) -> int:
    import torch

    return int(torch.empty(int(payload["gib"]) << 28).numel())


def read_stdin(payload: dict) -> str:
    return sys.stdin.read()


def not_json(payload: dict) -> object:
    return object()


def forge(payload: dict) -> None:
    fd = int(payload["fd"])
    os.write(fd, b'{"status": "ok", "value": "forged"}')
