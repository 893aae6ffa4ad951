"""Building the index from scratch, through the SQLAlchemy engine factory.

A rebuild drops every table, creates them from ``alchemy.metadata()`` (plus
the full-text table's own DDL) and inserts every file's rows in one
transaction; the files are parsed by ``index.pool``.  It runs when there is no
index, when its schema version or the project's config changed, when the
file is corrupt, and on ``git issues reindex``.  The rows are inserted with
the same SQL the standard-library refresh uses (``rows.insert_records``).
Only a rebuild imports this module (and SQLAlchemy with it): a refresh that
re-reads a few edited files does not.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy.exc

from git_issues.index import schema
from git_issues.index.alchemy import metadata, open_engine
from git_issues.index.failures import discard, index_errors, is_corrupt, make_parent
from git_issues.index.pool import parsed
from git_issues.index.records import Record, StatSig, config_digest, config_sig
from git_issues.index.rows import insert_records, meta_rows
from git_issues.index.scan import list_names
from git_issues.index.statcache import store_stats
from git_issues.repo import config as config_mod

if TYPE_CHECKING:
    from git_issues.repo.workspace import Sources

Progress = Callable[[int], None]

def _drop_all(conn: Any) -> None:
    rows = conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    ).fetchall()
    virtual = [name for name, sql in rows if (sql or "").upper().startswith("CREATE VIRTUAL")]
    for name in virtual + [name for name, _ in rows if name not in virtual]:
        conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{name}"')


def rebuild(sources: Sources, progress: Progress | None = None, jobs: int | None = None) -> int:
    """Build the index from scratch through the SQLAlchemy engine; returns the issue count."""
    config = config_mod.load(sources.config_path)
    signature = {"config_sig": config_sig(sources.config_path),
                 "config_digest": config_digest(sources.config_path)}
    # Names only: each worker takes the stat data with the bytes it reads.
    names = sorted(list_names(sources.issues_dir))
    make_parent(sources.db_path)
    count = 0
    with index_errors(sources.db_path), \
            parsed(sources.issues_dir, names, config.statuses, jobs) as chunks:
        try:
            count = _rebuild_from(sources.db_path, chunks, config.statuses, signature, progress)
        except sqlite3.DatabaseError as exc:
            if not is_corrupt(exc):
                raise
            discard(sources.db_path)
            with parsed(sources.issues_dir, names, config.statuses, 1) as again:
                count = _rebuild_from(sources.db_path, again, config.statuses, signature,
                                      progress)
    return count


def _rebuild_from(db_path: Path, chunks: Iterable[list[Record]], statuses: dict[str, str],
                  signature: dict[str, str], progress: Progress | None) -> int:
    try:
        return _write_all(db_path, chunks, statuses, signature, progress)
    except sqlalchemy.exc.DBAPIError as exc:
        if isinstance(exc.orig, sqlite3.DatabaseError):
            raise exc.orig from None
        raise


def _write_all(db_path: Path, chunks: Iterable[list[Record]], statuses: dict[str, str],
               signature: dict[str, str], progress: Progress | None) -> int:
    count = 0
    with open_engine(db_path) as engine, engine.begin() as conn:
        def execute_many(sql: str, params: list[Any]) -> None:
            conn.exec_driver_sql(sql, params)

        _drop_all(conn)
        metadata().create_all(conn)
        conn.exec_driver_sql(schema.TEXT_SOURCE_DDL)
        conn.exec_driver_sql(schema.TEXT_DDL)
        next_num = 1
        stats: dict[str, StatSig] = {}
        for records in chunks:
            next_num = insert_records(execute_many, records, next_num)
            stats.update((r.name, r.stat) for r in records)
            count += len(records)
            if progress:
                progress(len(records))
        store_stats(execute_many, stats, 1)
        execute_many(schema.META.insert_sql("INSERT OR REPLACE"), meta_rows({
            "schema_version": schema.VERSION,
            "statuses": json.dumps(statuses),
            **signature,
            "generation": 1,
            "refreshed_ns": time.time_ns(),
        }))
    return count
