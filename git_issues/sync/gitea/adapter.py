"""Gitea and Forgejo behind the sync engine's ``Forge`` (the reads of an import).

Their API v1 has GitHub's paths for issues and comments
(``/repos/{owner}/{repo}/issues``, ``.../issues/comments``), so this is
GitHub's adapter with Gitea's query (``type=issues`` leaves pull requests out
on the server, ``limit`` and ``page`` instead of ``per_page``, no sort: the
list comes newest first) and Gitea's mapping.  Writes (labels by id, PATCH of
the state) belong to ``sync gitea``, not built yet.
"""

from __future__ import annotations

from typing import Any

from git_issues.sync.gitea.mapping import remote_comment, remote_issue
from git_issues.sync.github.adapter import GitHubForge
from git_issues.sync.github.mapping import RemoteComment, RemoteIssue

LIMIT = 50  # Gitea's default most items a page (MAX_RESPONSE_ITEMS); Codeberg's too


class GiteaForge(GitHubForge):
    """One repository's issues on a Gitea or Forgejo server, for the import."""

    def __init__(self, client: Any, repo: str, host: str) -> None:
        super().__init__(client, repo)
        self.host = host

    def _remote_issue(self, item: Any) -> RemoteIssue | None:
        return remote_issue(item, self.host)

    def _remote_comment(self, item: Any) -> RemoteComment | None:
        return remote_comment(item, self.host)

    def _issue_params(self, since: str | None) -> dict[str, Any]:
        params: dict[str, Any] = {"state": "all", "type": "issues", "limit": LIMIT}
        return {**params, "since": since} if since else params

    def _comment_params(self, since: str | None) -> dict[str, Any]:
        params: dict[str, Any] = {"limit": LIMIT}
        return {**params, "since": since} if since else params
