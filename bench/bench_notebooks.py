"""Time each course notebook and measure its kernel's peak memory.

Usage (from the repository root)::

    python bench/bench_notebooks.py                 # CPU (whatever pick_device() chooses)
    python bench/bench_notebooks.py --device cuda   # force LRCOURSE_DEVICE=cuda (GPU machine)
    python bench/bench_notebooks.py notebooks/02_convergence.ipynb --out /tmp/bench.md

Notebooks run one at a time, as committed (exercise cells as stubs), in a fresh kernel each.
Wall time covers kernel start-up to the last cell; "cells" sums the cells' own execution
times. Peak memory is the kernel process's peak resident set (``VmHWM`` from /proc), read
just before the kernel shuts down. After the last cell, an extra cell lists every training
``History`` left in the notebook's globals with the device it ran on, so a GPU run shows
which training cells really used the GPU. Writes a Markdown table (default
bench/BENCHMARKS-notebooks.md).

``lesson_wait`` measures what a learner waits for, with or without reading pauses between
cells; ``bench/run.py`` uses it for the before/after lesson figures.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import json as _json
from lrcourse.training import History as _History
_found = {}
for _name, _value in list(globals().items()):
    _values = _value.items() if isinstance(_value, dict) else [(None, _value)]
    for _key, _item in _values:
        if isinstance(_item, _History):
            _found[f"{_name}[{_key!r}]" if _key is not None else _name] = _item.device
print("@@DEVICES@@" + _json.dumps(_found))
"""

READING_WPM = 250
"""Reading speed for the markdown before a code cell."""
PAUSE_S = (1.0, 3.0)
"""Reading pauses are compressed into this range, so that a lesson's run stays short."""


@dataclass
class NotebookRun:
    """One notebook run by ``bench``."""

    notebook: str
    wall_s: float
    cells_s: float
    peak_rss_mib: float | None
    errors: list[str] = field(default_factory=list)
    devices: dict[str, str] = field(default_factory=dict)


@dataclass
class LessonWait:
    """One lesson run by ``lesson_wait``."""

    notebook: str
    kernel_start_s: float
    cells_s: list[float]
    reading_s: float
    errors: list[str] = field(default_factory=list)
    stdout: dict[str, str] = field(default_factory=dict)
    """Each code cell's printed text, by cell id."""
    kernel_cpu_s: float | None = None
    """CPU time the kernel process (all threads, and child processes it has reaped) used from
    its first cell to its last; children still running at the end are not counted."""

    @property
    def wait_s(self) -> float:
        """Seconds the learner waited for cells: the sum of the code cells' times."""
        return sum(self.cells_s)


@contextlib.contextmanager
def _environment(env: dict[str, str]) -> Iterator[None]:
    """Set environment variables for kernels started inside the block."""
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _read(path: Path) -> nbformat.NotebookNode:
    nb: nbformat.NotebookNode = nbformat.read(path, as_version=4)  # type: ignore[no-untyped-call]  # nbformat is unannotated
    return nb


def _client(nb: nbformat.NotebookNode, path: Path) -> NotebookClient:
    return NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(path.parent)}},
    )


def _errors(nb: nbformat.NotebookNode) -> list[str]:
    return [
        f"{out.get('ename')}: {str(out.get('evalue'))[:120]}"
        for cell in nb.cells
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]


def _peak_rss_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _cell_seconds(cell: nbformat.NotebookNode) -> float:
    timing = cell.get("metadata", {}).get("execution", {})
    try:
        start = datetime.fromisoformat(timing["iopub.execute_input"].replace("Z", "+00:00"))
        end = datetime.fromisoformat(timing["shell.execute_reply"].replace("Z", "+00:00"))
    except (KeyError, ValueError):
        return 0.0
    return (end - start).total_seconds()


def _kernel_pid(client: NotebookClient) -> int | None:
    if client.km is None:
        return None
    provisioner = client.km.provisioner
    pid = getattr(provisioner, "pid", None)
    if pid is None:
        pid = getattr(getattr(provisioner, "process", None), "pid", None)
    return pid if isinstance(pid, int) else None


