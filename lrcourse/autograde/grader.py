"""Grade a folder of student notebooks: learner code only in isolated children, verdicts here.

The steps, in order: check the output folder and take its lock (lrcourse.autograde.journal);
plan the isolation and start the sandbox workers warming up (lrcourse.sandbox); read every
notebook meanwhile (lrcourse.autograde.submissions); run the start-up self-test (the isolation
hides the submissions, the output, the answer keys and the network, and the reference
solutions pass under it); then grade what the journal does not hold yet, recording each result
the moment it exists.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import lrcourse
from lrcourse.autograde.assignment import Assignment
from lrcourse.autograde.journal import ItemResult, Journal
from lrcourse.autograde.options import GradeOptions
from lrcourse.autograde.submissions import Submission, find_submissions, read_submission
from lrcourse.feedback import Feedback
from lrcourse.sandbox import ChildResult, WorkerPool, available_cpus, plan
from lrcourse.sandbox.isolation import IsolationPlan, hidden_paths

if TYPE_CHECKING:
    from lrcourse.exercises.source_check import PlannedCheck

MISSING = "missing"
UNREADABLE = "unreadable"
PROBE_TARGET = "lrcourse.sandbox.probe:facts"
JOB_MODULE = "lrcourse.exercises.runner"
"""The module of the exercise jobs' target (``lrcourse.exercises.runner.TARGET``), named here
so that the workers can start preloading it before this process imports torch."""


class SelfTestError(RuntimeError):
    """The isolation or the checks do not work here; nobody was graded."""


@dataclass
class StudentRecord:
    """One student's graded submission."""

    student: str
    sha256: str
    notebooks: list[str]
    status: str  # "graded" or "unreadable"
    reason: str
    notes: list[str]
    items: dict[str, ItemResult] = field(default_factory=dict)
    answers: dict[str, tuple[str, str]] = field(default_factory=dict)


@dataclass
class ClassResults:
    """Everything a grading run produced. ``points`` gives each item's maximum (1 per item
    without an assignment); ``title`` names the assignment."""

    items: list[str]
    students: list[StudentRecord]
    notes: list[str]
    isolation: str
    version: str
    points: dict[str, float] = field(default_factory=dict)
    title: str = "lrcourse grading"

    def max_points(self, item: str) -> float:
        """The points ``item`` is worth."""
        return self.points.get(item, 1.0)

    def score(self, record: StudentRecord, item: str) -> float:
        """The points ``record`` earned on ``item`` (all or nothing)."""
        result = record.items.get(item)
        return self.max_points(item) if result is not None and result.passed else 0.0

    def total(self, record: StudentRecord) -> float:
        """The student's total."""
        return sum(self.score(record, item) for item in self.items)


def grader_version() -> str:
    """lrcourse's version plus a digest of the exercise checks' code and content, so that a
    change of a check regrades everyone."""
    digest = hashlib.sha256()
    base = resources.files("lrcourse.exercises")
    for folder in ("", "judges", "content"):
        node = base / folder if folder else base
        for entry in sorted(node.iterdir(), key=lambda e: e.name):
            if entry.is_file() and entry.name.endswith((".py", ".toml")):
                digest.update(entry.name.encode() + b"\0" + entry.read_bytes())
    return f"{lrcourse.__version__}+{digest.hexdigest()[:12]}"


def in_shard(student: str, shard: tuple[int, int] | None) -> bool:
    """Whether ``student`` belongs to shard ``(index, count)`` (stable: by a hash of the name)."""
    if shard is None:
        return True
    index, count = shard
    value = int.from_bytes(hashlib.sha256(student.encode("utf-8", "replace")).digest()[:8], "big")
    return value % count == index


def check_output_folder(out: str | os.PathLike[str]) -> Path:
    """The output folder, created if needed; an error before any grading if it cannot be."""
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise NotADirectoryError(f"--out {path} exists and is not a folder")
    path.mkdir(parents=True, exist_ok=True)
    probe = path / f".lrcourse-write-test-{os.getpid()}"
    try:
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise PermissionError(f"cannot write to the output folder {path}: {exc}") from None
    return path


