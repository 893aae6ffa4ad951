"""From an issue file on disk to the rows the index stores for it.

Kept free of database code so the same records feed the standard-library
refresh, the SQLAlchemy rebuild and the worker processes of a parallel rebuild.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from git_issues.errors import IssueFileError
from git_issues.index import doccodec, schema
from git_issues.repo.store import ISSUES_DIR, is_placed, placement_error

if TYPE_CHECKING:
    from git_issues.core.model import Issue

StatSig = tuple[int, int, int, int]  # mtime_ns, ctime_ns, size, inode
STAT_COLUMNS = ("mtime_ns", "ctime_ns", "size", "ino")  # a StatSig's columns in ``files``
# Where a files row holds its name and stat data, found in the schema (so the two
# cannot drift apart; tests/test_index.py checks the stat columns are adjacent).
_NAME = schema.FILES.column_names.index("name")
_STAT_AT = schema.FILES.column_names.index(STAT_COLUMNS[0])
_STAT = slice(_STAT_AT, _STAT_AT + len(STAT_COLUMNS))


def digest(data: bytes) -> str:
    """The content fingerprint that settles racy entries.

    ``hashlib.blake2b`` is ``_blake2.blake2b``; importing hashlib first starts
    OpenSSL, which a read that re-reads one edited file would pay (see
    docs/performance.md, "Import costs").
    """
    try:
        from _blake2 import blake2b  # lazy: startup
    except ImportError:  # a Python built without it
        from hashlib import blake2b  # lazy: startup

    return blake2b(data, digest_size=16).hexdigest()


def json_codec() -> ModuleType:
    """The standard library's ``json``, loaded the first time the index needs it
    (the one door for it here): a fresh read never does."""
    import json  # lazy: startup

    return json


def stat_sig(st: os.stat_result) -> StatSig:
    return (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino)


def config_sig(config_path: Path) -> str:
    """The config's stat data as meta records it: another value means a rebuild."""
    try:
        st = os.stat(config_path)
    except FileNotFoundError:
        return "none"
    return ":".join(str(part) for part in stat_sig(st))


def config_digest(config_path: Path) -> str:
    """The config's bytes as meta records them: a copy of the repository changes the
    config's stat data but not these, and must not cost a rebuild."""
    try:
        return digest(config_path.read_bytes())
    except FileNotFoundError:
        return "none"


class Record:
    """Everything the index keeps for one directory entry (a plain class: cheap to import).

    Rows are tuples in the schema's column order, without the issue's row
    number, which the writer assigns (``table_rows``): worker processes send these
    back to the parent, and tuples pickle several times faster than dicts.
    """

    __slots__ = ("file", "issue", "labels", "assignees", "links")

    def __init__(self, file: tuple[Any, ...], issue: tuple[Any, ...] | None = None,
                 labels: tuple[str, ...] = (), links: tuple[tuple[str, str, str], ...] = (),
                 assignees: tuple[str, ...] = ()) -> None:
        self.file = file
        self.issue = issue
        self.labels = labels
        self.assignees = assignees
        self.links = links

    @property
    def name(self) -> str:
        return self.file[_NAME]

    @property
    def stat(self) -> StatSig:
        return self.file[_STAT]  # type: ignore[return-value]

    def __getstate__(self) -> tuple[Any, ...]:
        return (self.file, self.issue, self.labels, self.assignees, self.links)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        self.file, self.issue, self.labels, self.assignees, self.links = state


def read_record(directory: str, name: str, statuses: dict[str, str]) -> Record | None:
    """Read and parse one file; a broken file becomes a record with its error.

    None means the file vanished between listing and reading (a checkout is
    under way): the next refresh sees the directory as it is then.
    """
    from git_issues.fileformat.issuefile import load_text, read_bytes  # lazy: startup (PyYAML)

    checked_ns = time.time_ns()
    shown = f"{ISSUES_DIR}/{name}"
    file_row: dict[str, Any] = {
        "name": name, "mtime_ns": None, "ctime_ns": None, "size": None, "ino": None,
        "checked_ns": checked_ns, "digest": None, "error": None,
    }
    try:
        data, st = read_bytes(os.path.join(directory, name), shown)
        file_row.update(zip(STAT_COLUMNS, stat_sig(st), strict=True))
        file_row["digest"] = digest(data)
        issue = load_text(data, shown)
        if not is_placed(name, issue.id):
            raise IssueFileError(shown, placement_error(name, issue.id))
    except FileNotFoundError:
        return None
    except IssueFileError as exc:
        file_row["error"] = str(exc)
        if file_row["mtime_ns"] is None:
            _stat_without_reading(directory, name, file_row)
        return Record(file=schema.FILES.row(file_row))
    return issue_record(issue, file_row, statuses)


