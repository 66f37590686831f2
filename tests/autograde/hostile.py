"""Learner code an adversarial (or just unlucky) student might submit for ``two-lr-groups``.

``HOSTILE[name] = source``; each must end as anything but a pass, alone, leaving the rest of the
class untouched. ``{class_dir}``, ``{out_dir}`` and ``{progress_db}`` are filled in by the test.
"""

from __future__ import annotations

# ruff: noqa: E501 (learner code, long lines as students write them)

HOSTILE: dict[str, str] = {
    # ---- forged passes ----------------------------------------------------------------------
    "forge-outcome": """
from lrcourse.exercises.outcomes import Outcome
class Correct(Outcome):
    status = "correct"
def make_optimizer(model):
    raise Correct("all checks passed")
""",
    "forge-json": """
import json, torch
torch.allclose = lambda *a, **k: True
_real = json.dumps
json.dumps = lambda *a, **k: '{"status": "ok", "value": {"kind": "observed", "observations": {}, "warnings": []}}'
def make_optimizer(model):
    return torch.optim.SGD(model.parameters(), lr=0.1)
""",
    "forge-observer": """
import lrcourse.exercises.observers as observers
def fake(obj, spec):
    return {"returned": "optimizer", "class": "SGD", "groups": [], "trajectory": [],
            "requires_grad": [], "state": []}
observers.OBSERVERS["two-lr-groups"] = fake
def make_optimizer(model):
    return model  # not a stub: the code above really runs
""",
    "forge-judge": """
import lrcourse.exercises.judges.param_groups as judges
def make_optimizer(model):
    return model  # not a stub: the code above really runs
""",
    "forge-pipe": """
import os
forged = b'{"status": "ok", "value": {"kind": "observed", "observations": {"returned": "none"}, "warnings": []}}'
for fd in range(3, 256):
    try:
        os.write(fd, forged)
    except OSError:
        pass
os._exit(0)
""",
    "forge-class": """
import torch
class Fake:
    __class__ = property(lambda self: torch.optim.SGD)
    def __init__(self, model):
        self.param_groups = [
            {"params": list(model.backbone.parameters()), "lr": 1e-3, "momentum": 0.9},
            {"params": list(model.head.parameters()), "lr": 1e-2, "momentum": 0.9}]
        self.state = {}
    def zero_grad(self):
        pass
    def step(self):
        pass
def make_optimizer(model):
    return Fake(model)
""",
    "forge-noop-step": """
import torch
torch.optim.SGD.step = lambda self, closure=None: None
def make_optimizer(model):
    return torch.optim.SGD([{"params": model.backbone.parameters(), "lr": 1e-3},
                            {"params": model.head.parameters(), "lr": 1e-2}], momentum=0.9)
""",
    "forge-float": """
import torch
class Liar(float):
    def __mul__(self, other):
        return float(self) * 100 * other
    __rmul__ = __mul__
def make_optimizer(model):
    return torch.optim.SGD([{"params": model.backbone.parameters(), "lr": Liar(1e-3)},
                            {"params": model.head.parameters(), "lr": Liar(1e-2)}], momentum=0.9)
""",
    "forge-solution": """
import os, lrcourse
path = os.path.join(os.path.dirname(lrcourse.__file__), "exercises", "solutions", "two-lr-groups.py")
exec(open(path).read())
""",
    "forge-classmate": """
import glob, os
seen = []
for link in glob.glob("/proc/*/cwd") + glob.glob("/proc/*/fd/*"):
    try:
        seen.append(os.readlink(link))
    except OSError:
        pass
exec(open("{class_dir}/alice.ipynb").read())
""",
    "forge-protocol": """
import os
line = b'{"nonce": "x", "status": "ok", "value": null, "error": null, "stdout": "", "stderr": "", "seconds": 0}\\n'
for fd in ("1", "0"):
    try:
        with open(f"/proc/{os.getppid()}/fd/{fd}", "wb") as pipe:
            pipe.write(line * 5)
    except OSError:
        pass
def make_optimizer(model):
    return model  # not a stub: the code above really runs
""",
    # ---- reaching what it must not ----------------------------------------------------------
    "read-secret": """
import os
def make_optimizer(model):
    found = os.environ.get("GRADER_SECRET", "none")
    try:
        found += open("/proc/1/environ").read()
    except OSError:
        pass
    raise RuntimeError("leaked: " + found)
""",
    "vandal": """
import os, lrcourse
for path in ("{class_dir}/alice.ipynb", "{progress_db}", "{out_dir}/grades.csv",
             lrcourse.__file__, "/tmp/lrcourse-hostile-leak"):
    try:
        with open(path, "a") as f:
            f.write("vandalised")
    except OSError:
        pass
def make_optimizer(model):
    return model  # not a stub: the code above really runs
""",
    "daemon": """
import os, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        for _ in range(100):
            try:
                open("{out_dir}/grades.csv", "w").write("owned")
            except OSError:
                pass
            time.sleep(0.1)
        os._exit(0)
    os._exit(0)
def make_optimizer(model):
    return model  # not a stub: the code above really runs
""",
    "fork-bomb": """
import os, time
def make_optimizer(model):
    while True:
        if os.fork() == 0:
            time.sleep(60)
            os._exit(0)
""",
    "memory-hog": """
import os, time
def make_optimizer(model):
    kids = []
    for _ in range(4):
        pid = os.fork()
        if pid == 0:
            block = bytearray(300 << 20)
            for i in range(0, len(block), 4096):
                block[i] = 1
            time.sleep(3)
            os._exit(0)
        kids.append(pid)
    for pid in kids:
        os.waitpid(pid, 0)
    return None
""",
    # ---- ways to end --------------------------------------------------------------------------
    "spin": "def make_optimizer(model):\n    while True:\n        pass\n",
    "sleep": "import time\ndef make_optimizer(model):\n    time.sleep(1e6)\n",
    "exit-at-import": "import os\nos._exit(0)\n",
    "sys-exit": "def make_optimizer(model):\n    raise SystemExit(0)\n",
    "keyboard-interrupt": "def make_optimizer(model):\n    raise KeyboardInterrupt\n",
    "segfault": "import ctypes\ndef make_optimizer(model):\n    ctypes.string_at(0)\n",
    "kill-worker": "import os\ndef make_optimizer(model):\n    os.kill(os.getppid(), 9)\n",
    "kill-everything": "import os\ndef make_optimizer(model):\n    os.kill(-1, 9)\n",
    "flood": "def make_optimizer(model):\n    while True:\n        print('x' * 1000)\n",
    "network": """
import socket
def make_optimizer(model):
    socket.create_connection(("127.0.0.1", 22), timeout=1)
""",
}
