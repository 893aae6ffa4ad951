"""git's own stat check as the index's change feed: which issue files may have changed.

git keeps the stat data of every tracked file in its index and checks them in C,
with its racy-timestamp rules and, where the repository has one, its fsmonitor
(watchman, or git's own daemon).  One ``git status`` of ``.issues/`` therefore
says, for far less than a ``stat`` of every file from Python, which issue files
differ from HEAD: staged, changed, untracked or ignored.

The index records the HEAD it was checked against and the files that differed
then (``Seal``).  The files whose rows may be wrong now are:

    differ now (status)  ∪  differed then (the seal)  ∪  changed between the two HEADs

and only those are stat-ed and, if changed, read (``refresh.plan_names``).  Why that
is exact: a file outside the set was indexed as the old HEAD held it, the new HEAD
holds the same, and git says the work tree holds what HEAD does.

The status is asked before any file is read, so a file read after it may hold a
newer text than git saw: every file a refresh read (or found racy) joins the
recorded set, and stays there until a later read finds its stat data unchanged.
Anything doubtful gives no names, and the caller compares every file: no commit
yet, a sparse checkout, git failing, a seal from another generation of the index,
or more than ``LIMIT`` names (a checkout of another branch).  Like every fast path
it is off with ``GIT_ISSUES_PORTABLE=1``.  Docs: docs/performance.md, "Asking git".
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import NamedTuple

from git_issues.errors import GitIssuesError
from git_issues.repo import gitutil
from git_issues.repo.gitstatus import LIMIT, Look, Probe, started
from git_issues.repo.gitutil import RepoPaths
from git_issues.repo.store import ISSUES_DIR, path_stem

SEAL_KEY = "git_seal"  # meta: "<generation>:<refreshed_ns>:<HEAD>"
DIRTY_KEY = "git_dirty"  # meta: the names that differed from that HEAD, one per line


class Seal(NamedTuple):
    """What meta records of the last look, for the generation of the index it matched."""

    stamp: str
    head: str
    dirty: frozenset[str]


class Asked(NamedTuple):
    """A status being asked of the repository at ``paths``."""

    paths: RepoPaths
    probe: Probe


@contextmanager
def asked(paths: RepoPaths | None, early: Probe | None = None) -> Iterator[Asked | None]:
    """The status of the issue folder: ``early`` (started when the command did) when
    it is there and not used yet, else one started now and ended with the block."""
    if paths is None or (paths.git_dir / "info" / "sparse-checkout").exists():
        yield None  # a sparse checkout's skipped files are absent without git saying so
        return
    if early is not None and not early.taken:
        early.taken = True
        yield Asked(paths, early)
        return
    with started(paths.root) as probe:
        yield None if probe is None else Asked(paths, probe)


def read_seal(meta: dict[str, str]) -> Seal | None:
    value = meta.get(SEAL_KEY)
    if not value:
        return None
    stamp, _, head = value.rpartition(":")
    dirty = meta.get(DIRTY_KEY, "")
    return Seal(stamp, head, frozenset(dirty.split("\n")) if dirty else frozenset())


def stamp_of(meta: dict[str, str]) -> str:
    """The index's version a seal holds for: every write of the index changes it."""
    return f"{meta.get('generation')}:{meta.get('refreshed_ns')}"


def candidates(paths: RepoPaths, look: Look, meta: dict[str, str]) -> set[str] | None:
    """The files whose rows may be wrong, or None: compare them all."""
    seal = read_seal(meta)
    if seal is None or seal.stamp != stamp_of(meta):
        return None
    names = set(look.dirty) | seal.dirty
    if seal.head != look.head:
        between = _changed_between(paths, seal.head, look.head)
        if between is None:
            return None
        names |= between
    return names if len(names) <= LIMIT else None


def _changed_between(paths: RepoPaths, old: str, new: str) -> set[str] | None:
    """The issue files that differ between two commits; None if git cannot say (the
    old one was pruned, say) or they are too many."""
    try:
        proc = gitutil.run(["diff-tree", "-r", "-z", "--name-only", "--no-renames", old, new,
                            "--", ISSUES_DIR], paths.root, check=False)
    except GitIssuesError:  # git gone, or past a server's time limit
        return None
    if proc.returncode != 0:
        return None
    paths = proc.stdout.decode("utf-8", "surrogateescape").split("\0")
    names = {p.partition("/")[2] for p in paths if path_stem(p) is not None}
    return names if len(names) <= LIMIT else None


def seal_rows(look: Look, stamp: str, read: Iterable[str]) -> list[tuple[str, str]]:
    """meta's rows recording ``look`` for the index at ``stamp``; ``read``: the files
    this refresh read or found racy (see the module's docstring).  Too many names
    record an empty seal, which no stamp matches."""
    dirty = look.dirty.union(read)
    if len(dirty) > LIMIT:
        return [(SEAL_KEY, ""), (DIRTY_KEY, "")]
    return [(SEAL_KEY, f"{stamp}:{look.head}"), (DIRTY_KEY, "\n".join(sorted(dirty)))]
