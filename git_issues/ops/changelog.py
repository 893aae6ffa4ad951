"""Release notes from the issues: ``git issues changelog A..B``.

The issues live in the code's history, so what a release closed is a
comparison of two revisions: the issues closed at B that were open (or not
there yet) at A, then those opened since A and still open at B.  Only the
files that differ between the two trees are read (``git diff-tree`` and one
``git cat-file --batch``, as ``diff`` does); each side's status means what its
own ``config.yml`` says.  An issue closed and reopened within the range is
open at B, so it is not listed as closed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from git_issues.core.changes import md_code, md_escape
from git_issues.core.model import Issue
from git_issues.core.rules import DEFAULT_STATUSES
from git_issues.errors import GitIssuesError, IssueFileError
from git_issues.fileformat.issuefile import load_text
from git_issues.ops.review import changed_files, resolve_range
from git_issues.repo import config, gitutil
from git_issues.repo.store import CONFIG_PATH

FORMATS = ("markdown", "json", "text")
GROUPS = (("bug", "Bugs"), ("feature", "Features"), ("", "Other"))  # label, heading
_RANK = {name: rank for rank, (name, _) in enumerate(GROUPS)}
# owner/repo#12 as is: on GitHub it links to the issue (the repository's name was
# checked when the file was read); anything else is escaped.
_FORGE_REF = re.compile(r"[\w.-]+/[\w.-]+#[0-9]+")


@dataclass
class Entry:
    """One issue in the notes: its id, title, labels and where a forge knows it."""

    id: str
    title: str
    labels: list[str]
    forge: str | None  # "owner/repo#12"
    group: str  # bug, feature or "" (other)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "labels": self.labels, "forge": self.forge,
                "group": self.group or "other"}


@dataclass
class Changelog:
    old: str
    new: str
    closed: list[Entry] = field(default_factory=list)
    opened: list[Entry] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # files that could not be read

    def to_dict(self) -> dict[str, Any]:
        return {"from": self.old, "to": self.new,
                "closed": [e.to_dict() for e in self.closed],
                "opened": [e.to_dict() for e in self.opened]}


def forge_ref(issue: Issue) -> str | None:
    """``owner/repo#12`` for an issue a forge numbered (any origin with a number)."""
    for value in issue.origin.values():
        if isinstance(value, dict) and value.get("number") is not None:
            return f"{value.get('repo', '')}#{value['number']}"
    return None


def _entry(issue: Issue) -> Entry:
    labels = [label.lower() for label in issue.labels]
    group = next((name for name, _ in GROUPS if name and name in labels), "")
    return Entry(issue.id, issue.title, list(issue.labels), forge_ref(issue), group)


def changelog(root: Path, spec: str) -> Changelog:
    """The issues closed, then opened and still open, between the two revisions of
    ``A..B`` (or ``A...B``: from their merge base)."""
    if ".." not in spec:
        raise GitIssuesError(f"'{spec}': give a range, A..B (from A to B)")
    sides = resolve_range(root, spec)
    assert sides.new is not None
    notes = Changelog(sides.old_label, sides.new_label)
    with gitutil.BlobReader(root) as blobs:
        old_states = _statuses(blobs, sides.old)
        new_states = _statuses(blobs, sides.new)
        for change in changed_files(root, sides):
            before = _issue(blobs, change.old_blob, change.path, sides.old_label, notes)
            after = _issue(blobs, change.new_blob, change.path, sides.new_label, notes)
            if after is None:
                continue
            open_now = new_states.get(after.status, "open") == "open"
            open_before = before is not None and old_states.get(before.status, "open") == "open"
            if not open_now and (before is None or open_before):
                notes.closed.append(_entry(after))
            elif open_now and before is None:
                notes.opened.append(_entry(after))
    for entries in (notes.closed, notes.opened):
        entries.sort(key=lambda e: (_RANK[e.group], e.title.lower(), e.id))
    return notes


def _statuses(blobs: gitutil.BlobReader, rev: str) -> dict[str, str]:
    data = blobs.read(f"{rev}:{CONFIG_PATH}")
    if data is None:
        return dict(DEFAULT_STATUSES)
    return config.statuses_or_defaults(lambda: config.parse(data))


def _issue(blobs: gitutil.BlobReader, blob: str | None, path: str, label: str,
           notes: Changelog) -> Issue | None:
    if blob is None:
        return None
    data = blobs.read(blob)
    if data is None:
        return None
    try:
        return load_text(data, f"{path} at {label}")
    except IssueFileError as exc:
        notes.problems.append(str(exc))
        return None


# --- formats ------------------------------------------------------------------

def format_changelog(notes: Changelog, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(notes.to_dict(), ensure_ascii=False, indent=2) + "\n"
    if fmt == "markdown":
        return _markdown(notes)
    if fmt == "text":
        return _text(notes)
    raise GitIssuesError(f"unknown format '{fmt}' (known: {', '.join(FORMATS)})")


def _sections(notes: Changelog) -> list[tuple[str, list[tuple[str, list[Entry]]]]]:
    """The two headings, each with its non-empty groups in order."""
    out = []
    for heading, entries in (("Closed", notes.closed), ("Opened, still open", notes.opened)):
        groups = [(title, [e for e in entries if e.group == name]) for name, title in GROUPS]
        groups = [(title, members) for title, members in groups if members]
        if groups:
            out.append((heading, groups))
    return out


def _nothing(notes: Changelog) -> str:
    return f"No issue was closed or opened from {notes.old} to {notes.new}.\n"


def _markdown(notes: Changelog) -> str:
    sections = _sections(notes)
    if not sections:
        return _nothing(notes)
    out = [f"# Issues from {md_escape(notes.old)} to {md_escape(notes.new)}"]
    for heading, groups in sections:
        out += ["", f"## {heading}"]
        for title, entries in groups:
            out += ["", f"### {title}", ""]
            for e in entries:
                forge = "" if not e.forge else f", {e.forge}" \
                    if _FORGE_REF.fullmatch(e.forge) else f", {md_escape(e.forge)}"
                out.append(f"- {md_escape(e.title)} ({md_code(e.id)}{forge})")
    return "\n".join(out) + "\n"


def _text(notes: Changelog) -> str:
    sections = _sections(notes)
    if not sections:
        return _nothing(notes)
    out: list[str] = []
    for heading, groups in sections:
        out.append(heading)
        for title, entries in groups:
            out.append(f"  {title}")
            for e in entries:
                out.append(f"    {e.id}  {e.title}" + (f"  ({e.forge})" if e.forge else ""))
    return "\n".join(out) + "\n"
