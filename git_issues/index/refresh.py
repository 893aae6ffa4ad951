"""Keeping the index in step with the files, cheaply.

Every read calls ``ensure_fresh``.  Like git's index it compares stat data
(mtime, ctime, size, inode) of each file under ``.issues/`` with what it
recorded, and re-reads only what differs.  A file modified within the
timestamp granularity of the moment it was recorded is "racy": its stat could
be unchanged by a later edit, so its content digest is compared until it is
old enough to trust.

The fast path uses the standard library's ``sqlite3``: importing SQLAlchemy
costs several times Python's start-up and a read that finds nothing to do must
not pay it.  Creating and rebuilding the index goes through the SQLAlchemy
engine factory.  Both execute the same SQL from the schema module.

Anything doubtful (no index, another schema version, a changed config, a
corrupt file) leads to a silent rebuild: the index is purely derived.
"""

from __future__ import annotations

import marshal
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple

from git_issues.errors import GitIssuesError
from git_issues.index import schema
from git_issues.index.engine import connect, open_engine
from git_issues.index.records import Record, StatSig, digest, read_many, stat_sig, table_rows
from git_issues.index.scan import list_names, scan
from git_issues.store import CONFIG_NAME

Progress = Callable[[int], None]
ExecuteMany = Callable[[str, list[Any]], None]  # sqlite3's executemany, or the engine's

_FINE_WINDOW_NS = 100_000_000  # kernels stamp files with a coarse clock: allow 100 ms
_COARSE_WINDOW_NS = 2_000_000_000  # whole-second file systems (FAT: 2 s)
_PARALLEL_MIN = 2000  # below this, starting worker processes costs more than it saves
_CHUNK = 500
_CORRUPT_CODES = (11, 26)  # SQLITE_CORRUPT, SQLITE_NOTADB


class Sources(NamedTuple):
    """Where the truth is: the issue folder and the config beside it."""

    issues_dir: Path
    db_path: Path

    @property
    def config_path(self) -> Path:
        return self.issues_dir / CONFIG_NAME

    def config_sig(self) -> str:
        try:
            st = os.stat(self.config_path)
        except FileNotFoundError:
            return "none"
        return ":".join(str(part) for part in stat_sig(st))


class Plan:
    """What a refresh has to do, and the stat data it was planned against."""

    def __init__(self, recorded: dict[str, StatSig]) -> None:
        self.recorded = recorded
        self.changed: list[str] = []
        self.removed: list[str] = []
        self.touched: list[str] = []  # racy entries proven unchanged

    def __bool__(self) -> bool:
        return bool(self.changed or self.removed or self.touched)


def _is_racy(mtime_ns: int, checked_ns: int) -> bool:
    window = _COARSE_WINDOW_NS if mtime_ns % 1_000_000_000 == 0 else _FINE_WINDOW_NS
    return mtime_ns + window >= checked_ns


def _digest(path: Path) -> str | None:
    try:
        with open(path, "rb") as handle:
            return digest(handle.read())
    except OSError:
        return None


# Entries whose mtime was within the timestamp granularity of the moment they
# were recorded: their stat data alone cannot prove them unchanged.
_RACY_SQL = f"""
    SELECT name, mtime_ns, digest FROM files
    WHERE digest IS NOT NULL AND mtime_ns + CASE WHEN mtime_ns % 1000000000 = 0
        THEN {_COARSE_WINDOW_NS} ELSE {_FINE_WINDOW_NS} END >= checked_ns
"""


def plan(conn: sqlite3.Connection, directory: Path) -> Plan:
    """What differs between the folder and the index, reading only racy files."""
    disk = scan(directory)
    recorded = recorded_stats(conn)
    result = Plan(recorded)
    if disk != recorded:  # compared in C: the common case costs one pass
        result.removed = [name for name in recorded if name not in disk]
        result.changed = [name for name, sig in disk.items() if recorded.get(name) != sig]
    changed = set(result.changed)
    now = time.time_ns()
    for name, mtime, recorded_digest in conn.execute(_RACY_SQL):
        if name in changed or name not in disk:
            continue
        if _digest(directory / name) != recorded_digest:
            result.changed.append(name)
        elif not _is_racy(mtime, now):
            result.touched.append(name)
    return result


def recorded_stats(conn: sqlite3.Connection) -> dict[str, StatSig]:
    """The stat data the index holds, from the cached buckets when they are current."""
    rows = conn.execute(
        f"SELECT data FROM {schema.STAT_CACHE.name} WHERE "
        f"(SELECT value FROM {schema.META.name} WHERE key = ?) = "
        f"(SELECT value FROM {schema.META.name} WHERE key = 'generation')",
        (schema.STAT_CACHE_KEY,)).fetchall()
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
        for name, mtime, ctime, size, ino in conn.execute(
            "SELECT name, mtime_ns, ctime_ns, size, ino FROM files")
    }


