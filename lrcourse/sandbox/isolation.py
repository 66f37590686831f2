"""Which operating-system isolation layers a sandbox worker gets, and how they are built.

Layers (Linux):

- **namespaces**: each worker runs under bubblewrap with its own mount, PID, network, IPC and
  UTS namespaces. Its file system is a fresh root holding only a read-only view of the
  interpreter, the installed packages and ``lrcourse`` itself, with the answer keys (exercise
  judges, reference solutions, quiz keys) covered by empty folders, a private size-capped
  ``/tmp``, its own ``/proc`` and an empty environment. Submissions, outputs, home folders and
  the grader's processes are not in that world at all. When the worker dies, the PID namespace
  dies with it, taking every descendant along.
- **uid**: when the grader runs as root, each job drops to an unprivileged uid of its own worker
  (no supplementary groups), so it can signal or read nothing of the worker's.
- **limits**: a cgroup per worker caps processes and memory across all processes (root only);
  without one, ``RLIMIT_NPROC`` under the dropped uid bounds processes.
- **network**: the network namespace has only a loopback that is down.

Modes: ``strict`` refuses to start (``IsolationError``) unless every layer holds and says which
one is missing and how to get it; ``trusted`` uses what is there and warns about the rest;
``none`` runs jobs with rlimits only (for the course's own trusted code, e.g. verify snippets).
"""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import sysconfig
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from lrcourse.sandbox.cgroups import Version, detect

Mode = Literal["strict", "trusted", "none"]
MODES: tuple[Mode, ...] = ("strict", "trusted", "none")
TMP_BYTES = 64 * 1024 * 1024
UID_BASE = 61_000  # worker i's jobs run as UID_BASE + 16 * (grader pid % 256) + i
WORKER_CAPS = ("CAP_SETUID", "CAP_SETGID", "CAP_KILL", "CAP_DAC_OVERRIDE", "CAP_FOWNER")
_THREAD_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS")


class IsolationError(RuntimeError):
    """A layer that ``strict`` mode requires cannot be set up here; the message names it and
    says how to get it."""


@dataclass(frozen=True)
class Layer:
    """One isolation layer: whether it holds, what provides it, and how to get it if not."""

    name: str
    held: bool
    how: str
    remedy: str = ""


@dataclass(frozen=True)
class IsolationPlan:
    """How workers are started: the wrapper argv, the uid base and the cgroup version."""

    mode: Mode
    layers: tuple[Layer, ...]
    wrapper: tuple[str, ...]
    uid_base: int | None
    cgroups: Version | None
    env: tuple[tuple[str, str], ...]

    def holds(self, name: str) -> bool:
        """Whether the layer called ``name`` holds."""
        return any(layer.name == name and layer.held for layer in self.layers)

    def describe(self) -> str:
        """One line per layer, for the terminal and the grading log."""
        lines = [f"isolation mode: {self.mode}"]
        for layer in self.layers:
            mark = "yes" if layer.held else "NO "
            extra = f" — to get it: {layer.remedy}" if not layer.held and layer.remedy else ""
            lines.append(f"  [{mark}] {layer.name}: {layer.how}{extra}")
        return "\n".join(lines)


def package_dir() -> Path:
    """The installed ``lrcourse`` package folder."""
    return Path(__file__).resolve().parent.parent


def hidden_paths() -> list[Path]:
    """Folders of the package the sandbox must not see: judges, reference solutions, quiz
    keys (those that exist)."""
    base = package_dir()
    candidates = [
        base / "exercises" / "judges",
        base / "exercises" / "solutions",
        base / "_quizzes",
    ]
    return [p for p in candidates if p.is_dir()]


def worker_env(home: str) -> dict[str, str]:
    """The whole environment of a worker: nothing of the grader's but the locale."""
    env = {k: v for k, v in os.environ.items() if k in ("LANG", "LC_ALL", "TZ")}
    env.update({name: "1" for name in _THREAD_ENV})
    env.update(
        PATH="/usr/local/bin:/usr/bin:/bin",
        PYTHONPATH=str(package_dir().parent),
        HOME=home,
        TMPDIR=home,
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONUNBUFFERED="1",
        PYTHONNOUSERSITE="1",
        MPLBACKEND="Agg",
    )
    return env


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _readonly_roots() -> list[Path]:
    """What the worker must read: the system libraries, the interpreter, the packages."""
    paths = [Path("/usr"), Path("/etc")]
    paths += [Path(p) for p in (sys.base_prefix, sys.prefix, sys.exec_prefix)]
    paths += [Path(sys.executable).parent, Path(os.path.realpath(sys.executable)).parent]
    scheme = sysconfig.get_paths()
    paths += [Path(scheme[k]) for k in ("stdlib", "platstdlib", "purelib", "platlib")]
    paths += [Path(p) for p in site.getsitepackages()]
    paths.append(package_dir())
    return _outermost(p for p in paths if p.exists())


def _outermost(paths: Iterable[Path]) -> list[Path]:
    unique = sorted({p.absolute() for p in paths}, key=lambda p: len(p.parts))
    kept: list[Path] = []
    for path in unique:
        if not any(path == k or k in path.parents for k in kept):
            kept.append(path)
    return kept


