"""Reading the index: listing with filters, full-text search, links.

Runs on a standard-library connection opened by ``index.engine.connect``,
after ``refresh.ensure_fresh`` has brought the index up to date.  The SQL is
plain text, built from the names in ``index/schema.py``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from git_issues.errors import GitIssuesError
from git_issues.index import schema
from git_issues.index.engine import connect
from git_issues.index.records import order_key
from git_issues.index.refresh import ensure_fresh

if TYPE_CHECKING:
    from git_issues.repo.workspace import Sources

# Table names and their columns (``_I.title == "title"``), from the schema.
_ISSUES, _FILES, _LABELS, _ASSIGNEES, _LINKS, _META = (
    schema.ISSUES.name, schema.FILES.name, schema.LABELS.name, schema.ASSIGNEES.name,
    schema.LINKS.name, schema.META.name)
_I, _F, _L, _A, _K, _M = (schema.ISSUES.c, schema.FILES.c, schema.LABELS.c, schema.ASSIGNEES.c,
                          schema.LINKS.c, schema.META.c)

# Far more than anyone types; each is one subquery, and SQLite refuses a WHERE
# more than 1,000 deep (an error, not a traceback, past this).
MAX_LABEL_FILTERS = 100
SORTS = {
    "created": f"{_I.created_order} DESC, {_I.id}",
    "activity": f"{_I.activity} DESC, {_I.id}",
    "priority": f"{_I.priority} IS NULL, {_I.priority}, {_I.created_order} DESC, {_I.id}",
    "title": f"{_I.title} COLLATE NOCASE, {_I.id}",
}
ROW_COLUMNS = (_I.id, _I.title, _I.status, _I.is_open, _I.priority, _I.labels, _I.assignees,
               _I.milestone, _I.author, _I.created, _I.closed, _I.activity, _I.comment_count,
               _I.created_order)  # the web view sorts a page of these rows again


class Filters(NamedTuple):
    status: str = "open"  # a state (open/closed), a configured status, or "all"
    labels: tuple[str, ...] = ()  # '~label' excludes that label
    assignee: str | None = None  # any of the assignees contains it (case-insensitive)
    author: str | None = None
    milestone: str | None = None  # exactly this milestone; '' means none
    text: str | None = None
    sort: str = "created"
    limit: int | None = None
    priority: tuple[int, int] | None = None  # lowest and highest, inclusive
    since: str | None = None  # created at or after (a canonical timestamp)
    until: str | None = None  # created before
    no_label: bool = False


class UnknownStatusError(GitIssuesError):
    """``ls -s bogus``: a usage error, which the command line reports as one."""


def priority_range(text: str) -> tuple[int, int]:
    """``2``, ``P2``, ``0-1`` or ``P0-P1``: the lowest and highest priority, inclusive."""
    from git_issues.core.model import ValidationError, parse_priority

    low, dash, high = text.strip().partition("-")
    try:
        bounds = (parse_priority(low), parse_priority(high if dash else low))
    except ValidationError:
        raise GitIssuesError(f"'{text}' is not a priority or a range like 0-1 "
                             "(0 critical .. 4 backlog)") from None
    if bounds[0] > bounds[1]:
        raise GitIssuesError(f"'{text}': the range runs backwards (write {bounds[1]}-{bounds[0]})")
    return bounds


def moment(text: str, *, end_of_day: bool = False) -> str:
    """A date (``2026-11-01``) or timestamp as the canonical stamp the index compares.

    A bare date as an upper bound means the end of that day, as people mean it.
    """
    import datetime as dt

    from git_issues.core.model import format_timestamp

    value = text.strip()
    try:
        if len(value) == 10:
            day = dt.date.fromisoformat(value)
            start = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
            return format_timestamp(start + dt.timedelta(days=1) if end_of_day else start)
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise GitIssuesError(f"'{text}' is not a date like 2026-11-01 "
                             "or a timestamp like 2026-11-01T12:00:00Z") from None
    return format_timestamp(parsed)


def fts_query(text: str) -> str:
    """Each word as a quoted prefix term, all required: user text never hits FTS syntax."""
    words = text.split()
    if not words:
        raise GitIssuesError("-q needs some text to search for")
    return " ".join('"' + w.replace('"', '""') + '"*' for w in words)


class IndexView:
    """Queries over one open connection to a fresh index."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def statuses(self) -> dict[str, str]:
        row = self.conn.execute(
            f"SELECT {_M.value} FROM {_META} WHERE {_M.key} = 'statuses'").fetchone()
        import json  # not at module level: a fresh read does not need it

        if row:
            return json.loads(row[0])
        from git_issues.repo.config import DEFAULT_STATUSES  # rare: not on every read's path

        return dict(DEFAULT_STATUSES)

    def problems(self) -> list[str]:
        """One line per broken file, as recorded when it was last read."""
        rows = self.conn.execute(
            f"SELECT {_F.error} FROM {_FILES} WHERE {_F.error} IS NOT NULL ORDER BY {_F.name}"
        )
        return [error for (error,) in rows]

    def _status_clause(self, status: str) -> tuple[str, list[Any]]:
        if status == "all":
            return "", []
        if status in ("open", "closed"):
            return f"{_I.is_open} = ?", [int(status == "open")]
        statuses = self.statuses()
        if status not in statuses:
            known = ", ".join(["all", *statuses])
            raise UnknownStatusError(f"unknown status '{status}' (known: {known})")
        return f"{_I.status} = ?", [status]

    def list(self, filters: Filters, *, with_doc: bool = False) -> list[dict[str, Any]]:
        columns, sql, params = self.list_sql(filters, with_doc=with_doc)
        return [dict(zip(columns, row, strict=True)) for row in self.conn.execute(sql, params)]

    def list_sql(self, filters: Filters, *, with_doc: bool = False
                 ) -> tuple[tuple[str, ...], str, list[Any]]:
        """The columns, SQL and parameters of a listing (tests check its query plan)."""
        if filters.sort not in SORTS:
            raise GitIssuesError(f"unknown sort '{filters.sort}' (known: {', '.join(SORTS)})")
        if len(filters.labels) > MAX_LABEL_FILTERS:  # SQLite's expression depth is 1,000
            raise GitIssuesError(f"at most {MAX_LABEL_FILTERS} label filters at once "
                                 f"(got {len(filters.labels)})")
        where, params = [], []
        clause, values = self._status_clause(filters.status)
        if clause:
            where.append(clause)
            params += values
        for label in filters.labels:
            negated = label.startswith("~")
            where.append(f"{_I.num} {'NOT ' if negated else ''}IN "
                         f"(SELECT {_L.num} FROM {_LABELS} WHERE {_L.label} = ?)")
            params.append(label[1:] if negated else label)
        if filters.no_label:
            where.append(f"{_I.num} NOT IN (SELECT {_L.num} FROM {_LABELS})")
        if filters.priority is not None:
            where.append(f"{_I.priority} BETWEEN ? AND ?")
            params += list(filters.priority)
        for clause, stamp in ((f"{_I.created_order} >= ?", filters.since),
                              (f"{_I.created_order} < ?", filters.until)):
            if stamp is not None:
                where.append(clause)
                params.append(order_key(stamp))
        if filters.assignee:
            where.append(f"{_I.num} IN (SELECT {_A.num} FROM {_ASSIGNEES} "
                         f"WHERE instr(lower({_A.assignee}), ?) > 0)")
            params.append(filters.assignee.lower())
        if filters.milestone is not None:
            where.append(f"{_I.milestone} = ?" if filters.milestone
                         else f"{_I.milestone} IS NULL")
            params += [filters.milestone] if filters.milestone else []
        if filters.author:
            where.append(f"instr(lower(coalesce({_I.author}, '')), ?) > 0")
            params.append(filters.author.lower())
        if filters.text is not None:
            where.append(f"{_I.num} IN (SELECT rowid FROM {schema.TEXT_TABLE} "
                         f"WHERE {schema.TEXT_TABLE} MATCH ?)")
            params.append(fts_query(filters.text))
        columns = ROW_COLUMNS + ((_I.doc,) if with_doc else ())
        sql = f"SELECT {', '.join(columns)} FROM {_ISSUES}"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += f" ORDER BY {SORTS[filters.sort]}"
        if filters.limit is not None:
            sql += " LIMIT ?"
            params.append(filters.limit)
        return columns, sql, params

    def count(self, filters: Filters) -> int:
        """How many issues the listing has without its limit (``Showing 30 of 2,000``)."""
        _, sql, params = self.list_sql(filters._replace(limit=None, sort="title"))
        sql = "SELECT count(*) FROM (" + sql.rsplit(" ORDER BY ", 1)[0] + ")"
        return self.conn.execute(sql, params).fetchone()[0]

    def doc(self, issue_id: str) -> dict[str, Any] | None:
        """The issue as the fresh index holds it (its file's fields), or None if
        its file is broken or gone."""
        import json

        row = self.conn.execute(f"SELECT {_I.doc} FROM {_ISSUES} WHERE {_I.id} = ?",
                                (issue_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def ids_of_github_numbers(self, repo: str, numbers: list[int]) -> dict[int, str]:
        """The local ids of the issues imported from ``repo``'s GitHub ``numbers``."""
        if not numbers:
            return {}
        marks = ", ".join("?" * len(numbers))
        number = f"json_extract({_I.doc}, '$.github.number')"
        rows = self.conn.execute(
            f"SELECT {number}, {_I.id} FROM {_ISSUES} "
            f"WHERE json_extract({_I.doc}, '$.github.repo') = ? AND {number} IN ({marks})",
            [repo, *numbers])
        return dict(rows.fetchall())

    def ids_by_github_number(self, repo: str) -> dict[int, str]:
        """GitHub number -> local id of every issue imported from ``repo`` (any case)."""
        number = f"json_extract({_I.doc}, '$.github.number')"
        rows = self.conn.execute(
            f"SELECT {number}, {_I.id} FROM {_ISSUES} "
            f"WHERE json_extract({_I.doc}, '$.github.repo') = ? COLLATE NOCASE", (repo,))
        return {n: issue_id for n, issue_id in rows if n}

    def ids_by_beads_id(self) -> dict[str, str]:
        """beads id -> local id of every issue imported from beads."""
        beads = f"json_extract({_I.doc}, '$.beads')"
        rows = self.conn.execute(
            f"SELECT {beads}, {_I.id} FROM {_ISSUES} WHERE {beads} IS NOT NULL")
        return dict(rows)

    def titles(self, ids: list[str]) -> dict[str, str]:
        if not ids:
            return {}
        marks = ", ".join("?" * len(ids))
        rows = self.conn.execute(
            f"SELECT {_I.id}, {_I.title} FROM {_ISSUES} WHERE {_I.id} IN ({marks})", ids)
        return dict(rows)

    def links_of(self, issue_id: str) -> list[tuple[str, str]]:
        """(relation, other id) pairs seen from this issue, whichever file stored them."""
        rows = self.conn.execute(
            f"SELECT {_K.src}, {_K.kind}, {_K.dst} FROM {_LINKS} "
            f"WHERE {_K.src} = ? OR {_K.dst} = ? ORDER BY {_K.kind}, {_K.src}, {_K.dst}",
            (issue_id, issue_id),
        )
        pairs = []
        for src, kind, dst in rows:
            if kind == "blocks":
                pairs.append(("blocks", dst) if src == issue_id else ("blocked by", src))
            else:
                pairs.append((kind.replace("_", " "), dst if src == issue_id else src))
        return sorted(set(pairs))

    def linking_ids(self, issue_id: str) -> list[str]:
        """Other issues whose own file stores a link to ``issue_id``."""
        rows = self.conn.execute(
            f"SELECT DISTINCT i.{_I.id} FROM {_LINKS} l "
            f"JOIN {_ISSUES} i ON i.{_I.num} = l.{_K.num} "
            f"WHERE (l.{_K.src} = ? OR l.{_K.dst} = ?) AND i.{_I.id} != ? ORDER BY i.{_I.id}",
            (issue_id, issue_id, issue_id))
        return [other for (other,) in rows]

    def label_names(self, prefix: str = "", limit: int = 500) -> list[str]:
        """The labels in use that start with ``prefix``, by name (a web form's choices)."""
        rows = self.conn.execute(
            f"SELECT DISTINCT {_L.label} FROM {_LABELS} WHERE substr({_L.label}, 1, ?) = ? "
            f"ORDER BY {_L.label} LIMIT ?", (len(prefix), prefix, limit))
        return [label for (label,) in rows]

    def milestones(self) -> list[tuple[str, int, int]]:
        """Each milestone with its open and closed issue counts, by name."""
        rows = self.conn.execute(
            f"SELECT {_I.milestone}, sum({_I.is_open}), sum(1 - {_I.is_open}) FROM {_ISSUES} "
            f"WHERE {_I.milestone} IS NOT NULL GROUP BY {_I.milestone} "
            f"ORDER BY {_I.milestone} COLLATE NOCASE, {_I.milestone}")
        return [(name, int(opened), int(closed)) for name, opened, closed in rows]

    def blocked_ids(self) -> set[str]:
        """Ids that an open issue blocks (whichever file stored the link)."""
        rows = self.conn.execute(
            f"SELECT l.{_K.dst} FROM {_LINKS} l JOIN {_ISSUES} b ON b.{_I.id} = l.{_K.src} "
            f"WHERE l.{_K.kind} = 'blocks' AND b.{_I.is_open} = 1"
        )
        return {dst for (dst,) in rows}

    def ready(self, filters: Filters, *, with_doc: bool = False) -> list[dict[str, Any]]:
        """Open issues with no open blocker, filtered and sorted like ``list``.

        A blocker that has no issue file (a dangling id) cannot be open, so it
        blocks nothing.
        """
        everything = filters._replace(status="open", limit=None)
        blocked = self.blocked_ids()
        rows = [row for row in self.list(everything, with_doc=with_doc)
                if row["id"] not in blocked]
        return rows if filters.limit is None else rows[: filters.limit]

    def blocks_path(self, start: str, goal: str) -> list[str] | None:
        """The shortest chain ``start blocks ... blocks goal``, or None (breadth first)."""
        edges: dict[str, list[str]] = {}
        rows = self.conn.execute(
            f"SELECT {_K.src}, {_K.dst} FROM {_LINKS} WHERE {_K.kind} = 'blocks' "
            f"ORDER BY {_K.src}, {_K.dst}")
        for src, dst in rows:
            edges.setdefault(src, []).append(dst)
        previous: dict[str, str | None] = {start: None}
        frontier = [start]
        while frontier:
            following = []
            for node in frontier:
                if node == goal:
                    path = [node]
                    while (node := previous[node]) is not None:
                        path.append(node)
                    return path[::-1]
                for nxt in edges.get(node, []):
                    if nxt not in previous:
                        previous[nxt] = node
                        following.append(nxt)
            frontier = following
        return None


@contextmanager
def open_index(sources: Sources) -> Iterator[IndexView]:
    """A fresh index to read from; the connection is closed when the block ends."""
    ensure_fresh(sources)
    with connect(sources.db_path) as conn:
        yield IndexView(conn)


def indexed_titles(db_path: Path, ids: list[str]) -> dict[str, str]:
    """Titles of ``ids`` from the index as it is: never refreshed nor built.

    For shell completion, which runs on every <TAB>: a stale title is harmless
    there, a scan is not.  No index, or one that cannot be read, gives none.
    """
    if not ids or not db_path.is_file():
        return {}
    try:
        with connect(db_path) as conn:
            rows = conn.execute(f"SELECT {_I.id}, {_I.title} FROM {_ISSUES}").fetchall()
    except sqlite3.Error:
        return {}
    wanted = set(ids)
    return {i: t for i, t in rows if i in wanted}


# What shell completion offers, read from the index as it is (see indexed_titles).
_COMPLETION_SQL = {
    "labels": f"SELECT DISTINCT {_L.label} FROM {_LABELS} ORDER BY {_L.label}",
    "assignees": f"SELECT DISTINCT {_A.assignee} FROM {_ASSIGNEES} ORDER BY {_A.assignee}",
    "milestones": f"SELECT DISTINCT {_I.milestone} FROM {_ISSUES} "
                  f"WHERE {_I.milestone} IS NOT NULL ORDER BY {_I.milestone}",
    "statuses": f"SELECT {_M.value} FROM {_META} WHERE {_M.key} = 'statuses'",
}


def indexed_values(db_path: Path, what: str) -> list[str]:
    """The labels, assignees, milestones or statuses (the recorded JSON) in the index
    as it is, never refreshed nor built; none when there is no readable index."""
    if not db_path.is_file():
        return []
    try:
        with connect(db_path) as conn:
            return [value for (value,) in conn.execute(_COMPLETION_SQL[what]) if value]
    except sqlite3.Error:
        return []
