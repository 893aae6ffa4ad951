"""``git issues sync gitlab GROUP/PROJECT``: GitHub's two-way sync with GitLab's adapter.

The pull is ``SyncImporter`` (adopting marked issues, holding conflicts) over
``import gitlab``; the push is ``Pusher`` writing through ``GitLabForge``.  All
the steps, the journal, ``--dry-run`` and ``--prefer`` are the shared ones
(``sync/github/push.py``); this module only names the pieces.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from git_issues.sync.github.pull import SyncImporter
from git_issues.sync.github.push import Pusher, Remote, SyncOptions, run_sync
from git_issues.sync.gitlab.adapter import GitLabForge
from git_issues.sync.gitlab.client import GitLabClient, base_url, find_token
from git_issues.sync.gitlab.importer import GitLabImporter
from git_issues.sync.gitlab.mapping import check_project
from git_issues.sync.origins import GITLAB

if TYPE_CHECKING:
    from git_issues.sync.github.outgoing import Say


class GitLabSyncImporter(SyncImporter, GitLabImporter):
    """The pull: the sync's decisions on ``import gitlab``'s steps."""


class GitLabPusher(Pusher):
    """The push, through GitLab's adapter."""

    kind = GITLAB

    def open_forge(self, client: Any) -> GitLabForge:
        return GitLabForge(client, self.repo, paced=self._paced)


def _client(options: SyncOptions, say: Say) -> GitLabClient:
    return GitLabClient(f"{base_url(options.api_url)}/api/v4", find_token(), say=say,
                        backoff=options.backoff, max_wait=options.max_wait)


REMOTE = Remote(_client, GitLabSyncImporter, GitLabPusher, check_project)


def sync(ws: Any, project: str, options: SyncOptions, **kwargs: Any) -> Any:
    """Pull then push one GitLab project (``options.api_url``: the site, else
    ``GITLAB_URL``, else gitlab.com)."""
    return run_sync(ws, project, options, remote=REMOTE, **kwargs)
