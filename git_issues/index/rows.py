"""The rows both paths write: records into the tables, with the same SQL for the incremental
refresh (standard-library ``sqlite3``) and the full rebuild (through the SQLAlchemy engine).

Its own module so that the rebuild and the refresh share it without importing each other.
"""

from __future__ import annotations

from typing import Any

from git_issues.index import schema
from git_issues.index.records import Record, table_rows
from git_issues.index.statcache import ExecuteMany

_INSERTS = (
    (schema.FILES.name, schema.FILES.insert_sql("INSERT OR REPLACE")),
    (schema.ISSUES.name, schema.ISSUES.insert_sql()),
    (schema.LABELS.name, schema.LABELS.insert_sql()),
    (schema.ASSIGNEES.name, schema.ASSIGNEES.insert_sql()),
    (schema.LINKS.name, schema.LINKS.insert_sql()),
)


def insert_records(execute_many: ExecuteMany, records: list[Record], next_num: int) -> int:
    """Store records, numbering their issues from ``next_num``; returns the next free number."""
    first = next_num
    by_table, next_num = table_rows(records, next_num)
    for table, sql in _INSERTS:
        if by_table[table]:
            execute_many(sql, by_table[table])
    if next_num > first:
        execute_many(schema.TEXT_FILL, [(first,)])
    return next_num


def meta_rows(values: dict[str, Any]) -> list[tuple[str, str]]:
    return [(k, str(v)) for k, v in values.items()]
