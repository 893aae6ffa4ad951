"""What happened to issues between two states, in words: the library behind ``git issues diff``.

A pull request carries its issue changes beside the code; a line diff of YAML
shows them, but a reviewer wants "closed", "labelled bug", "Alice commented".
This module lists the issue files that differ between two states with git's
plumbing (``diff-tree`` / ``diff-index``, renames off: a renamed file is one
issue gone and another opened), reads both versions through one
``git cat-file --batch`` process, and compares the parsed issues with
``changes.compare``: ``log`` describes a change in the same words.

The revision arguments follow ``git diff``: none compares HEAD with the work
tree (staged or not, plus new files not yet added), ``REV`` compares REV with
the work tree, ``A..B`` compares A with B, and ``A...B`` compares the merge
base of A and B with B, which is what a pull request does.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from git_issues.core.changes import (
    FORMATS,
    MARKDOWN,
    TEXT,
    Change,
    compare,
    md_code,
    md_escape,
    phrase,
    unreadable,
)
from git_issues.errors import GitIssuesError, IssueFileError
from git_issues.fileformat.issuefile import load_text, read_bytes
from git_issues.repo import gitutil
from git_issues.repo.config import statuses_or_defaults
from git_issues.repo.store import ISSUES_DIR, issue_stem, path_stem

if TYPE_CHECKING:
    from git_issues.repo.workspace import Workspace

WORKTREE = "working tree"
MARKDOWN_MARKER = "<!-- git-issues diff -->"
_NULL_SHA = {"0" * 40, "0" * 64}
_BLOB_MODES = {"100644", "100755"}


# --- which files differ -------------------------------------------------------

@dataclass(frozen=True)
class Sides:
    """The two states compared: revisions, or None for the work tree."""

    old: str
    new: str | None  # None: the work tree
    old_label: str
    new_label: str


def resolve_range(root: Path, spec: str | None) -> Sides:
    """Turn ``[REV | A..B | A...B]`` into the two states, as ``git diff`` reads them."""
    if not spec:
        head = _commit(root, "HEAD", missing_ok=True)
        return Sides(head or gitutil.empty_tree(root), None, "HEAD" if head else "(no commits)",
                     WORKTREE)
    if "..." in spec:
        left, _, right = spec.partition("...")
        a, b = _commit(root, left or "HEAD"), _commit(root, right or "HEAD")
        base = gitutil.output(["merge-base", a, b], root, check=False)
        if not base:
            raise GitIssuesError(f"'{spec}': {left or 'HEAD'} and {right or 'HEAD'} "
                                 f"have no common ancestor")
        return Sides(base, b, f"merge base of {left or 'HEAD'} and {right or 'HEAD'}",
                     right or "HEAD")
    if ".." in spec:
        left, _, right = spec.partition("..")
        return Sides(_commit(root, left or "HEAD"), _commit(root, right or "HEAD"),
                     left or "HEAD", right or "HEAD")
    return Sides(_commit(root, spec), None, spec, WORKTREE)


def _short_all(label: str) -> str:
    """Full hashes (as CI passes them) shortened the way git shows them."""
    return re.sub(r"\b([0-9a-f]{12})(?:[0-9a-f]{28}|[0-9a-f]{52})\b", r"\1", label)


def _commit(root: Path, rev: str, *, missing_ok: bool = False) -> str | None:
    if rev.startswith("-"):
        raise GitIssuesError(f"'{rev}' is not a revision")
    proc = gitutil.run(["rev-parse", "--verify", "--quiet", "--end-of-options",
                        f"{rev}^{{commit}}"], root, check=False)
    sha = proc.stdout.decode().strip()
    if proc.returncode != 0 or not sha:
        if missing_ok:
            return None
        raise GitIssuesError(f"unknown revision '{rev}'")
    return sha


@dataclass(frozen=True)
class FileChange:
    path: str  # relative to the repository root
    old_blob: str | None  # None: added
    new_blob: str | None  # None: deleted, or read the work tree
    deleted: bool = False


def changed_files(root: Path, sides: Sides) -> list[FileChange]:
    """Issue files that differ between the two states (never config.yml)."""
    pathspec = ["--", f"{ISSUES_DIR}/"]
    if sides.new is None:
        raw = gitutil.run(["diff-index", "-z", "--raw", "--no-renames", sides.old, *pathspec],
                          root).stdout
    else:
        raw = gitutil.run(["diff-tree", "-r", "-z", "--raw", "--no-renames", sides.old,
                           sides.new, *pathspec], root).stdout
    changes = {c.path: c for c in _parse_raw(raw, worktree=sides.new is None)}
    if sides.new is None:
        others = gitutil.run(["ls-files", "-z", "--others", "--exclude-standard", *pathspec],
                             root).stdout
        for name in others.decode("utf-8", "surrogateescape").split("\0"):
            if name and name not in changes:
                changes[name] = FileChange(name, None, None)
    return _moves_paired([changes[p] for p in sorted(changes) if path_stem(p) is not None])


def _moves_paired(changes: list[FileChange]) -> list[FileChange]:
    """An issue moved between the layouts (``git issues layout``) is one change at its
    new path, from its old file's blob (none if the move changed nothing), instead of
    a deletion and an opening: a reviewer of the move sees no issue, not all of them."""
    by_id: dict[str | None, list[FileChange]] = {}
    for change in changes:
        by_id.setdefault(path_stem(change.path), []).append(change)
    out = []
    for group in by_id.values():
        added = [c for c in group if c.old_blob is None and not c.deleted]
        gone = [c for c in group if c.deleted]
        if len(group) != 2 or len(added) != 1 or len(gone) != 1:
            out += group
        elif added[0].new_blob is None or added[0].new_blob != gone[0].old_blob:
            out.append(FileChange(added[0].path, gone[0].old_blob, added[0].new_blob))
    return sorted(out, key=lambda c: c.path)


def _parse_raw(raw: bytes, *, worktree: bool) -> Iterator[FileChange]:
    """``:oldmode newmode oldsha newsha status\\0path\\0`` records."""
    fields = raw.decode("utf-8", "surrogateescape").split("\0")
    for meta, path in zip(fields[0::2], fields[1::2], strict=False):
        if not meta.startswith(":"):
            continue
        old_mode, new_mode, old_sha, new_sha, status = meta[1:].split(" ")
        old = old_sha if old_mode in _BLOB_MODES or old_mode == "120000" else None
        new = new_sha if new_mode in _BLOB_MODES or new_mode == "120000" else None
        if old in _NULL_SHA or old_mode == "000000":
            old = None
        if worktree or new in _NULL_SHA or new_mode == "000000":
            new = None  # the work tree is read from the files: the index's stat may be stale
        yield FileChange(path, old, new, deleted=status == "D")


# --- what changed, in words ---------------------------------------------------

@dataclass
class IssueDiff:
    """One issue's changes, as ``changes.compare`` describes them."""

    id: str
    path: str
    title: str
    kind: str  # opened, changed, deleted
    changes: list[Change] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "path": self.path, "title": self.title, "kind": self.kind,
                "changes": [c.to_dict() for c in self.changes]}


