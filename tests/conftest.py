"""Shared fixtures: every test gets its own progress store, so nothing touches the user's."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(autouse=True)
def _isolated_progress(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    path = tmp_path_factory.mktemp("progress") / "progress.sqlite3"
    monkeypatch.setenv("LRCOURSE_PROGRESS_DB", str(path))
    return path


@pytest.fixture
def fixture_bank_dir() -> Path:
    """A small valid bank: topics alpha and beta, six questions each (q6 is multi-answer)."""
    return DATA / "bank" / "good"
