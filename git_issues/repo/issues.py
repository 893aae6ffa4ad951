"""Changing one issue: the one write path of the CLI, the web view and the importers.

Every change of an existing issue is the same five steps: read the file (and
keep its exact bytes), hand out a copy to change, compare the copy with what
was read, write it canonically with the store's compare-and-swap under the
issue's lock, and stage it.  ``change`` is those steps as a ``with`` block;
``update`` runs a change function through them and, when another writer won
the race between the read and the rename, applies it again to what that
writer left.  Nothing changed, nothing written: an edit that changes no value
leaves even a hand-formatted file byte-identical.

``expect`` is the digest of the bytes a caller showed to its user (the web
view's page): when the file holds other bytes now, the change is refused and
nothing is written, since the user decided on a version that is gone.
"""

from __future__ import annotations

import copy
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from git_issues.fileformat.issuefile import dump_issue
from git_issues.repo import gitutil
from git_issues.repo.registration import ensure_merge_driver
from git_issues.repo.store import StaleWriteError

if TYPE_CHECKING:
    from git_issues.core.model import Issue
    from git_issues.repo.workspace import Workspace

T = TypeVar("T")

LOCKS_DIR = "locks"
# How often a write whose change does not depend on what changed underneath
# (a comment, a label added, a close) re-reads the file and tries again after
# another writer won the race.  Each lost race means another writer's turn
# succeeded, so eight writers at once need at most seven; the bound only stops
# a writer that is starved for ever.
STALE_RETRIES = 25


def lock_dir(ws: Workspace) -> Path:
    """Per-worktree locks, in the tool's folder in the git dir: never in the work tree."""
    return ws.state_dir / LOCKS_DIR


def digest(data: bytes) -> str:
    """The version of a file a user was shown (a web page's forms carry it): ``expect``.

    hashlib is imported here: it starts OpenSSL, which a write without ``expect``
    (every CLI write) does not need.
    """
    import hashlib  # lazy: startup

    return hashlib.sha256(data).hexdigest()


def heal(ws: Workspace) -> None:
    """Every write re-registers the merge driver in a clone that lacks it (DESIGN §4)."""
    ensure_merge_driver(ws)


def stage(ws: Workspace, issue_id: str) -> None:
    """Stage the issue's file, as every write does (nothing is ever committed)."""
    gitutil.add(ws.root, [ws.store.path(issue_id)])
    heal(ws)


def get(ws: Workspace, issue_id: str) -> tuple[Issue, bytes]:
    """The issue and the exact bytes it came from, the base of a compare-and-swap write."""
    return ws.store.read_with_bytes(issue_id)


def create(ws: Workspace, issue: Issue, *, stage_it: bool = True) -> Path:
    """Write a new issue's file (its id minted against the folder) and stage it."""
    path = ws.store.write(issue)
    if stage_it:
        gitutil.add(ws.root, [path])
    heal(ws)
    return path


def changed_fields(before: Issue, after: Issue) -> list[str]:
    """Names of the top-level fields whose value differs: the file's order, then fields
    the change added."""
    old, new = before.to_dict(), after.to_dict()
    return [key for key in dict.fromkeys([*old, *new]) if old.get(key) != new.get(key)]


def replace_text(ws: Workspace, issue_id: str, expected: bytes, text: str) -> Path:
    """Write ``text`` over the file only if it still holds ``expected``, under the
    issue's lock: the last step of every change (an import's bulk writer calls it
    with its own canonical text)."""
    return ws.store.replace_if_unchanged(issue_id, expected, text, lock_dir(ws))


class Draft:
    """One issue handed out to change: ``issue`` is the copy to change (or to
    replace), ``before`` and ``data`` what the file held, ``changed`` the names
    of the fields written (empty until then, and when nothing changed)."""

    def __init__(self, before: Issue, data: bytes) -> None:
        self.before = before
        self.data = data
        self.issue = copy.deepcopy(before)
        self.changed: list[str] = []


def open_draft(ws: Workspace, issue_id: str, expect: str | None = None) -> Draft:
    """Read the issue for a change; refused when it is not the version ``expect`` names."""
    before, data = get(ws, issue_id)
    if expect is not None and digest(data) != expect:
        raise StaleWriteError(f"{ws.store.display(issue_id)}: changed by someone else since "
                              "it was shown; nothing was written")
    return Draft(before, data)


def save(ws: Workspace, draft: Draft, *, stage_it: bool = True) -> list[str]:
    """Write the draft over the version it was read from and stage it; no change, no write."""
    draft.changed = changed_fields(draft.before, draft.issue)
    if draft.changed:
        replace_text(ws, draft.before.id, draft.data, dump_issue(draft.issue))
        if stage_it:
            stage(ws, draft.before.id)
    return draft.changed


@contextmanager
def change(ws: Workspace, issue_id: str, expect: str | None = None, *,
           stage_it: bool = True) -> Iterator[Draft]:
    """``with change(ws, id) as draft:`` change ``draft.issue``; a clean exit saves it.

    The write is a compare-and-swap against the bytes read on entry: if another
    writer changed the file since, ``StaleWriteError`` and nothing is written
    (``update`` retries instead).  An exception in the block writes nothing.
    """
    draft = open_draft(ws, issue_id, expect)
    yield draft
    save(ws, draft, stage_it=stage_it)


def update(ws: Workspace, issue_id: str, change_fn: Callable[[Issue], T], *,
           sets: list[str] | tuple[str, ...] = (),
           expect: str | None = None) -> tuple[Draft, T]:
    """Apply ``change_fn`` to the issue as it is now and save it: (the draft, its result).

    When another writer wins the race between reading and writing, the change
    is applied again to the file as that writer left it, so eight comments at
    once all land.  ``sets`` names the fields the change gives a value of the
    user's own: if one of them changed underneath, the two writers meant
    different things and the refusal stands.  With ``expect`` there is no second
    try: the user saw a version that is gone.
    """
    draft = open_draft(ws, issue_id, expect)
    first = draft.before
    for attempt in range(STALE_RETRIES):
        result = change_fn(draft.issue)
        try:
            save(ws, draft)
            return draft, result
        except StaleWriteError:
            if expect is not None or attempt == STALE_RETRIES - 1:
                raise
        draft = open_draft(ws, issue_id)
        clash = [name for name in sets if getattr(draft.before, name) != getattr(first, name)]
        if clash:
            raise StaleWriteError(
                f"{ws.store.display(issue_id)}: {', '.join(clash)} changed by someone else "
                "since it was read; nothing was written")
        time.sleep(random.random() * 0.01 * (attempt + 1))  # step out of lockstep
    raise AssertionError("unreachable")
