"""Benchmark (not a test): interactive exercise-check latency per exercise, cold and warm,
and the sandboxed ``check_file`` latency. Writes bench/BENCHMARKS-exercises.md.

Checks go through the public API, ``lrcourse.exercise(id).check(obj)``, with each
exercise's reference solution as ``obj``. Run from the repository root:
``python bench/bench_check.py [--runs N]``; ``bench/run.py`` prints the warm latencies.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import lrcourse  # noqa: E402

COLD = """
import time; t0 = time.perf_counter()
import lrcourse
from lrcourse.exercises import list_exercises
t1 = time.perf_counter()
ex = lrcourse.exercise({eid!r}); ns = {{}}
exec(compile(ex.solution_source, "<solution>", "exec"), ns); obj = ns[ex.entry_point]
t2 = time.perf_counter(); fb = ex.check(obj); t3 = time.perf_counter()
t4 = time.perf_counter(); ex.check(obj); t5 = time.perf_counter()
print(t1 - t0, t3 - t2, t5 - t4, fb.passed)
"""


@dataclass
class Latency:
    """Warm ``check`` latency of one exercise."""

    exercise: str
    median_ms: float
    max_ms: float
    passed: bool


def solution_object(exercise_id: str) -> Any:
    """The object the reference solution defines (what a learner would pass to ``check``)."""
    ex = lrcourse.exercise(exercise_id)
    namespace: dict[str, Any] = {}
    exec(compile(ex.solution_source, f"<solution {exercise_id}>", "exec"), namespace)
    return namespace[ex.entry_point]


def exercise_ids() -> list[str]:
    """Every exercise id, in course order."""
    from lrcourse.exercises import list_exercises

    return [ex.id for ex in list_exercises()]


def interactive_latency(runs: int = 15) -> list[Latency]:
    """Median and worst ``lrcourse.exercise(id).check(solution)`` time, in a warm process.

    One untimed check per exercise first pays one-time imports (a lesson's earlier cells
    have paid them by the time a learner checks).
    """
    rows = []
    for eid in exercise_ids():
        obj = solution_object(eid)
        ok = bool(lrcourse.exercise(eid).check(obj).passed)
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            ok = bool(lrcourse.exercise(eid).check(obj).passed) and ok
            times.append(time.perf_counter() - start)
        rows.append(Latency(eid, statistics.median(times) * 1e3, max(times) * 1e3, ok))
    return rows


def render_latency(rows: list[Latency], runs: int) -> str:
    """A Markdown table of ``interactive_latency``."""
    lines = [
        f"`lrcourse.exercise(id).check(solution)` in a warm process, median of {runs} runs:",
        "",
        "| exercise | median ms | max ms | passed |",
        "|---|---:|---:|---|",
        *[
            f"| {r.exercise} | {r.median_ms:.1f} | {r.max_ms:.1f} | {'yes' if r.passed else 'NO'} |"
            for r in rows
        ],
    ]
    return "\n".join(lines) + "\n"


def cold(eid: str) -> tuple[float, float, float]:
    """Import, first-check and second-check seconds in a fresh interpreter."""
    out = subprocess.run(
        [sys.executable, "-c", COLD.format(eid=eid)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return float(out[0]), float(out[1]), float(out[2])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    from lrcourse.exercises import check_file

    rows = interactive_latency(args.runs)
    import_s, first_s, second_s = cold("two-lr-groups")
    with tempfile.TemporaryDirectory() as tmp:
        child = []
        for eid in ("step-decay", "training-loop", "momentum-sgd"):
            path = Path(tmp) / f"{eid}.py"
            path.write_text(lrcourse.exercise(eid).solution_source)
            start = time.perf_counter()
            passed = check_file(eid, path).passed
            child.append((eid, time.perf_counter() - start, passed))
        loop = Path(tmp) / "loop.py"
        loop.write_text("def make_scheduler(optimizer):\n    while True:\n        pass\n")
        start = time.perf_counter()
        verdict = check_file("step-decay", loop, timeout=5).status
        loop_s = time.perf_counter() - start
    lines = [
        "# Exercise checker benchmarks",
        "",
        f"Machine: {platform.machine()}, {platform.python_version()}, "
        f"torch {__import__('torch').__version__}, CPU only. Produced by `bench/bench_check.py "
        f"--runs {args.runs}` (reference solutions).",
        "",
        "## Interactive `Exercise.check` (warm process)",
        "",
        render_latency(rows, args.runs),
        "## Cold start (fresh interpreter, two-lr-groups)",
        "",
        f"- `import lrcourse.exercises` (imports torch): {import_s:.2f} s",
        f"- first check in the process: {first_s:.2f} s (the first optimizer construction "
        "imports `torch._dynamo`)",
        f"- second check: {second_s * 1e3:.1f} ms",
        "",
        "## `check_file` (sandbox child: fresh interpreter + import torch + check)",
        "",
        *[f"- {eid}: {s:.2f} s{'' if ok else ' (did not pass)'}" for eid, s, ok in child],
        f"- infinite loop with `timeout=5`: verdict `{verdict}` after {loop_s:.2f} s",
        "",
    ]
    (ROOT / "bench" / "BENCHMARKS-exercises.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
