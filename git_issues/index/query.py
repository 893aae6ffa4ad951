"""Reading the index: listing with filters, paging, counts, documents, origins, links.

Runs on a standard-library connection opened by ``index.engine.connect``,
after ``refresh.ensure_fresh`` has brought the index up to date.  The SQL is
plain text, built from the names in ``index/schema.py``, and it stays here:
``open_index`` yields an ``IndexView`` whose methods take filters
(``core.filters.Filters``), ids and origins, never SQL or a connection.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from git_issues.core.filters import SORTS, Filters
from git_issues.core.rules import DEFAULT_STATUSES
from git_issues.errors import FieldError, GitIssuesError
from git_issues.index import schema
from git_issues.index.doccodec import unpack
from git_issues.index.engine import connect
from git_issues.index.records import json_codec, order_key
from git_issues.index.refresh import fresh_connection

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
_QUERY = "search_words"  # the temporary table that cuts a search into the index's terms
ORDER_BY = {  # one for each of core.filters.SORTS (tests/test_index_view.py checks)
    "created": f"{_I.created_order} DESC, {_I.id}",
    "activity": f"{_I.activity} DESC, {_I.id}",
    "priority": f"{_I.priority} IS NULL, {_I.priority}, {_I.created_order} DESC, {_I.id}",
    "title": f"{_I.title} COLLATE NOCASE, {_I.id}",
}
ROW_COLUMNS = (_I.id, _I.title, _I.status, _I.is_open, _I.priority, _I.labels, _I.assignees,
               _I.milestone, _I.author, _I.created, _I.closed, _I.activity, _I.comment_count,
               _I.created_order)  # a listed row's keys


class UnknownStatusError(GitIssuesError):
    """``ls -s bogus``: a usage error, which the command line reports as one."""


class Page(NamedTuple):
    """One page of a listing: its rows, how many there are in all, and where it is."""

    rows: list[dict[str, Any]]
    total: int
    number: int  # 1-based, within 1..pages
    pages: int


class IndexView:
    """Queries over one open connection to a fresh index.

    The connection stays in here: callers ask by filters, ids and origins, and
    get rows, counts and documents back (no SQL leaves ``index/``).
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def statuses(self) -> dict[str, str]:
        row = self._conn.execute(
            f"SELECT {_M.value} FROM {_META} WHERE {_M.key} = 'statuses'").fetchone()
        return json_codec().loads(row[0]) if row else dict(DEFAULT_STATUSES)

    def problems(self) -> list[str]:
        """One line per broken file, as recorded when it was last read."""
        rows = self._conn.execute(
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

    def list(self, filters: Filters, *, with_doc: bool = False,
             offset: int = 0) -> list[dict[str, Any]]:
        """The rows of a listing (``ROW_COLUMNS``, and ``doc``, the file's fields, if
        asked), in its order, from ``offset`` on, at most its limit."""
        columns = ROW_COLUMNS + ((_I.doc,) if with_doc else ())
        sql, params = self._select(filters, columns, offset)
        rows = [dict(zip(columns, row, strict=True)) for row in self._conn.execute(sql, params)]
        if with_doc:
            loads = json_codec().loads
            for row in rows:
                row[_I.doc] = loads(unpack(row[_I.doc]))
        return rows

    def documents(self, filters: Filters) -> Iterator[str]:
        """Each listed issue's fields as compact JSON in its file's key order (``export``)."""
        sql, params = self._select(filters, (_I.doc,), 0)
        for (doc,) in self._conn.execute(sql, params):
            yield unpack(doc)

    def count(self, filters: Filters) -> int:
        """How many issues the listing has without its limit (``Showing 30 of 2,000``)."""
        where, params = self._where(filters)
        return self._conn.execute(f"SELECT count(*) FROM {_ISSUES}{where}", params).fetchone()[0]

    def page(self, filters: Filters, number: int, size: int) -> Page:
        """Page ``number`` (kept within the pages there are) of ``size`` rows."""
        total = self.count(filters)
        pages = max(1, -(-total // size))
        number = min(max(number, 1), pages)
        rows = self.list(filters._replace(limit=size), offset=(number - 1) * size)
        return Page(rows, total, number, pages)

    def plan(self, filters: Filters) -> str:
        """SQLite's query plan of a listing, its steps joined by `` | `` (tests check
        that a limited listing reads an index in order instead of sorting)."""
        sql, params = self._select(filters, ROW_COLUMNS, 0)
        return " | ".join(row[3] for row in self._conn.execute("EXPLAIN QUERY PLAN " + sql,
                                                               params))

    def _select(self, filters: Filters, columns: tuple[str, ...],
                offset: int) -> tuple[str, list[Any]]:
        """A listing's SQL and parameters: its filters, its order, its limit and offset."""
        if filters.sort not in ORDER_BY:
            raise GitIssuesError(f"unknown sort '{filters.sort}' (known: {', '.join(SORTS)})")
        where, params = self._where(filters)
        sql = f"SELECT {', '.join(columns)} FROM {_ISSUES}{where} ORDER BY {ORDER_BY[filters.sort]}"
        if filters.limit is not None or offset:
            sql += " LIMIT ? OFFSET ?"
            params += [-1 if filters.limit is None else filters.limit, offset]
        return sql, params

    def _where(self, filters: Filters) -> tuple[str, list[Any]]:
        """The filters as a `` WHERE ...`` clause (empty for none) and its parameters."""
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
            terms = self._terms(filters.text)
            where.append(f"{_I.num} IN (SELECT rowid FROM {schema.TEXT_TABLE} "
                         f"WHERE {schema.TEXT_TABLE} MATCH ?)" if terms else "0")
            params += [" ".join(f'"{term}"*' for term in terms)] if terms else []
        return (" WHERE " + " AND ".join(where) if where else ""), params

    def _terms(self, text: str) -> list[str]:
        """The words of a search cut and folded as the words' index cuts and folds
        its text, by its own tokenizer (in a temporary table).

        The index keeps no positions, so it refuses a phrase, and a quoted word
        that the tokenizer cuts in two (``foo-bar``, ``e`` and a combining accent)
        is one; no pattern in Python cuts every alphabet as SQLite's does.
        """
        if not text.split():
            raise FieldError("text", "needs some text to search for")
        conn = self._conn
        conn.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{_QUERY} USING fts5(text, "
                     f"{schema.TOKENIZE}, detail = none)")
        conn.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{_QUERY}_terms "
                     f"USING fts5vocab(temp, {_QUERY}, 'row')")
        conn.execute(f"DELETE FROM temp.{_QUERY}")
        conn.execute(f"INSERT INTO temp.{_QUERY} (text) VALUES (?)", (text,))
        return [term for (term,) in conn.execute(f"SELECT term FROM temp.{_QUERY}_terms")]

    def doc(self, issue_id: str) -> dict[str, Any] | None:
        """The issue as the fresh index holds it (its file's fields), or None if
        its file is broken or gone."""
        row = self._conn.execute(f"SELECT {_I.doc} FROM {_ISSUES} WHERE {_I.id} = ?",
                                 (issue_id,)).fetchone()
        return json_codec().loads(unpack(row[0])) if row else None

    def ids_by_origin(self, key: str, repo: str | None = None,
                      numbers: Collection[int] | None = None, *, repo_key: str = "repo",
                      number_key: str = "number", host: str | None = None) -> dict[Any, str]:
        """Where imported issues came from -> their local ids.

        A forge's origin is a mapping of the repository and the issue's number
        there (``github: {repo, number}``, Gitea's the same with ``host``; GitLab's
        ``gitlab: {project, iid}``, named by ``repo_key`` and ``number_key``): with
        ``repo``, the numbers in that repository (named in any case, as the forges
        compare names), only ``numbers`` if given, only those of ``host`` if given
        (Gitea's servers: ``gitea: {host, ...}``).  A plain origin
        (``beads: bd-12``) without ``repo`` maps its value.
        """
        if not all(name.isidentifier() for name in (key, repo_key, number_key)):
            raise ValueError(f"not an origin key: {key!r}")
        if numbers is not None and not numbers:
            return {}
        value = f"json_extract({_I.origin}, ?)"
        params: list[Any] = [f"$.{key}" if repo is None else f"$.{key}.{number_key}"]
        sql = f"SELECT {value}, {_I.id} FROM {_ISSUES} WHERE {value} IS NOT NULL"
        params.append(params[0])
        if repo is not None:
            sql += f" AND json_extract({_I.origin}, ?) = ? COLLATE NOCASE"
            params += [f"$.{key}.{repo_key}", repo]
        if host is not None:
            sql += f" AND json_extract({_I.origin}, ?) = ? COLLATE NOCASE"
            params += [f"$.{key}.host", host]
        if numbers is not None:
            sql += f" AND {value} IN ({', '.join('?' * len(numbers))})"
            params += [params[0], *numbers]
        return dict(self._conn.execute(sql, params).fetchall())

    def ids_of_github_numbers(self, repo: str, numbers: Collection[int]) -> dict[int, str]:
        """The local ids of the issues imported from ``repo``'s GitHub ``numbers``."""
        return self.ids_by_origin("github", repo, numbers)

    def ids_by_github_number(self, repo: str) -> dict[int, str]:
        """GitHub number -> local id of every issue imported from ``repo`` (any case)."""
        return self.ids_by_origin("github", repo)

    def ids_by_beads_id(self) -> dict[str, str]:
        """beads id -> local id of every issue imported from beads."""
        return self.ids_by_origin("beads")

    def ids(self) -> list[str]:
        """Every issue's id, in order (what a prefix is resolved among)."""
        return [i for (i,) in self._conn.execute(f"SELECT {_I.id} FROM {_ISSUES} ORDER BY {_I.id}")]

    def ids_with_prefixes(self, prefixes: Iterable[str]) -> dict[str, list[str]]:
        """Up to two ids starting with each prefix (exactly one: the prefix is unique)."""
        one = (f"SELECT ?, {_I.id} FROM (SELECT {_I.id} FROM {_ISSUES} "
               f"WHERE {_I.id} >= ? AND {_I.id} < ? ORDER BY {_I.id} LIMIT 2)")
        found: dict[str, list[str]] = {}
        wanted = list(prefixes)
        for at in range(0, len(wanted), 200):  # one statement for many: under SQLite's limits
            chunk = wanted[at:at + 200]
            params = [value for p in chunk for value in (p, p, p + "\x7f")]
            for prefix, issue_id in self._conn.execute(" UNION ALL ".join([one] * len(chunk)),
                                                       params):
                found.setdefault(prefix, []).append(issue_id)
        return found

    def titles(self, ids: list[str]) -> dict[str, str]:
        if not ids:
            return {}
        marks = ", ".join("?" * len(ids))
        rows = self._conn.execute(
            f"SELECT {_I.id}, {_I.title} FROM {_ISSUES} WHERE {_I.id} IN ({marks})", ids)
        return dict(rows)

    def links_of(self, issue_id: str) -> list[tuple[str, str]]:
        """(relation, other id) pairs seen from this issue, whichever file stored them."""
        rows = self._conn.execute(
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
        rows = self._conn.execute(
            f"SELECT DISTINCT i.{_I.id} FROM {_LINKS} l "
            f"JOIN {_ISSUES} i ON i.{_I.num} = l.{_K.num} "
            f"WHERE (l.{_K.src} = ? OR l.{_K.dst} = ?) AND i.{_I.id} != ? ORDER BY i.{_I.id}",
            (issue_id, issue_id, issue_id))
        return [other for (other,) in rows]

    def label_names(self, prefix: str = "", limit: int = 500) -> list[str]:
        """The labels in use that start with ``prefix``, by name (a web form's choices)."""
        rows = self._conn.execute(
            f"SELECT DISTINCT {_L.label} FROM {_LABELS} WHERE substr({_L.label}, 1, ?) = ? "
            f"ORDER BY {_L.label} LIMIT ?", (len(prefix), prefix, limit))
        return [label for (label,) in rows]

    def milestones(self) -> list[tuple[str, int, int]]:
        """Each milestone with its open and closed issue counts, by name."""
        rows = self._conn.execute(
            f"SELECT {_I.milestone}, sum({_I.is_open}), sum(1 - {_I.is_open}) FROM {_ISSUES} "
            f"WHERE {_I.milestone} IS NOT NULL GROUP BY {_I.milestone} "
            f"ORDER BY {_I.milestone} COLLATE NOCASE, {_I.milestone}")
        return [(name, int(opened), int(closed)) for name, opened, closed in rows]

    def blocked_ids(self) -> set[str]:
        """Ids that an open issue blocks (whichever file stored the link)."""
        rows = self._conn.execute(
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
        rows = self._conn.execute(
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
    with fresh_connection(sources) as conn:
        yield IndexView(conn)


@contextmanager
def read_index(db_path: Path) -> Iterator[IndexView]:
    """The index as it is, without a freshness check: for the moment right after a
    rebuild (``reindex`` reports the broken files it recorded)."""
    with connect(db_path) as conn:
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
