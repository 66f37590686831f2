"""Benchmark (not a test): class grading per submission, against one kernel per notebook.

For each class size it generates notebooks that answer three exercises (two-lr-groups,
step-decay, training-loop; right or wrong, alternating) and end with the check cells a course
notebook has, then:

- grades the folder with ``lrcourse.autograde.grade_folder`` under full isolation (``strict``;
  ``trusted`` where this machine cannot give every layer, and the report says so), with the
  default worker count, and records where the time goes (workers starting while the notebooks
  are read, the start-up self-test, the grading jobs);
- executes a sample of the same notebooks one fresh kernel each with nbclient, as nbgrader
  and otter do, and takes the median per notebook.

Run from the repository root: ``python bench/bench_grading.py [--students 40 100 200]
[--kernels 6]``. ``main()`` returns the Markdown section (bench/run.py calls it).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

EXERCISES = ("two-lr-groups", "step-decay", "training-loop")
CALLS = {"two-lr-groups": "make_optimizer", "step-decay": "make_scheduler", "training-loop": "fit"}


def make_class(folder: Path, students: int) -> None:
    """``students`` notebooks, half right and half wrong on each exercise."""
    import nbformat

    from lrcourse.exercises import exercise

    wrong = {
        e: sorted((ROOT / "tests/exercises/submissions" / e).glob("fail_*.py"))[0]
        for e in EXERCISES
    }
    for index in range(students):
        nb = nbformat.v4.new_notebook()
        nb.cells.append(nbformat.v4.new_code_cell("import lrcourse"))
        for k, ex_id in enumerate(EXERCISES):
            right = (index + k) % 2 == 0
            source = exercise(ex_id).solution_source if right else wrong[ex_id].read_text()
            cell = nbformat.v4.new_code_cell(source)
            cell.metadata["tags"] = ["exercise", f"exercise:{ex_id}"]
            check = nbformat.v4.new_code_cell(f'lrcourse.exercise("{ex_id}").check({CALLS[ex_id]})')
            nb.cells += [nbformat.v4.new_markdown_cell(f"### `{ex_id}`"), cell, check]
        nbformat.write(nb, folder / f"student{index:03d}.ipynb")


def grade(folder: Path, out: Path, mode: str) -> dict[str, float]:
    """Grade the folder; seconds per phase (marks from the grader's progress lines)."""
    from lrcourse.autograde import GradeOptions, grade_folder

    marks: dict[str, float] = {}
    start = time.perf_counter()

    def progress(line: str) -> None:
        if line.startswith("read "):
            marks["read"] = time.perf_counter() - start
        elif line.startswith("grading "):
            marks["self-test"] = time.perf_counter() - start

    grade_folder(
        folder,
        out,
        exercises=list(EXERCISES),
        options=GradeOptions(isolation=mode),
        progress=progress,
    )  # type: ignore[arg-type]
    total = time.perf_counter() - start
    return {
        "read": marks["read"],
        "self-test": marks["self-test"] - marks["read"],
        "grading": total - marks["self-test"],
        "total": total,
    }


def kernel_seconds(folder: Path, count: int) -> list[float]:
    """Seconds to execute each of ``count`` notebooks in a fresh kernel (nbclient)."""
    import nbformat
    from nbclient import NotebookClient

    times = []
    for path in sorted(folder.glob("*.ipynb"))[:count]:
        nb = nbformat.read(path, as_version=4)
        start = time.perf_counter()
        NotebookClient(nb, timeout=300, kernel_name="python3").execute()
        times.append(time.perf_counter() - start)
    return times


def command_seconds(root: Path, folder: Path, out: Path) -> float:
    """Wall time of one ``python -m lrcourse grade`` (``root``'s lrcourse) over ``folder``."""
    import subprocess

    out.parent.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "lrcourse", "grade", str(folder), "--out", str(out)]
    argv += ["--exercises", ",".join(EXERCISES)]
    env = {**os.environ, "PYTHONPATH": str(root)}
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=out.parent, capture_output=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"lrcourse grade failed in {root}: {done.stderr[-500:]!r}")
    return seconds