def _stat_without_reading(directory: str, name: str, file_row: dict[str, Any]) -> None:
    """Remember a symlink's or directory's own stat so it is not re-read every time."""
    try:
        st = os.lstat(os.path.join(directory, name))
    except OSError:
        return
    file_row.update(zip(STAT_COLUMNS, stat_sig(st), strict=True))


def order_key(stamp: str, number: int = 0) -> str:
    """A canonical timestamp as text that sorts by time whatever its precision, then
    ``number``: ``2026-11-26T12:00:00.000Z 000000000005``.

    Stamps are written to the second (older versions, forges) or to the
    millisecond (``new``); as written, '.' sorts before 'Z', so ``12:00:00Z``
    would sort after ``12:00:00.500Z``.  Padded to milliseconds they sort by
    time, and text keeps the sort to one column and its index.
    """
    if len(stamp) == 20:  # whole seconds: '...:00Z'
        stamp = stamp[:-1] + ".000Z"
    return f"{stamp} {number:012d}"


def created_order(issue: Issue) -> str:
    """What ``ls`` sorts "newest first" by: the creation time, then the forge's
    number (GitHub stamps to the second, and a batch made in one second keeps
    its order by number), then, in the query, the id."""
    github = issue.origin.get("github")
    return order_key(issue.created, github["number"] if github else 0)


def issue_record(issue: Issue, file_row: dict[str, Any], statuses: dict[str, str]) -> Record:
    doc = issue.to_dict()
    dumps = json_codec().dumps
    issue_row = {
        "num": None,
        "id": issue.id,
        "file": file_row["name"],
        "title": issue.title,
        "status": issue.status,
        "is_open": int(statuses.get(issue.status, "open") == "open"),
        "priority": issue.priority,
        "assignees": ", ".join(issue.assignees),
        "milestone": issue.milestone,
        "author": issue.author,
        "created": issue.created,
        "created_order": created_order(issue),
        "closed": issue.closed,
        "activity": issue.last_activity,
        "labels": ", ".join(issue.labels),
        "comment_count": len(issue.comments),
        "origin": dumps(issue.origin, ensure_ascii=False, default=str) if issue.origin else None,
        "doc": doccodec.pack(dumps(doc, ensure_ascii=False, default=str)),
    }
    links = []
    for kind, ids in issue.links.items():
        for other in ids:
            if kind == "blocked_by":
                links.append((other, "blocks", issue.id))
            else:
                links.append((issue.id, kind, other))
    return Record(
        file=schema.FILES.row(file_row),
        issue=schema.ISSUES.row(issue_row)[1:],
        labels=tuple(issue.labels),
        assignees=tuple(issue.assignees),
        links=tuple(links),
    )


def table_rows(records: list[Record], next_num: int
               ) -> tuple[dict[str, list[tuple[Any, ...]]], int]:
    """The rows of every table for ``records``, numbering issues from ``next_num``.

    Returns the rows by table name (the words' index is filled from them in SQL) and the
    next free number.
    """
    out: dict[str, list[tuple[Any, ...]]] = {
        schema.FILES.name: [r.file for r in records], schema.ISSUES.name: [],
        schema.LABELS.name: [], schema.ASSIGNEES.name: [], schema.LINKS.name: []}
    issues, labels, assignees, links = (
        out[schema.ISSUES.name], out[schema.LABELS.name], out[schema.ASSIGNEES.name],
        out[schema.LINKS.name])
    for record in records:
        if record.issue is None:
            continue
        num = next_num
        next_num += 1
        issues.append((num, *record.issue))
        labels.extend((num, label) for label in record.labels)
        assignees.extend((num, who) for who in record.assignees)
        links.extend((num, *link) for link in record.links)
    return out, next_num


def read_many(directory: str, names: list[str], statuses: dict[str, str]) -> list[Record]:
    records = (read_record(directory, name, statuses) for name in names)
    return [r for r in records if r is not None]
