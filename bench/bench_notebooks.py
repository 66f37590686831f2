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
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
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


def bench(path: Path, env: dict[str, str]) -> dict[str, object]:
    """Run one notebook; return wall/cell seconds, peak kernel RSS, errors and devices."""
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PROBE))
    saved = dict(os.environ)
    os.environ.update(env)
    peak: float | None = None
    start = time.perf_counter()
    try:
        client = NotebookClient(
            nb, timeout=600, kernel_name="python3", allow_errors=True,
            resources={"metadata": {"path": str(path.parent)}},
        )
        with client.setup_kernel():
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index)
            pid = getattr(client.km.provisioner, "pid", None) if client.km else None
            if pid is None and client.km is not None:
                pid = getattr(getattr(client.km.provisioner, "process", None), "pid", None)
            peak = _peak_rss_mib(pid) if pid else None
    finally:
        os.environ.clear()
        os.environ.update(saved)
    wall = time.perf_counter() - start
    errors, devices = [], {}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                errors.append(f"{out.get('ename')}: {str(out.get('evalue'))[:120]}")
            text = out.get("text", "") if out.get("output_type") == "stream" else ""
            if "@@DEVICES@@" in text:
                devices = json.loads(text.split("@@DEVICES@@", 1)[1].strip().splitlines()[0])
    return {
        "notebook": path.name,
        "wall_s": wall,
        "cells_s": sum(_cell_seconds(c) for c in nb.cells[:-1]),
        "peak_rss_mib": peak,
        "errors": errors,
        "devices": devices,
    }


def render(rows: list[dict[str, object]], device: str) -> str:
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
        devs = sorted(set(r["devices"].values())) if r["devices"] else []  # type: ignore[union-attr]
        peak = "n/a" if r["peak_rss_mib"] is None else f"{r['peak_rss_mib']:.0f}"
        head.append(
            f"| {r['notebook']} | {r['wall_s']:.1f} | {r['cells_s']:.1f} | {peak} | "
            f"{len(r['errors'])} | {', '.join(devs) or '-'} |"  # type: ignore[arg-type]
        )
    total = sum(float(r["wall_s"]) for r in rows)  # type: ignore[arg-type]
    head += ["", f"Total wall time: {total:.1f} s.", ""]
    for r in rows:
        if r["errors"]:
            head.append(f"Errors in {r['notebook']}: " + "; ".join(r["errors"]))  # type: ignore[arg-type]
        if r["devices"]:
            pairs = ", ".join(f"`{k}`: {v}" for k, v in r["devices"].items())  # type: ignore[union-attr]
            head.append(f"- {r['notebook']} training runs → {pairs}")
    return "\n".join(head) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/*.ipynb")
    parser.add_argument("--device", default="", help="set LRCOURSE_DEVICE (e.g. cuda, cpu)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "BENCHMARKS-notebooks.md")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb"))
    env = {
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p),
        "LRCOURSE_PROGRESS_DB": str(Path(tempfile.mkdtemp()) / "progress.sqlite3"),
    }
    if args.device:
        env["LRCOURSE_DEVICE"] = args.device
    rows = []
    for path in paths:
        row = bench(path, env)
        rows.append(row)
        peak = row["peak_rss_mib"]
        print(f"{path.name}: {row['wall_s']:.1f} s, peak {peak and round(peak)} MiB, "
              f"{len(row['errors'])} error(s)", file=sys.stderr)  # type: ignore[arg-type]
    args.out.write_text(render(rows, args.device))
    print(f"wrote {args.out}", file=sys.stderr)
    return 1 if any(r["errors"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