def fixed_start(base: Path, before: Path | None, runs: int) -> list[str]:
    """The whole command on a 2-student class, this checkout against ``before``, interleaved."""
    folder = base / "start-class"
    folder.mkdir()
    for path in sorted((base / "class").glob("*.ipynb"))[:2]:
        (folder / path.name).write_bytes(path.read_bytes())
    versions = [("this checkout", ROOT)] + ([("before", before)] if before else [])
    seconds: dict[str, list[float]] = {label: [] for label, _ in versions}
    for run in range(runs):
        for label, root in versions if run % 2 == 0 else versions[::-1]:
            # an older grader writes one CSV file; this one a folder (named like the file)
            out = base / f"start-{len(seconds[label])}-{label.replace(' ', '-')}" / "grades.csv"
            seconds[label].append(command_seconds(root, folder, out))
    lines = [
        "",
        "Fixed start-up: the whole `python -m lrcourse grade` command (a fresh process: start, "
        "imports, sandbox workers, self-test, 6 answers, the outputs, exit) on a 2-student "
        f"class, default workers, median of {runs} interleaved runs:",
        "",
        "| grader | median s | runs s |",
        "|---|---:|---:|",
    ]
    for label, values in seconds.items():
        runs_text = ", ".join(f"{v:.2f}" for v in values)
        lines.append(f"| {label} | {statistics.median(values):.2f} | {runs_text} |")
    if before:
        ratio = statistics.median(seconds["this checkout"]) / statistics.median(seconds["before"])
        lines += ["", f"This checkout / before: {ratio:.2f} (before = `{before}`)."]
    return lines


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--students", type=int, nargs="+", default=[40, 100, 200])
    parser.add_argument("--kernels", type=int, default=6, help="notebooks run in kernels")
    parser.add_argument("--before", type=Path, help="an older checkout: its fixed start-up too")
    parser.add_argument("--start-runs", type=int, default=5, help="runs of the fixed start-up")
    args = parser.parse_args(argv if argv is not None else sys.argv[1:])
    from lrcourse.sandbox import IsolationError, available_cpus, plan

    try:
        plan("strict")
        mode = "strict"
    except IsolationError:
        mode = "trusted"
    os.environ.setdefault("LRCOURSE_PROGRESS_DB", str(Path(tempfile.mkdtemp()) / "p.sqlite3"))
    load = os.getloadavg()[0]
    lines = [
        "## Grading a class: lrcourse grade vs one kernel per notebook",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs ({available_cpus()} usable), "
        f"Python {platform.python_version()}; isolation `{mode}`; load average {load:.2f} "
        "at the start. Each notebook answers 3 exercises (half right, half wrong).",
        "",
        "| students | lrcourse grade, total | per submission | read the class | "
        "workers warm up + self-test | grading jobs | one kernel per notebook (median) | "
        "ratio per submission |",
        "|---|---|---|---|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory(prefix="lrcourse-bench-") as scratch:
        base = Path(scratch)
        biggest = max(args.students)
        (base / "class").mkdir()
        make_class(base / "class", biggest)
        kernels = kernel_seconds(base / "class", args.kernels)
        kernel = statistics.median(kernels)
        for students in args.students:
            folder = base / f"class{students}"
            folder.mkdir()
            for path in sorted((base / "class").glob("*.ipynb"))[:students]:
                (folder / path.name).write_bytes(path.read_bytes())
            phases = grade(folder, base / f"out{students}", mode)
            per = phases["total"] / students
            lines.append(
                f"| {students} | {phases['total']:.1f} s | {per * 1000:.0f} ms | "
                f"{phases['read']:.1f} s | {phases['self-test']:.1f} s | "
                f"{phases['grading']:.1f} s | {kernel:.2f} s (n={len(kernels)}, "
                f"{min(kernels):.2f}–{max(kernels):.2f}) | {kernel / per:.0f}× |"
            )
        lines += fixed_start(base, args.before, args.start_runs)
    lines += ["", f"Load average at the end: {os.getloadavg()[0]:.2f}."]
    report = "\n".join(lines)
    print(report)
    return report


if __name__ == "__main__":
    main()
