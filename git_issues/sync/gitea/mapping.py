"""Gitea's and Forgejo's REST shapes as typed remote values.

Their issues are GitHub's shape (number, labels as objects, assignees'
logins, the milestone's title), so GitHub's mapping reads them and only the
differences are settled here: every issue carries ``pull_request`` (``null``
for an issue), there is no close reason, times may carry an offset, and an
author's address is the server's no-reply one.
"""

from __future__ import annotations

from typing import Any

from git_issues.sync.github import mapping as github
from git_issues.sync.github.mapping import RemoteComment, RemoteIssue, login_of


def author_of(user: Any, host: str) -> str:
    """A stable author string from a login (a deleted account is 'Ghost' there)."""
    login = login_of(user) or "Ghost"
    return f"{login} <{login}@noreply.{host.partition(':')[0]}>"


def remote_issue(item: Any, host: str) -> RemoteIssue | None:
    """A Gitea issue as a ``RemoteIssue``; None for anything without a number."""
    found = github.remote_issue(item)
    if found is None:
        return None
    found.is_pull = item.get("pull_request") is not None
    found.author = author_of(item.get("user"), host)
    found.updated = github.stamp(item.get("updated_at"), found.created)  # compared as text
    return found


def remote_comment(item: Any, host: str) -> RemoteComment | None:
    """A comment of the repository-wide list, with its issue's number (from ``issue_url``)."""
    found = github.remote_comment(item)
    if found is not None:
        found.author = author_of(item.get("user"), host)
    return found
