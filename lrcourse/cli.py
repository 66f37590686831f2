"""The ``lrcourse`` command: a thin layer over the Python API.

    lrcourse validate [PATHS ...]            check the question bank and run its verify snippets
    lrcourse check ID FILE.py [--json]       check an exercise file (its code runs in a sandbox)
    lrcourse check --list                    list the exercises
    lrcourse grade FOLDER --out DIR          grade a folder of student notebooks (isolated)
    lrcourse precheck NOTEBOOK               a learner runs the grader's own path first
    lrcourse merge OUT DIR [DIR ...]         combine the gradebooks of several shards
    lrcourse progress [--export FILE]        per-topic mastery from the local progress store
    lrcourse progress --merge FILE ...       one class table from learners' exports
    lrcourse links REPO_URL [--hub URL]      Binder badge and link, nbgitpuller link

Exit codes: 0 success, 1 a failed check or validation, 2 a usage error or a refusal to grade.
Defaults (timeouts, workers) are read from the functions the commands call.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

SUMMARY = "lrcourse: learn, teach and grade learning-rate strategy in PyTorch"


def _default(function: Any, name: str) -> Any:
    """A keyword default of ``function`` (one home per fact: the API's signature)."""
    return (function.__kwdefaults__ or {})[name]


def _fail(command: str, message: object) -> int:
    print(f"lrcourse {command}: {message}", file=sys.stderr)
    return 2


def _validate(args: argparse.Namespace) -> int:
    from lrcourse.validate import validate

    report = validate(
        args.paths or None,
        run_verify=not args.no_run,
        timeout=args.timeout,
        workers=args.jobs,
        floor=args.floor,
    )
    for problem in report.problems:
        print(problem)
    print(report.summary(), file=sys.stderr)
    return 0 if report.ok else 1


def _check(args: argparse.Namespace) -> int:
    from lrcourse.exercises import UnknownExerciseError, check_file, list_exercises
    from lrcourse.sandbox import IsolationError

    if args.list:
        for ex in list_exercises():
            print(f"{ex.id:22} {ex.title}")
        return 0
    if not args.exercise or not args.file:
        return _fail("check", "give an exercise id and a file (or --list)")
    try:
        isolation = args.isolation or _default(check_file, "isolation")
        feedback = check_file(args.exercise, args.file, timeout=args.timeout, isolation=isolation)
    except UnknownExerciseError as exc:
        return _fail("check", exc.args[0])
    except FileNotFoundError:
        return _fail("check", f"no such file: {args.file}")
    except IsolationError as exc:
        return _fail("check", exc)
    if args.json:  # only the fields this verdict has: no null hint or explanation
        print(json.dumps({k: v for k, v in feedback.to_dict().items() if v is not None}, indent=2))
    else:
        print(feedback)
    return 0 if feedback.passed else 1


def _shard(text: str) -> tuple[int, int]:
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--shard takes INDEX/COUNT, e.g. 0/4, not {text!r}"
        ) from None
    if count < 1 or not 0 <= index < count:
        raise argparse.ArgumentTypeError(f"--shard {text}: need 0 <= INDEX < COUNT")
    return index, count


def _grade(args: argparse.Namespace) -> int:
    from lrcourse.autograde import (
        GradeOptions,
        JournalBusyError,
        SelfTestError,
        grade_folder,
        summary,
        write_outputs,
    )
    from lrcourse.autograde.assignment import AssignmentError, load_assignment
    from lrcourse.exercises.content import UnknownExerciseError
    from lrcourse.sandbox import IsolationError

    exercises = args.exercises.split(",") if args.exercises else None
    try:
        assignment = load_assignment(args.assignment) if args.assignment else None
    except (AssignmentError, FileNotFoundError) as exc:
        return _fail("grade", exc)
    options = GradeOptions(
        timeout=args.timeout,
        workers=args.jobs,
        isolation=args.isolation,
        regrade=args.regrade,
        shard=args.shard,
    )
    try:
        results = grade_folder(
            args.folder,
            args.out,
            exercises=exercises,
            assignment=assignment,
            options=options,
            progress=lambda line: print(line, file=sys.stderr),
        )
    except (
        NotADirectoryError,
        PermissionError,
        UnknownExerciseError,
        JournalBusyError,
        IsolationError,
        SelfTestError,
    ) as exc:
        return _fail("grade", exc.args[0] if exc.args else exc)
    for note in results.notes:
        print(f"note: {note}", file=sys.stderr)
    for record in results.students:
        for note in record.notes:
            print(f"note: {record.student}: {note}", file=sys.stderr)
    print(summary(results))
    for path in write_outputs(results, args.out):
        print(f"wrote {path}")
    return 0


