"""Keeping the index in step with the files, cheaply: plan a refresh, apply it.

Every read calls ``ensure_fresh``.  Like git's index it compares stat data
(mtime, ctime, size, inode) of each file under ``.issues/`` with what it
recorded, and re-reads only what differs.  A file modified within the
timestamp granularity of the moment it was recorded is "racy": its stat could
be unchanged by a later edit, so its content digest is compared until it is
old enough to trust.

This path uses the standard library's ``sqlite3``: importing SQLAlchemy costs
several times Python's start-up, and a read that finds nothing to do must not
pay it.  Anything doubtful (no index, another schema version, a changed
config, a corrupt file) leads to a silent ``rebuild.rebuild``: the index is
purely derived.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from git_issues.index import gitfeed, schema
from git_issues.index.engine import connect
from git_issues.index.failures import discard, index_errors, is_corrupt, make_parent
from git_issues.index.records import (
    StatSig,
    config_digest,
    config_sig,
    digest,
    json_codec,
    read_many,
)
from git_issues.index.rows import insert_records, meta_rows
from git_issues.index.scan import Scanned, scan_sealed, stat_some
from git_issues.index.statcache import ExecuteMany, recorded_stats, store_stats

if TYPE_CHECKING:
    from git_issues.repo.workspace import Sources

_FINE_WINDOW_NS = 100_000_000  # kernels stamp files with a coarse clock: allow 100 ms
_COARSE_WINDOW_NS = 2_000_000_000  # whole-second file systems (FAT: 2 s)

_F, _I, _L, _K, _M = (schema.FILES.c, schema.ISSUES.c, schema.LABELS.c, schema.LINKS.c,
                      schema.META.c)
_FILES, _ISSUES, _META = schema.FILES.name, schema.ISSUES.name, schema.META.name

# Entries whose mtime was within the timestamp granularity of the moment they
# were recorded: their stat data alone cannot prove them unchanged.
_RACY_SQL = f"""
    SELECT {_F.name}, {_F.mtime_ns}, {_F.digest} FROM {_FILES}
    WHERE {_F.digest} IS NOT NULL AND {_F.mtime_ns} + CASE WHEN {_F.mtime_ns} % 1000000000 = 0
        THEN {_COARSE_WINDOW_NS} ELSE {_FINE_WINDOW_NS} END >= {_F.checked_ns}