@dataclass
class Report:
    old: str
    new: str
    issues: list[IssueDiff]

    def to_dict(self) -> dict[str, Any]:
        return {"from": self.old, "to": self.new, "issues": [i.to_dict() for i in self.issues]}


def diff(ws: Workspace, spec: str | None = None) -> Report:
    """The issue changes between the two states ``spec`` names (see the module doc)."""
    sides = resolve_range(ws.root, spec)
    files = changed_files(ws.root, sides)
    statuses = statuses_or_defaults(ws.config)
    out: list[IssueDiff] = []
    with gitutil.BlobReader(ws.root) as blobs:
        for change in files:
            old = _version(blobs, change.path, change.old_blob, None)
            new = _version(blobs, change.path, change.new_blob,
                           ws.root if sides.new is None else None)
            if (item := issue_diff(change.path, old, new, statuses)) is not None:
                out.append(item)
    rank = {"opened": 0, "changed": 1, "deleted": 2}
    out.sort(key=lambda d: (rank[d.kind], d.title.lower(), d.id))
    return Report(_short_all(sides.old_label), _short_all(sides.new_label), out)


Version = Any  # Issue | IssueFileError | None (absent)


def _version(blobs: gitutil.BlobReader, path: str, blob: str | None,
             worktree: Path | None) -> Version:
    try:
        if worktree is not None:
            try:
                data, _ = read_bytes(os.path.join(worktree, path), path)
            except FileNotFoundError:
                return None
        elif blob is None:
            return None
        else:
            data = blobs.read(blob)
            if data is None:
                return None
        return load_text(data, path)
    except IssueFileError as exc:
        return exc


