"""Where live cells run: device choice, CPU thread count and seeding.

The course runs on whatever the learner has: a laptop CPU, Binder's single shared core, an
Apple-silicon Mac or a CUDA GPU. ``pick_device`` chooses the best one available and lets the
environment variable ``LRCOURSE_DEVICE`` override the choice (``cpu``, ``cuda``, ``cuda:1``,
``mps``), so the same notebooks can be timed on a GPU machine without editing them.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import warnings
import weakref
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import torch
from torch.optim.optimizer import register_optimizer_step_post_hook

ENV_VAR = "LRCOURSE_DEVICE"
MAX_THREADS = 4
DEFAULT_THREADS = 1
#: attribute ``place`` sets on every parameter it moved: the device it chose
PLACED_ATTR = "_lrcourse_device"
#: an optimizer counts as a training run once it has made this many steps with gradients
RUN_MIN_STEPS = 5
#: ... on at least this many parameter elements (smaller ones are torch demos, not training)
RUN_MIN_ELEMENTS = 100
_T = TypeVar("_T")


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def _available(device: torch.device) -> bool:
    if device.type == "cpu":
        return True
    if device.type == "cuda":
        if not torch.cuda.is_available():
            return False
        return device.index is None or device.index < torch.cuda.device_count()
    if device.type == "mps":
        return _mps_available()
    return False


def pick_device(prefer: str | None = None) -> torch.device:
    """Return the device live cells should use.

    Order of precedence: ``prefer`` (when given and not ``"auto"``), then the environment
    variable ``LRCOURSE_DEVICE``, then the best device present: CUDA, else Apple MPS, else CPU.
    A requested device that is not present falls back to the CPU with a warning, so a notebook
    never fails because of the machine it runs on.
    """
    wanted = prefer if prefer not in (None, "", "auto") else os.environ.get(ENV_VAR, "").strip()
    if wanted and wanted != "auto":
        try:
            device = torch.device(wanted)
        except RuntimeError as err:
            warnings.warn(f"unknown device {wanted!r} ({err}); using the CPU", stacklevel=2)
            return torch.device("cpu")
        if _available(device):
            return device
        warnings.warn(f"device {wanted!r} is not available here; using the CPU", stacklevel=2)
        return torch.device("cpu")
    if torch.cuda.is_available():
        return torch.device("cuda")
    if _mps_available():
        return torch.device("mps")
    return torch.device("cpu")


def describe_device(device: torch.device | str | None = None) -> str:
    """One sentence for learners: which device live cells use, and why."""
    dev = pick_device() if device is None else torch.device(device)
    forced = os.environ.get(ENV_VAR)
    how = f" (set by {ENV_VAR}={forced})" if forced else ""
    if dev.type == "cuda":
        name = torch.cuda.get_device_name(dev.index or 0)
        return f"Live cells run on the GPU `{dev}` ({name}){how}."
    if dev.type == "mps":
        return f"Live cells run on Apple-silicon GPU `mps`{how}."
    threads = torch.get_num_threads()
    return (
        f"Live cells run on the CPU{how}, with {threads} thread(s); every demo in this course "
        "is small enough to finish in seconds without a GPU."
    )


def _cgroup_cpu_limit() -> int | None:
    """CPUs allowed by a cgroup quota (v2 ``cpu.max`` or v1 ``cfs_quota_us``), if any."""
    v2 = Path("/sys/fs/cgroup/cpu.max")
    try:
        if v2.exists():
            quota, period = v2.read_text().split()[:2]
            if quota != "max":
                return max(1, int(int(quota) // int(period)))
            return None
        v1q = Path("/sys/fs/cgroup/cpu/cpu.cfs_quota_us")
        v1p = Path("/sys/fs/cgroup/cpu/cpu.cfs_period_us")
        if v1q.exists() and v1p.exists():
            quota_us = int(v1q.read_text())
            if quota_us > 0:
                return max(1, quota_us // int(v1p.read_text()))
    except (OSError, ValueError):
        return None
    return None


def available_cpus() -> int:
    """CPUs this process may really use: affinity mask and cgroup quota, whichever is smaller."""
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        n = os.cpu_count() or 1
    quota = _cgroup_cpu_limit()
    return max(1, min(n, quota) if quota else n)


def configure_threads(n: int | None = None) -> int:
    """Size torch's CPU thread pool and return the number of threads set.

    ``n`` is capped at the CPUs this process may use (affinity mask and cgroup quota, so
    Binder's single CPU gives 1) and at ``MAX_THREADS``. With ``n=None`` one thread is used:
    the course's models are so small that extra threads cost more in synchronisation than
    they gain, and on a shared, busy machine their spin-waiting is ruinous (a three-lr sweep
    on the digits took 0.2 s with one thread and 14 s with two on a loaded 2-core box).
    """
    wanted = DEFAULT_THREADS if n is None else n
    threads = max(1, min(wanted, available_cpus(), MAX_THREADS))
    torch.set_num_threads(threads)
    # Only allowed before the first parallel op (later calls raise); skipping it is harmless.
    with contextlib.suppress(RuntimeError):
        torch.set_num_interop_threads(threads)
    return threads


def seed_everything(seed: int = 0) -> None:
    """Seed Python's, NumPy's and torch's generators (all devices) for repeatable cells."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


# ---- placing a model and its data -----------------------------------------------------------
def place(obj: _T, device: torch.device | str | None = None) -> _T:
    """Move a model, a tensor or a data split to the live cells' device and return it.

    ``device`` defaults to ``pick_device()``. A module is moved in place (its parameters keep
    their identity, so an optimizer built before or after both work) and each of its
    parameters is marked with the device chosen, which is how a device audit (see
    ``start_audit``) knows a training run went through this helper. Anything else with a
    ``.to(device)`` method (a tensor, ``lrcourse.data.Split``) is returned moved.
    """
    dev = pick_device() if device is None else torch.device(device)
    if isinstance(obj, torch.nn.Module):
        obj.to(dev)
        for p in obj.parameters():
            setattr(p, PLACED_ATTR, str(dev))
        return obj
    to = getattr(obj, "to", None)
    if to is None:
        raise TypeError(f"cannot place a {type(obj).__name__}: it has no .to(device) method")
    moved: _T = to(dev)
    if isinstance(moved, torch.nn.Parameter):
        setattr(moved, PLACED_ATTR, str(dev))
    return moved


# ---- auditing where training runs -----------------------------------------------------------
_audit: dict[str, Any] = {}


def _on_optimizer_step(optimizer: torch.optim.Optimizer, args: Any, kwargs: Any) -> None:
    if os.getpid() != _audit.get("pid"):
        return  # a forked child (e.g. an exercise check's sandbox) is not the lesson
    params = [p for g in optimizer.param_groups for p in g["params"]]
    if not any(p.grad is not None for p in params):
        return  # a scheduler demo stepping an optimizer with no gradients trains nothing
    seen: weakref.WeakKeyDictionary[torch.optim.Optimizer, int] = _audit["steps"]
    steps = seen.get(optimizer, 0) + 1
    seen[optimizer] = steps
    if steps != RUN_MIN_STEPS or sum(p.numel() for p in params) < RUN_MIN_ELEMENTS:
        return
    record = {
        "optimizer": type(optimizer).__name__,
        "elements": sum(p.numel() for p in params),
        "devices": sorted({str(p.device) for p in params}),
        "placed": all(hasattr(p, PLACED_ATTR) for p in params),
        "picked": str(pick_device()),
    }
    with open(_audit["path"], "a", encoding="utf-8") as f:
        f.write(json.dumps(record) + "\n")


def start_audit(path: str | os.PathLike[str]) -> None:
    """Record every training run of this process to ``path``, one JSON line per run.

    A training run is an optimizer that makes ``RUN_MIN_STEPS`` steps with gradients on at
    least ``RUN_MIN_ELEMENTS`` parameter elements. Its line gives the devices of its
    parameters, whether ``place`` put them there, and the device ``pick_device()`` chooses.
    Tests call this in a notebook's kernel to prove its training runs on the picked device.
    Calling it again switches to the new path.
    """
    _audit.update(path=str(path), pid=os.getpid(), steps=weakref.WeakKeyDictionary())
    if "handle" not in _audit:
        _audit["handle"] = register_optimizer_step_post_hook(_on_optimizer_step)


def stop_audit() -> None:
    """Stop recording training runs."""
    handle = _audit.pop("handle", None)
    if handle is not None:
        handle.remove()
    _audit.clear()


def read_audit(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The runs ``start_audit`` recorded at ``path`` (none when the file does not exist)."""
    p = Path(path)
    if not p.exists():
        return []
    return [json.loads(line) for line in p.read_text(encoding="utf-8").splitlines() if line]
