"""Writes from the page, through the CLI's library: the same canonical, staged file.

Each form carries the digest of the file its page was built from, and each
write passes it on as ``expect``: the library refuses the change when the file
holds other bytes now (someone changed the issue since the page was shown),
and writes with the store's compare-and-swap, so a change that lands between
that check and the rename is refused too.  Nothing is committed: the change
waits, staged, for the user's next commit.  A refused value names its field,
as the form does (``labels: ...``).
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING, Any

from git_issues.core.rules import split_commas
from git_issues.errors import GitIssuesError
from git_issues.ops import links, remove, write
from git_issues.repo import issues
from git_issues.repo.store import StaleWriteError
from git_issues.web.markdown import task_lines

if TYPE_CHECKING:
    from git_issues.core.model import Issue
    from git_issues.repo.workspace import Workspace


def comment(ws: Workspace, prefix: str, shown: str, text: str) -> write.Outcome:
    if not text.strip():
        raise GitIssuesError("the comment is empty")
    return write.comment(ws, prefix, text, expect=shown)


def set_state(ws: Workspace, prefix: str, shown: str, state: str,
              text: str = "") -> write.Outcome:
    """Close or reopen, with an optional comment, as ``close -m``/``reopen -m`` do."""
    return write.set_state(ws, prefix, state, text, expect=shown)


def edit(ws: Workspace, prefix: str, shown: str, form: dict[str, Any]) -> write.Outcome:
    """The edit form's fields, applied as ``edit --title ... -s ... -p ...`` would.

    The form holds the whole lists of labels and assignees: what to add and to
    remove is counted against the version shown (``expect`` makes sure it is the
    one changed).
    """
    issue, _ = issues.get(ws, ws.store.resolve(prefix))
    labels = _items(form.get("labels", ""))
    people = _items(form.get("assignees", ""))
    fields = write.Fields(
        title=form.get("title"), body=form.get("body"), status=form.get("status") or None,
        add_labels=[label for label in labels if label not in issue.labels],
        remove_labels=[label for label in issue.labels if label not in labels],
        add_assignees=[who for who in people if who not in issue.assignees],
        remove_assignees=[who for who in issue.assignees if who not in people],
        milestone=form.get("milestone"), priority=form.get("priority"),
    )
    return write.edit(ws, issue.id, fields, expect=shown)


def move(ws: Workspace, prefix: str, columns: str, source: str, target: str) -> write.Outcome:
    """A board card moved from column ``source`` to ``target``: the status change that
    column means (``edit -s``), or on a board by label prefix, one label for the other.

    The page's stale check is the card's column: an issue no longer in ``source``
    (someone moved it since the board was shown) is refused, not moved over their change.
    """
    if not target.strip():
        raise GitIssuesError("column: choose the column to move the card to")
    issue, data = issues.get(ws, ws.store.resolve(prefix))
    where = issue.labels if columns else [issue.status]
    if source not in where:
        raise StaleWriteError(f"{issue.id} is no longer in '{source}': reload the board")
    if columns:
        if not target.startswith(columns):
            raise GitIssuesError(f"column: '{target}' is not a label starting with '{columns}'")
        fields = write.Fields(add_labels=[target], remove_labels=[source])
    else:
        fields = write.Fields(status=target)
    return write.edit(ws, issue.id, fields, expect=hashlib.sha256(data).hexdigest())


_BOX = re.compile(r"\[[ xX]\]")


def tick(ws: Workspace, prefix: str, shown: str, number: str, done: bool) -> write.Outcome:
    """Tick (or untick) the body's task box ``number``, as the page counted them:
    the n-th task item markdown-it finds (``web.markdown.task_lines``), so a ``[ ]``
    inside a code block is never one."""
    issue, _ = issues.get(ws, ws.store.resolve(prefix))
    lines = issue.body.split("\n")
    found = task_lines(issue.body)
    if not number.isdigit() or int(number) >= len(found):
        raise GitIssuesError(f"task: the body has no task {number}")
    at = found[int(number)]
    lines[at] = _BOX.sub("[x]" if done else "[ ]", lines[at], count=1)
    return write.edit(ws, issue.id, write.Fields(body="\n".join(lines)), expect=shown)


def _unchanged(ws: Workspace, prefix: str, shown: str) -> str:
    """The issue's id, once its file is still the version the page showed (the stale
    check of the forms whose library call takes no ``expect``)."""
    issue_id = ws.store.resolve(prefix)
    _, data = issues.get(ws, issue_id)
    if hashlib.sha256(data).hexdigest() != shown:
        raise StaleWriteError(f"{issue_id} changed since the page was shown: reload it")
    return issue_id


def link(ws: Workspace, prefix: str, shown: str, kind: str, other: str) -> write.Outcome:
    """``link ID --blocks/--blocked-by/--related OTHER`` from the issue page."""
    if not other.strip():
        raise GitIssuesError("other: name the issue to link to")
    return links.link(ws, _unchanged(ws, prefix, shown), kind.replace(" ", "_"), other.strip())


def unlink(ws: Workspace, prefix: str, shown: str, kind: str, other: str) -> write.Outcome:
    """``unlink``: the relation as the page names it (``blocked by``) and the other id."""
    return links.unlink(ws, _unchanged(ws, prefix, shown), kind.replace(" ", "_"), other)


def edit_comment(ws: Workspace, prefix: str, shown: str, comment_id: str,
                 text: str) -> write.Outcome:
    """``comment --edit``: the comment's new text; its id, author and date stay."""
    return write.edit_comment(ws, prefix, comment_id, text, expect=shown)


def delete_comment(ws: Workspace, prefix: str, shown: str, comment_id: str) -> write.Outcome:
    """``comment --delete``: one comment goes, the others keep their place."""
    return write.delete_comment(ws, _unchanged(ws, prefix, shown), comment_id)


def rm(ws: Workspace, prefix: str, shown: str) -> remove.Removal:
    """``rm`` once the confirmation page was submitted: the file and every link to it."""
    return remove.remove(ws, _unchanged(ws, prefix, shown))


def create(ws: Workspace, form: dict[str, Any]) -> Issue:
    return write.create(ws, form.get("title", ""), body=form.get("body", ""),
                        labels=_items(form.get("labels", "")),
                        assignees=_items(form.get("assignees", "")),
                        milestone=form.get("milestone", "").strip() or None,
                        priority=form.get("priority", "").strip() or None)


def _items(text: str) -> list[str]:
    """A comma-separated field, as ``-l a,b`` reads: its non-empty items, stripped."""
    return [item.strip() for item in split_commas([text]) if item.strip()]
