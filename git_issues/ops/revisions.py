"""The issues as they were at a revision: ``ls --at REV`` and ``show ID --at REV``.

Because the issues live beside the code, a tag says what the issues were
when it was made.  They are read from git's objects: one ``git ls-tree`` of
``.issues/`` at the revision and one ``git cat-file --batch`` given every
file at once.  Nothing is checked out; the work tree and git's index are left
as they were.  The issues go into an index of their own (``index.snapshot``),
so every filter and sort of ``ls`` means the same at a revision; it is kept
in the state folder under the tree's id, which never changes meaning, so the
next read of the same tree parses nothing.  The first read parses only the
files the work tree does not hold as they are (the others' rows come from the
work tree's index, as fresh as a plain ``ls`` makes it), on every core.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from git_issues.core import ids
from git_issues.core.rules import DEFAULT_STATUSES
from git_issues.errors import GitIssuesError, IssueFileError, NoSuchIssue
from git_issues.fileformat.issuefile import load_text
from git_issues.index import pool, snapshot
from git_issues.index.query import IndexView
from git_issues.index.records import Record
from git_issues.repo import config, gitutil
from git_issues.repo.store import (
    CONFIG_NAME,
    FAN_WIDTH,
    ISSUES_DIR,
    issue_stem,
    names_of,
    path_stem,
)

if TYPE_CHECKING:
    from git_issues.repo.workspace import Sources

TREES_DIR = "trees"  # in the state folder: one index per tree of .issues/
_FILE_MODES = {"100644", "100755"}
_CHUNK = 500  # files a worker parses at a time


def _checked(rev: str) -> str:
    if not rev or rev.startswith("-") or "\n" in rev:
        raise GitIssuesError(f"unknown revision {rev!r}")
    return rev


def tree_id(root: Path, rev: str) -> str | None:
    """The id of ``.issues/``'s tree at ``rev`` (None: the revision has no such
    folder); an unknown revision is an error naming it."""
    proc = gitutil.run(["ls-tree", "-z", _checked(rev), "--", ISSUES_DIR], root, check=False)
    if proc.returncode != 0:
        raise GitIssuesError(f"unknown revision '{rev}'")
    meta, _, _ = proc.stdout.decode("utf-8", "replace").partition("\t")
    mode, _, rest = meta.partition(" ")
    kind, _, sha = rest.partition(" ")
    return sha if kind == "tree" else None


def _entries(root: Path, tree: str) -> list[tuple[str, str, str, str]]:
    """``(mode, kind, blob, name)`` of each file of a tree, those of its folders too
    (``ab/abcdefgh.yml`` in a fanned-out ``.issues/``)."""
    listing = gitutil.run(["ls-tree", "-r", "-z", tree], root).stdout
    entries = []
    for record in listing.decode("utf-8", "surrogateescape").split("\0"):
        meta, tab, name = record.partition("\t")
        if tab:
            mode, kind, sha = meta.split(" ")
            entries.append((mode, kind, sha, name))
    return entries


def _read_blobs(root: Path, shas: list[str]) -> list[bytes | None]:
    """The content of each blob, from one ``git cat-file --batch`` given every id at
    once (no answer awaited between two: the pipe stays full)."""
    if not shas:
        return []
    out = gitutil.run(["cat-file", "--batch"], root,
                      input="".join(f"{sha}\n" for sha in shas).encode()).stdout
    blobs: list[bytes | None] = []
    at = 0
    for _ in shas:
        end = out.index(b"\n", at)
        header = out[at:end].split(b" ")
        if len(header) != 3:  # "<sha> missing"
            blobs.append(None)
            at = end + 1
            continue
        size = int(header[2])
        blobs.append(out[end + 1:end + 1 + size] if header[1] == b"blob" else None)
        at = end + 1 + size + 1
    return blobs


def _clean_blobs(root: Path) -> dict[str, str]:
    """``{file name: blob}`` of the issue files whose work tree content is the blob
    staged for them: git's index, less what ``git status`` finds changed in the
    work tree (it compares the content where the stat data are stale, as in a
    copied repository, and with ``--no-optional-locks`` writes nothing)."""
    staged = gitutil.run(["ls-files", "-s", "-z", "--", f"{ISSUES_DIR}/"], root).stdout
    status = gitutil.run(["--no-optional-locks", "status", "--porcelain=v1", "-z",
                          "--untracked-files=no", "--", f"{ISSUES_DIR}/"], root).stdout
    fields = iter(status.decode("utf-8", "surrogateescape").split("\0"))
    changed = set()
    for entry in fields:
        if entry[:1] in ("R", "C"):
            next(fields, None)  # a rename's or copy's source follows
        if len(entry) > 3 and entry[1] != " ":
            changed.add(entry[3:])
    out = {}
    for record in staged.decode("utf-8", "surrogateescape").split("\0"):
        meta, _, path = record.partition("\t")
        if path_stem(path) is not None and path not in changed and meta.endswith(" 0"):
            out[path.partition("/")[2]] = meta.split(" ")[1]
    return out


@dataclass
class Parsed:
    """What a tree's ``.issues/`` holds, as index rows: those parsed, the names
    whose rows the work tree's index has, and the statuses of its config."""

    rows: list[Record]
    reuse: snapshot.Reuse | None
    statuses: dict[str, str]


