"""``link`` and ``unlink``: a link is stored once, in either issue's file.

``link --blocks``/``--blocked-by`` reports a blocks-cycle the new link closes
(``blocks_cycle``).  A link is stored in either file, so finding a cycle needs
every issue's links; the index holds them, and reading every file instead
would cost a rebuild's parse.  So that one write, after writing, reads the
index (and, like any read, refreshes it first).  ``related`` links and
``unlink`` never touch it, and no other write loads the index package.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from git_issues.core import ids as ids_mod
from git_issues.core.model import LINK_KINDS
from git_issues.errors import FieldError, GitIssuesError
from git_issues.ops.write import Outcome
from git_issues.repo import issues

if TYPE_CHECKING:
    from git_issues.core.model import Issue
    from git_issues.repo.workspace import Workspace

# Where a link is stored on one side, and how the other side would say the same.
MIRROR = {"blocks": "blocked_by", "blocked_by": "blocks", "related": "related"}


def _check_kind(kind: str) -> str:
    if kind not in MIRROR:
        raise GitIssuesError(f"unknown link kind '{kind}' (known: {', '.join(LINK_KINDS)})")
    return kind


def _field(kind: str) -> str:
    """The field a link's other end is given for: ``links.blocks``..."""
    return f"links.{kind}"


def has_link(issue: Issue, kind: str, other: Issue | None, other_id: str) -> bool:
    """True when either file already says it (a link is stored once, on either side)."""
    if other_id in issue.links.get(kind, []):
        return True
    return other is not None and issue.id in other.links.get(MIRROR[kind], [])


def _resolve_other(kind: str, prefix: str, known: set[str] | list[str]) -> str:
    try:
        return ids_mod.resolve(prefix, known)
    except GitIssuesError as exc:
        raise FieldError(_field(kind), str(exc)) from None


def link(ws: Workspace, prefix: str, kind: str, other_prefix: str) -> Outcome:
    """Store ``ID kind OTHER`` once, in ID's file; a blocks-cycle it closes is reported.

    Both ids must name existing issues and differ.  Finding a cycle needs
    every issue's links, so this one write reads the index (after writing).
    """
    _check_kind(kind)
    known = ws.store.ids()
    issue_id = ids_mod.resolve(prefix, known)
    other_id = _resolve_other(kind, other_prefix, known)
    if other_id == issue_id:
        raise FieldError(_field(kind), f"an issue cannot be linked to itself ({issue_id})")
    other, _ = issues.get(ws, other_id)

    def add_link(issue: Issue) -> None:
        if not has_link(issue, kind, other, other_id):
            issue.links.setdefault(kind, []).append(other_id)
            issue.links = _ordered_links(issue.links)

    draft, _ = issues.update(ws, issue_id, add_link)
    outcome = Outcome(draft.issue, draft.changed, other=other_id)
    if draft.changed and kind != "related":
        blocker, blocked = (issue_id, other_id) if kind == "blocks" else (other_id, issue_id)
        outcome.cycle = blocks_cycle(ws, blocker, blocked)
    return outcome


def _ordered_links(links: dict[str, list[str]]) -> dict[str, list[str]]:
    """Known kinds in the file format's order, then any others as they were."""
    ordered = {kind: links[kind] for kind in LINK_KINDS if links.get(kind)}
    ordered.update((k, v) for k, v in links.items() if k not in ordered and v)
    return ordered


def blocks_cycle(ws: Workspace, blocker: str, blocked: str) -> list[str] | None:
    """The cycle ``blocker -> blocked -> ... -> blocker``, if the link made one.

    The one write that reads the index (see the module's docstring).
    """
    from git_issues.index.query import open_index  # lazy: startup

    with open_index(ws.sources) as view:
        path = view.blocks_path(blocked, blocker)
    return [blocker, *path] if path else None


def unlink(ws: Workspace, prefix: str, kind: str, other_prefix: str) -> Outcome:
    """Remove ``ID kind OTHER`` from whichever file stores it (both, if both do).

    The other id may name an issue that no longer exists: a dangling link can
    still be removed by its id as written in ID's file.
    """
    _check_kind(kind)
    known = ws.store.ids()
    issue_id = ids_mod.resolve(prefix, known)
    with issues.change(ws, issue_id) as draft:
        other_id = _resolve_other(kind, other_prefix, {*known, *draft.before.links.get(kind, [])})
        other = None
        if other_id in known and other_id != issue_id:
            other, _ = issues.get(ws, other_id)
        if not has_link(draft.before, kind, other, other_id):
            relation = kind.replace("_", " ")
            raise FieldError(_field(kind), f"no link '{issue_id} {relation} {other_id}'")
        draft.issue.links = without(draft.issue.links, kind, other_id)
    outcome = Outcome(draft.issue, draft.changed, other=other_id)
    if other is not None:
        with issues.change(ws, other_id) as other_draft:
            other_draft.issue.links = without(other_draft.issue.links, MIRROR[kind], issue_id)
        if other_draft.changed:
            outcome.changed.append(f"{other_id}.links")
    return outcome


def without(links: dict[str, list[str]], kind: str, other_id: str) -> dict[str, list[str]]:
    """``links`` less ``kind: other_id``; a kind left empty goes."""
    kept = {k: [i for i in ids if not (k == kind and i == other_id)] for k, ids in links.items()}
    return {k: ids for k, ids in kept.items() if ids}
