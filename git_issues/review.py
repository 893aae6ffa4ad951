"""What happened to issues between two states, in words: the library behind ``git issues diff``.

A pull request carries its issue changes beside the code; a line diff of YAML
shows them, but a reviewer wants "closed", "labelled bug", "Alice commented".
This module lists the issue files that differ between two states with git's
plumbing (``diff-tree`` / ``diff-index``, renames off: a renamed file is one
issue gone and another opened), reads both versions through one
``git cat-file --batch`` process, and compares the parsed issues field by
field.

The revision arguments follow ``git diff``: none compares HEAD with the work
tree (staged or not, plus new files not yet added), ``REV`` compares REV with
the work tree, ``A..B`` compares A with B, and ``A...B`` compares the merge
base of A and B with B, which is what a pull request does.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from git_issues import gitutil
from git_issues.errors import GitIssuesError, IssueFileError
from git_issues.store import ISSUES_DIR, issue_stem

if TYPE_CHECKING:
    from git_issues.model import Issue
    from git_issues.workspace import Workspace

WORKTREE = "working tree"
FORMATS = ("text", "markdown", "json")
MARKDOWN_MARKER = "<!-- git-issues diff -->"
_NULL_SHA = {"0" * 40, "0" * 64}
_BLOB_MODES = {"100644", "100755"}
_FIRST_LINE = 100


# --- reading versions ---------------------------------------------------------

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
        return Sides(head or _empty_tree(root), None, "HEAD" if head else "(no commits)",
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


def _empty_tree(root: Path) -> str:
    return gitutil.output(["hash-object", "-t", "tree", "--stdin"], root, input=b"")


@dataclass(frozen=True)
class FileChange:
    path: str  # relative to the repository root
    old_blob: str | None  # None: added
    new_blob: str | None  # None: deleted, or read the work tree


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
    return [changes[p] for p in sorted(changes) if _is_issue_path(p)]


def _parse_raw(raw: bytes, *, worktree: bool) -> Iterator[FileChange]:
    """``:oldmode newmode oldsha newsha status\\0path\\0`` records."""
    fields = raw.decode("utf-8", "surrogateescape").split("\0")
    for meta, path in zip(fields[0::2], fields[1::2], strict=False):
        if not meta.startswith(":"):
            continue
        old_mode, new_mode, old_sha, new_sha, _status = meta[1:].split(" ")
        old = old_sha if old_mode in _BLOB_MODES or old_mode == "120000" else None
        new = new_sha if new_mode in _BLOB_MODES or new_mode == "120000" else None
        if old in _NULL_SHA or old_mode == "000000":
            old = None
        if worktree or new in _NULL_SHA or new_mode == "000000":
            new = None  # the work tree is read from the files: the index's stat may be stale
        yield FileChange(path, old, new)


def _is_issue_path(path: str) -> bool:
    folder, _, name = path.rpartition("/")
    return folder == ISSUES_DIR and issue_stem(name) is not None


# --- what changed, in words ---------------------------------------------------

@dataclass
class IssueDiff:
    """One issue's changes; ``changes`` are plain dicts, ready for JSON."""

    id: str
    path: str
    title: str
    kind: str  # opened, changed, deleted
    changes: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "path": self.path, "title": self.title, "kind": self.kind,
                "changes": self.changes}


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
    states = _states(ws)
    out: list[IssueDiff] = []
    with gitutil.BlobReader(ws.root) as blobs:
        for change in files:
            old = _version(blobs, change.path, change.old_blob, None)
            new = _version(blobs, change.path, change.new_blob,
                           ws.root if sides.new is None else None)
            if (item := describe(change.path, old, new, states)) is not None:
                out.append(item)
    rank = {"opened": 0, "changed": 1, "deleted": 2}
    out.sort(key=lambda d: (rank[d.kind], d.title.lower(), d.id))
    return Report(_short_all(sides.old_label), _short_all(sides.new_label), out)


def _states(ws: Workspace) -> dict[str, str]:
    """Which statuses count as closed, from the project's config (defaults if it is broken)."""
    try:
        return ws.config().statuses
    except GitIssuesError:
        return {"open": "open", "closed": "closed"}


