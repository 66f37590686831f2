"""Targets for tests/test_sandbox.py, run in sandbox children (as tests.sandbox_targets)."""

from __future__ import annotations

import contextlib
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


def kill_parent(payload: dict) -> str:
    """Kill the process that started this child (the fork-server, in run_many)."""
    import signal

    os.kill(os.getppid(), signal.SIGKILL)
    time.sleep(5)
    return "survived"


def escape(payload: dict) -> str:
    """Leave a setsid() grandchild sleeping behind (its pid goes to payload['pidfile'])."""
    pid = os.fork()
    if pid == 0:
        os.setsid()
        with open(payload["pidfile"] + ".tmp", "w") as file:
            file.write(str(os.getpid()))
        os.replace(payload["pidfile"] + ".tmp", payload["pidfile"])
        time.sleep(1e6)
        os._exit(0)
    while not os.path.exists(payload["pidfile"]):
        time.sleep(0.01)
    if payload.get("sleep"):
        time.sleep(1e6)
    return "left a grandchild"


def matmul(payload: dict) -> dict:
    """A 256x256 matmul and an optimizer step (deadlocks if the OpenMP pool was forked)."""
    import torch

    torch.set_num_threads(int(payload.get("threads", 1)))
    a = torch.randn(256, 256)
    product = a @ a
    weight = torch.nn.Parameter(torch.randn(256, 256))
    optimizer = torch.optim.SGD([weight], lr=0.1)
    (weight @ a).square().sum().backward()
    optimizer.step()
    return {"finite": bool(product.isfinite().all()), "threads": torch.get_num_threads()}


def stop_parent(payload: dict) -> str:
    """Freeze the process that started this child, so that it stops answering."""
    import signal

    os.kill(os.getppid(), signal.SIGSTOP)
    return "stopped"


def network(payload: dict) -> dict:
    """What a learner's code could reach: the interfaces it sees and a loopback round trip."""
    import socket

    try:
        names = sorted(name for _, name in socket.if_nameindex())
    except OSError as exc:
        names = [f"error: {exc}"]
    try:
        with socket.socket() as server:
            server.bind(("127.0.0.1", 0))
            server.listen(1)
            with socket.create_connection(server.getsockname(), timeout=2):
                pass
        loopback = "ok"
    except OSError as exc:
        loopback = f"{type(exc).__name__}: {exc}"
    return {"interfaces": names, "loopback": loopback}


def forge_every_fd(payload: dict) -> None:
    """Write a forged 'success' answer to every descriptor, then exit without a result."""
    forged = b'{"nonce": "0", "status": "ok", "value": "forged", "error": null, "stdout": "", '
    forged += b'"stderr": "", "seconds": 0}\n'
    for fd in range(3, 256):
        with contextlib.suppress(OSError):
            os.write(fd, forged)
    os._exit(0)


def pid(payload: dict) -> dict:
    """This child's pid and its worker's."""
    return {"pid": os.getpid(), "worker": os.getppid()}


def fork_many(payload: dict) -> dict:
    """Start up to payload['count'] sleeping processes; count how many the limits allow."""
    started, refused = 0, False
    children = []
    for _ in range(int(payload["count"])):
        try:
            child = os.fork()
        except OSError:
            refused = True
            break
        if child == 0:
            time.sleep(30)
            os._exit(0)
        children.append(child)
        started += 1
    return {"started": started, "refused": refused}


def memory_in_processes(payload: dict) -> dict:
    """Fork payload['processes'] children that each touch payload['mib'] MiB; count those that
    finished (the others were killed)."""
    children = []
    for _ in range(int(payload["processes"])):
        child = os.fork()
        if child == 0:
            block = bytearray(int(payload["mib"]) << 20)
            for i in range(0, len(block), 4096):
                block[i] = 1
            time.sleep(2)
            os._exit(0)
        children.append(child)
    completed = 0
    for child in children:
        _, status = os.waitpid(child, 0)
        completed += os.waitstatus_to_exitcode(status) == 0
    return {"completed": completed}


def vandal(payload: dict) -> dict:
    """Try to change things outside the job: a file, /tmp, the installed package."""
    import lrcourse

    for path, text in ((payload["victim"], "vandalised"), (payload["leak"], "leak")):
        try:
            with open(path, "w") as handle:
                handle.write(text)
        except OSError:
            pass
    try:
        with open(lrcourse.__file__, "a"):
            writable = True
    except OSError:
        writable = False
    return {"package_writable": writable}


def inject_answers(payload: dict) -> dict:
    """Try to write extra answers into the worker's protocol pipe through /proc."""
    line = (
        b'{"nonce": "guess", "status": "ok", "value": "injected", "error": null, '
        b'"stdout": "", "stderr": "", "seconds": 0}\n'
    )
    reached = []
    for fd in ("0", "1", "2"):
        try:
            with open(f"/proc/{os.getppid()}/fd/{fd}", "wb") as pipe:
                pipe.write(line * 3)
            reached.append(fd)
        except OSError:
            pass
    return {"reached": reached}
