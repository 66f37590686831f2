"""Benchmark (not a test): interactive `Exercise.check` latency per exercise, cold and warm,
and the child-process `check_file` latency. Writes bench/BENCHMARKS-exercises.md.

Run from the repository root: ``python3 bench/bench_check.py [--runs N]``.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

COLD = """
import time; t0 = time.perf_counter()
from lrcourse.exercises import exercise
from lrcourse.exercises.submission import execute_source
t1 = time.perf_counter()
ex = exercise({eid!r}); obj = execute_source(ex.solution_source)[ex.entry_point]
t2 = time.perf_counter(); fb = ex.check(obj, seed=1); t3 = time.perf_counter()
t4 = time.perf_counter(); ex.check(obj, seed=2); t5 = time.perf_counter()
print(t1 - t0, t3 - t2, t5 - t4, fb.passed)
"""


def cold(eid: str) -> tuple[float, float, float]:
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
    from lrcourse.exercises import check_file, list_exercises
    from lrcourse.exercises.submission import execute_source

    rows = []
    exercises = list_exercises()
    for ex in exercises:
        obj = execute_source(ex.solution_source)[ex.entry_point]
        ex.check(obj, seed=0)
        times = []
        for seed in range(args.runs):
            t = time.perf_counter()
            assert ex.check(obj, seed=seed).passed
            times.append(time.perf_counter() - t)
        rows.append((ex.id, statistics.median(times) * 1e3, max(times) * 1e3))
    import_s, first_s, second_s = cold("two-lr-groups")
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for eid in ("step-decay", "training-loop", "momentum-sgd"):
            path = Path(tmp) / f"{eid}.py"
            from lrcourse.exercises import exercise

            path.write_text(exercise(eid).solution_source)
            files.append((eid, path))
        child = []
        for eid, path in files:
            t = time.perf_counter()
            assert check_file(eid, path).passed
            child.append((eid, time.perf_counter() - t))
        loop = Path(tmp) / "loop.py"
        loop.write_text("def make_scheduler(optimizer):\n    while True:\n        pass\n")
        t = time.perf_counter()
        verdict = check_file("step-decay", loop, timeout=5).status
        loop_s = time.perf_counter() - t
    lines = [
        "# Exercise checker benchmarks",
        "",
        f"Machine: {platform.machine()}, {platform.python_version()}, "
        f"torch {__import__('torch').__version__}, CPU only. Produced by `bench/bench_check.py "
        f"--runs {args.runs}` (reference solutions, seeds 0..{args.runs - 1}).",
        "",
        "## Interactive `Exercise.check` (warm process)",
        "",
        "| exercise | median ms | max ms |",
        "|---|---:|---:|",
        *[f"| {eid} | {med:.1f} | {mx:.1f} |" for eid, med, mx in rows],
        "",
        "## Cold start (fresh interpreter, two-lr-groups)",
        "",
        f"- `import lrcourse.exercises` (imports torch): {import_s:.2f} s",
        f"- first check in the process: {first_s:.2f} s (the first optimizer construction "
        "imports `torch._dynamo`)",
        f"- second check: {second_s * 1e3:.1f} ms",
        "",
        "## `check_file` (sandbox child: fresh interpreter + import torch + check)",
        "",
        *[f"- {eid}: {s:.2f} s" for eid, s in child],
        f"- infinite loop with `timeout=5`: verdict `{verdict}` after {loop_s:.2f} s",
        "",
    ]
    (ROOT / "bench" / "BENCHMARKS-exercises.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
