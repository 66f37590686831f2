"""What a saved notebook shows where a live widget was: a plain note, not a widget error.

A widget's output holds only a pointer to a model that lives in the kernel. Reopen the saved
notebook with a new kernel, or view it statically (GitHub, nbviewer, an exported HTML page),
and the pointer leads nowhere: JupyterLab prints "Error displaying widget: model not found".

``display_with_note`` publishes two outputs for a live widget instead of one:

1. a note, as ``text/html`` and ``text/plain``, saying what the widget is and "run this cell to
   start it";
2. the widget itself.

In JupyterLab (and Notebook 7, which shares its output area) a small style rule inside the note
hides the note while the live widget is rendered after it, and hides the widget output while
it is not (which is what a reopened notebook shows). Static viewers drop the style rule and
show the note. The widget output's own ``text/plain`` is left empty so the note is not repeated.
"""

from __future__ import annotations

import html
from typing import Any

NOTE_CLASS = "lrc-saved-note"
LIVE_CLASS = "lrc-live"

# Sibling selectors on JupyterLab's output area: each output is a .jp-OutputArea-child.
_NOTE_STYLE = (
    "<style>"
    f".jp-OutputArea-child:has(.{NOTE_CLASS}):has(+ .jp-OutputArea-child .{LIVE_CLASS})"
    "{display:none}"
    f".jp-OutputArea-child:has(.{NOTE_CLASS}) + .jp-OutputArea-child:not(:has(.{LIVE_CLASS}))"
    "{display:none}"
    "</style>"
)


def note_text(what: str) -> str:
    """The plain-text note for a widget described by ``what`` (e.g. "Quiz: schedulers")."""
    return f"{what}. This is an interactive widget: run this cell to start it."


def note_bundle(what: str) -> dict[str, str]:
    """The note as a display bundle (HTML with the hiding rule, and plain text)."""
    text = note_text(what)
    body = (
        f"<div class='{NOTE_CLASS}' style='padding:6px 10px;border-left:4px solid #888;'>"
        f"<b>{html.escape(what)}.</b> This is an interactive widget: "
        "<b>run this cell</b> to start it.</div>"
    )
    return {"text/html": _NOTE_STYLE + body, "text/plain": text}


def widget_bundle(bundle: dict[str, Any]) -> dict[str, Any]:
    """A widget's own bundle with an empty ``text/plain`` (the note already says it all)."""
    out = dict(bundle)
    out["text/plain"] = ""
    return out


def display_with_note(what: str, bundle: dict[str, Any]) -> None:
    """Publish the note, then the widget ``bundle`` (from ``widget._repr_mimebundle_()``)."""
    from IPython.display import display

    # IPython's display() has no type hints
    display(note_bundle(what), raw=True)  # type: ignore[no-untyped-call]
    display(widget_bundle(bundle), raw=True)  # type: ignore[no-untyped-call]