"""
_BY_FILE = f"SELECT {_I.num} FROM {_ISSUES} WHERE {_I.file} = :name"
_DELETES = (  # a file's rows, its issue's last
    f"DELETE FROM {schema.LABELS.name} WHERE {_L.num} IN ({_BY_FILE})",
    f"DELETE FROM {schema.ASSIGNEES.name} WHERE {schema.ASSIGNEES.c.num} IN ({_BY_FILE})",
    f"DELETE FROM {schema.LINKS.name} WHERE {_K.num} IN ({_BY_FILE})",
    schema.TEXT_FORGET,
    f"DELETE FROM {_ISSUES} WHERE {_I.file} = :name",
    f"DELETE FROM {_FILES} WHERE {_F.name} = :name",
)
_ROWS_OF_SQL = (f"SELECT {_F.name}, {_F.mtime_ns}, {_F.ctime_ns}, {_F.size}, {_F.ino}, "
                f"{_F.digest}, {_F.checked_ns} FROM {_FILES} WHERE {_F.name} IN ({{marks}})")
_CHUNK = 500  # names per lookup: well under SQLite's limit of bound parameters
_DIGESTS_SQL = f"SELECT {_F.name}, {_F.digest} FROM {_FILES} WHERE {_F.digest} IS NOT NULL"
_RESTAT_SQL = (f"UPDATE {_FILES} SET {_F.mtime_ns} = ?, {_F.ctime_ns} = ?, {_F.size} = ?, "
               f"{_F.ino} = ?, {_F.checked_ns} = ? WHERE {_F.name} = ?")
# Past this many files whose stat changed (a copy, a touch, a fresh clone with
# an old index), their bytes are compared with the recorded digests before any
# is parsed: reading and hashing is ~30x cheaper than parsing YAML.
RESTAT_MIN = 256
# Past this share of the folder, really changed (another branch checked out),
# a rebuild on every core beats a refresh file by file in one process.
REBUILD_SHARE = 0.5
REBUILD_MIN = 2_000
_NEXT_NUM_SQL = f"SELECT coalesce(max({_I.num}), 0) + 1 FROM {_ISSUES}"
_TOUCH_SQL = f"UPDATE {_FILES} SET {_F.checked_ns} = :now WHERE {_F.name} = :name"
_META_SQL = f"SELECT {_M.key}, {_M.value} FROM {_META}"
# meta's record of the stat data the index matched last (``plan``), with the
# generation and refresh time it matched: any write of the index outdates it.
_SEAL_KEY = "stat_seal"


class Plan:
    """What a refresh has to do, and the stat data it was planned against."""

    def __init__(self, recorded: dict[str, StatSig]) -> None:
        self.recorded = recorded
        self.scanned: Scanned | None = None  # the folder's stat data when planned
        self.seal: str | None = None  # its seal, when the index matched it whole
        self.changed: list[str] = []
        self.removed: list[str] = []
        self.touched: list[str] = []  # racy entries proven unchanged
        self.restat: dict[str, StatSig] = {}  # new stat data, same bytes: nothing to parse

    def __bool__(self) -> bool:
        return bool(self.changed or self.removed or self.touched or self.restat)

    def read(self) -> list[str]:
        """The files this refresh read, re-stat-ed or found racy."""
        return [*self.changed, *self.removed, *self.touched, *self.restat]

    def wants_rebuild(self, files: int) -> bool:
        """Most of a large folder changed: cheaper rebuilt in parallel than file by file."""
        return len(self.changed) >= max(REBUILD_MIN, files * REBUILD_SHARE)


def _is_racy(mtime_ns: int, checked_ns: int) -> bool:
    window = _COARSE_WINDOW_NS if mtime_ns % 1_000_000_000 == 0 else _FINE_WINDOW_NS
    return mtime_ns + window >= checked_ns


def _digest(path: Path) -> str | None:
    try:
        with open(path, "rb") as handle:
            return digest(handle.read())
    except OSError:
        return None


def plan(conn: sqlite3.Connection, directory: Path, meta: dict[str, str] | None = None) -> Plan:
    """What differs between the folder and the index, reading only racy files.

    When the scan's seal (a digest of the folder's stat data) is the one recorded
    with the index's generation (``meta``), nothing changed but maybe the racy
    files: the recorded stat data is not even loaded (at 100,000 files loading and
    comparing it was a third of a read).
    """
    scanned = scan_sealed(directory)
    if meta is not None and meta.get(_SEAL_KEY) == _seal(meta, scanned.seal):
        result = Plan({})
        result.scanned = scanned
        _check_racy(conn, directory, result)
        result.recorded = _buckets_of(conn, result)
        return result
    disk = scanned.stats()
    recorded = recorded_stats(conn)
    result = Plan(recorded)
    result.scanned = scanned
    if disk != recorded:  # compared in C: the common case costs one pass
        result.removed = [name for name in recorded if name not in disk]
        result.changed = [name for name, sig in disk.items() if recorded.get(name) != sig]
        if len(result.changed) >= RESTAT_MIN:
            _same_bytes(conn, directory, disk, result)
    else:
        result.seal = scanned.seal  # the index matches this stat data: say so for next time
    _check_racy(conn, directory, result)
    return result


def _seal(meta: dict[str, str], seal: str) -> str:
    """What meta records: the digest with the index's version it matches."""
    return f"{meta.get('generation')}:{meta.get('refreshed_ns')}:{seal}"


def _check_racy(conn: sqlite3.Connection, directory: Path, result: Plan) -> None:
    """Compare the bytes of the files whose stat data cannot prove them unchanged."""
    known = {*result.changed, *result.removed}
    now = time.time_ns()
    for name, mtime, recorded_digest in conn.execute(_RACY_SQL):
        if name in known:
            continue
        found = _digest(directory / name)
        if found is None:
            result.removed.append(name)
        elif found != recorded_digest:
            result.changed.append(name)
        elif not _is_racy(mtime, now):
            result.touched.append(name)


def plan_names(conn: sqlite3.Connection, directory: Path, names: set[str]) -> Plan:
    """``plan`` for the files a change feed named: every other file is known unchanged
    (no event came for it), so only these are stat-ed, looked up and, when their stat
    data is racy, read."""
    disk = stat_some(directory, names)
    rows = _rows_of(conn, [*names])
    result = Plan({name: row[:4] for name, row in rows.items()})
    result.removed = [name for name in rows if name not in disk]
    now = time.time_ns()
    for name, sig in disk.items():
        row = rows.get(name)
        if row is None or row[:4] != sig:
            result.changed.append(name)
        elif row[4] is not None and _is_racy(sig[0], row[5]):
            if _digest(directory / name) != row[4]:
                result.changed.append(name)
            elif not _is_racy(sig[0], now):
                result.touched.append(name)
    if len(result.changed) >= RESTAT_MIN:
        _same_bytes(conn, directory, disk, result)
    result.recorded = _buckets_of(conn, result)
    return result


def _buckets_of(conn: sqlite3.Connection, todo: Plan) -> dict[str, StatSig]:
    """The recorded stat data of the stat cache's buckets that ``_apply`` rewrites."""
    buckets = {name[:1] for name in (*todo.changed, *todo.removed, *todo.restat)}
    return recorded_stats(conn, buckets) if buckets else {}