Version = Any  # Issue | IssueFileError | None (absent)


def _version(blobs: gitutil.BlobReader, path: str, blob: str | None,
             worktree: Path | None) -> Version:
    from git_issues.fileformat import load_text, read_bytes

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


def describe(path: str, old: Version, new: Version, states: dict[str, str]) -> IssueDiff | None:
    """The changes from ``old`` to ``new`` (each an Issue, an unreadable file, or None)."""
    stem = issue_stem(path.rpartition("/")[2]) or path
    if old is None and new is None:
        return None
    if isinstance(new, IssueFileError) or isinstance(old, IssueFileError):
        title = _title_of(new) or _title_of(old) or ""
        broken = new if isinstance(new, IssueFileError) else old
        side = "now" if broken is new else "before"
        kind = "deleted" if new is None else "opened" if old is None else "changed"
        return IssueDiff(stem, path, title, kind,
                         [{"type": "unreadable", "side": side, "problem": broken.problem}])
    if old is None:
        return IssueDiff(new.id, path, new.title, "opened", [_opened(new)])
    if new is None:
        return IssueDiff(old.id, path, old.title, "deleted",
                         [{"type": "deleted", "title": old.title, "status": old.status}])
    changes = compare(old, new, states)
    return IssueDiff(new.id, path, new.title, "changed", changes) if changes else None


def _title_of(version: Version) -> str | None:
    return getattr(version, "title", None)


def _opened(issue: Issue) -> dict[str, Any]:
    return {"type": "opened", "title": issue.title, "status": issue.status,
            "labels": list(issue.labels), "priority": issue.priority,
            "assignees": list(issue.assignees), "milestone": issue.milestone,
            "author": issue.author}


def compare(old: Issue, new: Issue, states: dict[str, str]) -> list[dict[str, Any]]:
    """Field-by-field changes between two versions of one issue, in a reader's order."""
    out: list[dict[str, Any]] = []
    _status(old, new, states, out)
    if old.title != new.title:
        out.append({"type": "retitled", "from": old.title, "to": new.title})
    added = [x for x in new.labels if x not in old.labels]
    removed = [x for x in old.labels if x not in new.labels]
    if added or removed:
        out.append({"type": "labels", "added": added, "removed": removed})
    added = [x for x in new.assignees if x not in old.assignees]
    removed = [x for x in old.assignees if x not in new.assignees]
    if added or removed:
        out.append({"type": "assignees", "added": added, "removed": removed})
    for name in ("milestone", "priority"):
        before, after = getattr(old, name), getattr(new, name)
        if before != after:
            out.append({"type": name, "from": before, "to": after})
    if old.body != new.body:
        plus, minus = _line_counts(old.body, new.body)
        out.append({"type": "body", "added_lines": plus, "removed_lines": minus})
    _links(old, new, out)
    _comments(old, new, out)
    _other_fields(old, new, out)
    return out


def _status(old: Issue, new: Issue, states: dict[str, str], out: list[dict]) -> None:
    if old.status == new.status:
        if old.closed != new.closed:
            out.append({"type": "field", "field": "closed", "from": old.closed,
                        "to": new.closed})
        return
    was, now = states.get(old.status, "open"), states.get(new.status, "open")
    if was == "open" and now == "closed":
        out.append({"type": "closed", "status": new.status, "from": old.status})
    elif was == "closed" and now == "open":
        out.append({"type": "reopened", "status": new.status, "from": old.status})
    else:
        out.append({"type": "status", "from": old.status, "to": new.status})


