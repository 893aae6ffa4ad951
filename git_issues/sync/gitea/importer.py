"""``git issues import gitea OWNER/REPO --url URL``: a Gitea or Forgejo repository's issues.

GitHub's import (``sync/github/importer.py``: the comment spill, the issues
streamed page by page, the three-way comparison of a re-run, the checkpoints)
with Gitea's adapter, its origin key ``gitea: {host, repo, number, url}``, its
comment key ``gitea_id`` and its sync state, ``.issues/sync/gitea/<host>/<owner>/
<repo>.json``, so that two servers never share one.  Gitea's list is not in
the order of changes, so a killed run starts again from the last whole run's
time (what it wrote is recognised and left as it is).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from git_issues.sync import state as state_mod
from git_issues.sync.apply import Summary
from git_issues.sync.gitea.adapter import GiteaForge
from git_issues.sync.gitea.client import GiteaClient, find_token, host_of, server_url
from git_issues.sync.github.importer import Importer, Progress
from git_issues.sync.github.mapping import check_repo
from git_issues.sync.origins import GITEA

if TYPE_CHECKING:
    from git_issues.repo.workspace import Workspace


class GiteaImporter(Importer):
    """One run against one repository of one Gitea or Forgejo server."""

    kind = GITEA
    new_statuses: dict[str, str] = {}  # no close reasons: open and closed only
    ordered = False

    def open_forge(self, client: Any) -> GiteaForge:
        return GiteaForge(client, self.repo, host_of(client.base_url))

    def load_state(self) -> state_mod.SyncState:
        host = self.forge.host.replace(":", "_")  # no ':' in a path that Windows must hold
        return state_mod.load(self.ws.root, f"gitea/{host}", self.repo)


def run_import(ws: Workspace, repo: str, *, url: str | None, say: Callable[[str], None],
               progress: Progress | None = None, backoff: float = 1.0) -> Summary:
    """Open the client for the run and import; the library entry point of the command."""
    check_repo(repo)
    api = server_url(url) + "/api/v1"
    with GiteaClient(api, find_token(), say=say, backoff=backoff) as client:
        return GiteaImporter(ws, repo, client, say=say, progress=progress).run()
