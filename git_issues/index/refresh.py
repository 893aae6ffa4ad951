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

import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from git_issues.index import schema
from git_issues.index.engine import connect, open_engine
from git_issues.index.records import Record, StatSig, number, read_many, stat_sig
from git_issues.store import CONFIG_NAME, issue_stem

Progress = Callable[[int], None]
ExecuteMany = Callable[[str, list[dict[str, Any]]], None]

_FINE_WINDOW_NS = 100_000_000  # kernels stamp files with a coarse clock: allow 100 ms
_COARSE_WINDOW_NS = 2_000_000_000  # whole-second file systems (FAT: 2 s)
_PARALLEL_MIN = 2000  # below this, starting worker processes costs more than it saves
_CHUNK = 500
_CORRUPT_CODES = (11, 26)  # SQLITE_CORRUPT, SQLITE_NOTADB


@dataclass
class Sources:
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


@dataclass
class Plan:
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    touched: list[str] = field(default_factory=list)  # racy entries proven unchanged

    def __bool__(self) -> bool:
        return bool(self.changed or self.removed or self.touched)


def scan(directory: Path) -> dict[str, StatSig]:
    """The stat data of every entry that could be an issue file."""
    found: dict[str, StatSig] = {}
    try:
        entries = os.scandir(directory)
    except (FileNotFoundError, NotADirectoryError):
        return found
    with entries:
        for entry in entries:
            if issue_stem(entry.name) is None:
                continue
            try:
                found[entry.name] = stat_sig(entry.stat(follow_symlinks=False))
            except FileNotFoundError:
                continue
    return found


def _is_racy(mtime_ns: int, checked_ns: int) -> bool:
    window = _COARSE_WINDOW_NS if mtime_ns % 1_000_000_000 == 0 else _FINE_WINDOW_NS
    return mtime_ns + window >= checked_ns


def _digest(path: Path) -> str | None:
    try:
        with open(path, "rb") as handle:
            return hashlib.blake2b(handle.read(), digest_size=16).hexdigest()
    except OSError:
        return None


def plan(conn: sqlite3.Connection, directory: Path) -> Plan:
    """What differs between the folder and the index, reading only racy files."""
    disk = scan(directory)
    result = Plan()
    recorded = conn.execute(
        "SELECT name, mtime_ns, ctime_ns, size, ino, checked_ns, digest FROM files"
    )
    now = time.time_ns()
    for name, mtime, ctime, size, ino, checked, digest in recorded:
        sig = disk.pop(name, None)
        if sig is None:
            result.removed.append(name)
        elif sig != (mtime, ctime, size, ino):
            result.changed.append(name)
        elif digest is not None and _is_racy(mtime, checked):
            if _digest(directory / name) != digest:
                result.changed.append(name)
            elif not _is_racy(mtime, now):
                result.touched.append(name)
    result.changed.extend(disk)  # new files
    return result


def read_meta(conn: sqlite3.Connection) -> dict[str, str]:
    return dict(conn.execute(f"SELECT key, value FROM {schema.META.name}"))


def _meta_rows(values: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"key": k, "value": str(v)} for k, v in values.items()]


def _delete(execute_many: ExecuteMany, names: list[str]) -> None:
    if not names:
        return
    rows = [{"name": n} for n in names]
    by_file = "SELECT num FROM issues WHERE file = :name"
    execute_many(f"DELETE FROM labels WHERE num IN ({by_file})", rows)
    execute_many(f"DELETE FROM links WHERE num IN ({by_file})", rows)
    execute_many(f"DELETE FROM {schema.TEXT_TABLE} WHERE rowid IN ({by_file})", rows)
    execute_many("DELETE FROM issues WHERE file = :name", rows)
    execute_many("DELETE FROM files WHERE name = :name", rows)


def _insert(execute_many: ExecuteMany, records: list[Record], next_num: int) -> int:
    """Store records, numbering their issues from ``next_num``; returns the next free number."""
    for record in records:
        if record.issue is not None:
            number(record, next_num)
            next_num += 1
    issues = [r for r in records if r.issue is not None]
    batches = [
        (schema.FILES.insert_sql("INSERT OR REPLACE"), [r.file for r in records]),
        (schema.ISSUES.insert_sql(), [r.issue for r in issues]),
        (schema.LABELS.insert_sql(), [row for r in issues for row in r.labels]),
        (schema.LINKS.insert_sql(), [row for r in issues for row in r.links]),
        (schema.TEXT_INSERT, [r.text for r in issues]),
    ]
    for sql, rows in batches:
        if rows:
            execute_many(sql, rows)  # type: ignore[arg-type]
    return next_num


def _statuses(meta: dict[str, str]) -> dict[str, str]:
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


def _incremental(conn: sqlite3.Connection, sources: Sources) -> bool:
    """Bring a valid index up to date; False when it needs a rebuild instead."""
    meta = read_meta(conn)
    if meta.get("schema_version") != str(schema.VERSION):
        return False
    if meta.get("config_sig") != sources.config_sig():
        return False
    if not plan(conn, sources.issues_dir):
        return True
    conn.execute("BEGIN IMMEDIATE")
    try:
        # Plan again under the write lock: another process may have done the work.
        todo = plan(conn, sources.issues_dir)
        if todo:
            _apply(conn, sources, todo, read_meta(conn))
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


def ensure_fresh(sources: Sources) -> None:
    """Make the index reflect the files, by the cheapest means that is correct."""
    sources.db_path.parent.mkdir(parents=True, exist_ok=True)
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


@contextmanager
def _parsed(directory: Path, names: list[str], statuses: dict[str, str],
            jobs: int | None) -> Iterator[Iterable[list[Record]]]:
    """Parsed records in chunks, on every core when there are many files.

    The worker processes are forked here, before any database handle exists,
    and the pool is shut down when the block ends.
    """
    chunks = [names[i:i + _CHUNK] for i in range(0, len(names), _CHUNK)]
    jobs = jobs if jobs is not None else (os.cpu_count() or 1)
    if jobs < 2 or len(names) < _PARALLEL_MIN:
        yield (read_many(str(directory), chunk, statuses) for chunk in chunks)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
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
    names = sorted(scan(sources.issues_dir))
    sources.db_path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with _parsed(sources.issues_dir, names, config.statuses, jobs) as chunks:
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
    count = 0
    with open_engine(db_path) as engine, engine.begin() as conn:
        def execute_many(sql: str, rows: list[dict[str, Any]]) -> None:
            conn.exec_driver_sql(sql, rows)

        _drop_all(conn)
        schema.metadata().create_all(conn)
        conn.exec_driver_sql(schema.TEXT_DDL)
        next_num = 1
        for records in chunks:
            next_num = _insert(execute_many, records, next_num)
            count += len(records)
            if progress:
                progress(len(records))
        execute_many(schema.META.insert_sql("INSERT OR REPLACE"), _meta_rows({
            "schema_version": schema.VERSION,
            "statuses": json.dumps(statuses),
            "config_sig": config_sig,
            "generation": 1,
            "refreshed_ns": time.time_ns(),
        }))
    return count
