"""The only places a database handle is opened, each closed when its block ends.

An earlier tracker cached its engine with ``@lru_cache`` keyed on a path read
from the environment; every test workspace leaked an engine until the suite
died of OOM.  So here nothing is cached: ``open_engine`` disposes its engine
and ``connect`` closes its connection on the way out, whatever happens.

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
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlalchemy

BUSY_TIMEOUT_S = 60.0
_PRAGMAS = (
    f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}",
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
)


def _prepare(conn: sqlite3.Connection) -> None:
    for pragma in _PRAGMAS:
        conn.execute(pragma)


@contextmanager
def connect(path: Path) -> Iterator[sqlite3.Connection]:
    """A standard-library connection in autocommit mode; transactions are explicit."""
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_S, isolation_level=None)
    try:
        _prepare(conn)
        yield conn
    finally:
        conn.close()


@contextmanager
def open_engine(path: Path) -> Iterator[sqlalchemy.Engine]:
    """A SQLAlchemy engine for ``path``, disposed when the block ends."""
    import sqlalchemy as sa
    from sqlalchemy.pool import NullPool

    engine = sa.create_engine(
        f"sqlite:///{path}",
        poolclass=NullPool,  # no pooled connection outlives its use
        connect_args={"timeout": BUSY_TIMEOUT_S, "isolation_level": None},
    )

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        _prepare(dbapi_conn)

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: sqlalchemy.Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    try:
        yield engine
    finally:
        engine.dispose()
