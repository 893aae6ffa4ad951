"""GitHub, the first adapter of the sync engine (``engine.Forge``).

Every REST path, parameter and payload of GitHub's issues is here, and only
here: the import and the sync ask for typed values (``mapping.RemoteIssue``,
``RemoteComment``) and hand over the compared fields, never a path or a raw
answer.  The source of the pages is the REST client, or a file served in its
shape (``import gh-json``).  Creations go through ``paced`` (the push's
pacing and hourly budget), which an adapter for another forge takes too.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from git_issues.errors import GitIssuesError
from git_issues.sync.github.client import RateLimited
from git_issues.sync.github.mapping import (
    RemoteComment,
    RemoteIssue,
    remote_comment,
    remote_issue,
    state_payload,
)
from git_issues.sync.text import clean_text

PER_PAGE = 100


def _answer(item: Any) -> RemoteIssue:
    """GitHub's answer about one issue, typed; one line if it is not one."""
    found = remote_issue(item)
    if found is None:
        raise GitIssuesError("GitHub's answer is not an issue (no number)")
    return found


def still_there(client: Any, path: str) -> bool:
    """Whether the forge still answers ``path`` (a rate limit is no proof it is gone)."""
    try:
        client.get_json(path)
    except RateLimited:
        return True
    except GitIssuesError:
        return False
    return True


class GitHubForge:
    """One repository's issues on GitHub, for the engine (see the module docstring)."""

    MILESTONE_KEY = "number"  # what an issue names its milestone by (Gitea: "id")
    PAGE = {"per_page": PER_PAGE}  # a list's page size (Gitea: "limit")

    def __init__(self, client: Any, repo: str, *,
                 paced: Callable[[Callable[[], Any]], Any] | None = None) -> None:
        self.client = client
        self.repo = repo
        self._paced = paced or (lambda send: send())
        self._milestones: dict[str, int] | None = None

    def _remote_issue(self, item: Any) -> RemoteIssue | None:
        """One issue of the REST answers, typed (another forge maps its own shape)."""
        return remote_issue(item)

    def _remote_comment(self, item: Any) -> RemoteComment | None:
        return remote_comment(item)

    @property
    def total_pages(self) -> int | None:
        """Pages of the list being read (from its ``Link`` header), None when unknown."""
        return getattr(self.client, "last_page", None)

    # --- reads ------------------------------------------------------------------------

    @contextlib.contextmanager
    def issue_pages(self, since: str | None) -> Iterator[Iterator[list[RemoteIssue]]]:
        """Issues and pull requests changed since ``since``, oldest change first."""
        with self._pages(f"/repos/{self.repo}/issues", self._issue_params(since)) as pages:
            yield ([found for item in page if (found := self._remote_issue(item)) is not None]
                   for page in pages)

    @contextlib.contextmanager
    def comment_pages(self, since: str | None) -> Iterator[Iterator[list[RemoteComment]]]:
        """The repository's comments changed since ``since`` (100 a request)."""
        path = f"/repos/{self.repo}/issues/comments"
        with self._pages(path, self._comment_params(since)) as pages:
            yield ([found for item in page if (found := self._remote_comment(item)) is not None]
                   for page in pages)

    def _issue_params(self, since: str | None) -> dict[str, Any]:
        """The issue list's query: GitHub's, oldest change first."""
        params: dict[str, Any] = {"state": "all", "sort": "updated", "direction": "asc",
                                  "per_page": PER_PAGE}
        return {**params, "since": since} if since else params

    def _comment_params(self, since: str | None) -> dict[str, Any]:
        params: dict[str, Any] = {"sort": "updated", "direction": "asc", "per_page": PER_PAGE}
        return {**params, "since": since} if since else params

    def _pages(self, path: str, params: dict[str, Any]) -> Any:
        """The list's pages, fetched ahead by a thread when the source is the network."""
        what = f"repository {self.repo}"
        prefetch = getattr(self.client, "prefetch", None)
        if prefetch is None:  # a file (gh-json): nothing to wait for
            return contextlib.nullcontext(self.client.pages(path, params, what=what))
        return prefetch(path, params, what=what)

    def issue(self, number: int, what: str = "") -> RemoteIssue | None:
        return self._remote_issue(self.client.get_json(f"/repos/{self.repo}/issues/{number}",
                                                 what=what))

    def comment(self, comment_id: int, number: int) -> RemoteComment | None:
        item = self.client.get_json(f"/repos/{self.repo}/issues/comments/{comment_id}",
                                    what=f"comment {comment_id} of {self.repo}#{number}")
        return self._remote_comment(item)

    def comment_exists(self, comment_id: int, number: int = 0) -> bool:
        """Whether GitHub still has the comment (asked after a write to it failed)."""
        return still_there(self.client, f"/repos/{self.repo}/issues/comments/{comment_id}")

    def owner(self) -> str:
        """The token owner's login, name and public email, joined by tabs (``GET /user``)."""
        user = self.client.get_json("/user", what="user of the token")
        user = user if isinstance(user, dict) else {}
        return "\t".join(str(user.get(k) or "") for k in ("login", "name", "email"))

    # --- writes -----------------------------------------------------------------------

    def create_issue(self, values: dict[str, Any]) -> RemoteIssue:
        """POST an issue (open: a status is sent by ``update_issue`` after the write-back)."""
        payload: dict[str, Any] = {"title": values["title"], "body": values["body"],
                                   "labels": values["labels"], "assignees": values["assignees"]}
        if values["milestone"]:
            payload["milestone"] = self._milestone_number(values["milestone"])
        return _answer(self._post(f"/repos/{self.repo}/issues", payload))

    def update_issue(self, number: int, values: dict[str, Any], names: list[str]) -> RemoteIssue:
        payload: dict[str, Any] = {}
        for name in names:
            if name == "status":
                payload.update(state_payload(values["status"]))
            elif name == "milestone":
                payload["milestone"] = self._milestone_number(values["milestone"])
            else:
                payload[name] = values[name]
        return _answer(self.client.send("PATCH", f"/repos/{self.repo}/issues/{number}",
                                        payload))

    def add_comment(self, number: int, body: str) -> RemoteComment:
        made = self._post(f"/repos/{self.repo}/issues/{number}/comments", {"body": body})
        return RemoteComment(int(made["id"]), number, "", "", clean_text(made.get("body")))

    def edit_comment(self, comment_id: int, body: str, number: int = 0) -> str:
        """PATCH a comment; the text GitHub holds now (as filed)."""
        made = self.client.send("PATCH", f"/repos/{self.repo}/issues/comments/{comment_id}",
                                {"body": body})
        return RemoteComment(comment_id, 0, "", "", clean_text(made.get("body"))).text

    def _post(self, path: str, payload: dict[str, Any]) -> Any:
        return self._paced(lambda: self.client.send("POST", path, payload))

    def _milestone_number(self, title: str | None) -> int | None:
        if not title:
            return None
        if self._milestones is None:
            self._milestones = {}
            path = f"/repos/{self.repo}/milestones"
            key = self.MILESTONE_KEY
            for page in self.client.pages(path, {"state": "all", **self.PAGE}):
                for item in page:
                    if isinstance(item, dict) and isinstance(item.get(key), int):
                        self._milestones[str(item.get("title"))] = item[key]
        if title not in self._milestones:
            made = self._post(f"/repos/{self.repo}/milestones", {"title": title})
            self._milestones[title] = made[self.MILESTONE_KEY]
        return self._milestones[title]
