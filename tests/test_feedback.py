"""Feedback renders in a notebook and a terminal, and survives a JSON round trip."""

import json

import pytest

from lrcourse.feedback import STATUSES, Feedback, Status


def test_passed_only_for_correct() -> None:
    assert Feedback("correct", "ok").passed
    assert all(not Feedback(s, "x").passed for s in STATUSES if s != "correct")


def test_unknown_status_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown Feedback status 'wrong'"):
        Feedback("wrong", "x")  # type: ignore[arg-type]


def test_plain_text_names_verdict_subject_and_hint() -> None:
    fb = Feedback(
        "incorrect",
        "B is not the answer.",
        message="lr is inherited.",
        details=("epoch 3: expected 0.05, got 0.1",),
        hint="Look at the defaults.",
        subject="q-1",
    )
    text = str(fb)
    assert text.startswith("[Not yet] q-1: B is not the answer.")
    assert "lr is inherited." in text
    assert "  - epoch 3: expected 0.05, got 0.1" in text
    assert "Hint: Look at the defaults." in text


@pytest.mark.parametrize("status", ["correct", "info"])
def test_hint_hidden_with_a_pass_or_a_note(status: Status) -> None:
    fb = Feedback(status, "Right.", hint="never shown")
    assert "never shown" not in str(fb)
    assert "never shown" not in fb._repr_markdown_()
    assert "never shown" not in fb.to_html()


@pytest.mark.parametrize("status", ["incorrect", "not-attempted", "error", "timeout"])
def test_hint_shown_in_every_rendering_with_a_verdict_that_is_not_a_pass(status: Status) -> None:
    fb = Feedback(status, "Not yet.", hint="Try `lr=0.1` <b>")
    assert "Hint: Try `lr=0.1` <b>" in str(fb)
    assert "**Hint:** Try `lr=0.1` <b>" in fb._repr_markdown_()
    assert "<b>Hint:</b> Try <code>lr=0.1</code> &lt;b&gt;" in fb.to_html()


def test_markdown_and_html_renderings() -> None:
    fb = Feedback("timeout", "Took too long.", message="Use `break`.\n```\nwhile True: pass\n```")
    md = fb._repr_markdown_()
    assert md.startswith("⏱️ **Time-out**")
    html = fb.to_html()
    assert "lrc-feedback-timeout" in html
    assert "<code>break</code>" in html
    assert "<pre><code>while True: pass\n</code></pre>" in html


def test_html_escapes_learner_text() -> None:
    html = Feedback("error", "<script>alert(1)</script>").to_html()
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_json_round_trip() -> None:
    fb = Feedback("incorrect", "t", message="m", details=("a", "b"), hint="h", subject="s")
    data = json.loads(json.dumps(fb.to_dict()))
    assert data["passed"] is False
    assert Feedback.from_dict(data) == fb
