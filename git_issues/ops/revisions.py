"""The issues as they were at a revision: ``ls --at REV`` and ``show ID --at REV``.

Because the issues live beside the code, a tag says what the issues were
when it was made.  They are read from git's objects: one ``git ls-tree`` of
``.issues/`` at the revision and one ``git cat-file --batch`` for every file
(``gitutil.BlobReader``).  Nothing is checked out; the work tree, git's index
and the tool's own index of the work tree are left as they were.  The parsed
issues go into an index of their own (``index.snapshot``), so every filter and
sort of ``ls`` means the same at a revision; it is kept in the state folder
under the tree's id, which never changes meaning, so the next read of the
same tree parses nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from git_issues.core import ids
from git_issues.core.model import Issue
from git_issues.core.rules import DEFAULT_STATUSES
from git_issues.errors import GitIssuesError, IssueFileError, NoSuchIssue
from git_issues.fileformat.issuefile import load_text
from git_issues.index import snapshot
from git_issues.index.query import IndexView
from git_issues.repo import config, gitutil
from git_issues.repo.store import CONFIG_NAME, ISSUES_DIR, file_name, issue_stem

TREES_DIR = "trees"  # in the state folder: one index per tree of .issues/
_FILE_MODES = {"100644", "100755"}


@dataclass
class Tree:
    """What ``.issues/`` held at a revision: its issues, the files that could not be
    read (one line each), and the statuses its config defined."""

    rev: str
    issues: dict[str, Issue] = field(default_factory=dict)  # id -> issue
    problems: list[tuple[str, str]] = field(default_factory=list)  # file name, error line
    statuses: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_STATUSES))
    names: dict[str, str] = field(default_factory=dict)  # id -> file name


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


def read_tree(root: Path, rev: str, tree: str | None = None) -> Tree:
    """Every issue at ``rev`` (``tree``: the id of its ``.issues/``, if known)."""
    out = Tree(rev)
    if tree is None:
        tree = tree_id(root, rev)
    if tree is None:
        return out
    listing = gitutil.run(["ls-tree", "-z", tree], root).stdout
    entries = []
    for record in listing.decode("utf-8", "surrogateescape").split("\0"):
        meta, tab, name = record.partition("\t")
        if tab:
            mode, kind, sha = meta.split(" ")
            entries.append((mode, kind, sha, name))
    with gitutil.BlobReader(root) as blobs:
        for mode, kind, sha, name in entries:
            if name == CONFIG_NAME and kind == "blob":
                data = blobs.read(sha)
                out.statuses = config.statuses_or_defaults(lambda d=data: config.parse(d or b""))
            elif issue_stem(name) is not None:
                _read_issue(out, blobs, mode, sha, name)
    return out


def _read_issue(out: Tree, blobs: gitutil.BlobReader, mode: str, sha: str, name: str) -> None:
    """One file of the tree into ``out``: its issue, or the line that says why not."""
    shown = f"{ISSUES_DIR}/{name} at {out.rev}"
    try:
        data = blobs.read(sha) if mode in _FILE_MODES else None
        if data is None:
            raise IssueFileError(shown, "not a regular file")
        issue = load_text(data, shown)
        if name != file_name(issue.id):
            raise IssueFileError(shown, f"id '{issue.id}' does not match the file name")
    except IssueFileError as exc:
        out.problems.append((name, str(exc)))
        return
    out.issues[issue.id] = issue
    out.names[issue.id] = name


@dataclass
class AtRevision:
    """An open index of the issues at a revision, and every id it holds."""

    view: IndexView
    ids: list[str]


@contextmanager
def open_at(root: Path, state_dir: Path, rev: str) -> Iterator[AtRevision]:
    """The index of the issues at ``rev``: the kept one of its tree, else built from
    the tree (and kept, when the state folder can be written)."""
    tree = tree_id(root, rev)
    path = snapshot.cache_path(state_dir / TREES_DIR, tree) if tree else None
    if path is not None:
        with snapshot.open_cached(path) as view:
            if view is not None:
                yield AtRevision(view, view.ids())
                return
    found = read_tree(root, rev, tree)
    rows = snapshot.records([(found.names[i], issue) for i, issue in found.issues.items()],
                            found.problems, found.statuses)
    if path is not None:
        snapshot.keep(path, rows, found.statuses)
    with snapshot.open_snapshot(rows, found.statuses) as view:
        yield AtRevision(view, sorted(found.issues))


def resolve_at(prefix: str, at: AtRevision, rev: str) -> str:
    """The id ``prefix`` names among the issues at ``rev``; a file there that could
    not be read, and that the prefix names, is the error that says why."""
    try:
        return ids.resolve(prefix, at.ids)
    except NoSuchIssue as exc:
        start = f"{ISSUES_DIR}/{ids.check_prefix(prefix)}"
        broken = [line for line in at.view.problems() if line.startswith(start)]
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
    path = f"{ISSUES_DIR}/{file_name(issue_id)}"
    with gitutil.BlobReader(root) as blobs:
        for full, short in refs[:limit]:
            data = blobs.read(f"{full}:{path}")
            if data is None:
                continue
            try:
                issue = load_text(data, f"{path} at {short}")
            except IssueFileError:
                continue  # broken there: not a place it is known to be fixed
            if statuses.get(issue.status, "open") == "closed":
                out.refs.append(short)
    return out