def issue_diff(path: str, old: Version, new: Version,
               statuses: dict[str, str]) -> IssueDiff | None:
    """One file's changes from ``old`` to ``new`` (each an Issue, an unreadable file,
    or None); None when nothing changed."""
    stem = issue_stem(path.rpartition("/")[2]) or path
    if old is None and new is None:
        return None
    if isinstance(new, IssueFileError) or isinstance(old, IssueFileError):
        title = _title_of(new) or _title_of(old) or ""
        broken = new if isinstance(new, IssueFileError) else old
        side = "now" if broken is new else "before"
        kind = "deleted" if new is None else "opened" if old is None else "changed"
        return IssueDiff(stem, path, title, kind, [unreadable(side, broken.problem)])
    found = compare(old, new, statuses)
    if not found:
        return None
    shown = new if new is not None else old
    kind = "opened" if old is None else "deleted" if new is None else "changed"
    return IssueDiff(shown.id, path, shown.title, kind, found)


def _title_of(version: Version) -> str | None:
    return getattr(version, "title", None)


# --- formats ------------------------------------------------------------------

def format_report(report: Report, fmt: str) -> str:
    """The report as text, markdown or JSON; text and markdown are empty without changes."""
    if fmt == "json":
        return json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n"
    if fmt == "markdown":
        return report_markdown(report)
    if fmt == "text":
        return report_text(report)
    raise GitIssuesError(f"unknown format '{fmt}' (known: {', '.join(FORMATS)})")


def report_text(report: Report) -> str:
    """One block per issue: its id and title, then one indented line per change."""
    lines: list[str] = []
    for item in report.issues:
        lines.append(f"{item.id}  {item.title}")
        lines.extend("    " + phrase(change, TEXT) for change in item.changes)
    return "".join(line + "\n" for line in lines)


def _headline(item: IssueDiff) -> str:
    """The one word a summary counts an issue under."""
    if item.kind != "changed":
        return item.kind
    types = {change.type for change in item.changes}
    return "closed" if "closed" in types else "reopened" if "reopened" in types else "updated"


def report_markdown(report: Report, limit: int | None = None) -> str:
    """For a pull-request comment; the hidden marker lets CI find and update it.

    ``limit`` (characters) keeps the text within a forge's size for a comment:
    the issues that do not fit are left out whole, and a line says how many.
    """
    if not report.issues:
        return ""
    counts: dict[str, int] = {}
    for item in report.issues:
        counts[_headline(item)] = counts.get(_headline(item), 0) + 1
    summary = ", ".join(f"{n} {kind}" for kind in ("opened", "closed", "reopened", "updated",
                                                    "deleted") if (n := counts.get(kind)))
    total = len(report.issues)
    head = [MARKDOWN_MARKER, f"### Issues: {summary}", ""]
    tail = ["", f"<sub>{total} issue{'s' if total != 1 else ''} · {md_escape(report.old)} → "
                f"{md_escape(report.new)} · <code>git issues diff</code></sub>"]
    blocks = ["\n".join([f"- **{md_escape(item.title)}** {md_code(item.id)}",
                         *("  - " + phrase(change, MARKDOWN) for change in item.changes)])
              for item in report.issues]
    whole = "\n".join(head + blocks + tail) + "\n"
    if limit is None or len(whole) <= limit:
        return whole
    shown = _fitting(blocks, limit - len("\n".join(head + tail)) - _LEFT_OUT_ROOM)
    left = len(blocks) - len(shown)
    shown.append(f"- *{left} more issue{'s' if left != 1 else ''} left out, to keep within "
                 "the forge's size limit of a comment: `git issues diff` lists them all*")
    return "\n".join(head + shown + tail) + "\n"


_LEFT_OUT_ROOM = 200  # characters kept for the line saying how many issues were left out


def _fitting(blocks: list[str], room: int) -> list[str]:
    """The first blocks whose lines fit in ``room`` characters (each with its newline)."""
    shown: list[str] = []
    for block in blocks:
        room -= len(block) + 1
        if room < 0:
            break
        shown.append(block)
    return shown
