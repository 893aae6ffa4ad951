"""Reading the index: listing with filters, full-text search, links.

Runs on a standard-library connection opened by ``index.engine.connect``,
after ``refresh.ensure_fresh`` has brought the index up to date.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

from git_issues.errors import GitIssuesError
from git_issues.index import schema
from git_issues.index.engine import connect
from git_issues.index.refresh import Sources, ensure_fresh

SORTS = {
    "created": "created DESC, id",
    "activity": "activity DESC, id",
    "priority": "priority IS NULL, priority, created DESC, id",
    "title": "title COLLATE NOCASE, id",
}
ROW_COLUMNS = ("id", "title", "status", "is_open", "priority", "labels", "assignees",
               "milestone", "author", "created", "closed", "activity", "comment_count")


class Filters(NamedTuple):
    status: str = "open"  # a state (open/closed), a configured status, or "all"
    labels: tuple[str, ...] = ()
    assignee: str | None = None  # any of the assignees contains it (case-insensitive)
    author: str | None = None
    milestone: str | None = None  # exactly this milestone; '' means none
    text: str | None = None
    sort: str = "created"
    limit: int | None = None


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
        row = self.conn.execute("SELECT value FROM meta WHERE key = 'statuses'").fetchone()
        import json  # not at module level: ~3 ms that a fresh read does not need

        if row:
            return json.loads(row[0])
        from git_issues.config import DEFAULT_STATUSES  # rare: not on every read's path

        return dict(DEFAULT_STATUSES)

    def problems(self) -> list[str]:
        """One line per broken file, as recorded when it was last read."""
        rows = self.conn.execute(
            "SELECT error FROM files WHERE error IS NOT NULL ORDER BY name"
        )
        return [error for (error,) in rows]

    def _status_clause(self, status: str) -> tuple[str, list[Any]]:
        if status == "all":
            return "", []
        if status in ("open", "closed"):
            return "is_open = ?", [int(status == "open")]
        statuses = self.statuses()
        if status not in statuses:
            known = ", ".join(["all", *statuses])
            raise GitIssuesError(f"unknown status '{status}' (known: {known})")
        return "status = ?", [status]

    def list(self, filters: Filters, *, with_doc: bool = False) -> list[dict[str, Any]]:
        columns, sql, params = self.list_sql(filters, with_doc=with_doc)
        return [dict(zip(columns, row, strict=True)) for row in self.conn.execute(sql, params)]

    def list_sql(self, filters: Filters, *, with_doc: bool = False
                 ) -> tuple[tuple[str, ...], str, list[Any]]:
        """The columns, SQL and parameters of a listing (tests check its query plan)."""
        if filters.sort not in SORTS:
            raise GitIssuesError(f"unknown sort '{filters.sort}' (known: {', '.join(SORTS)})")
        where, params = [], []
        clause, values = self._status_clause(filters.status)
        if clause:
            where.append(clause)
            params += values
        for label in filters.labels:
            where.append("num IN (SELECT num FROM labels WHERE label = ?)")
            params.append(label)
        if filters.assignee:
            where.append(f"num IN (SELECT num FROM {schema.ASSIGNEES.name} "
                         "WHERE instr(lower(assignee), ?) > 0)")
            params.append(filters.assignee.lower())
        if filters.milestone is not None:
            where.append("milestone = ?" if filters.milestone else "milestone IS NULL")
            params += [filters.milestone] if filters.milestone else []
        if filters.author:
            where.append("instr(lower(coalesce(author, '')), ?) > 0")
            params.append(filters.author.lower())
        if filters.text is not None:
            where.append(f"num IN (SELECT rowid FROM {schema.TEXT_TABLE} "
                         f"WHERE {schema.TEXT_TABLE} MATCH ?)")
            params.append(fts_query(filters.text))
        columns = ROW_COLUMNS + (("doc",) if with_doc else ())
        sql = f"SELECT {', '.join(columns)} FROM issues"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += f" ORDER BY {SORTS[filters.sort]}"
        if filters.limit is not None:
            sql += " LIMIT ?"
            params.append(filters.limit)
        return columns, sql, params

    def doc(self, issue_id: str) -> dict[str, Any] | None:
        """The issue as the fresh index holds it (its file's fields), or None if
        its file is broken or gone."""
        import json

        row = self.conn.execute("SELECT doc FROM issues WHERE id = ?", (issue_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def titles(self, ids: list[str]) -> dict[str, str]:
        if not ids:
            return {}
        marks = ", ".join("?" * len(ids))
        rows = self.conn.execute(f"SELECT id, title FROM issues WHERE id IN ({marks})", ids)
        return dict(rows)

    def links_of(self, issue_id: str) -> list[tuple[str, str]]:
        """(relation, other id) pairs seen from this issue, whichever file stored them."""
        rows = self.conn.execute(
            "SELECT src, kind, dst FROM links WHERE src = ? OR dst = ? ORDER BY kind, src, dst",
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
        issues, links = schema.ISSUES.name, schema.LINKS.name
        rows = self.conn.execute(
            f"SELECT DISTINCT i.id FROM {links} l JOIN {issues} i ON i.num = l.num "
            "WHERE (l.src = ? OR l.dst = ?) AND i.id != ? ORDER BY i.id",
            (issue_id, issue_id, issue_id))
        return [other for (other,) in rows]

    def milestones(self) -> list[tuple[str, int, int]]:
        """Each milestone with its open and closed issue counts, by name."""
        rows = self.conn.execute(
            f"SELECT milestone, sum(is_open), sum(1 - is_open) FROM {schema.ISSUES.name} "
            "WHERE milestone IS NOT NULL GROUP BY milestone ORDER BY milestone COLLATE NOCASE, "
            "milestone")
        return [(name, int(opened), int(closed)) for name, opened, closed in rows]

    def blocked_ids(self) -> set[str]:
        """Ids that an open issue blocks (whichever file stored the link)."""
        issues, links = schema.ISSUES.name, schema.LINKS.name
        rows = self.conn.execute(
            f"SELECT l.dst FROM {links} l JOIN {issues} b ON b.id = l.src "
            "WHERE l.kind = 'blocks' AND b.is_open = 1"
        )
        return {dst for (dst,) in rows}

    def ready(self, filters: Filters, *, with_doc: bool = False) -> list[dict[str, Any]]:
        """Open issues with no open blocker, filtered and sorted like ``list``.

        A blocker that has no issue file (a dangling id) cannot be open, so it
        blocks nothing.
        """
        everything = type(filters)(
            status="open", labels=filters.labels, assignee=filters.assignee,
            author=filters.author, milestone=filters.milestone, text=filters.text,
            sort=filters.sort, limit=None,
        )
        blocked = self.blocked_ids()
        rows = [row for row in self.list(everything, with_doc=with_doc)
                if row["id"] not in blocked]
        return rows if filters.limit is None else rows[: filters.limit]

    def blocks_path(self, start: str, goal: str) -> list[str] | None:
        """The shortest chain ``start blocks ... blocks goal``, or None (breadth first)."""
        edges: dict[str, list[str]] = {}
        rows = self.conn.execute(
            f"SELECT src, dst FROM {schema.LINKS.name} WHERE kind = 'blocks' ORDER BY src, dst")
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
