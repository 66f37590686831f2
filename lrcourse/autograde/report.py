"""The class report: one self-contained HTML page with matplotlib figures.

It shows the score distribution, the pass rate of every item, and the mistakes the judges
diagnosed most often (each verdict names the mistake it recognised, so the report can say which
misconceptions the class shares, not only which items it failed).
"""

from __future__ import annotations

import base64
import html
import io
import math
import os
from collections import Counter
from pathlib import Path

from lrcourse.atomic_files import write_text_atomic
from lrcourse.autograde.grader import ClassResults

REPORT_NAME = "report.html"
_NOT_MISTAKES = {"correct", "missing", "unreadable", "not-attempted"}


def _figure_png(figure: object) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)  # type: ignore[attr-defined]
    return base64.b64encode(buffer.getvalue()).decode()


def _figures(results: ClassResults) -> list[tuple[str, str]]:
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    best = sum(results.max_points(i) for i in results.items)
    totals = [results.total(r) for r in results.students]
    out = []
    fig = Figure(figsize=(7, 3.2), layout="constrained")
    ax = fig.add_subplot()
    top = max(1, math.ceil(best))
    step = max(1, math.ceil((top + 1) / 25))  # at most about 25 bars, each a whole score band
    edges = [x - 0.5 for x in range(0, top + step + 1, step)]
    ax.hist(totals, bins=edges, color="#3b6ea5", edgecolor="white")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("total score")
    ax.set_ylabel("students")
    ax.set_title(f"Score distribution ({len(totals)} students, out of {best:g})")
    out.append(("Score distribution", _figure_png(fig)))
    rates = []
    for item in results.items:
        graded = [r for r in results.students if item in r.items]
        rates.append(sum(r.items[item].passed for r in graded) / len(graded) if graded else 0.0)
    fig = Figure(figsize=(7, 0.35 * len(results.items) + 1.2), layout="constrained")
    ax = fig.add_subplot()
    bars = ax.barh(results.items[::-1], [100 * r for r in rates[::-1]], color="#5a9e6f")
    ax.bar_label(bars, labels=[f"{100 * r:.0f}%" for r in rates[::-1]], padding=3)
    ax.set_xlim(0, 110)
    ax.set_xlabel("students who passed (%)")
    ax.set_title("Pass rate per item")
    out.append(("Pass rate per item", _figure_png(fig)))
    return out


def common_mistakes(results: ClassResults, limit: int = 12) -> list[tuple[str, str, int]]:
    """(item, diagnosed mistake, number of students) for the most frequent wrong verdicts."""
    counts: Counter[tuple[str, str]] = Counter()
    for record in results.students:
        for item, result in record.items.items():
            if result.status not in _NOT_MISTAKES:
                counts[(item, result.title)] += 1
    return [(item, title, n) for (item, title), n in counts.most_common(limit)]


def render_report(results: ClassResults) -> str:
    """The report as one HTML document (figures embedded)."""
    e = html.escape
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{e(results.title)} — class report</title>",
        "<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;"
        "padding:0 1rem;line-height:1.45}table{border-collapse:collapse}td,th{padding:.25rem"
        " .6rem;border-bottom:1px solid #ddd;text-align:left}img{max-width:100%}</style>",
        "</head><body>",
        f"<h1>{e(results.title)}</h1>",
        f"<p>{len(results.students)} students, {len(results.items)} items; grader "
        f"{e(results.version)}.</p>",
    ]
    for caption, png in _figures(results):
        parts.append(
            f"<figure><img alt='{e(caption)}' src='data:image/png;base64,{png}'>"
            f"<figcaption>{e(caption)}</figcaption></figure>"
        )
    mistakes = common_mistakes(results)
    parts.append("<h2>Mistakes the checks diagnosed most often</h2>")
    if mistakes:
        parts.append("<table><tr><th>item</th><th>diagnosed mistake</th><th>students</th></tr>")
        parts += [f"<tr><td>{e(i)}</td><td>{e(t)}</td><td>{n}</td></tr>" for i, t, n in mistakes]
        parts.append("</table>")
    else:
        parts.append("<p>No wrong answers were diagnosed.</p>")
    parts.append(
        "<h2>Status per item</h2><table><tr><th>item</th><th>points</th>"
        "<th>correct</th><th>wrong</th><th>not attempted</th><th>missing</th>"
        "<th>errors and time-outs</th></tr>"
    )
    for item in results.items:
        statuses = Counter(r.items[item].status for r in results.students if item in r.items)
        wrong = statuses["incorrect"]
        errors = statuses["error"] + statuses["timeout"] + statuses["unreadable"]
        parts.append(
            f"<tr><td>{e(item)}</td><td>{results.max_points(item):g}</td>"
            f"<td>{statuses['correct']}</td><td>{wrong}</td>"
            f"<td>{statuses['not-attempted']}</td><td>{statuses['missing']}</td>"
            f"<td>{errors}</td></tr>"
        )
    parts.append("</table></body></html>")
    return "\n".join(parts)


def write_report(results: ClassResults, out: str | os.PathLike[str]) -> Path:
    """Write ``report.html`` into ``out``."""
    path = Path(out) / REPORT_NAME
    write_text_atomic(path, render_report(results))
    return path
