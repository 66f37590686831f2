"""Turn a report of what learner code did into the verdict: the one place where outcomes become
Feedback, for interactive checks, ``lrcourse check`` and class grading alike.

Reports are untrusted (lrcourse.exercises.runner): every field is read with an exact type, and
anything malformed is an error of the checking process, never a pass. Only a judge
(lrcourse.exercises.judges), running here on the trusted side, can say "correct".
"""

from __future__ import annotations

from typing import Any

from lrcourse.exercises.content import ExerciseContent
from lrcourse.exercises.isolation import isolated
from lrcourse.exercises.judges import Context, Judge
from lrcourse.exercises.learner_errors import known_mistake
from lrcourse.exercises.observations import MalformedObservation, Observed
from lrcourse.exercises.outcomes import Outcome
from lrcourse.exercises.submission import syntax_error_message
from lrcourse.feedback import Feedback
from lrcourse.sandbox import ChildResult


def not_attempted(content: ExerciseContent) -> Feedback:
    """The verdict for a starter stub."""
    return Feedback(
        "not-attempted",
        "Not attempted yet",
        f"`{content.entry_point}` is still the starter stub. Replace the `...`, `pass` or "
        "`raise NotImplementedError` with your code, then check again.",
        subject=content.id,
    )


def _malformed(content: ExerciseContent, why: str) -> Feedback:
    return Feedback(
        "error",
        "The checking process sent back malformed observations",
        "Whatever ran in the checking process did not report what the check asks for, so "
        "nothing can be graded.",
        (why[:300],),
        subject=content.id,
    )


def _raised(content: ExerciseContent, report: Observed) -> Feedback:
    kind, message = report["type"].text(), report["message"].text()
    where = report["where"].value if report.has("where") else None
    phase = report["phase"].text() if report.has("phase") else "call"
    if kind == "NotImplementedError":
        return not_attempted(content)
    first = message.strip().splitlines()[0] if message.strip() else ""
    headline = f"{kind}: {first}" if first else kind
    details = (f"raised at {where}",) if isinstance(where, str) and where else ()
    known = known_mistake(message)
    if known is not None:
        title, lesson = known
        body = f"torch said: `{headline}`" + (
            f"\n\nThe course covers this in {lesson}." if lesson else ""
        )
        return Feedback("incorrect", title, body, details, subject=content.id)
    body = f"`{headline}`"
    if phase == "module":
        body = (
            f"Running your cell's code (before `{content.entry_point}` was called) raised " + body
        )
    elif not details:
        body += "\n\n(It was raised inside torch while using what your code returned.)"
    return Feedback("error", f"Your code raised {kind}", body, details, subject=content.id)


def verdict(content: ExerciseContent, judge: Judge, spec: dict[str, Any], report: Any) -> Feedback:
    """The Feedback for ``report`` (a runner report) on ``spec``."""
    subject = content.id
    try:
        node = Observed(report, "report")
        kind = node["kind"].text()
        if kind == "observed":
            context = Context(tuple(w.text() for w in node["warnings"].items()))
            with isolated(0, timeout=None):
                success = judge.decide(spec, node["observations"], context)
            return Feedback(
                "correct", f"{content.title}: all checks passed", success or "", subject=subject
            )
        if kind == "raised":
            return _raised(content, node)
        if kind == "syntax":
            line = node["line"].value
            text = syntax_error_message(
                node["message"].text(), line if type(line) is int else None, node["text"].text()
            )
            return Feedback("error", "Syntax error", text, subject=subject)
        if kind == "missing":
            similar = node["similar"].value
            hint = f" Found a similar name: `{similar}`." if isinstance(similar, str) else ""
            return Feedback(
                "not-attempted",
                f"`{content.entry_point}` is not defined",
                f"Your code must define a {content.kind} named `{content.entry_point}`.{hint}",
                subject=subject,
            )
        if kind == "wrong-kind":
            return Feedback(
                "incorrect",
                f"`{content.entry_point}` must be a {content.kind}",
                f"Found a `{node['found'].text()}` instead.",
                subject=subject,
            )
        if kind == "exit":
            return Feedback(
                "error",
                "Your code called sys.exit()",
                f"exit code: {node['code'].text()}",
                subject=subject,
            )
        if kind == "timeout":
            return Feedback(
                "timeout", "Your code ran too long", f"{node['message'].text()}.", subject=subject
            )
        return _malformed(content, f"unknown report kind {kind!r}")
    except Outcome as out:
        return Feedback(out.status, out.title, out.message, out.details, out.hint, subject=subject)
    except MalformedObservation as exc:
        return _malformed(content, str(exc))
    except Exception as exc:  # observations of a shape no judge expects: never a pass
        return _malformed(content, f"{type(exc).__name__}: {exc}")


def verdict_from_child(
    content: ExerciseContent,
    judge: Judge,
    spec: dict[str, Any],
    result: ChildResult,
    timeout: float,
) -> Feedback:
    """The Feedback for a sandbox child's result (timeouts and crashes included)."""
    if result.status == "ok":
        return verdict(content, judge, spec, result.value)
    if result.status == "timeout":
        return Feedback(
            "timeout",
            f"Your code did not finish within {timeout:g} s",
            "Look for a loop that never ends (a `while` without a break, or iterating over "
            "something that keeps growing).",
            subject=content.id,
        )
    tail = tuple(line[:300] for line in result.stderr.strip().splitlines()[-3:])
    return Feedback(
        "error",
        "The check could not finish: your code stopped the checking process",
        result.error or "no result came back",
        tail,
        subject=content.id,
    )
