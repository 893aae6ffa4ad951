"""An index of the issues at a revision (``ls --at REV``), built from parsed issues.

The issues at a tag or a commit come from git's objects, not from ``.issues/``,
so the index in the state folder (which mirrors the work tree) cannot answer
for them.  This builds a second one with the same tables and the same rows
(``rows.insert_records``), so that ``IndexView`` answers every filter, sort and
``ready`` the same way for both.  It lives in memory, or, when a path is given,
in a file that a later call opens instead of parsing again: the content of a
tree never changes, so a file named by its tree id is never stale.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from git_issues.index import schema
from git_issues.index.query import IndexView
from git_issues.index.records import Record, issue_record, json_codec
from git_issues.index.rows import insert_records, meta_rows

if TYPE_CHECKING:
    from git_issues.core.model import Issue

KEPT = 8  # tree indexes kept in the state folder: the newest used, the rest removed


def _ddl() -> list[str]:
    """The tables of ``schema``, as plain DDL (no SQLAlchemy: this is a read)."""
    out = []
    for table in schema.TABLES:
        columns = ", ".join(f"{c.name} {c.type}{' PRIMARY KEY' if c.primary_key else ''}"
                            for c in table.columns)
        out.append(f"CREATE TABLE {table.name} ({columns})")
        out += [f"CREATE INDEX ix_{table.name}_{c.name} ON {table.name} ({c.name})"
                for c in table.columns if c.indexed]
    out += [schema.TEXT_SOURCE_DDL, schema.TEXT_DDL]
    return out


def _file_row(name: str, error: str | None = None) -> dict[str, Any]:
    return {"name": name, "mtime_ns": None, "ctime_ns": None, "size": None, "ino": None,
            "checked_ns": 0, "digest": None, "error": error}


def records(issues: list[tuple[str, Issue]], problems: list[tuple[str, str]],
            statuses: dict[str, str]) -> list[Record]:
    """Rows for ``(file name, issue)`` pairs and ``(file name, error line)`` pairs."""
    out = [issue_record(issue, _file_row(name), statuses) for name, issue in issues]
    out += [Record(file=schema.FILES.row(_file_row(name, error))) for name, error in problems]
    return out


def _fill(conn: sqlite3.Connection, rows: list[Record], statuses: dict[str, str]) -> None:
    for sql in _ddl():
        conn.execute(sql)
    conn.execute("BEGIN")
    insert_records(conn.executemany, rows, 1)
    conn.executemany(schema.META.insert_sql(), meta_rows({
        "schema_version": schema.VERSION, "statuses": json_codec().dumps(statuses)}))
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
    try:
        yield IndexView(conn)
    finally:
        conn.close()


def keep(path: Path, rows: list[Record], statuses: dict[str, str]) -> bool:
    """Write the index of ``rows`` to ``path``, if it can be written (a read-only
    ``.git`` is no error: the next read builds it in memory again)."""
    try:
        _store(path, rows, statuses)
    except (OSError, sqlite3.Error):
        return False
    return True


def _store(path: Path, rows: list[Record], statuses: dict[str, str]) -> None:
    """A temporary renamed into place, so a reader never sees half of it; then
    only the ``KEPT`` newest stay in the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    conn = sqlite3.connect(str(temporary), isolation_level=None)
    try:
        _fill(conn, rows, statuses)
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
