"""Creating and changing issues: the library behind ``new``, ``edit``, ``close`` ...

Write commands do not touch the index: they write one file atomically and
stage it, and the next read picks the change up through its freshness check.
That keeps them free of SQLAlchemy and of a full scan of ``.issues/``.
"""

from __future__ import annotations

from git_issues import gitutil
from git_issues.errors import GitIssuesError
from git_issues.model import (
    Issue,
    ValidationError,
    check_label,
    check_title,
    now,
    parse_priority,
)
from git_issues.workspace import Workspace


def resolve_who(ws: Workspace, who: str | None) -> str | None:
    """``@me`` means the user's own email, as in ``gh issue``."""
    if who == "@me":
        email = gitutil.email(ws.root)
        if not email:
            raise GitIssuesError("@me needs git's user.email to be set")
        return email
    return who


def normalize_body(text: str) -> str:
    """Trailing blanks dropped; multi-line text ends in one newline, so it writes as '|'."""
    text = text.rstrip()
    return text + "\n" if "\n" in text else text


def _checked(check, value, argument: str):
    try:
        return check(value)
    except ValidationError as exc:
        raise GitIssuesError(f"{argument}: {exc}") from None


def create(ws: Workspace, title: str, *, body: str = "", labels: list[str] | None = None,
           assignee: str | None = None, priority: str | int | None = None,
           stage: bool = True) -> Issue:
    """Write a new issue file and stage it; returns the issue."""
    issue = Issue(
        id=ws.store.mint_id(),
        title=_checked(check_title, title.strip(), "TITLE"),
        status="open",
        created=now(),
        priority=None if priority is None else _checked(parse_priority, priority, "--priority"),
        labels=[],
        assignee=resolve_who(ws, assignee) or None,
        author=gitutil.ident(ws.root),
        body=normalize_body(body),
    )
    for label in labels or []:
        label = _checked(check_label, label, "--label")
        if label not in issue.labels:
            issue.labels.append(label)
    path = ws.store.write(issue)
    if stage:
        gitutil.add(ws.root, [path])
    return issue
