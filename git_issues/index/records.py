"""From an issue file on disk to the rows the index stores for it.

Kept free of database code so the same records feed the standard-library
refresh, the SQLAlchemy rebuild and the worker processes of a parallel rebuild.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any

from git_issues.errors import IssueFileError
from git_issues.store import ISSUES_DIR

if TYPE_CHECKING:
    from git_issues.model import Issue

StatSig = tuple[int, int, int, int]  # mtime_ns, ctime_ns, size, inode


def digest(data: bytes) -> str:
    """The content fingerprint that settles racy entries (hashlib loads lazily:
    its OpenSSL start-up would cost every fresh read)."""
    import hashlib

    return hashlib.blake2b(data, digest_size=16).hexdigest()


def stat_sig(st: os.stat_result) -> StatSig:
    return (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino)


class Record:
    """Everything the index keeps for one directory entry (a plain class: cheap to import)."""

    __slots__ = ("file", "issue", "labels", "links", "text")

    def __init__(self, file: dict[str, Any], issue: dict[str, Any] | None = None,
                 labels: list[dict[str, Any]] | None = None,
                 links: list[dict[str, Any]] | None = None,
                 text: dict[str, Any] | None = None) -> None:
        self.file = file
        self.issue = issue
        self.labels = labels or []
        self.links = links or []
        self.text = text


def read_record(directory: str, name: str, statuses: dict[str, str]) -> Record | None:
    """Read and parse one file; a broken file becomes a record with its error.

    None means the file vanished between listing and reading (a checkout is
    under way): the next refresh sees the directory as it is then.
    """
    from git_issues.fileformat import load_text, read_bytes  # PyYAML only when a file is read

    checked_ns = time.time_ns()
    shown = f"{ISSUES_DIR}/{name}"
    file_row: dict[str, Any] = {
        "name": name, "mtime_ns": None, "ctime_ns": None, "size": None, "ino": None,
        "checked_ns": checked_ns, "digest": None, "error": None,
    }
    try:
        data, st = read_bytes(os.path.join(directory, name), shown)
        file_row.update(zip(("mtime_ns", "ctime_ns", "size", "ino"), stat_sig(st), strict=True))
        file_row["digest"] = digest(data)
        issue = load_text(data, shown)
        if issue.id + ".yml" != name:
            raise IssueFileError(shown, f"id '{issue.id}' does not match the file name")
    except FileNotFoundError:
        return None
    except IssueFileError as exc:
        file_row["error"] = str(exc)
        if file_row["mtime_ns"] is None:
            _stat_without_reading(directory, name, file_row)
        return Record(file=file_row)
    return issue_record(issue, file_row, statuses)


def _stat_without_reading(directory: str, name: str, file_row: dict[str, Any]) -> None:
    """Remember a symlink's or directory's own stat so it is not re-read every time."""
    try:
        st = os.lstat(os.path.join(directory, name))
    except OSError:
        return
    file_row.update(zip(("mtime_ns", "ctime_ns", "size", "ino"), stat_sig(st), strict=True))


def issue_record(issue: Issue, file_row: dict[str, Any], statuses: dict[str, str]) -> Record:
    import json  # not at module level: a fresh read never needs it

    doc = issue.to_dict()
    issue_row = {
        "num": None,
        "id": issue.id,
        "file": file_row["name"],
        "title": issue.title,
        "status": issue.status,
        "is_open": int(statuses.get(issue.status, "open") == "open"),
        "priority": issue.priority,
        "assignee": issue.assignee,
        "author": issue.author,
        "created": issue.created,
        "closed": issue.closed,
        "activity": issue.last_activity,
        "labels": ", ".join(issue.labels),
        "comment_count": len(issue.comments),
        "doc": json.dumps(doc, ensure_ascii=False, default=str),
    }
    links = []
    for kind, ids in issue.links.items():
        for other in ids:
            if kind == "blocked_by":
                links.append({"num": None, "src": other, "kind": "blocks", "dst": issue.id})
            else:
                links.append({"num": None, "src": issue.id, "kind": kind, "dst": other})
    return Record(
        file=file_row,
        issue=issue_row,
        labels=[{"num": None, "label": label} for label in issue.labels],
        links=links,
        text={
            "num": None,
            "title": issue.title,
            "body": issue.body,
            "comments": "\n\n".join(c.body for c in issue.comments),
        },
    )


def number(record: Record, num: int) -> None:
    """Give a record its row number, shared by its issue, labels, links and text rows."""
    if record.issue is None:
        return
    record.issue["num"] = num
    record.text["num"] = num  # type: ignore[index]
    for row in record.labels:
        row["num"] = num
    for row in record.links:
        row["num"] = num


def read_many(directory: str, names: list[str], statuses: dict[str, str]) -> list[Record]:
    records = (read_record(directory, name, statuses) for name in names)
    return [r for r in records if r is not None]
