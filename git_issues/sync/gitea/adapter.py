"""Gitea and Forgejo behind the sync engine's ``Forge`` (the reads of an import).

Their API v1 has GitHub's paths for issues and comments
(``/repos/{owner}/{repo}/issues``, ``.../issues/comments``), so this is
GitHub's adapter with Gitea's query (``type=issues`` leaves pull requests out
on the server, ``limit`` and ``page`` instead of ``per_page``, no sort: the
list comes newest first) and Gitea's mapping.  Writes (``sync gitea``) differ
in three ways: labels are sent as the repository's label ids (looked up, the
missing ones created) and set with ``PUT .../issues/N/labels``; a milestone is
its id; the state is PATCHed without a reason.  Comments are GitHub's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from git_issues.errors import GitIssuesError
from git_issues.sync.gitea.mapping import remote_comment, remote_issue
from git_issues.sync.github.adapter import GitHubForge
from git_issues.sync.github.mapping import RemoteComment, RemoteIssue

LIMIT = 50  # Gitea's default most items a page (MAX_RESPONSE_ITEMS); Codeberg's too
NEW_LABEL_COLOR = "#ededed"  # a label made for a push (Gitea needs a colour)


class GiteaForge(GitHubForge):
    """One repository's issues on a Gitea or Forgejo server, for the import and sync."""

    MILESTONE_KEY = "id"  # Gitea's milestones have no number
    PAGE = {"limit": LIMIT}

    def __init__(self, client: Any, repo: str, host: str, *,
                 paced: Callable[[Callable[[], Any]], Any] | None = None) -> None:
        super().__init__(client, repo, paced=paced)
        self.host = host
        self._labels: dict[str, int] | None = None

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

    def owner(self) -> str:
        """The token owner's login, full name and email, joined by tabs (``GET /user``)."""
        user = self.client.get_json("/user", what="user of the token")
        user = user if isinstance(user, dict) else {}
        return "\t".join(str(user.get(k) or "") for k in ("login", "full_name", "email"))

    # --- writes -----------------------------------------------------------------------

    def create_issue(self, values: dict[str, Any]) -> RemoteIssue:
        """POST an issue, open, its labels as ids (created when missing)."""
        payload = {"title": values["title"], "body": values["body"],
                   "assignees": values["assignees"],
                   "labels": self._label_ids(values["labels"])}
        if values["milestone"]:
            payload["milestone"] = self._milestone_number(values["milestone"])
        return self._found(self._post(f"/repos/{self.repo}/issues", payload))

    def update_issue(self, number: int, values: dict[str, Any], names: list[str]
                     ) -> RemoteIssue:
        """The labels replaced (``PUT .../labels``), the rest in one PATCH."""
        path = f"/repos/{self.repo}/issues/{number}"
        if "labels" in names:
            self.client.send("PUT", f"{path}/labels",
                             {"labels": self._label_ids(values["labels"])})
        payload: dict[str, Any] = {}
        for name in names:
            if name == "status":
                payload["state"] = "open" if values["status"] == "open" else "closed"
            elif name == "milestone":
                payload["milestone"] = self._milestone_number(values["milestone"]) or 0
            elif name != "labels":
                payload[name] = values[name]
        if not payload:  # the labels alone: the issue as it is now
            return self._found(self.client.get_json(path, what=f"issue {self.repo}#{number}"))
        return self._found(self.client.send("PATCH", path, payload))

    def _found(self, item: Any) -> RemoteIssue:
        found = self._remote_issue(item)
        if found is None:
            raise GitIssuesError("Gitea's answer is not an issue (no number)")
        return found

    def _label_ids(self, names: list[str]) -> list[int]:
        """The repository's label ids for ``names``; a missing label is created."""
        if self._labels is None:
            self._labels = {}
            for page in self.client.pages(f"/repos/{self.repo}/labels", self.PAGE):
                for item in page:
                    if isinstance(item, dict) and type(item.get("id")) is int:
                        self._labels[str(item.get("name"))] = item["id"]
        for name in names:
            if name not in self._labels:
                made = self._post(f"/repos/{self.repo}/labels",
                                  {"name": name, "color": NEW_LABEL_COLOR})
                self._labels[name] = made["id"]
        return [self._labels[name] for name in names]
