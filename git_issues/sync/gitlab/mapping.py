"""GitLab's REST shapes turned into the sync engine's typed remote values.

An issue is known by its ``iid`` (the number users see, ``group/project#12``),
its state is ``opened`` or ``closed``, its text is ``description``, its labels
are plain strings (a scoped label ``priority::high`` stays as it is), its
people are usernames.  A note is a comment unless GitLab wrote it itself
(``system: true``: "changed the description", "added ~bug label"): those are
left out, they are the history of fields the file already holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from git_issues.core.model import PROJECT_RE
from git_issues.errors import GitIssuesError
from git_issues.sync.github.mapping import (
    RemoteComment,
    RemoteIssue,
    label_name,
    stamp,
    unique_names,
)
from git_issues.sync.text import body_text, clean_text, one_line, short_title


@dataclass(slots=True)
class GitLabIssue(RemoteIssue):
    """A GitLab issue: a ``RemoteIssue`` that may be confidential there."""

    confidential: bool = False


def gitlab_stamp(value: Any, fallback: str | None = None) -> str:
    """GitLab's '2024-01-02T03:04:05.678Z' to the second, as GitHub's times are filed."""
    if isinstance(value, str) and value.endswith("Z") and "." in value:
        value = value.partition(".")[0] + "Z"
    return stamp(value, fallback)


def check_project(project: str) -> str:
    """A project's path, ``group/project`` or ``group/subgroup/project``."""
    if not PROJECT_RE.fullmatch(project) or any(
            part in (".", "..") for part in project.split("/")):
        raise GitIssuesError(f"'{project}' is not a GitLab project path like GROUP/PROJECT")
    return project


def username_of(user: Any) -> str | None:
    name = user.get("username") if isinstance(user, dict) else None
    return one_line(name) or None


def author_of(user: Any, host: str) -> str:
    """'name <id-username@users.noreply.host>', GitLab's own no-reply address."""
    username = username_of(user) or "ghost"
    name = one_line(user.get("name")) if isinstance(user, dict) else ""
    user_id = user.get("id") if isinstance(user, dict) else None
    local = f"{user_id}-{username}" if type(user_id) is int else username
    return f"{name or username} <{local}@users.noreply.{host}>"


def remote_issue(item: Any, host: str) -> GitLabIssue | None:
    """A REST issue as a ``GitLabIssue``; None for anything without an iid."""
    if not isinstance(item, dict) or type(item.get("iid")) is not int or item["iid"] <= 0:
        return None
    created = gitlab_stamp(item.get("created_at"))
    closed = item.get("state") == "closed"
    labels = unique_names(item.get("labels"), label_name)
    assignees = unique_names(item.get("assignees"), username_of)
    milestone = item.get("milestone")
    title = one_line(item.get("title"))
    return GitLabIssue(
        number=item["iid"],
        title=short_title(title or f"(untitled #{item['iid']})"),
        status="closed" if closed else "open",
        closed=gitlab_stamp(item.get("closed_at"), created) if closed else None,
        labels=labels, assignees=assignees[:10],
        milestone=one_line(milestone.get("title")) or None
        if isinstance(milestone, dict) else None,
        body=body_text(item.get("description")),
        created=created, author=author_of(item.get("author"), host),
        url=one_line(item.get("web_url")), updated=item.get("updated_at"),
        title_length=len(title), confidential=item.get("confidential") is True)


def remote_comment(note: Any, iid: int, host: str) -> RemoteComment | None:
    """A note of an issue as a comment; None for a system note or anything unusable."""
    if not isinstance(note, dict) or note.get("system") is True:
        return None
    if type(note.get("id")) is not int or note["id"] <= 0:
        return None
    return RemoteComment(note["id"], iid, author_of(note.get("author"), host),
                         gitlab_stamp(note.get("created_at")), clean_text(note.get("body")))
