"""GitLab behind the sync engine's ``Forge`` reads (what an import needs).

Every path and parameter of GitLab's issues API is here: the project is one
URL-encoded path segment (``group%2Fsub%2Fproject``), the issue list is asked
in order of ``updated_at`` from ``updated_after``, and the notes are asked per
issue (GitLab has no project-wide list of an issue's notes): a new note moves
its issue's ``updated_at``, so the issues changed since the last run are the
ones whose notes may have changed.

Writes (``sync gitlab``) are GitLab's own: a POST with the labels as one
comma list, ``assignee_ids`` looked up from the usernames (``/users?username=``)
and ``milestone_id`` (the project's milestone of that title, created when
missing); a PUT with ``state_event=close|reopen`` and the fields changed
(``labels`` replaces the set); notes POSTed and PUT under their issue.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote, urlsplit

from git_issues.errors import GitIssuesError
from git_issues.sync.github.adapter import still_there
from git_issues.sync.github.mapping import RemoteComment
from git_issues.sync.gitlab.client import GitLabClient
from git_issues.sync.gitlab.mapping import GitLabIssue, remote_comment, remote_issue
from git_issues.sync.text import clean_text

PER_PAGE = 100


class GitLabForge:
    """One project's issues on GitLab, read for an import (see the module docstring)."""

    def __init__(self, client: GitLabClient, project: str, *,
                 paced: Callable[[Callable[[], Any]], Any] | None = None) -> None:
        self.client = client
        self.project = project
        self.host = (urlsplit(client.base_url).hostname or "gitlab").lower()
        self.path = f"/projects/{quote(project, safe='')}"
        self._listing = False  # the issue list is being read (its pages are counted)
        self._paced = paced or (lambda send: send())
        self._users: dict[str, int] = {}
        self._milestones: dict[str, int] = {}

    @property
    def total_pages(self) -> int | None:
        """Pages of the issue list (``X-Total-Pages``); None while notes are read."""
        return self.client.last_page if self._listing else None

    @contextlib.contextmanager
    def issue_pages(self, since: str | None) -> Iterator[Iterator[list[GitLabIssue]]]:
        """Issues changed since ``since``, oldest change first."""
        self._listing = True
        with self.client.prefetch(*self._issues(since)) as pages:
            yield ([found for item in page if (found := remote_issue(item, self.host))]
                   for page in pages)

    @contextlib.contextmanager
    def comment_pages(self, since: str | None) -> Iterator[Iterator[list[RemoteComment]]]:
        """The notes of the issues changed since ``since``, system notes left out."""
        yield self._notes(since)

    def _notes(self, since: str | None) -> Iterator[list[RemoteComment]]:
        path, params, what = self._issues(since)
        for page in self.client.pages(path, params, what=what):
            for item in page:
                iid = item.get("iid")
                if type(iid) is not int or item.get("user_notes_count") == 0:
                    continue  # nothing but system notes, if any: no request
                yield from self._issue_notes(iid)

    def _issue_notes(self, iid: int) -> Iterator[list[RemoteComment]]:
        params = {"sort": "asc", "order_by": "created_at", "per_page": PER_PAGE}
        what = f"issue {self.project}#{iid}"
        for page in self.client.pages(f"{self.path}/issues/{iid}/notes", params, what=what):
            yield [found for note in page if (found := remote_comment(note, iid, self.host))]

    def _issues(self, since: str | None) -> tuple[str, dict[str, Any], str]:
        params: dict[str, Any] = {"scope": "all", "order_by": "updated_at", "sort": "asc",
                                  "per_page": PER_PAGE}
        if since:
            params["updated_after"] = since
        return f"{self.path}/issues", params, f"project {self.project}"

    def issue(self, number: int, what: str = "") -> GitLabIssue | None:
        return remote_issue(self.client.get_json(f"{self.path}/issues/{number}", what=what),
                            self.host)

    def comment(self, comment_id: int, number: int) -> RemoteComment | None:
        note = self.client.get_json(f"{self.path}/issues/{number}/notes/{comment_id}",
                                    what=f"note {comment_id} of {self.project}#{number}")
        return remote_comment(note, number, self.host)

    def comment_exists(self, comment_id: int, number: int = 0) -> bool:
        """Whether GitLab still has the note (asked after a write to it failed)."""
        return still_there(self.client, f"{self.path}/issues/{number}/notes/{comment_id}")

    def owner(self) -> str:
        """The token owner's username, name and public email, joined by tabs."""
        user = self.client.get_json("/user", what="user of the token")
        user = user if isinstance(user, dict) else {}
        email = user.get("public_email") or user.get("email")
        return "\t".join(str(v or "") for v in (user.get("username"), user.get("name"), email))

    # --- writes -----------------------------------------------------------------------

    def create_issue(self, values: dict[str, Any]) -> GitLabIssue:
        """POST an issue, open (a status is sent by ``update_issue`` after the write-back)."""
        payload = {"title": values["title"], "description": values["body"],
                   **self._fields(values, ["labels", "assignees", "milestone"])}
        if not payload["milestone_id"]:
            del payload["milestone_id"]  # 0 clears a milestone; a new issue has none
        made = self._paced(lambda: self.client.send("POST", f"{self.path}/issues", payload))
        return self._answer(made)

    def update_issue(self, number: int, values: dict[str, Any], names: list[str]
                     ) -> GitLabIssue:
        payload = self._fields(values, names)
        made = self.client.send("PUT", f"{self.path}/issues/{number}", payload)
        return self._answer(made)

    def add_comment(self, number: int, body: str) -> RemoteComment:
        path = f"{self.path}/issues/{number}/notes"
        made = self._paced(lambda: self.client.send("POST", path, {"body": body}))
        return self._note(made, number)

    def edit_comment(self, comment_id: int, body: str, number: int = 0) -> str:
        """PUT a note; the text GitLab holds now."""
        made = self.client.send("PUT", f"{self.path}/issues/{number}/notes/{comment_id}",
                                {"body": body})
        return self._note(made, number).text

    def _fields(self, values: dict[str, Any], names: list[str]) -> dict[str, Any]:
        """GitLab's names and shapes for the fields ``names`` of ``values``."""
        payload: dict[str, Any] = {}
        for name in names:
            value = values[name]
            if name == "status":
                payload["state_event"] = "reopen" if value == "open" else "close"
            elif name == "body":
                payload["description"] = value
            elif name == "labels":
                payload["labels"] = ",".join(value)
            elif name == "assignees":
                payload["assignee_ids"] = [self._user_id(login) for login in value]
            elif name == "milestone":
                payload["milestone_id"] = self._milestone_id(value) if value else 0
            else:
                payload[name] = value
        return payload

    def _answer(self, item: Any) -> GitLabIssue:
        found = remote_issue(item, self.host)
        if found is None:
            raise GitIssuesError("GitLab's answer is not an issue (no iid)")
        return found

    def _note(self, item: Any, number: int) -> RemoteComment:
        if not isinstance(item, dict) or type(item.get("id")) is not int:
            raise GitIssuesError("GitLab's answer is not a note (no id)")
        return RemoteComment(item["id"], number, "", "", clean_text(item.get("body")))

    def _user_id(self, username: str) -> int:
        """A username's user id (``GET /users?username=``), asked once a run."""
        if username not in self._users:
            found = self._first_page("/users", {"username": username}, f"user {username}")
            ids = [u["id"] for u in found if type(u.get("id")) is int]
            if not ids:
                raise GitIssuesError(f"GitLab has no user '{username}' (an assignee)")
            self._users[username] = ids[0]
        return self._users[username]

    def _milestone_id(self, title: str) -> int:
        """The project's milestone of that title, created when it has none."""
        if title not in self._milestones:
            found = self._first_page(f"{self.path}/milestones", {"title": title},
                                     f"milestone {title!r} of {self.project}")
            ids = [m["id"] for m in found if m.get("title") == title
                   and type(m.get("id")) is int]
            if not ids:
                made = self._paced(lambda: self.client.send(
                    "POST", f"{self.path}/milestones", {"title": title}))
                ids = [made["id"]]
            self._milestones[title] = ids[0]
        return self._milestones[title]

    def _first_page(self, path: str, params: dict[str, Any], what: str) -> list[Any]:
        """A short list's first page (a lookup: one name asked, one answer wanted)."""
        return next(iter(self.client.pages(path, params, what=what)), [])
