"""``git issues import jsonl FILE``: read back what ``git issues export`` wrote.

Each line is one issue in the file format's field names, with its id: it is
written as ``.issues/<id>.yml`` exactly as the exporting repository had it
(export then import into an empty repository gives byte-identical files).
An id that already has a file with the same content is unchanged; with other
content it is left alone and reported, never overwritten.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

from git_issues.errors import GitIssuesError
from git_issues.fileformat import open_named_file
from git_issues.importers.apply import Summary, Writer, ensure_statuses
from git_issues.model import ValidationError, issue_from_dict

if TYPE_CHECKING:
    from git_issues.model import Issue
    from git_issues.workspace import Workspace


def import_file(ws: Workspace, path: str) -> Summary:
    summary = Summary()
    issues = list(_read(path, summary)) if path == "-" else None
    with Writer(ws) as writer:
        _statuses(ws, issues if issues is not None else _read(path, Summary()))
        for issue in issues if issues is not None else _read(path, summary):
            _one(ws, writer, issue, summary)
    return summary


def _read(path: str, summary: Summary):
    try:
        handle = sys.stdin if path == "-" else open_named_file(path)  # no /dev/zero, no FIFO
    except OSError as exc:
        raise GitIssuesError(f"{path}: {exc.strerror}") from None
    try:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                yield issue_from_dict(json.loads(line))
            except (ValueError, ValidationError) as exc:
                summary.skip("invalid lines")
                summary.notes.append(f"{path}:{number}: {exc}")
    except UnicodeDecodeError:
        raise GitIssuesError(f"{path}: not valid UTF-8") from None
    finally:
        if handle is not sys.stdin:
            handle.close()


def _statuses(ws: Workspace, issues) -> None:
    """Statuses the export used that this repository does not know yet."""
    config = ws.config()
    wanted: dict[str, str] = {}
    for issue in issues:
        if issue.status not in config.statuses:
            wanted.setdefault(issue.status, "closed" if issue.closed else "open")
    ensure_statuses(ws, wanted)


def _one(ws: Workspace, writer: Writer, issue: Issue, summary: Summary) -> None:
    from git_issues.fileformat import dump_issue, read_bytes

    text = dump_issue(issue)
    path = ws.store.path(issue.id)
    try:
        current, _ = read_bytes(str(path), ws.store.display(issue.id))
    except FileNotFoundError:
        writer.write_new(issue.id, text)
        summary.imported += 1
        return
    if current == text.encode("utf-8"):
        summary.unchanged += 1
    else:
        summary.skip("different here")
        summary.notes.append(f"{ws.store.display(issue.id)} exists with other content: left as "
                             "it is")
