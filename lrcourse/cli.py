"""The ``lrcourse`` command: a thin layer over the Python API.

    lrcourse validate [PATHS ...]        check the question bank and run its verify snippets
    lrcourse check ID FILE.py [--json]   check a learner's exercise file in a limited child process
    lrcourse check --list                list the exercises
    lrcourse grade FOLDER [--out CSV]    grade a folder of student notebooks (sandboxed)
    lrcourse progress [--export FILE]    per-topic mastery from the local progress store

Exit codes: 0 success, 1 a failed check or validation, 2 a usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path


def _validate(args: argparse.Namespace) -> int:
    from lrcourse.validate import validate

    report = validate(args.paths or None, run_verify=not args.no_run, timeout=args.timeout,
                      workers=args.jobs)
    for problem in report.problems:
        print(problem)
    print(report.summary(), file=sys.stderr)
    return 0 if report.ok else 1


def _check(args: argparse.Namespace) -> int:
    from lrcourse.exercises import UnknownExerciseError, check_file, list_exercises

    if args.list:
        for ex in list_exercises():
            print(f"{ex.id:22} {ex.title}")
        return 0
    if not args.exercise or not args.file:
        print("lrcourse check: give an exercise id and a file (or --list)", file=sys.stderr)
        return 2
    try:
        feedback = check_file(args.exercise, args.file, timeout=args.timeout)
    except UnknownExerciseError as exc:
        print(f"lrcourse check: {exc.args[0]}", file=sys.stderr)
        return 2
    except FileNotFoundError:
        print(f"lrcourse check: no such file: {args.file}", file=sys.stderr)
        return 2
    print(json.dumps(feedback.to_dict(), indent=2) if args.json else feedback)
    return 0 if feedback.passed else 1


def _grade(args: argparse.Namespace) -> int:
    from lrcourse.exercises import UnknownExerciseError
    from lrcourse.gradebook import grade_folder, summary, write_csv

    exercises = args.exercises.split(",") if args.exercises else None
    try:
        rows, notes = grade_folder(args.folder, exercises=exercises, timeout=args.timeout,
                                   workers=args.jobs)
    except (NotADirectoryError, UnknownExerciseError) as exc:
        print(f"lrcourse grade: {exc}", file=sys.stderr)
        return 2
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    print(summary(rows))
    if args.out:
        print(f"wrote {write_csv(rows, args.out)} row(s) to {args.out}")
    return 0


def _progress(args: argparse.Namespace) -> int:
    from lrcourse.bank import TOPIC_ORDER
    from lrcourse.progress import ProgressStore, format_mastery

    store = ProgressStore(args.db)
    if args.export:
        try:
            rows = store.export(args.export, fmt=args.format)
        except ValueError as exc:
            print(f"lrcourse progress: {exc}", file=sys.stderr)
            return 2
        print(f"wrote {rows} attempt(s) to {args.export}")
        return 0
    print(f"progress store: {store.path}")
    print(format_mastery(store.mastery(topics=TOPIC_ORDER)))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lrcourse", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help="check the question bank and run its verify snippets")
    p.add_argument("paths", nargs="*", help="quiz files or folders (default: the course bank)")
    p.add_argument("--no-run", action="store_true", help="check the schema only")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds per verify snippet")
    p.add_argument("--jobs", type=int, default=2, help="snippets run at once")
    p.set_defaults(func=_validate)

    p = sub.add_parser("check", help="check an exercise solution file")
    p.add_argument("exercise", nargs="?", help="exercise id, e.g. two-lr-groups")
    p.add_argument("file", nargs="?", type=Path, help="the learner's .py file")
    p.add_argument("--list", action="store_true", help="list the exercises")
    p.add_argument("--json", action="store_true", help="print the feedback as JSON")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds before a time-out")
    p.set_defaults(func=_check)

    p = sub.add_parser("grade", help="grade a folder of student notebooks")
    p.add_argument("folder", type=Path, help="FOLDER/<student>.ipynb or FOLDER/<student>/*.ipynb")
    p.add_argument("--out", type=Path, help="write the gradebook to this CSV file")
    p.add_argument("--exercises", help="comma-separated ids (default: every tagged exercise)")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds per exercise cell")
    p.add_argument("--jobs", type=int, default=2, help="cells checked at once")
    p.set_defaults(func=_grade)

    p = sub.add_parser("progress", help="show or export per-topic mastery")
    p.add_argument("--db", help="progress store (default: $LRCOURSE_PROGRESS_DB or the user's)")
    p.add_argument("--export", help="write every attempt to this .csv or .json file")
    p.add_argument("--format", choices=("csv", "json"), help="export format (default: suffix)")
    p.set_defaults(func=_progress)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (argparse usage errors exit 2)."""
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