def _store_stats(execute_many: ExecuteMany, stats: dict[str, StatSig], generation: int,
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
        execute_many(f"DELETE FROM {schema.STAT_CACHE.name} WHERE bucket = ?",
                     [(bucket,) for bucket in buckets])
    rows = [(bucket, marshal.dumps(part)) for bucket, part in buckets.items() if part]
    if rows:
        execute_many(schema.STAT_CACHE.insert_sql(), rows)
    execute_many(schema.META.insert_sql("INSERT OR REPLACE"),
                 [(schema.STAT_CACHE_KEY, str(generation))])


def read_meta(conn: sqlite3.Connection) -> dict[str, str]:
    return dict(conn.execute(f"SELECT key, value FROM {schema.META.name}"))


def _meta_rows(values: dict[str, Any]) -> list[tuple[str, str]]:
    return [(k, str(v)) for k, v in values.items()]


def _delete(execute_many: ExecuteMany, names: list[str]) -> None:
    if not names:
        return
    rows = [{"name": n} for n in names]
    by_file = "SELECT num FROM issues WHERE file = :name"
    execute_many(f"DELETE FROM labels WHERE num IN ({by_file})", rows)
    execute_many(f"DELETE FROM {schema.ASSIGNEES.name} WHERE num IN ({by_file})", rows)
    execute_many(f"DELETE FROM links WHERE num IN ({by_file})", rows)
    execute_many(f"DELETE FROM {schema.TEXT_TABLE} WHERE rowid IN ({by_file})", rows)
    execute_many("DELETE FROM issues WHERE file = :name", rows)
    execute_many("DELETE FROM files WHERE name = :name", rows)


def _insert(execute_many: ExecuteMany, records: list[Record], next_num: int) -> int:
    """Store records, numbering their issues from ``next_num``; returns the next free number."""
    by_table, next_num = table_rows(records, next_num)
    for table, sql in _INSERTS:
        if by_table[table]:
            execute_many(sql, by_table[table])
    return next_num


_INSERTS = (
    (schema.FILES.name, schema.FILES.insert_sql("INSERT OR REPLACE")),
    (schema.ISSUES.name, schema.ISSUES.insert_sql()),
    (schema.LABELS.name, schema.LABELS.insert_sql()),
    (schema.ASSIGNEES.name, schema.ASSIGNEES.insert_sql()),
    (schema.LINKS.name, schema.LINKS.insert_sql()),
    (schema.TEXT_TABLE, schema.TEXT_INSERT),
)


def _statuses(meta: dict[str, str]) -> dict[str, str]:
    import json  # not at module level: ~3 ms that a fresh read does not need

    return json.loads(meta.get("statuses", "{}"))


def _apply(conn: sqlite3.Connection, sources: Sources, todo: Plan, meta: dict[str, str]) -> None:
    records = read_many(str(sources.issues_dir), todo.changed, _statuses(meta))
    _delete(conn.executemany, todo.changed + todo.removed)
    (next_num,) = conn.execute("SELECT coalesce(max(num), 0) + 1 FROM issues").fetchone()
    _insert(conn.executemany, records, next_num)
    now = time.time_ns()
    conn.executemany(
        "UPDATE files SET checked_ns = :now WHERE name = :name",
        [{"now": now, "name": n} for n in todo.touched],
    )
    generation = int(meta.get("generation", "0")) + 1
    conn.executemany(
        schema.META.insert_sql("INSERT OR REPLACE"),
        _meta_rows({"generation": generation, "refreshed_ns": now}),
    )
    stats = todo.recorded  # touched entries keep their stat data: only checked_ns moved
    for name in todo.changed + todo.removed:
        stats.pop(name, None)
    stats.update((r.name, r.stat) for r in records)
    _store_stats(conn.executemany, stats, generation, todo.changed + todo.removed)


def _stamp(meta: dict[str, str]) -> tuple[str | None, str | None]:
    """What every write of the index changes: equal stamps, no write in between."""
    return meta.get("generation"), meta.get("refreshed_ns")


def _incremental(conn: sqlite3.Connection, sources: Sources) -> bool:
    """Bring a valid index up to date; False when it needs a rebuild instead."""
    meta = read_meta(conn)
    if meta.get("schema_version") != str(schema.VERSION):
        return False
    if meta.get("config_sig") != sources.config_sig():
        return False
    todo = plan(conn, sources.issues_dir)
    if not todo:
        return True
    conn.execute("BEGIN IMMEDIATE")
    try:
        locked_meta = read_meta(conn)
        if _stamp(locked_meta) != _stamp(meta):
            # Another process refreshed while we waited for the lock: plan again
            # against what it wrote (a second scan, only in this rare case).
            todo = plan(conn, sources.issues_dir)
        if todo:
            _apply(conn, sources, todo, locked_meta)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return True


def _is_corrupt(exc: sqlite3.DatabaseError) -> bool:
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


# SQLITE_PERM, _BUSY, _READONLY, _IOERR, _FULL, _CANTOPEN: the place, not the code.
_PLACE_CODES = (3, 5, 8, 10, 13, 14)


@contextmanager
def _index_errors(db_path: Path) -> Iterator[None]:
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


def _make_parent(db_path: Path) -> None:
    try:
        db_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise GitIssuesError(f"{db_path}: cannot create the index's folder "
                             f"({exc.strerror}); set ISSUES_DB_PATH elsewhere") from None


def ensure_fresh(sources: Sources) -> None:
    """Make the index reflect the files, by the cheapest means that is correct."""
    _make_parent(sources.db_path)
    with _index_errors(sources.db_path):
        try:
            with connect(sources.db_path) as conn:
                if _incremental(conn, sources):
                    return
        except sqlite3.DatabaseError as exc:
            if _is_corrupt(exc):
                discard(sources.db_path)
            elif "no such table" not in str(exc):
                raise
    rebuild(sources)


def _exit_with_parent(parent: int) -> None:
    """Pool initializer: a worker outlives a ``kill -9`` of its parent otherwise.

    Each forked worker holds the write end of the pool's queue itself, so it
    never sees end-of-file and would wait on the queue forever.  A daemon
    thread notices the parent is gone and ends the worker.
    """
    import threading

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


@contextmanager
def _parsed(directory: Path, names: list[str], statuses: dict[str, str],
            jobs: int | None) -> Iterator[Iterable[list[Record]]]:
    """Parsed records in chunks, on every core when there are many files.

    The worker processes are forked here, before any database handle exists,
    and the pool is shut down when the block ends.  Without ``fork`` (Windows,
    or ``GIT_ISSUES_PORTABLE=1``) this process parses every chunk itself.
    """
    from git_issues.fastpaths import can_fork

    chunks = [names[i:i + _CHUNK] for i in range(0, len(names), _CHUNK)]
    jobs = jobs if jobs is not None else (os.cpu_count() or 1)
    if jobs < 2 or len(names) < _PARALLEL_MIN or not can_fork():
        yield (read_many(str(directory), chunk, statuses) for chunk in chunks)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_exit_with_parent,
                             initargs=(os.getpid(),)) as pool:
        yield pool.map(read_many, [str(directory)] * len(chunks), chunks,
                       [statuses] * len(chunks))


