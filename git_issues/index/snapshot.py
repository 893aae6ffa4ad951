"""An index of the issues at a revision (``ls --at REV``), built from parsed issues.

The issues at a tag or a commit come from git's objects, not from ``.issues/``,
so the index in the state folder (which mirrors the work tree) cannot answer
for them.  This builds a second one with the same tables and the same rows
(``rows.insert_records``), so that ``IndexView`` answers every filter, sort and
``ready`` the same way for both.  It lives in memory, or, when a path is given,
in a file that a later call opens instead of parsing again: the content of a
tree never changes, so a file named by its tree id is never stale.

The first read of a tree parses only the files that differ from the work
tree: a file whose blob is the one the work tree holds has its rows copied
from the work tree's index (``Reuse``), and the rest are parsed on every core
(``parse_blobs`` in ``pool.in_parallel``).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from git_issues.errors import GitIssuesError, IssueFileError
from git_issues.fileformat.issuefile import load_text
from git_issues.index import doccodec, schema
from git_issues.index.engine import connect
from git_issues.index.query import IndexView
from git_issues.index.records import Record, issue_record, json_codec
from git_issues.index.refresh import ensure_fresh
from git_issues.index.rows import insert_records, meta_rows
from git_issues.repo.store import ISSUES_DIR, is_placed, placement_error

if TYPE_CHECKING:
    from git_issues.repo.workspace import Sources

KEPT = 8  # tree indexes kept in the state folder: the newest used, the rest removed


def _ddl() -> list[str]:
    """The tables of ``schema``, as plain DDL (no SQLAlchemy: this is a read)."""
    out = []
    for table in schema.TABLES:
        columns = ", ".join(f"{c.name} {c.type}{' PRIMARY KEY' if c.primary_key else ''}"
                            for c in table.columns)
        out.append(f"CREATE TABLE {table.name} ({columns})")
    out += [schema.TEXT_SOURCE_DDL, schema.TEXT_DDL]
    return out


def _indexes() -> list[str]:
    """The indexes of ``schema``'s tables: made once the rows are in, which is
    cheaper than keeping them up to date row by row."""
    return [f"CREATE INDEX ix_{table.name}_{c.name} ON {table.name} ({c.name})"
            for table in schema.TABLES for c in table.columns if c.indexed]


def _file_row(name: str, error: str | None = None) -> dict[str, Any]:
    return {"name": name, "mtime_ns": None, "ctime_ns": None, "size": None, "ino": None,
            "checked_ns": 0, "digest": None, "error": error}


def parse_blobs(chunk: list[tuple[str, bytes | None]], rev: str,
                statuses: dict[str, str]) -> list[Record]:
    """Rows for ``(file name, bytes)`` pairs of a tree (None: not a regular file);
    a file that cannot be read is a row with its error.  A worker's job."""
    out = []
    for name, data in chunk:
        shown = f"{ISSUES_DIR}/{name} at {rev}"
        try:
            if data is None:
                raise IssueFileError(shown, "not a regular file")
            issue = load_text(data, shown)
            if not is_placed(name, issue.id):
                raise IssueFileError(shown, placement_error(name, issue.id))
        except IssueFileError as exc:
            out.append(Record(file=schema.FILES.row(_file_row(name, str(exc)))))
            continue
        out.append(issue_record(issue, _file_row(name), statuses))
    return out


class ReuseFailed(Exception):
    """The work tree's index no longer holds every row it was to lend: the tree is
    parsed whole instead, so a kept index never misses an issue."""


@dataclass
class Reuse:
    """The work tree's index, and the file names whose rows hold what a tree's
    files of the same name hold (the same blob, read with the same statuses)."""

    db_path: Path
    names: list[str]


def indexed_files(sources: Sources, statuses: dict[str, str]) -> set[str]:
    """The issue files the work tree's index holds rows for (refreshed first), or
    none when its statuses are not ``statuses`` (its rows say open or closed by
    them) or it cannot be read: those files are then parsed."""
    try:
        ensure_fresh(sources)
        with connect(sources.db_path) as conn:
            if IndexView(conn).statuses() != statuses:
                return set()
            return {name for (name,) in conn.execute(
                f"SELECT {schema.ISSUES.c.file} FROM {schema.ISSUES.name}")}
    except (GitIssuesError, sqlite3.Error, OSError):
        return set()


