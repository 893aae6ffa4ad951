"""Writes from the page, through the CLI's library: the same canonical, staged file.

Each form carries the digest of the file its page was built from. A write
re-reads the file, refuses when its digest differs (someone changed the issue
since the page was shown), and then writes with the store's compare-and-swap,
so a change that lands between this check and the rename is refused too.
Nothing is committed: the change waits, staged, for the user's next commit.
"""

from __future__ import annotations

import copy
from typing import Any

from git_issues.core.model import Issue, now
from git_issues.ops import lifecycle
from git_issues.repo.store import StaleWriteError
from git_issues.repo.workspace import Workspace
from git_issues.web.views import digest


def _base(ws: Workspace, prefix: str, shown: str) -> tuple[Issue, bytes]:
    """The issue as the file holds it now, if that is the version the page showed."""
    issue_id = ws.store.resolve(prefix)
    issue, data = lifecycle.read(ws, issue_id)
    if digest(data) != shown:
        raise StaleWriteError(f"{ws.store.display(issue_id)}: changed since this page was "
                              "shown; nothing was written")
    return issue, data


def comment(ws: Workspace, prefix: str, shown: str, text: str) -> lifecycle.Outcome:
    if not text.strip():
        from git_issues.errors import GitIssuesError

        raise GitIssuesError("the comment is empty")
    issue, data = _base(ws, prefix, shown)
    after = copy.deepcopy(issue)
    added = lifecycle.new_comment(ws, after, text, now())
    return lifecycle.Outcome(after, lifecycle.save(ws, issue, after, data), added)


def set_state(ws: Workspace, prefix: str, shown: str, state: str,
              text: str = "") -> lifecycle.Outcome:
    """Close or reopen, with an optional comment, as ``close -m``/``reopen -m`` do."""
    issue, data = _base(ws, prefix, shown)
    after = copy.deepcopy(issue)
    config = ws.config()
    stamp = now()
    if config.state_of(after.status) != state:
        lifecycle.set_status(after, state, config, stamp)
    added = lifecycle.new_comment(ws, after, text, stamp) if text.strip() else None
    return lifecycle.Outcome(after, lifecycle.save(ws, issue, after, data), added)


def edit(ws: Workspace, prefix: str, shown: str, form: dict[str, Any]) -> lifecycle.Outcome:
    """The edit form's fields, applied as ``edit --title ... -s ... -p ...`` would."""
    issue, data = _base(ws, prefix, shown)
    labels = _items(form.get("labels", ""))
    people = _items(form.get("assignees", ""))
    fields = lifecycle.Fields(
        title=form.get("title"), body=form.get("body"), status=form.get("status") or None,
        add_labels=[label for label in labels if label not in issue.labels],
        remove_labels=[label for label in issue.labels if label not in labels],
        add_assignees=[who for who in people if who not in issue.assignees],
        remove_assignees=[who for who in issue.assignees if who not in people],
        milestone=form.get("milestone"), priority=form.get("priority"),
    )
    after = copy.deepcopy(issue)
    lifecycle.apply_fields(ws, after, fields)
    return lifecycle.Outcome(after, lifecycle.save(ws, issue, after, data))


def create(ws: Workspace, form: dict[str, Any]) -> Issue:
    return lifecycle.create(ws, form.get("title", ""), body=form.get("body", ""),
                            labels=_items(form.get("labels", "")),
                            assignees=_items(form.get("assignees", "")),
                            milestone=form.get("milestone", "").strip() or None,
                            priority=form.get("priority", "").strip() or None)


def _items(text: str) -> list[str]:
    """A comma-separated field: its non-empty items, stripped."""
    return [item.strip() for item in text.split(",") if item.strip()]
