"""An issue's history from git: who changed which field from what to what.

Git already records every version of an issue file, so nothing is stored for
history: ``git log --follow -m`` lists the commits that touched the file, one
``git cat-file --batch`` fetches every version needed, and each commit's
version is compared with its parents' by ``changes.compare``, the comparison
``diff`` makes too.  Two git processes per call whatever the length of the
history.

Merges are compared with every parent and show only what differs from all of
them (a conflict resolved to a new value); what a branch brought in is shown
on that branch's own commits.  A version that is not a valid issue is
reported on its commit and skipped, never fatal: the next valid version is
compared with the last valid one.  Uncommitted changes come first, newest on
top (not staged, then staged), marked as such.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from git_issues.core import ids as ids_mod
from git_issues.core.changes import Change, compare
from git_issues.core.ids import ID_RE
from git_issues.core.model import Issue
from git_issues.errors import IssueFileError, NoSuchIssue
from git_issues.fileformat.issuefile import load_text, read_bytes
from git_issues.repo import gitutil
from git_issues.repo.config import statuses_or_defaults
from git_issues.repo.store import ISSUES_DIR, file_name
from git_issues.repo.workspace import Workspace

COMMITTED, STAGED, UNSTAGED = "committed", "staged", "unstaged"
_RS, _US = "\x1e", "\x1f"
_LOG_FORMAT = f"{_RS}%H{_US}%P{_US}%an <%ae>{_US}%aI{_US}%s"
Statuses = dict[str, str]  # each status to open or closed


@dataclass
class Entry:
    """One commit (or the uncommitted state) and what it changed in the issue."""

    state: str  # committed, staged or unstaged
    commit: str | None = None
    author: str | None = None
    date: str | None = None
    subject: str = ""
    changes: list[Change] = field(default_factory=list)
    error: str | None = None  # this version is not a valid issue

    def to_dict(self) -> dict[str, Any]:
        return {
            "state": self.state, "commit": self.commit, "author": self.author,
            "date": self.date, "subject": self.subject,
            "changes": [c.to_dict() for c in self.changes], "error": self.error,
        }


@dataclass
class _Commit:
    sha: str
    parents: list[str]
    author: str
    date: str
    subject: str
    path: str  # the file's path in this commit
    parent_path: str  # its path in the parents (differs after a rename)


# --- reading versions from git ---------------------------------------------------

def _parse_log(text: str, path: str) -> list[_Commit]:
    """Records of ``git log -m --name-status``; a merge appears once per parent."""
    commits: dict[str, _Commit] = {}
    current = path  # walking back in time, a rename changes the path of older commits
    for record in text.split(_RS)[1:]:
        header, _, rest = record.partition("\n")
        sha, parents, author, date, subject = (header.split(_US) + [""] * 5)[:5]
        new_path = old_path = current
        for line in rest.splitlines():
            parts = line.split("\t")
            if len(parts) >= 2:
                new_path = parts[-1]
                old_path = parts[1] if parts[0][:1] in ("R", "C") else new_path
                break
        if sha not in commits:
            commits[sha] = _Commit(sha, parents.split(), author, date, subject,
                                   new_path, old_path)
        current = old_path
    return list(commits.values())


def _fetch(root: Path, specs: list[str]) -> dict[str, bytes | None]:
    """Many ``rev:path`` blobs through one ``git cat-file --batch``; None when missing."""
    specs = list(dict.fromkeys(specs))
    if not specs:
        return {}
    with gitutil.BlobReader(root) as reader:
        return {spec: reader.read(spec) for spec in specs}


def _parse(data: bytes | IssueFileError | None, path: str,
           where: str) -> Issue | IssueFileError | None:
    """One version: the issue, None when there is no file, or why it is not a valid issue."""
    if data is None or isinstance(data, IssueFileError):
        return data  # absent, or already known to be unreadable
    shown = f"{path} {where}"
    try:
        issue = load_text(data, shown)
    except IssueFileError as exc:
        return exc
    if file_name(issue.id) != Path(path).name:
        return IssueFileError(shown, f"id '{issue.id}' does not match the file name")
    return issue


# --- the history -------------------------------------------------------------------

def resolve_for_log(ws: Workspace, prefix: str) -> str:
    """An id from the folder; a full id whose file is gone still has a history."""
    candidate = ids_mod.check_prefix(prefix)
    known = ws.store.ids()
    if ID_RE.fullmatch(candidate) and not any(i.startswith(candidate) for i in known):
        return candidate
    return ids_mod.resolve(candidate, known)


def history(ws: Workspace, prefix: str) -> list[Entry]:
    """The issue's history, newest first, uncommitted changes at the top."""
    issue_id = resolve_for_log(ws, prefix)
    path = f"{ISSUES_DIR}/{ws.store.name(issue_id)}"  # where it is, in either layout
    proc = gitutil.run(["log", "--follow", "-m", "--name-status", "--no-color",
                        f"--format={_LOG_FORMAT}", "--", path], ws.root, check=False)
    log = proc.stdout.decode("utf-8", "replace") if proc.returncode == 0 else ""
    commits = _parse_log(log, path)
    has_head = gitutil.run(["rev-parse", "-q", "--verify", "HEAD"], ws.root,
                           check=False).returncode == 0
    specs = [f"{c.sha}:{c.path}" for c in commits]
    specs += [f"{p}:{c.parent_path}" for c in commits for p in c.parents]
    specs += ([f"HEAD:{path}"] if has_head else []) + [f":{path}"]
    blobs = _fetch(ws.root, specs)
    statuses = statuses_or_defaults(ws.config)
    entries = _uncommitted(ws, issue_id, path, blobs, has_head, statuses)
    entries += _committed(commits, blobs, statuses)
    if not entries:
        raise NoSuchIssue(f"no issue '{issue_id}' in the work tree or in git's history")
    return entries