def _drop_all(conn: Any) -> None:
    rows = conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    ).fetchall()
    virtual = [name for name, sql in rows if (sql or "").upper().startswith("CREATE VIRTUAL")]
    for name in virtual + [name for name, _ in rows if name not in virtual]:
        conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{name}"')


def rebuild(sources: Sources, progress: Progress | None = None, jobs: int | None = None) -> int:
    """Build the index from scratch through the SQLAlchemy engine; returns the issue count."""
    from git_issues import config as config_mod

    config = config_mod.load(sources.config_path)
    config_sig = sources.config_sig()
    # Names only: each worker takes the stat data with the bytes it reads.
    names = sorted(list_names(sources.issues_dir))
    _make_parent(sources.db_path)
    count = 0
    with _index_errors(sources.db_path), \
            _parsed(sources.issues_dir, names, config.statuses, jobs) as chunks:
        try:
            count = _rebuild_from(sources.db_path, chunks, config.statuses, config_sig, progress)
        except sqlite3.DatabaseError as exc:
            if not _is_corrupt(exc):
                raise
            discard(sources.db_path)
            with _parsed(sources.issues_dir, names, config.statuses, 1) as again:
                count = _rebuild_from(sources.db_path, again, config.statuses, config_sig,
                                      progress)
    return count


def _rebuild_from(db_path: Path, chunks: Iterable[list[Record]], statuses: dict[str, str],
                  config_sig: str, progress: Progress | None) -> int:
    import sqlalchemy.exc

    try:
        return _write_all(db_path, chunks, statuses, config_sig, progress)
    except sqlalchemy.exc.DBAPIError as exc:
        if isinstance(exc.orig, sqlite3.DatabaseError):
            raise exc.orig from None
        raise


def _write_all(db_path: Path, chunks: Iterable[list[Record]], statuses: dict[str, str],
               config_sig: str, progress: Progress | None) -> int:
    import json

    count = 0
    with open_engine(db_path) as engine, engine.begin() as conn:
        def execute_many(sql: str, params: list[Any]) -> None:
            conn.exec_driver_sql(sql, params)

        _drop_all(conn)
        schema.metadata().create_all(conn)
        conn.exec_driver_sql(schema.TEXT_DDL)
        next_num = 1
        stats: dict[str, StatSig] = {}
        for records in chunks:
            next_num = _insert(execute_many, records, next_num)
            stats.update((r.name, r.stat) for r in records)
            count += len(records)
            if progress:
                progress(len(records))
        _store_stats(execute_many, stats, 1)
        execute_many(schema.META.insert_sql("INSERT OR REPLACE"), _meta_rows({
            "schema_version": schema.VERSION,
            "statuses": json.dumps(statuses),
            "config_sig": config_sig,
            "generation": 1,
            "refreshed_ns": time.time_ns(),
        }))
    return count
