"""All of the course's speed figures in one command.

Run from the repository root::

    python bench/run.py                              # this checkout, one CPU
    python bench/run.py --before /tmp/old-checkout   # also time an older checkout's lessons
    python bench/run.py --device cuda                # lessons and sweeps on a GPU

It prints one Markdown report (``--out FILE`` also writes it) with these sections:

1. **Lessons**: each lesson's wait (the sum of its code cells' times, as the learner's client
   sees them, in a fresh kernel; exercise cells as committed) with cells run back to back and
   with reading pauses between cells (``bench_notebooks.reading_pause``). With ``--before``,
   the older checkout's lessons run interleaved with this one's (alternating which goes
   first), and the ratio of medians is printed.
2. **Sweeps**: batched lr sweeps against sequential training for K = 1, 4, 16, 64
   (``bench_sweeps.py``), one torch thread.
3. **Checks**: interactive ``lrcourse.exercise(id).check(solution)`` latency per exercise
   (``bench_check.py``).
4. **Grading**: if ``bench/bench_grading.py`` exists, its ``main()`` is imported and called
   with ``sys.argv`` reset to its own name (and ``--before``, if given); what it prints
   becomes the section (plus what it returns, if that is a string it did not print). The
   CPU pinning is lifted for it, so it sees the machine's real CPUs.

The lessons, sweeps and checks run pinned to one CPU (the benchmark process and every kernel
it starts share one affinity mask), which is what a Binder learner gets. The report states the
machine, the CPU used and the load average before and after, since other processes on the
machine disturb the figures.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
for folder in (ROOT, BENCH):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

import bench_check  # noqa: E402
import bench_notebooks  # noqa: E402
import bench_sweeps  # noqa: E402

GRADING = BENCH / "bench_grading.py"
Waits = dict[tuple[str, str, bool], list[float]]
"""(version, lesson, reading) -> the wait of each repeat, or the kernel CPU time."""


def pin_to_one_cpu() -> tuple[set[int], int]:
    """Restrict this process (and every child it starts) to one CPU; return (old set, cpu)."""
    old = os.sched_getaffinity(0)
    cpu = min(old)
    os.sched_setaffinity(0, {cpu})
    return old, cpu


def machine(cpu: int | None) -> str:
    """One line describing where the figures come from."""
    import torch

    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    pinned = f"pinned to CPU {cpu}" if cpu is not None else "not pinned"
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{platform.node()} · {platform.machine()} · {os.cpu_count()} CPUs ({pinned}) · "
        f"{gpu} · Python {platform.python_version()} · torch {torch.__version__} · "
        f"load average {load}"
    )


def lessons(
    after: Path, before: Path | None, names: list[str], repeats: int, device: str
) -> tuple[Waits, Waits, dict[str, list[str]]]:
    """Interleaved lesson waits: (version, lesson, reading) -> seconds of each repeat."""
    versions = [("after", after)] + ([("before", before)] if before else [])
    waits: Waits = {}
    cpu: Waits = {}
    errors: dict[str, list[str]] = {}
    for repeat in range(repeats):
        for name in names:
            order = versions if repeat % 2 == 0 else versions[::-1]
            for reading in (False, True):
                for label, root in order:
                    path = root / "notebooks" / name
                    if not path.exists():
                        continue
                    env = bench_notebooks.kernel_env(root, device)
                    run = bench_notebooks.lesson_wait(path, env, reading=reading)
                    waits.setdefault((label, name, reading), []).append(run.wait_s)
                    if run.kernel_cpu_s is not None:
                        cpu.setdefault((label, name, reading), []).append(run.kernel_cpu_s)
                    if run.errors:
                        errors.setdefault(f"{label} {name}", []).extend(run.errors)
                    mode = "reading" if reading else "back to back"
                    print(
                        f"[{repeat + 1}/{repeats}] {label} {name} {mode}: {run.wait_s:.2f} s"
                        f" (kernel start {run.kernel_start_s:.2f} s, CPU {run.kernel_cpu_s} s)",
                        file=sys.stderr,
                    )
    return waits, cpu, errors


def render_lessons(
    waits: Waits,
    cpu: Waits,
    names: list[str],
    repeats: int,
    has_before: bool,
    errors: dict[str, list[str]],
) -> str:
    """The lessons table: medians per version and mode, and after/before ratios."""
    low, high = bench_notebooks.PAUSE_S
    lines = [
        f"Wait = sum of the code cells' times seen by the client, fresh kernel per run, median of "
        f"{repeats} interleaved runs. Reading: a pause before each code cell of "
        f"{bench_notebooks.READING_WPM} words/min of the markdown above it, clamped to "
        f"{low:g}–{high:g} s. Kernel CPU: CPU time the kernel (all threads, plus child processes "
        "it reaped) used over the back-to-back run; other load on the machine disturbs it far "
        "less than wall time, but it misses work done in processes that outlive the lesson.",
        "",
    ]
    if has_before:
        lines += [
            "| lesson | before s | after s | after/before | before, reading s | "
            "after, reading s | after/before | kernel CPU before s | after s | after/before |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
    else:
        lines += [
            "| lesson | back to back s | with reading s | kernel CPU s |",
            "|---|---:|---:|---:|",
        ]
    for name in names:
        cells = [name.removesuffix(".ipynb")]
        for table, reading in ((waits, False), (waits, True), (cpu, False)):
            med_after = _median(table.get(("after", name, reading)))
            if has_before:
                med_before = _median(table.get(("before", name, reading)))
                cells += [f"{med_before:.2f}", f"{med_after:.2f}", f"{med_after / med_before:.2f}"]
            else:
                cells.append(f"{med_after:.2f}")
        lines.append("| " + " | ".join(cells) + " |")
    for key, messages in errors.items():
        lines.append(f"\nErrors in {key}: " + "; ".join(sorted(set(messages))))
    return "\n".join(lines) + "\n"


def _median(values: list[float] | None) -> float:
    return statistics.median(values) if values else float("nan")


def grading_section(before: Path | None = None) -> str | None:
    """The grading benchmark's report, when ``bench/bench_grading.py`` exists (``before`` is
    passed on as ``--before``: its grader's fixed start-up is measured too)."""
    if not GRADING.exists():
        return None
    spec = importlib.util.spec_from_file_location("bench_grading", GRADING)
    if spec is None or spec.loader is None:
        return f"could not load {GRADING.name}"
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    main: Callable[[], object] = module.main
    saved_argv = sys.argv
    sys.argv = [str(GRADING)] + (["--before", str(before)] if before else [])
    buffer = io.StringIO()
    try:
        with contextlib.redirect_stdout(buffer):
            result = main()
    finally:
        sys.argv = saved_argv
    text = buffer.getvalue()
    if isinstance(result, str) and result.strip() not in text:
        text += result
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--before", type=Path, help="an older checkout whose lessons to compare")
    parser.add_argument("--lessons", nargs="*", help="lesson files (default: notebooks/*.ipynb)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per lesson and mode")
    parser.add_argument("--sweep-repeats", type=int, default=3)
    parser.add_argument("--ks", type=int, nargs="*", default=list(bench_sweeps.KS))
    parser.add_argument("--check-runs", type=int, default=15)
    parser.add_argument("--device", default="", help="LRCOURSE_DEVICE for lessons and sweeps")
    parser.add_argument("--skip", nargs="*", default=[], help="lessons, sweeps, checks, grading")
    parser.add_argument("--out", type=Path, help="also write the report here")
    args = parser.parse_args(argv)

    old_cpus, pinned = pin_to_one_cpu()
    report = [
        "# lrcourse benchmarks (`bench/run.py`)",
        "",
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- machine at start: {machine(pinned)}",
    ]
    names = args.lessons or sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    started = time.perf_counter()
    if "lessons" not in args.skip:
        waits, cpu, errors = lessons(ROOT, args.before, names, args.repeats, args.device)
        report += [
            "",
            "## Lessons: the learner's wait on one CPU",
            "",
            f"before = `{args.before}`, after = this checkout." if args.before else "",
            render_lessons(waits, cpu, names, args.repeats, args.before is not None, errors),
        ]
    if "sweeps" not in args.skip:
        device = args.device or "cpu"
        rows = bench_sweeps.compare(args.ks, repeats=args.sweep_repeats, device=device, threads=1)
        report += [
            "## Sweeps: batched against sequential",
            "",
            bench_sweeps.render(rows, device=device, threads=1, repeats=args.sweep_repeats),
        ]
    if "checks" not in args.skip:
        latency = bench_check.interactive_latency(args.check_runs)
        report += [
            "## Interactive exercise checks",
            "",
            bench_check.render_latency(latency, args.check_runs),
        ]
    os.sched_setaffinity(0, old_cpus)
    if "grading" not in args.skip:
        section = grading_section(args.before)
        report += [
            "## Grading",
            "",
            section if section is not None else "(no `bench/bench_grading.py` yet)",
            "",
        ]
    report += [
        f"- machine at end: {machine(None)}",
        f"- total run time: {time.perf_counter() - started:.0f} s",
        "",
    ]
    text = "\n".join(report)
    print(text)
    if args.out:
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