def _rows_of(conn: sqlite3.Connection, names: list[str]) -> dict[str, tuple]:
    """Stat data, digest and check time of ``names``, for those the index knows."""
    found: dict[str, tuple] = {}
    for at in range(0, len(names), _CHUNK):
        chunk = names[at:at + _CHUNK]
        marks = ",".join("?" * len(chunk))
        for name, *row in conn.execute(_ROWS_OF_SQL.format(marks=marks), chunk):
            found[name] = tuple(row)
    return found


def _same_bytes(conn: sqlite3.Connection, directory: Path, disk: dict[str, StatSig],
                todo: Plan) -> None:
    """Move the changed files whose bytes are the recorded ones to ``todo.restat``.

    After ``cp -a``, a ``touch`` or a clone beside an old index every stat differs
    and almost nothing else: parsing each file again was 2x a whole rebuild.
    """
    recorded = dict(conn.execute(_DIGESTS_SQL))
    still: list[str] = []
    for name in todo.changed:
        known = recorded.get(name)
        if known is not None and _digest(directory / name) == known:
            todo.restat[name] = disk[name]
        else:
            still.append(name)
    todo.changed = still


def read_meta(conn: sqlite3.Connection) -> dict[str, str]:
    return dict(conn.execute(_META_SQL))


def _delete(execute_many: ExecuteMany, names: list[str]) -> None:
    if not names:
        return
    rows = [{"name": n} for n in names]
    for sql in _DELETES:
        execute_many(sql, rows)


def _statuses(meta: dict[str, str]) -> dict[str, str]:
    return json_codec().loads(meta.get("statuses", "{}"))


def _apply(conn: sqlite3.Connection, sources: Sources, todo: Plan, meta: dict[str, str]) -> str:
    """Write the plan's rows; the new stamp of the index (``gitfeed.stamp_of``)."""
    records = read_many(str(sources.issues_dir), todo.changed, _statuses(meta))
    _delete(conn.executemany, todo.changed + todo.removed)
    (next_num,) = conn.execute(_NEXT_NUM_SQL).fetchone()
    insert_records(conn.executemany, records, next_num)
    now = time.time_ns()
    conn.executemany(_TOUCH_SQL, [{"now": now, "name": n} for n in todo.touched])
    conn.executemany(_RESTAT_SQL, [(*sig, now, n) for n, sig in todo.restat.items()])
    generation = int(meta.get("generation", "0")) + 1
    conn.executemany(
        schema.META.insert_sql("INSERT OR REPLACE"),
        meta_rows({"generation": generation, "refreshed_ns": now}),
    )
    stats = todo.recorded  # touched entries keep their stat data: only checked_ns moved
    for name in todo.changed + todo.removed:
        stats.pop(name, None)
    stats.update((r.name, r.stat) for r in records)
    stats.update(todo.restat)
    store_stats(conn.executemany, stats, generation,
                [*todo.changed, *todo.removed, *todo.restat])
    if todo.scanned is not None and all(r.stat == todo.scanned.stat(r.name) for r in records):
        # The index now holds the folder as scanned (no file changed between the scan
        # and its read): the next read can tell that from the scan's seal alone.
        new_meta = {"generation": str(generation), "refreshed_ns": str(now)}
        conn.executemany(schema.META.insert_sql("INSERT OR REPLACE"),
                         meta_rows({_SEAL_KEY: _seal(new_meta, todo.scanned.seal)}))
    return f"{generation}:{now}"


def _file_count(conn: sqlite3.Connection) -> int:
    (count,) = conn.execute(f"SELECT count(*) FROM {_FILES}").fetchone()
    return count


def _stamp(meta: dict[str, str]) -> tuple[str | None, str | None]:
    """What every write of the index changes: equal stamps, no write in between."""
    return meta.get("generation"), meta.get("refreshed_ns")


def _incremental(conn: sqlite3.Connection, sources: Sources, names: set[str] | None,
                 asked: gitfeed.Asked | None = None) -> bool:
    """Bring a valid index up to date; False when it needs a rebuild instead.

    ``names``: the only files that may have changed (a change feed said so), or
    None to compare every file.  ``asked``: git's status of the folder, which
    names them when the index recorded its last look (``gitfeed``).
    """
    meta = read_meta(conn)
    if meta.get("schema_version") != str(schema.VERSION):
        return False
    if meta.get("config_sig") != config_sig(sources.config_path) \
            and not _same_config(conn, meta, sources.config_path):
        return False
    look = asked.probe.look() if asked is not None else None
    if asked is not None and look is not None:
        names = gitfeed.candidates(asked.paths, look, meta)
    todo = _plan(conn, sources.issues_dir, names, meta)
    if not todo:
        _record_seals(conn, meta, todo.seal, look)
        return True
    if len(todo.changed) >= REBUILD_MIN and todo.wants_rebuild(_file_count(conn)):
        return False
    conn.execute("BEGIN IMMEDIATE")
    try:
        locked_meta = read_meta(conn)
        if _stamp(locked_meta) != _stamp(meta):
            # Another process refreshed while we waited for the lock: plan again
            # against what it wrote (a second scan, only in this rare case).  git's
            # look is older than its reads: only the seal it left can be carried.
            if look is not None:
                names, look = None, None
            todo = _plan(conn, sources.issues_dir, names, locked_meta)
        if todo:
            stamp = _apply(conn, sources, todo, locked_meta)
            conn.executemany(schema.META.insert_sql("INSERT OR REPLACE"),
                             _git_seal_after(look, locked_meta, stamp, todo))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return True