def _uncommitted(ws: Workspace, issue_id: str, path: str, blobs: dict[str, bytes | None],
                 has_head: bool, statuses: Statuses) -> list[Entry]:
    head = blobs.get(f"HEAD:{path}") if has_head else None
    staged = blobs.get(f":{path}")
    work = _work_tree_version(ws, issue_id, path)
    entries = []
    if work != staged:
        entries.append(_entry(Entry(UNSTAGED), staged, work, path, ("the index", "work tree"),
                              statuses))
    if staged != head:
        entries.append(_entry(Entry(STAGED), head, staged, path, ("HEAD", "the index"),
                              statuses))
    return entries


def _work_tree_version(ws: Workspace, issue_id: str, path: str) -> bytes | IssueFileError | None:
    """The guarded reader: a FIFO, a symlink or a huge file in the work tree must
    neither hang nor flood ``log``; such a file shows as unreadable, like a broken one."""
    try:
        return read_bytes(str(ws.store.path(issue_id)), path)[0]
    except FileNotFoundError:
        return None
    except IssueFileError as exc:
        return IssueFileError(f"{path} in work tree", exc.problem)


def _entry(entry: Entry, old: bytes | IssueFileError | None, new: bytes | IssueFileError | None,
           path: str, where: tuple[str, str], statuses: Statuses) -> Entry:
    before = _parse(old, path, f"in {where[0]}")
    after = _parse(new, path, f"in {where[1]}")
    if isinstance(after, IssueFileError):
        entry.error = str(after)
    else:
        entry.changes = compare(None if isinstance(before, IssueFileError) else before,
                                after, statuses)
    return entry


def _committed(commits: list[_Commit], blobs: dict[str, bytes | None],
               statuses: Statuses) -> list[Entry]:
    entries = []
    last_good: Issue | None = None
    for commit in reversed(commits):  # oldest first, so "last valid version" is known
        entry = Entry(COMMITTED, commit.sha, commit.author, commit.date, commit.subject)
        short = commit.sha[:10]
        new = _parse(blobs.get(f"{commit.sha}:{commit.path}"), commit.path, f"at {short}")
        if isinstance(new, IssueFileError):
            entry.error = str(new)
            entries.append(entry)
            continue
        olds = [_parse(blobs.get(f"{p}:{commit.parent_path}"), commit.parent_path, f"at {p[:10]}")
                for p in commit.parents] or [None]
        first = olds[0] if not isinstance(olds[0], IssueFileError) else last_good
        entry.changes = compare(first, new, statuses)
        if len(olds) > 1:  # a merge: only what differs from every parent is its own
            entry.changes = _merge_own(entry.changes, olds[1:], new, statuses)
        if new is not None:
            last_good = new
        if entry.changes:
            entries.append(entry)
    return entries[::-1]


def _merge_own(changes: list[Change], others: list[Any], new: Issue | None,
               statuses: Statuses) -> list[Change]:
    def keys(old: Any) -> set[tuple[str, str | None]]:
        base = None if isinstance(old, IssueFileError) else old
        return {c.key for c in compare(base, new, statuses)}

    common = set.intersection(*(keys(old) for old in others))
    return [c for c in changes if c.key in common]
