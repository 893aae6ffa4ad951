"""``git issues import gitlab GROUP/PROJECT``: GitLab's issues, read-only, again and again.

The import of GitHub's issues (``sync/github/importer.py``) is the one code
path: the spill of comments, the issues streamed page by page and written
whole, the three-way merge of a re-run, the checkpoints and the journal.  This
module names what GitLab changes: the origin key (``gitlab: {project, iid,
url}``, ``confidential: true`` for an issue only members may see), the notes'
ids (``gitlab_id``), and the sync state's place, under the host so that two
GitLab servers never share one (``.issues/sync/gitlab/<host>/<path>.json``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from git_issues.repo.store import ISSUES_DIR
from git_issues.sync import state as state_mod
from git_issues.sync.apply import Summary
from git_issues.sync.github.importer import Importer, Progress
from git_issues.sync.github.mapping import RemoteIssue
from git_issues.sync.gitlab.adapter import GitLabForge
from git_issues.sync.gitlab.client import GitLabClient, base_url, find_token
from git_issues.sync.gitlab.mapping import GitLabIssue, check_project
from git_issues.sync.origins import GITLAB

if TYPE_CHECKING:
    from git_issues.repo.workspace import Workspace


def state_path(url: str, project: str) -> str:
    """The sync state's path in the repository: per host (and port), per project."""
    parts = urlsplit(url)
    host = (parts.hostname or "gitlab").lower()
    if parts.port:
        host = f"{host}_{parts.port}"  # no ':' in a path that Windows must hold
    return f"{ISSUES_DIR}/{state_mod.SYNC_DIR}/gitlab/{host}/{project.lower()}.json"


class GitLabImporter(Importer):
    """One import run against one GitLab project (see the module docstring)."""

    kind = GITLAB
    new_statuses: dict[str, str] = {}  # GitLab closes without a reason

    def __init__(self, ws: Workspace, project: str, client: GitLabClient,
                 url: str | None = None, *, say: Callable[[str], None],
                 progress: Progress | None = None) -> None:
        self.url = url or client.base_url.removesuffix("/api/v4")  # the site, as given
        super().__init__(ws, project, client, say=say, progress=progress)

    def checked(self, repo: str) -> str:
        return check_project(repo)

    def open_forge(self, client: Any) -> GitLabForge:
        return GitLabForge(client, self.repo)

    def load_state(self) -> state_mod.SyncState:
        return state_mod.load_file(self.ws.root, state_path(self.url, self.repo))

    def new_origin(self, remote: RemoteIssue) -> dict[str, Any]:
        origin = super().new_origin(remote)
        if isinstance(remote, GitLabIssue) and remote.confidential:
            origin["gitlab"]["confidential"] = True
            self.confidential += 1
        return origin

    def run(self) -> Summary:
        self.confidential = 0
        summary = super().run()
        count = self.confidential
        if count:
            summary.notes.append(
                f"{count} confidential issue{'s' if count != 1 else ''} imported (marked "
                "'confidential: true' under gitlab:): mind who can read this repository "
                "before pushing it")
        return summary


def run_import(ws: Workspace, project: str, *, url: str | None, say: Callable[[str], None],
               progress: Progress | None = None, backoff: float = 1.0) -> Summary:
    """Open the client for the run and import; the library entry point of the command."""
    check_project(project)
    site = base_url(url)
    with GitLabClient(f"{site}/api/v4", find_token(), say=say, backoff=backoff) as client:
        return GitLabImporter(ws, project, client, site, say=say, progress=progress).run()