def _copy(conn: sqlite3.Connection, reuse: Reuse) -> int:
    """Copy ``reuse``'s rows from the attached work tree index (``wt``); the next
    free issue number."""
    conn.execute("CREATE TEMP TABLE reuse (name TEXT PRIMARY KEY)")
    conn.executemany("INSERT OR IGNORE INTO reuse VALUES (?)", [(n,) for n in reuse.names])
    conn.execute("BEGIN")
    issues, files = schema.ISSUES, schema.FILES
    blank = {"name": files.c.name, "checked_ns": "0"}
    conn.execute(f"INSERT INTO {files.name} SELECT "
                 + ", ".join(blank.get(c, "NULL") for c in files.column_names)
                 + f" FROM wt.{files.name} WHERE {files.c.name} IN (SELECT name FROM reuse)")
    columns = ", ".join(issues.column_names)
    conn.execute(f"INSERT INTO {issues.name} ({columns}) SELECT {columns} FROM wt.{issues.name}"
                 f" WHERE {issues.c.file} IN (SELECT name FROM reuse)")
    nums = f"(SELECT {issues.c.num} FROM main.{issues.name})"
    for table in (schema.LABELS, schema.ASSIGNEES, schema.LINKS):
        columns = ", ".join(table.column_names)
        conn.execute(f"INSERT INTO {table.name} ({columns}) SELECT {columns} "
                     f"FROM wt.{table.name} WHERE num IN {nums}")
    text = ", ".join(schema.TEXT_COLUMNS)
    conn.execute(f"INSERT INTO {schema.TEXT_TABLE} (rowid, {text}) SELECT num, {text} "
                 f"FROM {schema.TEXT_SOURCE} WHERE num IN {nums}")  # the copied documents'
    (copied, last) = conn.execute(
        f"SELECT count(*), max({issues.c.num}) FROM {issues.name}").fetchone()
    if copied != len(set(reuse.names)):  # the work tree's index changed in between
        conn.execute("ROLLBACK")
        raise ReuseFailed(f"{copied} of {len(set(reuse.names))} rows found")
    conn.execute("COMMIT")
    return (last or 0) + 1


def _fill(conn: sqlite3.Connection, rows: list[Record], statuses: dict[str, str],
          reuse: Reuse | None = None) -> None:
    doccodec.register(conn)  # the full-text view reads the documents through it
    for sql in _ddl():
        conn.execute(sql)
    next_num = 1
    if reuse is not None and reuse.names:
        # read-only: an index deleted meanwhile is an error here, never an empty file made
        conn.execute("ATTACH DATABASE ? AS wt", (f"{reuse.db_path.absolute().as_uri()}?mode=ro",))
        try:
            next_num = _copy(conn, reuse)
        finally:
            conn.execute("DETACH DATABASE wt")
    conn.execute("BEGIN")
    insert_records(conn.executemany, rows, next_num)
    conn.executemany(schema.META.insert_sql(), meta_rows({
        "schema_version": schema.VERSION, "statuses": json_codec().dumps(statuses)}))
    for sql in _indexes():
        conn.execute(sql)
    conn.execute("COMMIT")


@contextmanager
def open_snapshot(rows: list[Record], statuses: dict[str, str]) -> Iterator[IndexView]:
    """An in-memory index of ``rows``, closed when the block ends."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        _fill(conn, rows, statuses)
        yield IndexView(conn)
    finally:
        conn.close()


def cache_path(folder: Path, tree: str) -> Path:
    """Where the index of ``tree`` is kept (the schema version in the name: another
    version's file is simply not found)."""
    return folder / f"{tree}-v{schema.VERSION}.sqlite"


@contextmanager
def open_cached(path: Path) -> Iterator[IndexView | None]:
    """The kept index at ``path``, or None when there is none that can be read."""
    if not path.is_file():
        yield None
        return
    try:
        conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True,
                               isolation_level=None)
    except sqlite3.Error:
        yield None
        return
    try:
        conn.execute(f"SELECT count(*) FROM {schema.ISSUES.name}").fetchone()
    except sqlite3.Error:  # not an index (a torn or foreign file): built again
        conn.close()
        yield None
        return
    try:
        os.utime(path)  # the newest used is kept longest
    except OSError:
        pass
    doccodec.register(conn)
    try:
        yield IndexView(conn)
    finally:
        conn.close()


def keep(path: Path, rows: list[Record], statuses: dict[str, str],
         reuse: Reuse | None = None) -> bool:
    """Write the index of ``rows`` to ``path``, if it can be written (a read-only
    ``.git`` is no error: the next read builds it in memory again)."""
    try:
        _store(path, rows, statuses, reuse)
    except (OSError, sqlite3.Error):
        return False
    return True


def _store(path: Path, rows: list[Record], statuses: dict[str, str],
           reuse: Reuse | None) -> None:
    """A temporary renamed into place, so a reader never sees half of it; then
    only the ``KEPT`` newest stay in the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    conn = sqlite3.connect(temporary.absolute().as_uri(), uri=True, isolation_level=None)
    try:
        _fill(conn, rows, statuses, reuse)
        conn.close()
        os.replace(temporary, path)
    except BaseException:
        conn.close()
        temporary.unlink(missing_ok=True)
        raise
    kept = sorted(path.parent.glob("*.sqlite"), key=_age, reverse=True)
    for old in kept[KEPT:]:
        try:
            old.unlink()
        except OSError:
            pass


def _age(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