def _line_counts(before: str, after: str) -> tuple[int, int]:
    plus = minus = 0
    matcher = difflib.SequenceMatcher(None, before.splitlines(), after.splitlines(),
                                      autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op != "equal":
            minus += i2 - i1
            plus += j2 - j1
    return plus, minus


def _links(old: Issue, new: Issue, out: list[dict]) -> None:
    def pairs(issue: Issue) -> list[tuple[str, str]]:
        return [(kind, other) for kind, ids in issue.links.items() for other in ids]

    before, after = pairs(old), pairs(new)
    added = [{"kind": k, "id": i} for k, i in after if (k, i) not in before]
    removed = [{"kind": k, "id": i} for k, i in before if (k, i) not in after]
    if added or removed:
        out.append({"type": "links", "added": added, "removed": removed})


def _comments(old: Issue, new: Issue, out: list[dict]) -> None:
    before = {c.id: c for c in old.comments}
    after = {c.id: c for c in new.comments}
    for comment in new.comments:
        previous = before.get(comment.id)
        if previous is None:
            out.append({"type": "comment", "id": comment.id, "author": comment.author,
                        "date": comment.date, "first_line": first_line(comment.body)})
        elif previous != comment:
            out.append({"type": "comment_edited", "id": comment.id, "author": comment.author,
                        "first_line": first_line(comment.body)})
    for comment in old.comments:
        if comment.id not in after:
            out.append({"type": "comment_deleted", "id": comment.id, "author": comment.author,
                        "first_line": first_line(comment.body)})


def _other_fields(old: Issue, new: Issue, out: list[dict]) -> None:
    """Fields a reviewer rarely sees change (author, created, unknown keys): name them."""
    for name in ("author", "created"):
        if getattr(old, name) != getattr(new, name):
            out.append({"type": "field", "field": name, "from": getattr(old, name),
                        "to": getattr(new, name)})
    for key in dict.fromkeys([*old.extra, *new.extra]):
        if old.extra.get(key) != new.extra.get(key):
            out.append({"type": "field", "field": key, "from": old.extra.get(key),
                        "to": new.extra.get(key)})


def first_line(text: str) -> str:
    """The first non-blank line, shortened: enough to recognise a comment."""
    for line in text.splitlines():
        if line.strip():
            line = line.strip()
            return line if len(line) <= _FIRST_LINE else line[: _FIRST_LINE - 1] + "…"
    return ""


# --- formats ------------------------------------------------------------------

def render(report: Report, fmt: str) -> str:
    """The report as text, markdown or JSON; text and markdown are empty without changes."""
    if fmt == "json":
        return json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n"
    if fmt == "markdown":
        return render_markdown(report)
    if fmt == "text":
        return render_text(report)
    raise GitIssuesError(f"unknown format '{fmt}' (known: {', '.join(FORMATS)})")


def _priority(value: int | None) -> str:
    return "none" if value is None else f"P{value}"


def phrase(change: dict[str, Any], quote: Any = repr, code: Any = str, name: Any = str) -> str:
    """One change as words.

    The format styles user text: ``quote`` for free text (titles, comments),
    ``code`` for words (labels, ids, statuses), ``name`` for people.
    """
    kind = change["type"]
    if kind == "opened":
        facts = [f"status {code(change['status'])}"] if change["status"] != "open" else []
        if change["priority"] is not None:
            facts.append(_priority(change["priority"]))
        if change["labels"]:
            facts.append("labels " + ", ".join(code(x) for x in change["labels"]))
        if change["assignees"]:
            facts.append("assigned to " + ", ".join(name(x) for x in change["assignees"]))
        if change["milestone"]:
            facts.append("milestone " + quote(change["milestone"]))
        by = f" by {name(change['author'])}" if change["author"] else ""
        return f"opened{by}" + (": " + "; ".join(facts) if facts else "")
    if kind == "deleted":
        return "deleted (the file was removed)"
    if kind in ("closed", "reopened"):
        plain = "closed" if kind == "closed" else "open"
        shown = "" if change["status"] == plain else f" as {code(change['status'])}"
        return f"{kind}{shown}"
    if kind == "status":
        return f"status {code(change['from'])} -> {code(change['to'])}"
    if kind == "retitled":
        return f"retitled {quote(change['from'])} -> {quote(change['to'])}"
    if kind == "labels":
        parts = [f"+{code(x)}" for x in change["added"]]
        parts += [f"-{code(x)}" for x in change["removed"]]
        return "labels " + " ".join(parts)
    if kind == "assignees":
        added, removed = change["added"], change["removed"]
        if not removed:
            return "assigned to " + ", ".join(name(x) for x in added)
        if not added:
            return "unassigned " + ", ".join(name(x) for x in removed)
        return "assignees " + " ".join([*(f"+{name(x)}" for x in added),
                                        *(f"-{name(x)}" for x in removed)])
    if kind == "milestone":
        if not change["to"]:
            return f"milestone removed (was {quote(change['from'])})"
        if not change["from"]:
            return f"milestone {quote(change['to'])}"
        return f"milestone {quote(change['from'])} -> {quote(change['to'])}"
    if kind == "priority":
        return f"priority {_priority(change['from'])} -> {_priority(change['to'])}"
    if kind == "body":
        return f"description edited (+{change['added_lines']} -{change['removed_lines']} lines)"
    if kind == "links":
        parts = [f"+{link['kind']} {code(link['id'])}" for link in change["added"]]
        parts += [f"-{link['kind']} {code(link['id'])}" for link in change["removed"]]
        return "links " + ", ".join(parts)
    if kind in ("comment", "comment_edited", "comment_deleted"):
        verb = {"comment": "comment", "comment_edited": "comment edited",
                "comment_deleted": "comment deleted"}[kind]
        author = f" by {name(change['author'])}" if change["author"] else ""
        text = f": {quote(change['first_line'])}" if change["first_line"] else ""
        return f"{verb}{author}{text}"
    if kind == "field":
        return f"{change['field']} {quote(change['from'])} -> {quote(change['to'])}"
    if kind == "unreadable":
        return f"cannot be read ({change['side']}): {change['problem']}"
    return kind


def _quote_text(value: Any) -> str:
    return "none" if value is None else json.dumps(value, ensure_ascii=False)


def _name_text(value: Any) -> str:
    return "nobody" if value is None else str(value)


def render_text(report: Report) -> str:
    lines: list[str] = []
    for item in report.issues:
        lines.append(f"{item.id}  {item.title}")
        for change in item.changes:
            lines.append("    " + phrase(change, quote=_quote_text, name=_name_text))
    return "".join(line + "\n" for line in lines)


_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_{}[]()#+!|~"} | {
    "<": "&lt;", ">": "&gt;", "&": "&amp;", "\n": " ", "\r": " "})


