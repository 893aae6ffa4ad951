"""A scratch table for an import's comments: spilled to disk, taken back by issue.

``import github`` fetches a repository's comments (one list for the whole
repository, 100 a request) before its issues, and takes each issue's comments
when the issue comes: held in memory, 300,000 comments would be the run's
whole footprint.  The table lives in a temporary SQLite file of the git dir,
one process ever opens it, and it is removed on leaving the ``with``.  It is
SQLite, so it lives here with the index: no SQL outside ``index/``.

A row is ``(id, number, author, created, body)``: the comment's remote id (a
re-fetched comment replaces its row), the number of its issue, and its values.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path

Row = tuple[int, int, str, str, str]  # id, issue number, author, created, body


class CommentSpill:
    """The open scratch table; see the module docstring."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def put(self, rows: Iterable[Row]) -> None:
        """Add (or replace, by id) rows: one transaction, one write of the file a page."""
        with _transaction(self._conn):
            self._conn.executemany("INSERT OR REPLACE INTO c VALUES (?, ?, ?, ?, ?)", rows)

    def take(self, numbers: list[int]) -> dict[int, list[Row]]:
        """The rows of these issues (a page: one query), by number, oldest first; taken
        out of the table, so what is left at the end belongs to issues not listed."""
        if not numbers:
            return {}
        marks = ",".join("?" * len(numbers))
        taken: dict[int, list[Row]] = {}
        for row in self._conn.execute(
                f"SELECT id, number, author, created, body FROM c WHERE number IN ({marks}) "
                "ORDER BY number, created, id", numbers):
            taken.setdefault(row[1], []).append(row)
        if taken:
            self._conn.execute(f"DELETE FROM c WHERE number IN ({marks})", numbers)
        return taken

    def numbers(self) -> list[int]:
        """The issue numbers that still have rows, in order."""
        return [n for (n,) in self._conn.execute("SELECT DISTINCT number FROM c ORDER BY number")]


@contextlib.contextmanager
def open_spill(path: Path) -> Iterator[CommentSpill]:
    """A fresh scratch table in ``path``, closed and removed on leaving."""
    _remove(path)
    try:
        with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as conn:
            conn.execute("PRAGMA journal_mode = OFF")
            conn.execute("PRAGMA synchronous = OFF")
            # One process ever opens it: no file lock taken and dropped per statement.
            conn.execute("PRAGMA locking_mode = EXCLUSIVE")
            conn.execute("CREATE TABLE c (id INTEGER PRIMARY KEY, number INTEGER, author TEXT, "
                         "created TEXT, body TEXT)")
            conn.execute("CREATE INDEX c_number ON c (number)")
            yield CommentSpill(conn)
    finally:
        _remove(path)


@contextlib.contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """One transaction (the connection is in autocommit mode, ``isolation_level=None``)."""
    conn.execute("BEGIN")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