def _precheck(args: argparse.Namespace) -> int:
    import shutil
    import tempfile

    from lrcourse.autograde import GradeOptions, grade_folder
    from lrcourse.autograde.assignment import AssignmentError, load_assignment

    if not Path(args.notebook).is_file():
        return _fail("precheck", f"no such notebook: {args.notebook}")
    try:
        assignment = load_assignment(args.assignment)
    except (AssignmentError, FileNotFoundError) as exc:
        return _fail("precheck", exc)
    with tempfile.TemporaryDirectory(prefix="lrcourse-precheck-") as scratch:
        folder = Path(scratch) / "submission"
        folder.mkdir()
        shutil.copyfile(args.notebook, folder / "me.ipynb")
        results = grade_folder(
            folder,
            Path(scratch) / "out",
            assignment=assignment,
            options=GradeOptions(isolation=args.isolation, workers=1),
        )
    (record,) = results.students
    for note in record.notes:
        print(f"note: {note}")
    for item in results.items:
        result = record.items.get(item)
        if result is not None:
            print(f"{item:32} {result.status:14} {result.title}")
    total = results.total(record)
    print(f"score {total:g} / {sum(results.max_points(i) for i in results.items):g}")
    return 0


def _merge(args: argparse.Namespace) -> int:
    from lrcourse.autograde import JournalBusyError
    from lrcourse.autograde.merge import merge_gradebooks

    try:
        paths = merge_gradebooks(args.out, args.shards)
    except (FileNotFoundError, NotADirectoryError, JournalBusyError, ValueError) as exc:
        return _fail("merge", exc)
    for path in paths:
        print(f"wrote {path}")
    return 0


def _progress(args: argparse.Namespace) -> int:
    from lrcourse.bank import TOPIC_ORDER
    from lrcourse.progress import ProgressStore, format_mastery
    from lrcourse.progress.class_table import format_class_table, merge_exports, write_class_csv

    if args.merge:
        table = merge_exports(args.merge, topics=TOPIC_ORDER)
        for problem in table.problems:
            print(f"lrcourse progress: {problem}", file=sys.stderr)
        print(format_class_table(table))
        if args.out:
            print(f"wrote {write_class_csv(table, args.out)} row(s) to {args.out}")
        return 1 if table.problems else 0
    store = ProgressStore(args.db)
    if args.export:
        try:
            rows = store.export(args.export, fmt=args.format)
        except ValueError as exc:
            return _fail("progress", exc)
        print(f"wrote {rows} attempt(s) to {args.export}")
        return 0
    print(f"progress store: {store.path}")
    print(format_mastery(store.mastery(topics=TOPIC_ORDER)))
    return 0


def _links(args: argparse.Namespace) -> int:
    from lrcourse.classroom_links import classroom_links

    try:
        links = classroom_links(
            args.repository, branch=args.branch, notebook=args.notebook, hub_url=args.hub
        )
    except ValueError as exc:
        return _fail("links", exc)
    print(links.to_text())
    return 0


def _validate_options(p: argparse.ArgumentParser) -> None:
    from lrcourse.validate import validate

    p.add_argument("paths", nargs="*", help="quiz files or folders (default: the course bank)")
    p.add_argument("--no-run", action="store_true", help="check the schema only")
    p.add_argument(
        "--timeout",
        type=float,
        default=_default(validate, "timeout"),
        help="seconds per verify snippet",
    )
    p.add_argument(
        "--jobs", type=int, default=_default(validate, "workers"), help="snippets run at once"
    )
    p.add_argument(
        "--floor",
        type=float,
        default=_default(validate, "floor"),
        help="the share of questions that must be proven by running torch (0 to 1)",
    )
    p.set_defaults(func=_validate)


def _check_options(p: argparse.ArgumentParser) -> None:
    from lrcourse.sandbox.isolation import MODES
    from lrcourse.sandbox.limits import DEFAULT_TIMEOUT

    p.add_argument("exercise", nargs="?", help="exercise id, e.g. two-lr-groups")
    p.add_argument("file", nargs="?", type=Path, help="the learner's .py file")
    p.add_argument("--list", action="store_true", help="list the exercises")
    p.add_argument("--json", action="store_true", help="print the feedback as JSON")
    p.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        help="seconds before a time-out",
    )
    p.add_argument(
        "--isolation",
        choices=MODES,
        help="sandbox isolation (default: what this machine offers; strict refuses to run "
        "without every layer)",
    )
    p.set_defaults(func=_check)


