"""``rm``: deleting an issue the way ``git rm -f`` deletes a file, and every link to it.

Finding the links to an issue needs every issue's links: the index holds them
(refreshed first, like any read), so this write, unlike the others, reads it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from git_issues.fileformat.issuefile import read_bytes
from git_issues.index.query import open_index
from git_issues.repo import gitutil, issues
from git_issues.repo.store import StaleWriteError

if TYPE_CHECKING:
    from git_issues.core.model import Issue
    from git_issues.repo.workspace import Workspace


class Removal:
    """What ``rm`` did: the issue it removed, and the files whose links to it went too."""

    def __init__(self, issue: Issue, unlinked: dict[str, list[str]],
                 committed: bool) -> None:
        self.issue = issue
        self.unlinked = unlinked  # other id -> the kinds of link removed from its file
        self.committed = committed  # False: git has no copy; the text is gone for good


def is_committed(ws: Workspace, issue_id: str) -> bool:
    """True when HEAD holds the file, so ``git checkout HEAD -- FILE`` brings it back."""
    spec = f"HEAD:{ws.store.display(issue_id)}"
    return gitutil.run(["cat-file", "-e", spec], ws.root, check=False).returncode == 0


def remove(ws: Workspace, prefix: str) -> Removal:
    """Delete an issue the way ``git rm -f`` deletes a file, and every link to it.

    The links in other files go first, each rewritten canonically and staged:
    if one cannot be written (someone else changed it), nothing is deleted.
    The file is then removed from the work tree and the index whatever its
    state (committed, staged or new), as ``git rm -f`` does: the user has
    confirmed, and a committed issue stays in git's history.
    """
    issue_id = ws.store.resolve(prefix)
    issue, data = issues.get(ws, issue_id)
    committed = is_committed(ws, issue_id)
    unlinked: dict[str, list[str]] = {}
    for other_id in linking_ids(ws, issue_id):
        with issues.change(ws, other_id) as draft:
            links = {kind: [i for i in ids if i != issue_id]
                     for kind, ids in draft.issue.links.items()}
            draft.issue.links = {kind: ids for kind, ids in links.items() if ids}
        if draft.changed:
            unlinked[other_id] = [k for k, ids in draft.before.links.items() if issue_id in ids]
    path = ws.store.path(issue_id)
    if read_bytes(str(path), ws.store.display(issue_id))[0] != data:  # no link to /dev/zero
        raise StaleWriteError(f"{ws.store.display(issue_id)}: changed by someone else since "
                              "it was read; nothing was deleted")
    gitutil.run(["rm", "-q", "-f", "--ignore-unmatch", "--", str(path)], ws.root)
    if path.exists():  # never added: git rm does not know it
        path.unlink()
    return Removal(issue, unlinked, committed)


def linking_ids(ws: Workspace, issue_id: str) -> list[str]:
    """Other issues whose own files link to ``issue_id`` (from the fresh index)."""
    with open_index(ws.sources) as view:
        return view.linking_ids(issue_id)
