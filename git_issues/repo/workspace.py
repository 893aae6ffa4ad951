"""One repository as the tool sees it: work tree, git dir, issue store, index.

A workspace is discovered afresh every time it is opened, and the location
of its index is read from ``ISSUES_DB_PATH`` at that moment: nothing here is
cached across workspaces, so a process can work in a thousand repositories one
after another and end with the resources it started with.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, Protocol

from git_issues.errors import GitIssuesError
from git_issues.repo import gitstatus, gitutil, registration
from git_issues.repo.store import CONFIG_NAME, Store

if TYPE_CHECKING:
    from git_issues.repo.config import Config

DB_ENV = "ISSUES_DB_PATH"
# The tool's own folder in the git dir: the index (unless ISSUES_DB_PATH moves
# it), the per-issue write locks, the texts of refused edits and the mark that
# this clone was healed (registration.HEALED_MARK).
STATE_DIR = "git-issues"
INDEX_FILE = "index.sqlite"


class ChangeFeed(Protocol):
    """Something that watches ``.issues/`` and says which files changed (``web.watcher``)."""

    def changes(self) -> AbstractContextManager[set[str] | None]:
        """The names changed since the last call, or None when it cannot tell (then
        every file is checked); they count as read only if the block ends without error."""
        ...


class Sources(NamedTuple):
    """What the index is built from and where it lives: all the index package is given.

    Defined here, not in the index package, so that a write (which never
    touches the index) does not load it.
    """

    issues_dir: Path
    db_path: Path
    # What changed since the last read, when something watches the folder (``serve``):
    # then a read stats only those files.  None: every read stats every file.
    feed: ChangeFeed | None = None
    # The repository, whose ``git status`` names the changed files when no feed does
    # (``index.gitfeed``); None: compare every file.
    git: gitutil.RepoPaths | None = None
    # Its status as started with the command (``gitstatus.take_early``), if it was.
    early: gitstatus.Probe | None = None

    @property
    def config_path(self) -> Path:
        return self.issues_dir / CONFIG_NAME


class Workspace:
    """Paths and the store of one repository; it holds no open handle."""

    def __init__(self, paths: gitutil.RepoPaths, store: Store, db_path: Path) -> None:
        self.paths = paths
        self.store = store
        self.db_path = db_path
        self.feed: ChangeFeed | None = None  # set by ``serve`` for one request
        self.early: gitstatus.Probe | None = None  # the command's early git status

    @property
    def root(self) -> Path:
        return self.paths.root

    @property
    def state_dir(self) -> Path:
        """The tool's folder in this worktree's git dir (``STATE_DIR``)."""
        return self.paths.git_dir / STATE_DIR

    @property
    def sources(self) -> Sources:
        return Sources(issues_dir=self.store.dir, db_path=self.db_path, feed=self.feed,
                       git=self.paths, early=self.early)

    def config(self) -> Config:
        from git_issues.repo import config  # lazy: startup (the file reader: not ls's)

        return config.load(self.sources.config_path)


def index_path(paths: gitutil.RepoPaths, cwd: Path) -> Path:
    """The index file: ``ISSUES_DB_PATH`` if set, else inside this worktree's git dir."""
    override = os.environ.get(DB_ENV)
    if override:
        return (cwd / Path(override).expanduser()).resolve()
    return paths.git_dir / STATE_DIR / INDEX_FILE


def _current_folder() -> Path:
    try:
        return Path.cwd()
    except FileNotFoundError:  # removed under the shell that still stands in it
        raise GitIssuesError("the current folder no longer exists (removed since the "
                             "shell entered it?)") from None


@contextmanager
def open_workspace(cwd: Path | str | None = None, *, heal: bool = True,
                   known: gitutil.RepoPaths | None = None) -> Iterator[Workspace]:
    """The repository around ``cwd``; its handles are opened per use and closed with it.

    Opening it heals a clone that lacks the merge driver its ``.gitattributes``
    names (``registration.heal``: one stat once healed), so that
    any command, a read too, sets up a fresh clone before its first merge.
    ``init``, which registers the driver itself and says so, passes ``heal=False``.
    ``known``: the repository's paths as discovered earlier by the same long-running
    process (``serve``, for each page of a repository it found at start), which saves
    starting git; the index's location is still read from the environment now.
    """
    where = Path(cwd) if cwd is not None else _current_folder()
    paths = known or gitutil.discover(where)
    ws = Workspace(paths=paths, store=Store(paths.root, paths.git_dir / STATE_DIR,
                                            layout=lambda: ws.config().layout),
                   db_path=index_path(paths, where))
    if known is None:
        ws.early = gitstatus.take_early(where)
    if heal:
        registration.heal(ws)
    yield ws
