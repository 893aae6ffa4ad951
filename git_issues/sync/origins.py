"""Where an imported issue came from, said the way each forge's files say it.

The import (``sync/github/importer.py``) is one code path for every forge; what
differs is named here once: the origin key of the file and its fields
(``github: {repo, number, url}``, ``gitlab: {project, iid, url}``, ``gitea:
{host, repo, number, url}``), the key of a comment's remote id (``github_id``,
``gitlab_id``, ``gitea_id``), the forge's name in a
message, and the fragment that points at a comment on the forge's page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from git_issues.core.model import Comment, Issue


@dataclass(frozen=True)
class ForgeKind:
    """One forge's names for the same things (see the module docstring)."""

    key: str  # the origin key in the file, the folder of the sync state
    name: str  # in a message: "GitHub"
    repo_key: str  # the origin's field naming the repository
    number_key: str  # the origin's field holding the issue's number there
    comment_key: str  # a comment's field holding its remote id
    anchor: str  # a comment's fragment on the issue's page, before its id
    close_reasons: bool = False  # GitHub's not_planned/duplicate; the others only close
    keeps_host: bool = False  # the origin names its server (Gitea: any host may run it)

    def origin(self, issue: Issue) -> dict[str, Any]:
        """The issue's origin mapping for this forge (it has one: it was imported)."""
        return issue.origin[self.key]

    def number(self, issue: Issue) -> int | None:
        return (issue.origin.get(self.key) or {}).get(self.number_key)

    def new_origin(self, repo: str, number: int, url: str,
                   host: str | None = None) -> dict[str, Any]:
        where = {"host": host} if self.keeps_host and host else {}
        return {self.key: {**where, self.repo_key: repo, self.number_key: number, "url": url}}

    def is_of(self, origin: dict[str, Any], repo: str, host: str | None) -> bool:
        """Whether an origin of this forge is ``repo`` (on ``host``, when it names one)."""
        if str(origin.get(self.repo_key, "")).lower() != repo.lower():
            return False
        return host is None or "host" not in origin or origin["host"] == host

    def set_comment_id(self, comment: Comment, comment_id: int) -> None:
        setattr(comment, self.comment_key, comment_id)

    def comment_id(self, comment: Comment) -> int | None:
        return getattr(comment, self.comment_key)

    def comment(self, comment_id: int, **fields: Any) -> Comment:
        """A comment carrying its remote id under this forge's key."""
        return Comment(**fields, **{self.comment_key: comment_id})

    def comment_url(self, issue: Issue, comment_id: int) -> str:
        return f"{self.origin(issue).get('url')}{self.anchor}{comment_id}"


GITHUB = ForgeKind("github", "GitHub", "repo", "number", "github_id", "#issuecomment-",
                   close_reasons=True)
GITLAB = ForgeKind("gitlab", "GitLab", "project", "iid", "gitlab_id", "#note_")
GITEA = ForgeKind("gitea", "Gitea", "repo", "number", "gitea_id", "#issuecomment-",
                  keeps_host=True)
# An issue linked to one forge is never pushed to another: the keys that link it.
FORGE_KEYS = (GITHUB.key, GITLAB.key, GITEA.key)
