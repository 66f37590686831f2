"""Write a file so that readers see either the old complete file or the new complete one.

The data goes to a temporary file in the destination's folder, is flushed and fsync'd, then
``os.replace`` puts it in place and the folder itself is fsync'd, so a crash, a full disk or a
kill at any moment leaves the previous version intact.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO


@contextlib.contextmanager
def atomic_writer(
    dest: str | os.PathLike[str], *, encoding: str = "utf-8", newline: str | None = None
) -> Iterator[IO[str]]:
    """Yield a text file; on a clean exit it replaces ``dest`` atomically, else it vanishes.

    Raises ``IsADirectoryError`` when ``dest`` is a folder (before anything is written).
    """
    path = Path(dest)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder, not a file")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding=encoding, newline=newline) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)


def write_text_atomic(dest: str | os.PathLike[str], text: str, *, encoding: str = "utf-8") -> None:
    """Replace ``dest`` with ``text`` atomically (see ``atomic_writer``)."""
    with atomic_writer(dest, encoding=encoding) as handle:
        handle.write(text)


def _fsync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):  # some file systems refuse fsync on a directory
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