def _self_test(
    pool: WorkerPool,
    isolation: IsolationPlan,
    folder: Path,
    out: Path,
    exercise_ids: Sequence[str],
    timeout: float,
) -> None:
    from lrcourse.exercises import exercise
    from lrcourse.exercises.source_check import plan_check

    secret_paths = [str(folder), str(out)] + [str(p) for p in hidden_paths()]
    probe = pool.run([(PROBE_TARGET, {"paths": secret_paths})], timeout=timeout)[0]
    if probe.status != "ok" or not isinstance(probe.value, dict):
        raise SelfTestError(f"the sandbox probe did not run: {probe.error} {probe.stderr[-300:]}")
    facts = probe.value
    problems = []
    if isolation.holds("namespaces"):
        readable = facts.get("readable", {})
        leaks = [p for p in secret_paths if readable.get(p) is not False]
        if leaks:
            problems.append("a job can read " + ", ".join(leaks))
    if isolation.holds("uid") and facts.get("uid") in (0, None):
        problems.append("jobs still run as root")
    if isolation.holds("network") and facts.get("network") is not False:
        problems.append("jobs can see a network interface")
    if problems:
        raise SelfTestError("the sandbox does not isolate as planned: " + "; ".join(problems))
    planned = [
        plan_check(ex_id, exercise(ex_id).solution_source, seed=index)
        for index, ex_id in enumerate(exercise_ids)
    ]
    results = pool.run([p.job() for p in planned], timeout=timeout)
    failed = []
    for check, result in zip(planned, results, strict=True):
        feedback = check.finish(result, timeout)
        if not feedback.passed:
            last = (result.stderr.strip().splitlines() or [""])[-1]
            why = "; ".join(part for part in (result.error, last) if part)
            failed.append(f"{check.exercise.id}: {feedback.title}" + (f" ({why})" if why else ""))
    if failed:
        raise SelfTestError(
            "the reference solutions fail under this isolation, so nobody would "
            "be graded fairly:\n  " + "\n  ".join(failed)
        )


def _item_from_feedback(
    student: str, item: str, feedback: Feedback, notebook: str, found: str, seconds: float
) -> ItemResult:
    return ItemResult(
        student,
        item,
        feedback.status,
        feedback.title,
        feedback.message,
        feedback.details,
        notebook,
        found,
        round(seconds, 3),
    )


def _refuse_unknown(exercise_ids: Sequence[str]) -> None:
    """Raise UnknownExerciseError for an id no exercise content file defines, before anything
    starts (the full look-up, which loads the judges and torch, comes once the workers are
    warming up)."""
    from lrcourse.exercises.content import content_ids

    known = set(content_ids())
    unknown = [ex_id for ex_id in exercise_ids if ex_id not in known]
    if unknown:
        from lrcourse.exercises import exercise

        exercise(unknown[0])  # raises UnknownExerciseError with the list of valid ids


def _warm_verdicts() -> None:
    """Import now what the first verdict's optimizer would import lazily (``torch._dynamo``,
    about a second), while the sandbox workers are still starting."""
    import importlib

    from lrcourse import warmup

    for name in warmup.MODULES:
        importlib.import_module(name)


def grade_folder(
    folder: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    exercises: Sequence[str] | None = None,
    assignment: Assignment | None = None,
    options: GradeOptions | None = None,
    progress: Callable[[str], None] | None = None,
) -> ClassResults:
    """Grade every submission under ``folder`` into the journal in ``out``.

    Raises before grading anyone: NotADirectoryError/PermissionError (folders),
    UnknownExerciseError, JournalBusyError (another grader), IsolationError (a layer missing in
    strict mode), SelfTestError. Nothing a submission contains or does raises.
    """
    say = progress or (lambda _: None)
    options = options or GradeOptions()
    root = Path(folder)
    if not root.is_dir():
        raise NotADirectoryError(f"not a folder of submissions: {root}")
    out_dir = check_output_folder(out)
    if assignment is not None:
        wanted, questions = list(assignment.exercises), assignment.questions
    else:
        wanted, questions = list(exercises or []), []
    _refuse_unknown(wanted)
    with Journal(out_dir) as journal:
        if assignment is not None:
            journal.set_meta(
                "plan",
                json.dumps(
                    {
                        "title": assignment.title,
                        "items": [i.id for i in assignment.items],
                        "points": {i.id: i.points for i in assignment.items},
                    }
                ),
            )
        isolation = plan(options.isolation)
        workers = max(1, options.workers or available_cpus())
        # The workers start now, each importing torch inside its sandbox (the longest part of
        # the start). Meanwhile this process does its own torch work on one CPU (the checks'
        # judges, the verdicts' first optimizer: ``_warm_verdicts``) and reads the class, so
        # while that work is still to do, only the workers that fit on the other CPUs start at
        # once; the rest start when the first is ready, which runs the self-test meanwhile.
        warm = all(name in sys.modules for name in ("torch", "torch._dynamo"))
        with WorkerPool(
            isolation,
            workers=workers,
            preload=[JOB_MODULE],
            memory_mb=options.memory_mb,
            at_once=None if warm else max(1, available_cpus() - 1),
        ) as pool:
            say(isolation.describe())
            from lrcourse.exercises import exercise, list_exercises

            if assignment is None and not wanted:  # no ids given: every exercise
                wanted = [e.id for e in list_exercises()]
            entry_points = {ex_id: exercise(ex_id).entry_point for ex_id in wanted}
            _warm_verdicts()
            version = grader_version()
            files, notes = find_submissions(root)
            students = [s for s in sorted(files) if in_shard(s, options.shard)]
            subs = [read_submission(s, files[s], entry_points) for s in students]
            say(f"read {len(subs)} submission(s); running the self-test")
            _self_test(pool, isolation, root, out_dir, wanted, options.timeout)
            records = _grade(subs, wanted, questions, journal, version, pool, options, say)
    if assignment is not None:
        return ClassResults(
            [i.id for i in assignment.items],
            records,
            notes,
            isolation.describe(),
            version,
            {i.id: i.points for i in assignment.items},
            assignment.title,
        )
    found_any = {ex_id for r in records for ex_id in r.items if r.items[ex_id].status != MISSING}
    items = [e for e in wanted if exercises or e in found_any] or wanted
    return ClassResults(items, records, notes, isolation.describe(), version)


