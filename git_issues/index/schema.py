"""The index schema: its one home.

Tables are described as plain data so that the fast read path (standard
library ``sqlite3``) can build its SQL from here without importing SQLAlchemy,
which costs several times Python's start-up.  ``alchemy.metadata()`` turns the
same description into SQLAlchemy tables for the engine that creates and
rebuilds the index.  Bump ``VERSION`` on any change: an index with another version is
rebuilt without asking.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from git_issues.index import doccodec

VERSION = 7


class Column(NamedTuple):
    name: str
    type: str  # "TEXT", "INTEGER" or "BLOB"
    primary_key: bool = False
    indexed: bool = False


class Names:
    """Column names by attribute, for building SQL: ``ISSUES.c.title == "title"``.

    A misspelt column fails where the SQL is built (at import, for the
    module-level statements) instead of inside SQLite at run time.
    """

    __slots__ = ("_names",)

    def __init__(self, names: tuple[str, ...]) -> None:
        self._names = frozenset(names)

    def __getattr__(self, name: str) -> str:
        if name in self._names:
            return name
        raise AttributeError(f"no column '{name}'")


class Table(NamedTuple):
    name: str
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def c(self) -> Names:
        """The column names, checked: ``f"SELECT {t.c.id} FROM {t.name}"``."""
        return Names(self.column_names)

    def insert_sql(self, verb: str = "INSERT") -> str:
        """Positional parameters: rows travel as tuples in column order, which a
        parallel rebuild pickles at a fraction of the cost of dicts."""
        names = self.column_names
        cols = ", ".join(names)
        params = ", ".join("?" for _ in names)
        return f"{verb} INTO {self.name} ({cols}) VALUES ({params})"

    def row(self, values: dict[str, Any]) -> tuple[Any, ...]:
        """A row in column order from named values; a missing column is an error here."""
        return tuple(values[name] for name in self.column_names)


META = Table("meta", (Column("key", "TEXT", primary_key=True), Column("value", "TEXT")))

# One row per directory entry under .issues/, valid or broken: the stat data
# that makes freshness checks cheap, and the error that a broken file gives.
FILES = Table("files", (
    Column("name", "TEXT", primary_key=True),
    Column("mtime_ns", "INTEGER"),
    Column("ctime_ns", "INTEGER"),
    Column("size", "INTEGER"),
    Column("ino", "INTEGER"),
    Column("checked_ns", "INTEGER"),  # when the stat was taken: racy if mtime is this recent
    Column("digest", "TEXT"),
    Column("error", "TEXT"),
))

ISSUES = Table("issues", (
    Column("num", "INTEGER", primary_key=True),  # rowid, shared with the text table
    Column("id", "TEXT", indexed=True),
    Column("file", "TEXT", indexed=True),
    Column("title", "TEXT"),
    Column("status", "TEXT"),
    Column("is_open", "INTEGER"),  # indexed with a sort order: SORTED_INDEXES
    Column("priority", "INTEGER"),  # sorted as an expression: no index serves it
    Column("assignees", "TEXT"),  # comma-joined, for display; ASSIGNEES serves filters
    Column("milestone", "TEXT", indexed=True),
    Column("author", "TEXT"),
    Column("created", "TEXT"),  # as the file says it
    Column("created_order", "TEXT"),  # what "newest first" sorts by: records.created_order
    Column("closed", "TEXT"),
    Column("activity", "TEXT"),  # SORTED_INDEXES
    Column("labels", "TEXT"),  # comma-joined, for display
    Column("comment_count", "INTEGER"),
    Column("origin", "TEXT"),  # where it was imported from, as JSON: {"github": {...}}
    Column("doc", "BLOB"),  # the whole issue as JSON with the YAML field names: doccodec
))

LABELS = Table("labels", (
    Column("num", "INTEGER", indexed=True),
    Column("label", "TEXT", indexed=True),
))

ASSIGNEES = Table("assignees", (
    Column("num", "INTEGER", indexed=True),
    Column("assignee", "TEXT"),  # matched by substring (``ls -a bob``): no index serves it
))

# Links as pairs: ``blocks`` rows say src blocks dst, whichever file said it.
LINKS = Table("links", (
    Column("num", "INTEGER", indexed=True),
    Column("src", "TEXT", indexed=True),
    Column("kind", "TEXT"),
    Column("dst", "TEXT", indexed=True),
))

# The stat columns of ``files`` once more, as marshalled dicts {name: (mtime_ns,
# ctime_ns, size, ino)}, one per first letter of the name: every read compares
# the whole folder with them, and loading a few values is several times faster
# than fetching a row per file, while a refresh rewrites only the buckets of the
# names it changed.  They are written in the same transaction as ``files``, and
# meta's STAT_CACHE_KEY names the generation they match; a read that finds
# another generation there uses ``files`` instead.
STAT_CACHE = Table("stat_cache", (
    Column("bucket", "TEXT", primary_key=True),
    Column("data", "BLOB"),
))
STAT_CACHE_KEY = "stat_cache_generation"

TABLES = (META, FILES, ISSUES, LABELS, ASSIGNEES, LINKS, STAT_CACHE)

# Indexes that serve a listing in its own order, so ``ls -n 50`` reads 50 rows
# instead of sorting every open issue: (table, columns; "-" marks descending).
SORTED_INDEXES = (
    (ISSUES.name, ("is_open", "-created_order", "id")),
    (ISSUES.name, ("is_open", "-activity", "id")),
    (ISSUES.name, ("-created_order", "id")),
)

# Full text over titles, bodies and comments; rowid = issues.num.  The words'
# index only: its text is read from ``issues.doc`` (inflated by ``issue_doc``,
# see doccodec) through a view (an FTS5
# "external content" table), so the index does not hold every body and comment
# a third time (it was a sixth of the index on disk; issue 27).  Rows enter and
# leave the words' index through the same view, so what a delete removes is
# exactly what the insert added.
TEXT_TABLE = "issue_text"
TEXT_SOURCE = "issue_text_source"
TEXT_COLUMNS = ("title", "body", "comments")
_COLUMNS = ", ".join(TEXT_COLUMNS)
_DOC = f"{doccodec.SQL_FUNCTION}(doc)"
TEXT_SOURCE_DDL = (
    f"CREATE VIEW IF NOT EXISTS {TEXT_SOURCE} AS SELECT num, title, "
    f"coalesce(json_extract({_DOC}, '$.body'), '') AS body, "
    "coalesce((SELECT group_concat(coalesce(json_extract(c.value, '$.body'), ''), "
    f"char(10) || char(10)) FROM json_each({_DOC}, '$.comments') AS c), '') AS comments "
    "FROM issues"
)
TOKENIZE = "tokenize = 'unicode61 remove_diacritics 2'"
# Which issues hold a word, and nothing more (``detail = none``: no positions, no
# columns, no sizes): a search asks for issues holding every word, never a
# phrase or a rank, and the positions were four fifths of the words' index.
TEXT_DDL = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {TEXT_TABLE} USING fts5({_COLUMNS}, "
    f"content = '{TEXT_SOURCE}', content_rowid = 'num', {TOKENIZE}, "
    "detail = none, columnsize = 0)"
)
TEXT_FILL = (  # the issues numbered from ? on, into the words' index
    f"INSERT INTO {TEXT_TABLE} (rowid, {_COLUMNS}) "
    f"SELECT num, {_COLUMNS} FROM {TEXT_SOURCE} WHERE num >= ?"
)
TEXT_FORGET = (  # before the issues rows of :name go: their words out of the index
    f"INSERT INTO {TEXT_TABLE} ({TEXT_TABLE}, rowid, {_COLUMNS}) "
    f"SELECT 'delete', num, {_COLUMNS} FROM {TEXT_SOURCE} "
    f"WHERE num IN (SELECT num FROM issues WHERE file = :name)"
)
