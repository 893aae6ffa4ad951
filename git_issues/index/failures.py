"""What a failing index means: the one place SQLite's errors are classified.

A corrupt index file is discarded and rebuilt without a word (the index is
purely derived).  An index that cannot be created or written where it lives
(a bad ``ISSUES_DB_PATH``, a read-only git dir, a full disk) is the user's to
fix, and becomes one line naming the place.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from git_issues.errors import GitIssuesError

_CORRUPT_CODES = (11, 26)  # SQLITE_CORRUPT, SQLITE_NOTADB
# SQLITE_PERM, _BUSY, _READONLY, _IOERR, _FULL, _CANTOPEN: the place, not the code.
_PLACE_CODES = (3, 5, 8, 10, 13, 14)


def is_corrupt(exc: sqlite3.DatabaseError) -> bool:
    """True when the index file itself is damaged: discard it and rebuild."""
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    text = str(exc)
    return code in _CORRUPT_CODES or "malformed" in text or "not a database" in text


def discard(db_path: Path) -> None:
    """Remove an index and its journal files; the next read rebuilds it."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        try:
            os.unlink(f"{db_path}{suffix}")
        except FileNotFoundError:
            pass


@contextmanager
def index_errors(db_path: Path) -> Iterator[None]:
    """An index that cannot be created or written (a bad ``ISSUES_DB_PATH``, a
    read-only git dir, a full disk) is the user's to fix: one line naming it."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        if getattr(exc, "sqlite_errorcode", 0) & 0xFF not in _PLACE_CODES:
            raise
        raise GitIssuesError(f"{db_path}: cannot use the index ({exc}); "
                             "check the path and its permissions, or set ISSUES_DB_PATH"
                             ) from None


def make_parent(db_path: Path) -> None:
    """Create the index's folder, or say in one line why it cannot be."""
    try:
        db_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise GitIssuesError(f"{db_path}: cannot create the index's folder "
                             f"({exc.strerror}); set ISSUES_DB_PATH elsewhere") from None
