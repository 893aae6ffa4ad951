"""``git issues sync gitea OWNER/REPO --url URL``: GitHub's two-way sync with Gitea's adapter.

The pull is ``SyncImporter`` over ``import gitea``; the push is ``Pusher``
writing through ``GiteaForge`` (labels by id, milestones by id, the state
without a reason).  The steps, the journal, ``--dry-run`` and ``--prefer`` are
the shared ones (``sync/github/push.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from git_issues.sync.gitea.adapter import GiteaForge
from git_issues.sync.gitea.client import GiteaClient, find_token, host_of, server_url
from git_issues.sync.gitea.importer import GiteaImporter
from git_issues.sync.github.pull import SyncImporter
from git_issues.sync.github.push import Pusher, Remote, SyncOptions, run_sync
from git_issues.sync.origins import GITEA

if TYPE_CHECKING:
    from git_issues.sync.github.outgoing import Say


class GiteaSyncImporter(SyncImporter, GiteaImporter):
    """The pull: the sync's decisions on ``import gitea``'s steps."""


class GiteaPusher(Pusher):
    """The push, through Gitea's adapter; an issue of another server is not ours."""

    kind = GITEA

    def open_forge(self, client: Any) -> GiteaForge:
        return GiteaForge(client, self.repo, host_of(client.base_url), paced=self._paced)


def _client(options: SyncOptions, say: Say) -> GiteaClient:
    return GiteaClient(server_url(options.api_url) + "/api/v1", find_token(), say=say,
                       backoff=options.backoff, max_wait=options.max_wait)


REMOTE = Remote(_client, GiteaSyncImporter, GiteaPusher)


def sync(ws: Any, repo: str, options: SyncOptions, **kwargs: Any) -> Any:
    """Pull then push one repository of a Gitea or Forgejo server (``options.api_url``:
    the server, else ``GITEA_URL``)."""
    return run_sync(ws, repo, options, remote=REMOTE, **kwargs)