def _grade_options(p: argparse.ArgumentParser) -> None:
    from lrcourse.autograde.options import GradeOptions

    defaults = GradeOptions()
    p.add_argument("folder", type=Path, help="FOLDER/<student>.ipynb or FOLDER/<student>/*.ipynb")
    p.add_argument(
        "--out",
        type=Path,
        required=True,
        help="output folder: journal, grades.csv, scores.csv (resumable)",
    )
    p.add_argument(
        "--assignment",
        help="an assignment file (.toml) or a ready one's name, "
        "e.g. lr-strategy: its exercises and quiz questions, with points",
    )
    p.add_argument(
        "--exercises", help="comma-separated ids, without an assignment (default: every exercise)"
    )
    p.add_argument(
        "--timeout", type=float, default=defaults.timeout, help="seconds per answer cell"
    )
    p.add_argument(
        "--jobs",
        type=int,
        default=defaults.workers,
        help="sandbox workers (default: the CPUs available to this process)",
    )
    p.add_argument(
        "--isolation",
        choices=("strict", "trusted"),
        default=defaults.isolation,
        help="strict (default) refuses to grade unless every isolation layer holds; "
        "trusted grades with what this machine offers",
    )
    p.add_argument(
        "--regrade", action="store_true", help="grade again what the journal already holds"
    )
    p.add_argument(
        "--shard",
        type=_shard,
        default=defaults.shard,
        help="grade only shard INDEX of COUNT (e.g. 0/4), stable by student name",
    )
    p.set_defaults(func=_grade)


def _precheck_options(p: argparse.ArgumentParser) -> None:
    from lrcourse.sandbox.isolation import MODES

    p.add_argument("notebook", type=Path, help="your .ipynb")
    p.add_argument("--assignment", default="lr-strategy", help="assignment name or file")
    p.add_argument(
        "--isolation",
        choices=MODES,
        default="trusted",
        help="sandbox isolation (default: what this machine offers)",
    )
    p.set_defaults(func=_precheck)


def _merge_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("out", type=Path, help="the combined output folder")
    p.add_argument("shards", nargs="+", type=Path, help="the shards' output folders")
    p.set_defaults(func=_merge)


def _progress_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", help="progress store (default: $LRCOURSE_PROGRESS_DB or the user's)")
    p.add_argument("--export", help="write every attempt to this .csv or .json file")
    p.add_argument("--format", choices=("csv", "json"), help="export format (default: suffix)")
    p.add_argument(
        "--merge",
        nargs="+",
        metavar="FILE",
        help="learners' exports (.csv/.json) to merge into one class table",
    )
    p.add_argument("--out", help="with --merge: also write the class table as CSV")
    p.set_defaults(func=_progress)


def _links_options(p: argparse.ArgumentParser) -> None:
    from lrcourse.classroom_links import classroom_links

    p.add_argument("repository", help="the course's git repository URL")
    p.add_argument("--branch", default=_default(classroom_links, "branch"))
    p.add_argument(
        "--notebook", default=_default(classroom_links, "notebook"), help="the notebook to open"
    )
    p.add_argument("--hub", help="your JupyterHub's URL, for the nbgitpuller link")
    p.set_defaults(func=_links)


_SUBCOMMANDS: dict[str, tuple[Callable[[argparse.ArgumentParser], None], str]] = {
    "validate": (_validate_options, "check the question bank and run its verify snippets"),
    "check": (_check_options, "check an exercise solution file"),
    "grade": (_grade_options, "grade a folder of student notebooks"),
    "precheck": (_precheck_options, "grade your own notebook the way the grader will"),
    "merge": (_merge_options, "combine the output folders of several grading shards"),
    "progress": (_progress_options, "show, export or merge per-topic mastery"),
    "links": (_links_options, "Binder badge and link, and the nbgitpuller link"),
}
"""Each subcommand: the function that adds its options (importing what their defaults need)
and its one-line help."""


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser of every subcommand.

    With ``command``, only that subcommand gets its options: the others are still listed, so
    ``lrcourse --help`` and the error for an unknown command do not change, but their
    options, whose defaults are read from the sandbox, the grader or the validator, are not
    built. ``main`` passes the subcommand it was given, so ``lrcourse progress`` (a lesson
    cell) imports none of those modules.
    """
    parser = argparse.ArgumentParser(prog="lrcourse", description=SUMMARY)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (add_options, help_text) in _SUBCOMMANDS.items():
        p = sub.add_parser(name, help=help_text)
        if command is None or command == name:
            add_options(p)
    return parser


def _subcommand(argv: Sequence[str]) -> str | None:
    """The subcommand ``argv`` names (its first word that is not an option), if any."""
    for word in argv:
        if not word.startswith("-"):
            return word if word in _SUBCOMMANDS else None
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (argparse usage errors exit 2)."""
    words = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(_subcommand(words)).parse_args(words)
    return int(args.func(args))


def run() -> NoReturn:
    """The ``lrcourse`` command: ``main``, then exit without tearing the interpreter down.

    After a command that imported torch (grading, checks, validation), the interpreter's
    final clean-up of every module takes about a second on one CPU, longer than grading a
    small class. By the time ``main`` returns, everything the command writes is written and
    closed, and every sandbox worker and thread it started is stopped, so the process flushes
    its output and ends at once. An exception takes the ordinary way out.
    """
    import os

    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
