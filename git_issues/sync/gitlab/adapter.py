"""GitLab behind the sync engine's ``Forge`` reads (what an import needs).

Every path and parameter of GitLab's issues API is here: the project is one
URL-encoded path segment (``group%2Fsub%2Fproject``), the issue list is asked
in order of ``updated_at`` from ``updated_after``, and the notes are asked per
issue (GitLab has no project-wide list of an issue's notes): a new note moves
its issue's ``updated_at``, so the issues changed since the last run are the
ones whose notes may have changed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlsplit

from git_issues.sync.github.mapping import RemoteComment
from git_issues.sync.gitlab.client import GitLabClient
from git_issues.sync.gitlab.mapping import GitLabIssue, remote_comment, remote_issue

PER_PAGE = 100


class GitLabForge:
    """One project's issues on GitLab, read for an import (see the module docstring)."""

    def __init__(self, client: GitLabClient, project: str) -> None:
        self.client = client
        self.project = project
        self.host = (urlsplit(client.base_url).hostname or "gitlab").lower()
        self.path = f"/projects/{quote(project, safe='')}"
        self._listing = False  # the issue list is being read (its pages are counted)

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
