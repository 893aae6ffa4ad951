"""The stat cache: the stat columns of ``files`` once more, as marshalled buckets.

Every read compares the whole folder's stat data with what the index
recorded.  Fetching it as one row per file costs about twice as much as
loading a few marshalled dicts ``{name: (mtime_ns, ctime_ns, size, ino)}``, one
per first letter of the name (figures in docs/performance.md), so the same data
is kept twice: a refresh rewrites only the buckets of the names it changed, in
the same transaction as ``files``, and meta's ``STAT_CACHE_KEY`` names the
generation they match.  A read that finds another generation there, or a
damaged bucket, uses the rows of ``files``, which always say it all.
"""

from __future__ import annotations

import marshal
import sqlite3
from collections.abc import Callable, Iterable
from typing import Any

from git_issues.index import schema
from git_issues.index.records import StatSig

ExecuteMany = Callable[[str, list[Any]], None]  # sqlite3's executemany, or the engine's

_CACHE, _META, _FILES = schema.STAT_CACHE, schema.META, schema.FILES
_CURRENT_SQL = (
    f"SELECT {_CACHE.c.data} FROM {_CACHE.name} WHERE "
    f"(SELECT {_META.c.value} FROM {_META.name} WHERE {_META.c.key} = ?) = "
    f"(SELECT {_META.c.value} FROM {_META.name} WHERE {_META.c.key} = 'generation')"
)
_ROWS_SQL = (f"SELECT {_FILES.c.name}, {_FILES.c.mtime_ns}, {_FILES.c.ctime_ns}, "
             f"{_FILES.c.size}, {_FILES.c.ino} FROM {_FILES.name}")
_DELETE_SQL = f"DELETE FROM {_CACHE.name} WHERE {_CACHE.c.bucket} = ?"


def recorded_stats(conn: sqlite3.Connection,
                   buckets: set[str] | None = None) -> dict[str, StatSig]:
    """The stat data the index holds, from the cached buckets when they are current.

    ``buckets``: only the names starting with these characters, what a refresh of a
    few files rewrites (at 250,000 files loading them all doubled a read after a write).
    """
    if buckets is not None:
        marks = ",".join("?" * len(buckets))
        rows = conn.execute(f"{_CURRENT_SQL} AND {_CACHE.c.bucket} IN ({marks})",
                            (schema.STAT_CACHE_KEY, *buckets)).fetchall()
    else:
        rows = conn.execute(_CURRENT_SQL, (schema.STAT_CACHE_KEY,)).fetchall()
    stats: dict[str, StatSig] = {}
    try:
        for (data,) in rows:
            stats.update(marshal.loads(data))
        if rows:
            return stats
    except (EOFError, ValueError, TypeError):  # damaged: the rows still say it all
        pass
    return {
        name: (mtime, ctime, size, ino)
        for name, mtime, ctime, size, ino in conn.execute(_ROWS_SQL)
        if buckets is None or name[:1] in buckets
    }


def store_stats(execute_many: ExecuteMany, stats: dict[str, StatSig], generation: int,
                names: Iterable[str] | None = None) -> None:
    """Write the buckets holding ``names`` (all when None) and mark the cache current."""
    buckets: dict[str, dict[str, StatSig]] = {}
    if names is None:
        for name, sig in stats.items():
            buckets.setdefault(name[0], {})[name] = sig
    else:
        for bucket in {name[0] for name in names}:
            buckets[bucket] = {}
        for name, sig in stats.items():
            if name[0] in buckets:
                buckets[name[0]][name] = sig
        execute_many(_DELETE_SQL, [(bucket,) for bucket in buckets])
    rows = [(bucket, marshal.dumps(part)) for bucket, part in buckets.items() if part]
    if rows:
        execute_many(_CACHE.insert_sql(), rows)
    execute_many(_META.insert_sql("INSERT OR REPLACE"),
                 [(schema.STAT_CACHE_KEY, str(generation))])