def bubblewrap_argv(env: dict[str, str], *, as_root: bool) -> list[str]:
    """The bubblewrap command line that wraps a worker (without the worker's own argv)."""
    argv = [
        "bwrap",
        "--die-with-parent",
        "--new-session",
        "--unshare-pid",
        "--unshare-net",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-cgroup-try",
    ]
    if as_root:
        for cap in WORKER_CAPS:
            argv += ["--cap-add", cap]
    else:
        argv += ["--unshare-user"]
    for name in ("bin", "lib", "lib64", "sbin"):
        top = Path("/") / name
        if top.is_symlink():
            argv += ["--symlink", os.readlink(top), str(top)]
        elif top.is_dir():
            argv += ["--ro-bind", str(top), str(top)]
    # the kernel file systems and the private /tmp first: a bind under /tmp (a checkout or a
    # virtual environment there) must land inside the new /tmp, not be hidden by it
    argv += ["--proc", "/proc", "--dev", "/dev"]
    argv += ["--size", str(TMP_BYTES), "--perms", "1777", "--tmpfs", "/tmp"]
    roots = _readonly_roots()
    # bubblewrap makes missing parent folders 0700, which an unprivileged uid cannot cross
    mounted = {Path("/"), Path("/tmp"), Path("/proc"), Path("/dev")}
    parents = sorted(
        {a for p in roots for a in p.parents if a not in mounted}, key=lambda a: len(a.parts)
    )
    for parent in parents:
        argv += ["--perms", "0755", "--dir", str(parent)]
    for path in roots:
        argv += ["--ro-bind", str(path), str(path)]
    for path in hidden_paths():
        argv += ["--tmpfs", str(path)]
    argv += ["--clearenv"]
    for key, value in env.items():
        argv += ["--setenv", key, value]
    argv += ["--chdir", "/tmp"]
    return argv


def _bubblewrap_works(argv: list[str]) -> tuple[bool, str]:
    try:
        done = subprocess.run(
            [*argv, sys.executable, "-S", "-c", "pass"],
            capture_output=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, str(exc)
    if done.returncode != 0:
        lines = done.stderr.decode(errors="replace").strip().splitlines()
        return False, lines[-1] if lines else f"exit code {done.returncode}"
    return True, ""


def plan(mode: Mode) -> IsolationPlan:
    """Probe this machine and plan the workers' isolation for ``mode``.

    Raises IsolationError in ``strict`` mode when a layer cannot be had; ValueError for an
    unknown mode.
    """
    if mode not in MODES:
        raise ValueError(f"unknown isolation mode {mode!r}; expected one of {MODES}")
    env = worker_env("/tmp")
    if mode == "none":
        layer = Layer("namespaces", False, "not requested (trusted course code)")
        return IsolationPlan(mode, (layer,), (), None, None, tuple(env.items()))
    linux = sys.platform.startswith("linux")
    root = _is_root()
    wrapper: list[str] = []
    layers: list[Layer] = []
    bwrap = shutil.which("bwrap") if linux else None
    if bwrap is None:
        why = "bubblewrap is not installed" if linux else f"not available on {sys.platform}"
        layers.append(
            Layer(
                "namespaces",
                False,
                why,
                "install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap) on Linux",
            )
        )
    else:
        argv = bubblewrap_argv(env, as_root=root)
        works, why = _bubblewrap_works(argv)
        if works:
            wrapper = argv
            layers.append(
                Layer(
                    "namespaces",
                    True,
                    "bubblewrap: own mount/PID/network/IPC namespaces, read-only "
                    "interpreter and packages, keys hidden, private 64 MiB /tmp",
                )
            )
        else:
            layers.append(
                Layer(
                    "namespaces",
                    False,
                    f"bubblewrap failed: {why}",
                    "allow unprivileged user namespaces "
                    "(sysctl kernel.unprivileged_userns_clone=1) or run as root; "
                    "in a container, run it with --privileged or a seccomp/AppArmor "
                    "profile that allows namespaces",
                )
            )
    if root and wrapper:
        layers.append(Layer("uid", True, "each job drops to an unprivileged uid of its worker"))
    else:
        layers.append(
            Layer(
                "uid",
                False,
                "jobs keep the grader's uid"
                if not wrapper
                else "jobs keep the grader's uid inside a user namespace",
                "run `lrcourse grade` as root (e.g. sudo, or in a container) "
                "together with bubblewrap",
            )
        )
    version = detect() if wrapper else None
    if version is not None:
        layers.append(
            Layer("limits", True, f"cgroup {version}: processes and memory capped per worker")
        )
    elif root and wrapper:
        layers.append(
            Layer(
                "limits",
                True,
                "RLIMIT_NPROC under the dropped uid (processes); memory is capped "
                "per process only (no writable cgroup)",
            )
        )
    else:
        layers.append(
            Layer(
                "limits",
                False,
                "per-process rlimits only",
                "run as root with cgroup v2 (or v1 pids+memory) available",
            )
        )
    layers.append(
        Layer(
            "network",
            bool(wrapper),
            "empty network namespace" if wrapper else "shared host network",
            "" if wrapper else "install bubblewrap",
        )
    )
    uid_base = UID_BASE + 16 * (os.getpid() % 256) if root and wrapper else None
    result = IsolationPlan(
        mode, tuple(layers), tuple(wrapper), uid_base, version, tuple(env.items())
    )
    missing = [layer for layer in layers if not layer.held]
    if missing and mode == "strict":
        raise IsolationError(
            "refusing to grade: these isolation layers are missing here\n"
            + "\n".join(f"  - {m.name}: {m.how}; to get it: {m.remedy}" for m in missing)
            + "\n(for a class you trust, `--isolation trusted` grades with what is available)"
        )
    return result
