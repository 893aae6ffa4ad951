"""Shell completion: ids, labels, assignees, milestones and statuses, read from
``.issues/`` and the index as it is (never built or refreshed on a <TAB>).

Loaded only when the shell asks (``cli.app``'s completion callbacks).
"""

from __future__ import annotations

import json

import click
from click.shell_completion import CompletionItem

from git_issues.errors import GitIssuesError
from git_issues.index.query import indexed_titles, indexed_values
from git_issues.repo.workspace import open_workspace


def ids(*, ctx: click.Context, incomplete: str) -> list[CompletionItem]:
    """The stems in ``.issues/``, titles from the index if it exists.

    Runs on every <TAB>, so it lists one folder and never refreshes or builds
    the index; a stale title is harmless here.  Any failure completes nothing.
    """
    try:
        with open_workspace() as ws:
            found = sorted(i for i in ws.store.ids() if i.startswith(incomplete.lower()))
            titles = indexed_titles(ws.db_path, found)
    except Exception:  # noqa: BLE001 - completion must never print a traceback
        return []
    return [CompletionItem(i, help=titles.get(i)) for i in found]


def _index_values(what: str) -> list[str]:
    """Values from the index for completion; never builds or refreshes it, never raises."""
    try:
        with open_workspace() as ws:
            return indexed_values(ws.db_path, what)
    except (GitIssuesError, OSError):
        return []


def values(what: str, negatable: bool = False, *, ctx: click.Context,
           incomplete: str) -> list[str]:
    """Labels, assignees or milestones; ``~label`` (a filter's negation) where it fits."""
    sign = "~" if negatable and incomplete.startswith("~") else ""
    word = incomplete[len(sign):]
    return [sign + value for value in _index_values(what) if value.startswith(word)]


def statuses(*, ctx: click.Context, incomplete: str) -> list[str]:
    """The configured statuses (kept in the index), the states, and ``all`` where it fits."""
    stored = _index_values("statuses")
    found = list(json.loads(stored[0])) if stored else ["open", "closed"]
    if ctx.command.name in ("ls", "export"):
        found.append("all")
    return [status for status in dict.fromkeys(found) if status.startswith(incomplete)]
