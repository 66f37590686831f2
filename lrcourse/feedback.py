"""The Feedback value: what every learner-facing call returns.

A Feedback renders as Markdown in a notebook (``_repr_markdown_``) and as plain text in a
terminal (``str``). It is a frozen value, so it can be compared, stored and sent as JSON
across a process boundary (``to_dict`` / ``from_dict``).
"""

from __future__ import annotations

import html
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Status = Literal["correct", "incorrect", "not-attempted", "error", "timeout", "info"]
STATUSES: tuple[Status, ...] = ("correct", "incorrect", "not-attempted", "error", "timeout", "info")

_ICONS: dict[str, str] = {
    "correct": "✅",
    "incorrect": "❌",
    "not-attempted": "✏️",
    "error": "⚠️",
    "timeout": "⏱️",
    "info": "💡",
}
_LABELS: dict[str, str] = {
    "correct": "Correct",
    "incorrect": "Not yet",
    "not-attempted": "Not attempted",
    "error": "Error",
    "timeout": "Time-out",
    "info": "Note",
}


@dataclass(frozen=True)
class Feedback:
    """The outcome of grading one answer or checking one exercise.

    Attributes:
        status: one of ``STATUSES``; ``passed`` is true only for ``"correct"``. ``"info"`` is
            for hints and solutions, which are not verdicts.
        title: one line that names the verdict or the bug.
        message: Markdown body (code allowed) that explains it.
        details: extra lines shown as a list (e.g. expected-vs-got rows).
        hint: a nudge, shown only when the learner did not pass.
        explanation: the reasoning behind the right answer.
        subject: the question or exercise id this feedback is about.
    """

    status: Status
    title: str
    message: str = ""
    details: tuple[str, ...] = field(default_factory=tuple)
    hint: str | None = None
    explanation: str | None = None
    subject: str | None = None

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown Feedback status {self.status!r}; expected one of {STATUSES}")
        if not isinstance(self.details, tuple):
            object.__setattr__(self, "details", tuple(self.details))

    @property
    def passed(self) -> bool:
        """True when the answer or submission is correct."""
        return self.status == "correct"

    def __bool__(self) -> bool:
        return self.passed

    @property
    def _shown_hint(self) -> str | None:
        """A hint is shown with a verdict that is not a pass (never with a pass or a note)."""
        return self.hint if self.hint and self.status not in ("correct", "info") else None

    # ---- renderings ---------------------------------------------------------------------
    def __str__(self) -> str:
        head = f"[{_LABELS[self.status]}]"
        if self.subject:
            head += f" {self.subject}:"
        lines = [f"{head} {self.title}"]
        if self.message:
            lines += ["", self.message]
        if self.details:
            lines += [""] + [f"  - {d}" for d in self.details]
        if self.explanation:
            lines += ["", f"Why: {self.explanation}"]
        if hint := self._shown_hint:
            lines += ["", f"Hint: {hint}"]
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        head = f"{_ICONS[self.status]} **{_LABELS[self.status]}**"
        if self.subject:
            head += f" · `{self.subject}`"
        parts = [f"{head} — {self.title}"]
        if self.message:
            parts.append(self.message)
        if self.details:
            parts.append("\n".join(f"- {d}" for d in self.details))
        if self.explanation:
            parts.append(f"**Why:** {self.explanation}")
        if hint := self._shown_hint:
            parts.append(f"**Hint:** {hint}")
        return "\n\n".join(parts)

    def to_html(self) -> str:
        """A small self-contained HTML rendering (for widgets.HTML and exports)."""
        css = f"lrc-feedback lrc-feedback-{self.status}"
        body = [f"<b>{_ICONS[self.status]} {_LABELS[self.status]}</b> — {html.escape(self.title)}"]
        if self.message:
            body.append(f"<div class='lrc-feedback-message'>{_md_lite(self.message)}</div>")
        if self.details:
            items = "".join(f"<li>{html.escape(d)}</li>" for d in self.details)
            body.append(f"<ul class='lrc-feedback-details'>{items}</ul>")
        if self.explanation:
            why = _md_lite(self.explanation)
            body.append(f"<div class='lrc-feedback-why'><b>Why:</b> {why}</div>")
        if hint := self._shown_hint:
            body.append(f"<div class='lrc-feedback-hint'><b>Hint:</b> {_md_lite(hint)}</div>")
        return f"<div class='{css}'>" + "".join(f"<p>{b}</p>" for b in body) + "</div>"

    # ---- transport ----------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (``details`` as a list)."""
        data = asdict(self)
        data["details"] = list(self.details)
        data["passed"] = self.passed
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Feedback:
        """Rebuild a Feedback from ``to_dict`` output; unknown keys are ignored."""
        return cls(
            status=data["status"],
            title=str(data["title"]),
            message=str(data.get("message") or ""),
            details=tuple(str(d) for d in data.get("details") or ()),
            hint=data.get("hint"),
            explanation=data.get("explanation"),
            subject=data.get("subject"),
        )


def _md_lite(text: str) -> str:
    """Escape text for HTML and keep the two Markdown marks feedback uses: `code` and fences."""
    out: list[str] = []
    in_fence = False
    for line in text.splitlines():
        if line.strip().startswith("```"):
            out.append("</code></pre>" if in_fence else "<pre><code>")
            in_fence = not in_fence
            continue
        esc = html.escape(line)
        if in_fence:
            out.append(esc + "\n")
            continue
        pieces = esc.split("`")
        esc = "".join(p if i % 2 == 0 else f"<code>{p}</code>" for i, p in enumerate(pieces))
        out.append(esc + "<br>")
    if in_fence:
        out.append("</code></pre>")
    return "".join(out)
