"""GitHub's REST shapes turned into typed remote values, and the way back.

The merge logic never sees a raw dict: a page of ``GET /repos/{o}/{r}/issues``
becomes ``RemoteIssue``s and a page of the comments list ``RemoteComment``s
here, with GitHub's quirks (a deleted account is 'ghost', a close reason, a
label given as a name or an object, a time in year 9999) settled once.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any

from git_issues.core.model import CANONICAL_TIME_RE, REPO_RE, format_timestamp, now
from git_issues.errors import GitIssuesError
from git_issues.sync.state import Values
from git_issues.sync.text import body_text, clean_text, one_line, short_title

REASON_STATUS = {"not_planned": "not_planned", "duplicate": "duplicate"}
NEW_STATUSES = {"not_planned": "closed", "duplicate": "closed"}


@dataclass(slots=True)
class RemoteIssue(Values):
    """An issue as the forge holds it, in the file's terms (``FIELDS``, body as text)."""

    number: int = 0
    created: str = ""
    author: str = ""
    url: str = ""
    updated: str | None = None
    is_pull: bool = False
    title_length: int = 0  # of the title as given, before the cut to TITLE_LIMIT


@dataclass(slots=True)
class RemoteComment:
    """A comment as the forge holds it; ``body`` is clean text (``text`` as filed)."""

    id: int
    number: int  # of its issue
    author: str
    created: str
    body: str

    @property
    def text(self) -> str:
        return body_text(self.body)

    def row(self) -> tuple[int, int, str, str, str]:
        """The spill's row (``index.spill``)."""
        return (self.id, self.number, self.author, self.created, self.body)


def check_repo(repo: str) -> str:
    if not REPO_RE.fullmatch(repo) or repo.split("/")[1] in (".", ".."):
        raise GitIssuesError(f"'{repo}' is not a repository name like OWNER/REPO")
    return repo


def author_of(user: Any) -> str:
    """A stable author string from a GitHub login (a deleted account is 'ghost')."""
    login = user.get("login") if isinstance(user, dict) else None
    login = one_line(login) or "ghost"
    return f"{login} <{login}@users.noreply.github.com>"


def login_of(user: Any) -> str | None:
    login = user.get("login") if isinstance(user, dict) else None
    return one_line(login) or None


def stamp(value: Any, fallback: str | None = None) -> str:
    """GitHub's '2024-01-02T03:04:05Z' as the file format writes it; ``fallback`` (by
    default the current time) for a missing or unreadable one."""
    found = _timestamp(value)
    if found is not None:
        return found
    return now() if fallback is None else fallback


def _timestamp(value: Any) -> str | None:
    if not value:
        return None
    if type(value) is str and CANONICAL_TIME_RE.fullmatch(value):
        try:  # already the file's form (GitHub's always is): only the date is checked
            _dt.datetime.fromisoformat(value[:-1])
            return value
        except ValueError:
            return None
    try:
        return format_timestamp(_dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")))
    except ValueError:
        return None


def remote_issue(item: Any) -> RemoteIssue | None:
    """A REST issue as a ``RemoteIssue``; None for anything without a number."""
    if not isinstance(item, dict) or not isinstance(item.get("number"), int):
        return None
    created = stamp(item.get("created_at"))
    closed = item.get("state") == "closed"
    status = REASON_STATUS.get(item.get("state_reason") or "", "closed") if closed else "open"
    labels: list[str] = []
    for label in item.get("labels") or []:
        name = one_line(label.get("name") if isinstance(label, dict) else label)
        if name and name not in labels:
            labels.append(name)
    assignees: list[str] = []
    for user in item.get("assignees") or []:
        login = login_of(user)
        if login and login not in assignees:
            assignees.append(login)
    milestone = item.get("milestone")
    title = one_line(item.get("title"))
    return RemoteIssue(
        number=item["number"],
        title=short_title(title or f"(untitled #{item.get('number')})"),
        status=status,
        closed=stamp(item.get("closed_at"), created) if closed else None,
        labels=labels,
        assignees=assignees[:10],
        milestone=one_line(milestone.get("title")) or None
        if isinstance(milestone, dict) else None,
        body=body_text(item.get("body")),
        created=created, author=author_of(item.get("user")),
        url=one_line(item.get("html_url")), updated=item.get("updated_at"),
        is_pull="pull_request" in item, title_length=len(title))


def remote_comment(comment: Any) -> RemoteComment | None:
    """A comment of the list endpoint, with its issue's number; None if unusable."""
    if not isinstance(comment, dict) or type(comment.get("id")) is not int or comment["id"] <= 0:
        return None
    number = str(comment.get("issue_url", "")).rstrip("/").rpartition("/")[2]
    if not number.isdigit():
        return None
    return RemoteComment(comment["id"], int(number), author_of(comment.get("user")),
                         stamp(comment.get("created_at")),
                         clean_text(comment.get("body")))  # SQLite takes no lone surrogate


def state_payload(status: str) -> dict[str, Any]:
    """The PATCH fields that give an issue this status (a close reason for two)."""
    if status == "open":
        return {"state": "open"}
    reason = status if status in ("not_planned", "duplicate") else "completed"
    return {"state": "closed", "state_reason": reason}
