"""Benchmark (not a test): what the background warm-up (``lrcourse.warmup``) saves, and proof
that it changes nothing a lesson prints.

Each lesson runs in a fresh kernel with reading pauses (``bench_notebooks.lesson_wait``),
alternately with ``LRCOURSE_WARMUP=1`` and ``=0``, pinned to one CPU. The report gives the
median wait, the median wait of the cells after the setup cell (the first optimizer is built
there), and whether every code cell printed exactly the same text in every run (timings
printed by the lesson itself are masked). Run from the repository root:
``python bench/bench_warmup.py [LESSON.ipynb ...] [--repeats 3]``.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_notebooks  # noqa: E402

DEFAULT_LESSONS = ("02_convergence.ipynb", "05_schedulers.ipynb", "06_capstone.ipynb")
TIMING = re.compile(r"\d+(\.\d+)? ?(s|ms)\b")


def _masked(stdout: dict[str, str]) -> dict[str, str]:
    return {cell: TIMING.sub("<time>", text) for cell, text in stdout.items()}


def compare(lessons: list[str], repeats: int) -> str:
    """Warm-up on against off for each lesson; a Markdown table."""
    lines = [
        f"Reading pauses as in `bench/run.py`; median of {repeats} interleaved runs per setting.",
        "",
        "| lesson | wait, warm-up on s | wait, off s | after the setup cell, on s | off s | "
        "printed text identical |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for name in lessons:
        path = ROOT / "notebooks" / name
        waits: dict[str, list[float]] = {"1": [], "0": []}
        second: dict[str, list[float]] = {"1": [], "0": []}
        printed: list[dict[str, str]] = []
        for repeat in range(repeats):
            for flag in ("1", "0") if repeat % 2 == 0 else ("0", "1"):
                env = {**bench_notebooks.kernel_env(ROOT), "LRCOURSE_WARMUP": flag}
                run = bench_notebooks.lesson_wait(path, env, reading=True)
                waits[flag].append(run.wait_s)
                second[flag].append(sum(run.cells_s[1:]))
                printed.append(_masked(run.stdout))
                print(f"{name} warm-up={flag}: wait {run.wait_s:.2f} s", file=sys.stderr)
        same = all(p == printed[0] for p in printed)
        lines.append(
            f"| {name.removesuffix('.ipynb')} | {statistics.median(waits['1']):.2f} | "
            f"{statistics.median(waits['0']):.2f} | {statistics.median(second['1']):.2f} | "
            f"{statistics.median(second['0']):.2f} | {'yes' if same else 'NO'} |"
        )
    return "\n".join(lines) + "\n"


def first_cells(name: str, cells: int, repeats: int, pause_s: float = 3.0) -> str:
    """Per-cell medians of a lesson's first ``cells`` code cells, warm-up on against off.

    Whole-lesson totals vary by seconds from run to run on a shared machine; the first cells
    show the warm-up's effect directly: the setup cell is not slowed down, and the first cell
    that builds an optimizer no longer pays the import.
    """
    path = ROOT / "notebooks" / name
    nb = bench_notebooks._read(path)
    code = [cell for cell in nb.cells if cell.cell_type == "code"][:cells]
    ids = [str(cell.get("id", i)) for i, cell in enumerate(code)]
    times: dict[str, list[list[float]]] = {"1": [], "0": []}
    for repeat in range(repeats):
        for flag in ("1", "0") if repeat % 2 == 0 else ("0", "1"):
            nb.cells = code
            env = {**bench_notebooks.kernel_env(ROOT), "LRCOURSE_WARMUP": flag}
            with bench_notebooks._environment(env):
                client = bench_notebooks._client(nb, path)
                row = []
                with client.setup_kernel():
                    for index, cell in enumerate(code):
                        if index:
                            time.sleep(pause_s)
                        begin = time.perf_counter()
                        client.execute_cell(cell, index)
                        row.append(time.perf_counter() - begin)
            times[flag].append(row)
    on = [statistics.median(column) for column in zip(*times["1"], strict=True)]
    off = [statistics.median(column) for column in zip(*times["0"], strict=True)]
    return "\n".join(
        [
            f"{name}: first {cells} code cells, {pause_s:g} s pause before each after the first, "
            f"median of {repeats} interleaved runs per setting.",
            "",
            "| cell | warm-up on s | off s |",
            "|---|---:|---:|",
            *[f"| {c} | {a:.2f} | {b:.2f} |" for c, a, b in zip(ids, on, off, strict=True)],
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("lessons", nargs="*", default=list(DEFAULT_LESSONS))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--first-cells", type=int, default=4, help="cells of the first lesson")
    args = parser.parse_args(argv)
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    print(first_cells(args.lessons[0], args.first_cells, args.repeats + 1))
    print(compare(args.lessons, args.repeats))
    return 0


if __name__ == "__main__":
    sys.exit(main())
