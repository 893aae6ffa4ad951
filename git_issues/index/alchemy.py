"""SQLAlchemy's side of the index: the engine factory and the tables as metadata.

Only a rebuild imports this module: SQLAlchemy costs several times Python's
start-up, which no read of a fresh index pays.  The engine is made here and
disposed when its block ends (never cached), with the same pragmas as the
standard-library ``engine.connect``; the tables come from the plain
description in ``schema``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from git_issues.index import schema
from git_issues.index.engine import BUSY_TIMEOUT_S, prepare


@contextmanager
def open_engine(path: Path) -> Iterator[sa.Engine]:
    """A SQLAlchemy engine for ``path``, disposed when the block ends."""
    engine = sa.create_engine(
        f"sqlite:///{path}",
        poolclass=sa.pool.NullPool,  # no pooled connection outlives its use
        connect_args={"timeout": BUSY_TIMEOUT_S, "isolation_level": None},
    )

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        prepare(dbapi_conn)

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    try:
        yield engine
    finally:
        engine.dispose()


def metadata() -> sa.MetaData:
    """The same tables as SQLAlchemy objects, built on demand."""
    types = {"TEXT": sa.Text, "INTEGER": sa.Integer, "BLOB": sa.LargeBinary}
    meta = sa.MetaData()
    tables = {
        table.name: sa.Table(
            table.name,
            meta,
            *(
                sa.Column(c.name, types[c.type], primary_key=c.primary_key, index=c.indexed)
                for c in table.columns
            ),
        )
        for table in schema.TABLES
    }
    for table_name, columns in schema.SORTED_INDEXES:
        table = tables[table_name]
        sa.Index(f"ix_{table_name}_by_{'_'.join(c.lstrip('-') for c in columns)}",
                 *(table.c[c[1:]].desc() if c.startswith("-") else table.c[c] for c in columns))
    return meta