def _headline(item: IssueDiff) -> str:
    """The one word a summary counts an issue under."""
    if item.kind != "changed":
        return item.kind
    types = {change["type"] for change in item.changes}
    return "closed" if "closed" in types else "reopened" if "reopened" in types else "updated"


def md_escape(value: Any) -> str:
    """User text shown literally: no markdown, no HTML, no line breaks."""
    return "none" if value is None else str(value).translate(_MD_SPECIAL)


def md_quote(value: Any) -> str:
    return "none" if value is None else f"“{md_escape(value)}”"


def md_code(value: Any) -> str:
    text = str(value)
    if "`" in text or "\n" in text or not text.strip():
        return md_escape(text)
    return f"`{text}`"


def render_markdown(report: Report) -> str:
    """For a pull-request comment; the hidden marker lets CI find and update it."""
    if not report.issues:
        return ""
    counts: dict[str, int] = {}
    for item in report.issues:
        counts[_headline(item)] = counts.get(_headline(item), 0) + 1
    summary = ", ".join(f"{n} {kind}" for kind in ("opened", "closed", "reopened", "updated",
                                                    "deleted") if (n := counts.get(kind)))
    total = len(report.issues)
    out = [MARKDOWN_MARKER, f"### Issues: {summary}", ""]
    for item in report.issues:
        out.append(f"- **{md_escape(item.title)}** {md_code(item.id)}")
        for change in item.changes:
            out.append("  - " + phrase(change, quote=md_quote, code=md_code, name=md_escape)
                       .replace(" -> ", " → "))
    out.append("")
    out.append(f"<sub>{total} issue{'s' if total != 1 else ''} · {md_escape(report.old)} → "
               f"{md_escape(report.new)} · <code>git issues diff</code></sub>")
    return "\n".join(out) + "\n"
