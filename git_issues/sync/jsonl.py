"""``git issues import jsonl FILE``: read back what ``git issues export`` wrote.

Each line is one issue in the file format's field names, with its id: it is
written as ``.issues/<id>.yml`` exactly as the exporting repository had it
(export then import into an empty repository gives byte-identical files).
An id that already has a file with the same content is unchanged; with other
content it is left alone and reported, never overwritten.  A line that is
not an issue is refused and counted, the first few named by number; a file
of which no line could be used is an error (exit 1), not an empty success.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

from git_issues.core.model import ValidationError, issue_from_dict
from git_issues.errors import GitIssuesError
from git_issues.fileformat.issuefile import dump_issue, open_named_file, read_bytes
from git_issues.sync.apply import Summary, Writer, ensure_statuses
from git_issues.sync.text import latest_time

if TYPE_CHECKING:
    from git_issues.core.model import Issue
    from git_issues.repo.workspace import Workspace


SHOWN = 3  # refused lines named one by one; the rest are counted


def import_file(ws: Workspace, path: str) -> Summary:
    summary = Summary()
    refused: list[str] = []
    issues = list(_read(path, refused)) if path == "-" else None
    with Writer(ws) as writer:
        _statuses(ws, issues if issues is not None else _read(path, []), writer)
        for issue in issues if issues is not None else _read(path, refused):
            _one(ws, writer, issue, summary)
    if not refused:
        return summary
    if not (summary.imported or summary.unchanged or summary.skipped):
        raise GitIssuesError(f"{path}: nothing imported: {_refusals(refused)}")
    summary.skip("invalid lines", len(refused))
    summary.notes.append(_refusals(refused))
    return summary


def _refusals(refused: list[str]) -> str:
    """'3 lines refused (line 1: ...; line 4: ...)', the first few named."""
    shown = "; ".join(refused[:SHOWN]) + ("; ..." if len(refused) > SHOWN else "")
    return f"{len(refused)} line{'s' if len(refused) > 1 else ''} refused ({shown})"


def _read(path: str, refused: list[str]):
    try:
        handle = sys.stdin if path == "-" else open_named_file(path)  # no /dev/zero, no FIFO
    except OSError as exc:
        raise GitIssuesError(f"{path}: {exc.strerror}") from None
    latest = latest_time()
    try:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                yield _in_time(issue_from_dict(json.loads(line)), latest)
            except (ValueError, ValidationError) as exc:
                refused.append(f"line {number}: {_reason(exc)}")
    except UnicodeDecodeError:
        raise GitIssuesError(f"{path}: not valid UTF-8") from None
    finally:
        if handle is not sys.stdin:
            handle.close()


def _in_time(issue: Issue, latest: str) -> Issue:
    """The issue, unless it holds a time ``check`` refuses (past ``latest``): a restore
    writes what it reads or nothing, so the line is refused rather than changed."""
    stamps = [("created", issue.created), ("closed", issue.closed)]
    stamps += [(f"comment {c.id} date", c.date) for c in issue.comments]
    for name, value in stamps:
        if value and value > latest:
            raise ValidationError(f"{name} {value} is in the future")
    return issue


def _reason(exc: Exception) -> str:
    """Why a line was refused, short enough to stand beside others on one line."""
    if isinstance(exc, ValidationError):
        text = str(exc)
    elif isinstance(exc, ValueError) and type(exc).__name__ == "JSONDecodeError":
        text = f"not JSON ({exc})"
    else:
        text = f"not an issue ({exc})"
    return text if len(text) <= 120 else text[:117] + "..."


def _statuses(ws: Workspace, issues, writer: Writer) -> None:
    """Statuses the export used that this repository does not know yet."""
    config = ws.config()
    wanted: dict[str, str] = {}
    for issue in issues:
        if issue.status not in config.statuses:
            wanted.setdefault(issue.status, "closed" if issue.closed else "open")
    ensure_statuses(ws, wanted, writer)


def _one(ws: Workspace, writer: Writer, issue: Issue, summary: Summary) -> None:
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