def _cpu_seconds(pid: int | None) -> float | None:
    """User plus system CPU time of a process and its reaped children (Linux ``/proc``)."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def bench(path: Path, env: dict[str, str]) -> NotebookRun:
    """Run one notebook; return wall/cell seconds, peak kernel RSS, errors and devices."""
    nb = _read(path)
    nb.cells.append(nbformat.v4.new_code_cell(PROBE))  # type: ignore[no-untyped-call]  # unannotated
    peak: float | None = None
    start = time.perf_counter()
    with _environment(env):
        client = _client(nb, path)
        with client.setup_kernel():
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index)
            pid = _kernel_pid(client)
            peak = _peak_rss_mib(pid) if pid else None
    wall = time.perf_counter() - start
    devices: dict[str, str] = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            text = out.get("text", "") if out.get("output_type") == "stream" else ""
            if "@@DEVICES@@" in text:
                devices = json.loads(text.split("@@DEVICES@@", 1)[1].strip().splitlines()[0])
    return NotebookRun(
        notebook=path.name,
        wall_s=wall,
        cells_s=sum(_cell_seconds(c) for c in nb.cells[:-1]),
        peak_rss_mib=peak,
        errors=_errors(nb),
        devices=devices,
    )


def reading_pause(words: int) -> float:
    """Seconds a learner spends on ``words`` of markdown, clamped to ``PAUSE_S``."""
    low, high = PAUSE_S
    return min(high, max(low, 60.0 * words / READING_WPM))


def lesson_wait(path: Path, env: dict[str, str], *, reading: bool) -> LessonWait:
    """What a learner waits for in one lesson: each code cell's run time, seen from the client.

    A fresh kernel runs the lesson as committed (exercise cells as stubs). With ``reading``,
    the client pauses before each code cell for the markdown above it (``reading_pause``), as
    a learner reading the lesson would; without, cells run back to back. The wait is the sum
    of the cells' times (request sent to reply received); the kernel start is reported apart.
    """
    nb = _read(path)
    waits: list[float] = []
    paused = 0.0
    start = time.perf_counter()
    with _environment(env):
        client = _client(nb, path)
        with client.setup_kernel():
            kernel_start = time.perf_counter() - start
            pid = _kernel_pid(client)
            cpu_start = _cpu_seconds(pid)
            words = 0
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code":
                    words += len(cell.source.split())
                    continue
                if reading:
                    pause = reading_pause(words)
                    time.sleep(pause)
                    paused += pause
                words = 0
                begin = time.perf_counter()
                client.execute_cell(cell, index)
                waits.append(time.perf_counter() - begin)
            cpu_end = _cpu_seconds(pid)
    printed = {
        str(cell.get("id", index)): "".join(
            out.get("text", "")
            for out in cell.get("outputs", [])
            if out.get("output_type") == "stream" and out.get("name") == "stdout"
        )
        for index, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
    }
    cpu = cpu_end - cpu_start if cpu_start is not None and cpu_end is not None else None
    return LessonWait(path.name, kernel_start, waits, paused, _errors(nb), printed, cpu)


def render(rows: list[NotebookRun], device: str) -> str:
    """The Markdown report."""
    head = [
        "# Notebook benchmarks",
        "",
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- machine: {platform.node()} · {platform.processor() or platform.machine()} · "
        f"{os.cpu_count()} CPUs · Python {platform.python_version()}",
        f"- LRCOURSE_DEVICE: {device or '(unset: pick_device() chooses)'}",
        "- one fresh kernel per notebook, run sequentially, exercise cells as committed (stubs)",
        "",
        "| notebook | wall s | cells s | kernel peak RSS MiB | errors | training devices |",
        "|---|---:|---:|---:|---|---|",
    ]
    for r in rows:
        devs = sorted(set(r.devices.values()))
        peak = "n/a" if r.peak_rss_mib is None else f"{r.peak_rss_mib:.0f}"
        head.append(
            f"| {r.notebook} | {r.wall_s:.1f} | {r.cells_s:.1f} | {peak} | "
            f"{len(r.errors)} | {', '.join(devs) or '-'} |"
        )
    total = sum(r.wall_s for r in rows)
    head += ["", f"Total wall time: {total:.1f} s.", ""]
    for r in rows:
        if r.errors:
            head.append(f"Errors in {r.notebook}: " + "; ".join(r.errors))
        if r.devices:
            pairs = ", ".join(f"`{k}`: {v}" for k, v in r.devices.items())
            head.append(f"- {r.notebook} training runs → {pairs}")
    return "\n".join(head) + "\n"


def kernel_env(root: Path = ROOT, device: str = "") -> dict[str, str]:
    """Environment for lesson kernels: ``root``'s lrcourse first, a throwaway progress store."""
    env = {
        "PYTHONPATH": os.pathsep.join(p for p in (str(root), os.environ.get("PYTHONPATH")) if p),
        "LRCOURSE_PROGRESS_DB": str(Path(tempfile.mkdtemp()) / "progress.sqlite3"),
    }
    if device:
        env["LRCOURSE_DEVICE"] = device
    return env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/*.ipynb")
    parser.add_argument("--device", default="", help="set LRCOURSE_DEVICE (e.g. cuda, cpu)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "BENCHMARKS-notebooks.md")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb"))
    env = kernel_env(ROOT, args.device)
    rows = []
    for path in paths:
        row = bench(path, env)
        rows.append(row)
        peak = "n/a" if row.peak_rss_mib is None else f"{row.peak_rss_mib:.0f}"
        print(
            f"{path.name}: {row.wall_s:.1f} s, peak {peak} MiB, {len(row.errors)} error(s)",
            file=sys.stderr,
        )
    args.out.write_text(render(rows, args.device))
    print(f"wrote {args.out}", file=sys.stderr)
    return 1 if any(r.errors for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
