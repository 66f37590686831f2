"""Execute a notebook in a fresh kernel the way the tests need it: lrcourse imported from this
checkout, progress kept in a throw-away store, cells run in the notebook's own folder."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]


def execute_notebook(nb: nbformat.NotebookNode, folder: Path, progress_db: Path) -> None:
    """Run every cell of ``nb`` (in place) in a fresh python3 kernel started in ``folder``."""
    from nbclient import NotebookClient

    env_before = dict(os.environ)
    # the kernel inherits this environment
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p
    )
    os.environ["LRCOURSE_PROGRESS_DB"] = str(progress_db)
    try:
        NotebookClient(
            nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
        ).execute()
    finally:
        os.environ.clear()
        os.environ.update(env_before)
