"""Worker answers are taken only when they are one well-formed line for the job's nonce."""

from __future__ import annotations

import json

import pytest

from lrcourse.sandbox.protocol import ChildResult, ProtocolError, decode_reply, encode, new_nonce


def answer(**fields: object) -> bytes:
    base: dict[str, object] = {
        "nonce": "n1",
        "status": "ok",
        "value": {"x": 1},
        "error": None,
        "stdout": "",
        "stderr": "",
        "seconds": 0.5,
    }
    base.update(fields)
    return json.dumps(base).encode()


def test_a_well_formed_answer_for_this_job_is_taken() -> None:
    got = decode_reply(answer(), "n1")
    assert got == ChildResult("ok", {"x": 1}, None, "", "", 0.5)


@pytest.mark.parametrize(
    ("line", "why"),
    [
        (answer(nonce="n2"), "another job's nonce"),
        (answer(nonce=None), "another job's nonce"),
        (answer(status="correct"), "fields of a result"),
        (answer(seconds=True), "fields of a result"),
        (answer(stdout=3), "fields of a result"),
        (b"[1, 2]", "not a JSON object"),
        (b"{not json", "not JSON"),
        (b"\xff\xfe", "not JSON"),
    ],
)
def test_anything_else_is_a_protocol_error(line: bytes, why: str) -> None:
    with pytest.raises(ProtocolError, match=why):
        decode_reply(line, "n1")


def test_nonces_are_fresh_and_lines_are_single() -> None:
    assert len({new_nonce() for _ in range(100)}) == 100
    data = encode({"a": "x\ny"})
    assert data.count(b"\n") == 1 and data.endswith(b"\n")