def _plan(conn: sqlite3.Connection, directory: Path, names: set[str] | None,
          meta: dict[str, str]) -> Plan:
    return plan(conn, directory, meta) if names is None else plan_names(conn, directory, names)


def _same_config(conn: sqlite3.Connection, meta: dict[str, str], path: Path) -> bool:
    """The config's stat data changed but not its bytes (a copy, a checkout of the same
    text): record the new stat data instead of rebuilding."""
    if meta.get("config_digest") != config_digest(path):
        return False
    meta["config_sig"] = config_sig(path)
    try:
        conn.executemany(schema.META.insert_sql("INSERT OR REPLACE"),
                         [("config_sig", meta["config_sig"])])
        conn.commit()
    except sqlite3.OperationalError:
        pass  # read-only: compared again next time
    return True


def _git_seal_after(look: gitfeed.Look | None, meta: dict[str, str], stamp: str,
                    todo: Plan) -> list[tuple[str, str]]:
    """The git seal for the index a refresh wrote: from git's look when there is one,
    else the old seal carried over with the files this refresh read (they are the
    only rows that changed), else none."""
    if look is None:
        seal = gitfeed.read_seal(meta)
        if seal is None or seal.stamp != gitfeed.stamp_of(meta):
            return [(gitfeed.SEAL_KEY, "")]
        look = gitfeed.Look(seal.head, seal.dirty)
    return gitfeed.seal_rows(look, stamp, todo.read())


def _record_seals(conn: sqlite3.Connection, meta: dict[str, str], seal: str | None,
                  look: gitfeed.Look | None) -> None:
    """Note that the index matches the folder's stat data (``seal``) or git's look, so
    that the next read can tell cheaply; only what changed is written, and best
    effort (a read-only or busy index is read the long way)."""
    rows = meta_rows({_SEAL_KEY: _seal(meta, seal)}) if seal else []
    if look is not None:
        wanted = gitfeed.seal_rows(look, gitfeed.stamp_of(meta), ())
        rows += [(key, value) for key, value in wanted if meta.get(key) != value]
    if not rows:
        return
    try:
        conn.executemany(schema.META.insert_sql("INSERT OR REPLACE"), rows)
        conn.commit()
    except sqlite3.OperationalError:
        pass


def ensure_fresh(sources: Sources) -> None:
    """Make the index reflect the files, by the cheapest means that is correct."""
    with fresh_connection(sources):
        pass


@contextmanager
def fresh_connection(sources: Sources) -> Iterator[sqlite3.Connection]:
    """A connection to the index once it reflects the files: the one that checked it,
    when no rebuild was needed (opening a connection costs as much as a small read)."""
    with ExitStack() as stack:
        if sources.feed is None:
            asked = stack.enter_context(gitfeed.asked(sources.git, sources.early))
            conn = _refreshed(stack, sources, None, asked)
        else:
            with sources.feed.changes() as names:
                conn = _refreshed(stack, sources, names)
        yield conn


def refresh_files(sources: Sources, names: set[str] | None) -> None:
    """``ensure_fresh`` told which files may have changed (None: any of them)."""
    with ExitStack() as stack:
        _refreshed(stack, sources, names)


def _refreshed(stack: ExitStack, sources: Sources, names: set[str] | None,
               asked: gitfeed.Asked | None = None) -> sqlite3.Connection:
    """Bring the index up to date; its connection is closed when ``stack`` is."""
    make_parent(sources.db_path)
    with index_errors(sources.db_path):
        try:
            with ExitStack() as attempt:
                conn = attempt.enter_context(connect(sources.db_path))
                if _incremental(conn, sources, names, asked):
                    stack.push(attempt.pop_all())
                    return conn
        except sqlite3.DatabaseError as exc:
            if is_corrupt(exc):
                discard(sources.db_path)
            elif "no such table" not in str(exc):
                raise
    from git_issues.index.rebuild import rebuild  # lazy: startup (SQLAlchemy)

    rebuild(sources)
    return stack.enter_context(connect(sources.db_path))
