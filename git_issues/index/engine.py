"""The standard-library connection factory, closed when its block ends.

An earlier tracker cached its engine with ``@lru_cache`` keyed on a path read
from the environment; every test workspace leaked an engine until the suite
died of OOM.  So nothing is cached: ``connect`` closes its connection, and
``alchemy.open_engine`` (the rebuild's SQLAlchemy engine, with the same
pragmas from here) disposes its engine, on the way out, whatever happens.

Both set the same pragmas: WAL so readers never wait for a writer, a long busy
timeout so two writers queue instead of failing with "database is locked", and
``BEGIN IMMEDIATE`` for write transactions so a refresh takes the write lock
before it reads what it will change.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from git_issues.index import doccodec

BUSY_TIMEOUT_S = 60.0
_PRAGMAS = (
    f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}",
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
)


def prepare(conn: sqlite3.Connection) -> None:
    for pragma in _PRAGMAS:
        conn.execute(pragma)
    doccodec.register(conn)  # the full-text view reads documents through it


@contextmanager
def connect(path: Path) -> Iterator[sqlite3.Connection]:
    """A standard-library connection in autocommit mode; transactions are explicit."""
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_S, isolation_level=None)
    try:
        prepare(conn)
        yield conn
    finally:
        conn.close()