def _unreadable(sub: Submission, item: str) -> ItemResult:
    """The result of every item of a notebook that could not be read."""
    reason = sub.unreadable or ""
    return ItemResult(
        sub.student, item, UNREADABLE, "The notebook could not be read", reason, (), "", "", 0.0
    )


def _quiz_item(sub: Submission, question: str) -> ItemResult:
    """A quiz answer, graded here from the notebook's text (no learner code runs)."""
    from lrcourse.answer_check import check_answer

    if question not in sub.answers:
        return ItemResult(
            sub.student,
            question,
            MISSING,
            "No answer for this question",
            f'No `lrcourse.answer("{question}", ...)` call was found.',
            (),
            "",
            "",
            0.0,
        )
    value, notebook = sub.answers[question]
    given: str | list[str] = value.split(",") if "," in value else value
    feedback = check_answer(question, given)
    status = feedback.status if feedback.status in ("correct", "incorrect") else "error"
    title = (
        "Correct"
        if status == "correct"
        else "Not the keyed answer"
        if status == "incorrect"
        else feedback.title
    )
    return ItemResult(
        sub.student,
        question,
        status,
        title,
        f"Your answer: {value}",
        (),
        notebook,
        "answer() call",
        0.0,
    )


def _grade(
    subs: list[Submission],
    wanted: list[str],
    questions: list[str],
    journal: Journal,
    version: str,
    pool: WorkerPool,
    options: GradeOptions,
    say: Callable[[str], None],
) -> list[StudentRecord]:
    records: dict[str, StudentRecord] = {}
    from lrcourse.exercises import exercise
    from lrcourse.exercises.source_check import plan_check

    planned: list[tuple[StudentRecord, str, PlannedCheck, str, str]] = []
    for sub in subs:
        status = UNREADABLE if sub.unreadable else "graded"
        record = StudentRecord(
            sub.student,
            sub.sha256,
            sub.notebooks,
            status,
            sub.unreadable or "",
            sub.notes,
            answers=sub.answers,
        )
        records[sub.student] = record
        if options.regrade:
            journal.forget(sub.student, sub.sha256, version)
        if journal.is_complete(sub.student, sub.sha256, version):
            record.items = {r.item: r for r in journal.results(sub.student, sub.sha256, version)}
            continue
        journal.begin_submission(
            sub.student, sub.sha256, version, sub.notebooks, status, record.reason, sub.notes
        )
        done = journal.done_items(sub.student, sub.sha256, version)
        for question in questions:
            if question not in done:
                quiz = _unreadable(sub, question) if sub.unreadable else _quiz_item(sub, question)
                journal.record(sub.sha256, version, quiz)
        for ex_id in wanted:
            if ex_id in done:
                continue
            if sub.unreadable:
                journal.record(sub.sha256, version, _unreadable(sub, ex_id))
            elif ex_id not in sub.cells:
                name = exercise(ex_id).entry_point
                result = ItemResult(
                    sub.student,
                    ex_id,
                    MISSING,
                    "No cell for this exercise",
                    f"No cell is tagged `exercise:{ex_id}` and none defines `{name}`.",
                    (),
                    "",
                    "",
                    0.0,
                )
                journal.record(sub.sha256, version, result)
            else:
                code, notebook, how = sub.cells[ex_id]
                check = plan_check(
                    ex_id, code, seed=journal.seed(sub.sha256, ex_id), filename=notebook
                )
                planned.append((record, ex_id, check, notebook, how))
    say(f"grading {len(planned)} answer cell(s) on {pool.plan.mode} isolation")

    def finished(index: int, result: ChildResult) -> None:
        record, ex_id, check, notebook, how = planned[index]
        feedback = check.finish(result, options.timeout)
        item = _item_from_feedback(record.student, ex_id, feedback, notebook, how, result.seconds)
        journal.record(record.sha256, version, item)

    early = [i for i, p in enumerate(planned) if p[2].early is not None]
    for index in early:
        finished(index, ChildResult("ok", None, None, "", "", 0.0))
    to_run = [i for i, p in enumerate(planned) if p[2].early is None]
    pool.run(
        [planned[i][2].job() for i in to_run],
        timeout=options.timeout,
        on_result=lambda k, result: finished(to_run[k], result),
    )
    for record in records.values():
        if not record.items:
            record.items = {
                r.item: r for r in journal.results(record.student, record.sha256, version)
            }
            journal.complete(record.student, record.sha256, version)
    return [records[s] for s in sorted(records)]
