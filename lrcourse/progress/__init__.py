"""The local progress store: quiz and exercise attempts kept in SQLite, no server needed.

Every graded quiz answer and every exercise check can be recorded as an :class:`Attempt`.
Attempts live in one SQLite file (stdlib ``sqlite3``) at:

1. the path in the environment variable ``LRCOURSE_PROGRESS_DB`` when it is set; else
2. ``$XDG_DATA_HOME/lrcourse/progress.sqlite3`` when ``XDG_DATA_HOME`` is an absolute path; else
3. ``~/.local/share/lrcourse/progress.sqlite3``.

Robustness rules (a progress store must never break a quiz):

* :meth:`ProgressStore.record` never raises. When the file cannot be written (corrupt file,
  read-only directory, a directory where the file should be, a database locked for longer
  than :attr:`ProgressStore.busy_timeout`, a store written by a newer lrcourse) it issues one
  :class:`ProgressWarning` per store, keeps the attempt in memory for the session, and returns
  ``False``. Attempts kept in memory are written with the next successful record.
* Reading (:meth:`~ProgressStore.attempts`, :meth:`~ProgressStore.mastery`,
  :meth:`~ProgressStore.export`) never raises because of the store: a missing file reads as
  empty (and is not created), a damaged one warns and reads as what could be read plus the
  session's in-memory attempts.
* The file is opened lazily, on the first read or write.
* The schema version is kept in ``PRAGMA user_version`` (:data:`SCHEMA_VERSION`) and upgraded
  step by step by ``store.MIGRATIONS``. Every write is one transaction. The database runs in
  WAL mode with a busy timeout, so two Jupyter kernels can record into one file at once.

The package has one module per job: :mod:`~lrcourse.progress.values` (attempts and mastery),
:mod:`~lrcourse.progress.store` (the SQLite file), :mod:`~lrcourse.progress.report` (export
and the terminal table) and :mod:`~lrcourse.progress.class_table` (learners' exports merged
into one class table: :func:`merge_exports`, :func:`format_class_table`,
:func:`write_class_csv`).
"""

from lrcourse.progress.class_table import (
    ClassTable,
    ExportFileError,
    LearnerProgress,
    format_class_table,
    merge_exports,
    read_export,
    write_class_csv,
)
from lrcourse.progress.report import EXPORT_FORMATS, EXPORT_SCHEMA, format_mastery
from lrcourse.progress.store import (
    ENV_VAR,
    SCHEMA_VERSION,
    ProgressStore,
    ProgressStoreError,
    ProgressWarning,
    default_path,
    record_attempt,
)
from lrcourse.progress.values import FIELDS, Attempt, TopicMastery

__all__ = [
    "ENV_VAR",
    "EXPORT_FORMATS",
    "EXPORT_SCHEMA",
    "FIELDS",
    "SCHEMA_VERSION",
    "Attempt",
    "ClassTable",
    "ExportFileError",
    "LearnerProgress",
    "ProgressStore",
    "ProgressStoreError",
    "ProgressWarning",
    "TopicMastery",
    "default_path",
    "format_class_table",
    "format_mastery",
    "merge_exports",
    "read_export",
    "record_attempt",
    "write_class_csv",
]