def parse_tree(root: Path, rev: str, tree: str, worktree: Sources | None) -> Parsed:
    """Every issue file of ``tree`` as rows: the ones whose blob the work tree holds
    too are taken from its index (when its statuses are the tree's), the others
    parsed, on every core when they are many."""
    entries = _entries(root, tree)
    statuses = dict(DEFAULT_STATUSES)
    for _mode, kind, sha, name in entries:
        if name == CONFIG_NAME and kind == "blob":
            data = _read_blobs(root, [sha])[0]
            statuses = config.statuses_or_defaults(lambda d=data: config.parse(d or b""))
    files = [(mode, sha, name) for mode, _, sha, name in entries if issue_stem(name) is not None]
    reuse = None
    if worktree is not None and files:
        indexed = snapshot.indexed_files(worktree, statuses)
        clean = _clean_blobs(root) if indexed else {}
        names = [name for _, sha, name in files if name in indexed and clean.get(name) == sha]
        reuse = snapshot.Reuse(worktree.db_path, names) if names else None
    taken = set(reuse.names) if reuse else set()
    rest = [(mode, sha, name) for mode, sha, name in files if name not in taken]
    readable = [sha for mode, sha, _ in rest if mode in _FILE_MODES]
    blobs = iter(_read_blobs(root, readable))
    pairs = [(name, next(blobs) if mode in _FILE_MODES else None) for mode, _, name in rest]
    chunks = [pairs[i:i + _CHUNK] for i in range(0, len(pairs), _CHUNK)]
    work = partial(snapshot.parse_blobs, rev=rev, statuses=statuses)
    with pool.in_parallel(work, chunks, len(pairs), None) as results:
        rows = [row for chunk in results for row in chunk]
    return Parsed(rows, reuse, statuses)


@dataclass
class AtRevision:
    """An open index of the issues at a revision, and every id it holds."""

    view: IndexView
    ids: list[str]


@contextmanager
def open_at(root: Path, state_dir: Path, rev: str,
            worktree: Sources | None = None) -> Iterator[AtRevision]:
    """The index of the issues at ``rev``: the kept one of its tree, else built from
    the tree (and kept, when the state folder can be written).  ``worktree``: the
    work tree's index, whose rows serve the files the tree shares with it."""
    tree = tree_id(root, rev)
    if tree is None:
        with snapshot.open_snapshot([], dict(DEFAULT_STATUSES)) as view:
            yield AtRevision(view, [])
        return
    path = snapshot.cache_path(state_dir / TREES_DIR, tree)
    with snapshot.open_cached(path) as view:
        if view is not None:
            yield AtRevision(view, view.ids())
            return
    parsed = parse_tree(root, rev, tree, worktree)
    try:
        kept = snapshot.keep(path, parsed.rows, parsed.statuses, parsed.reuse)
    except snapshot.ReuseFailed:
        parsed = parse_tree(root, rev, tree, None)
        kept = snapshot.keep(path, parsed.rows, parsed.statuses)
    if kept:
        with snapshot.open_cached(path) as view:
            if view is not None:
                yield AtRevision(view, view.ids())
                return
    if parsed.reuse is not None:  # no kept file to read: nothing lent in memory either
        parsed = parse_tree(root, rev, tree, None)
    with snapshot.open_snapshot(parsed.rows, parsed.statuses) as view:
        yield AtRevision(view, view.ids())


def resolve_at(prefix: str, at: AtRevision, rev: str) -> str:
    """The id ``prefix`` names among the issues at ``rev``; a file there that could
    not be read, and that the prefix names, is the error that says why."""
    try:
        return ids.resolve(prefix, at.ids)
    except NoSuchIssue as exc:
        typed = ids.check_prefix(prefix)
        starts = (f"{ISSUES_DIR}/{typed}", f"{ISSUES_DIR}/{typed[:FAN_WIDTH]}/{typed}")
        broken = [line for line in at.view.problems() if line.startswith(starts)]
        if len(broken) == 1:
            raise GitIssuesError(broken[0]) from None
        raise exc.amended(f" at {rev}") from None


# --- where is it fixed ------------------------------------------------------------

WHERE_LIMIT = 200  # refs read at most, the most recently committed first


@dataclass
class ClosedIn:
    """The branches and tags (short names) where an issue is closed, and how many
    refs were not read because of the bound."""

    refs: list[str] = field(default_factory=list)
    left_out: int = 0


def closed_elsewhere(root: Path, issue_id: str, statuses: dict[str, str],
                     limit: int = WHERE_LIMIT) -> ClosedIn:
    """Where ``issue_id`` is closed, on the branches (local and remote) and tags
    other than the one checked out: one ``git for-each-ref`` and one batched
    read of ``REF:.issues/ID.yml`` for each ref, the newest ``limit`` refs only.
    ``statuses`` (status -> open/closed) are the work tree's config."""
    listing = gitutil.run(["for-each-ref", "--sort=-creatordate",
                           "--format=%(HEAD)%00%(refname)%00%(refname:short)",
                           "refs/heads", "refs/remotes", "refs/tags"], root).stdout
    refs = []
    for line in listing.decode("utf-8", "surrogateescape").splitlines():
        current, full, short = (line.split("\0") + ["", ""])[:3]
        if current != "*" and not full.endswith("/HEAD"):
            refs.append((full, short))
    out = ClosedIn(left_out=max(0, len(refs) - limit))
    with gitutil.BlobReader(root) as blobs:
        for full, short in refs[:limit]:
            for name in names_of(issue_id):  # either layout
                path = f"{ISSUES_DIR}/{name}"
                data = blobs.read(f"{full}:{path}")
                if data is not None:
                    break
            else:
                continue
            try:
                issue = load_text(data, f"{path} at {short}")
            except IssueFileError:
                continue  # broken there: not a place it is known to be fixed
            if statuses.get(issue.status, "open") == "closed":
                out.refs.append(short)
    return out
