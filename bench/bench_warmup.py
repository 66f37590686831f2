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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("lessons", nargs="*", default=list(DEFAULT_LESSONS))
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    print(compare(args.lessons, args.repeats))
    return 0


if __name__ == "__main__":
    sys.exit(main())
