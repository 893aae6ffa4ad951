"""A three-way merge of one issue file: what git's merge driver runs.

git merges text line by line, which is wrong for issues in both directions:
two comments appended on two branches touch the same lines and conflict,
while a title changed two ways on the same line is a real disagreement.  This
module merges the *fields* instead.  Each side is compared with the common
ancestor (the base):

- comments are a union by comment id (an edit or deletion on one side
  applies), ordered by date, then id;
- labels, assignees and links are sets: an addition on either side is
  added, a removal on either side is removed;
- the id is the file's name: a change to it on either side is a conflict;
- every other field (title, status, priority, milestone, author, body,
  created, closed, unknown keys) is taken from the side that changed it.  The
  same change on both sides is fine; two different changes are a conflict,
  and only that field's lines are wrapped in git-style conflict markers, so
  ``git issues check`` reports the file and ``ls`` names it while listing the
  rest.  One agreement is recognised: both sides closing the issue into the
  same status keeps the earlier ``closed`` time (the two states agree; only
  the clocks differ).

The result is always the canonical text.  A side that does not parse falls
back to git's own line merge (``git merge-file``), and a clean line merge
that still does not parse is reported as a conflict, so nothing broken ever
passes silently.

Registering the driver with git is ``registration.py``'s job.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from git_issues.core.model import ISSUE_KEYS, ValidationError, issue_from_dict
from git_issues.errors import GitIssuesError, IssueFileError
from git_issues.repo import gitutil
from git_issues.repo.store import issue_stem

if TYPE_CHECKING:
    from git_issues.core.model import Issue

LABELS = ("ours", "base", "theirs")
MARKER_SIZE = 7


class Markers(NamedTuple):
    """What the conflict markers say: git's labels for each side, and their length."""

    ours: str = LABELS[0]
    base: str = LABELS[1]
    theirs: str = LABELS[2]
    size: int = MARKER_SIZE


DEFAULT_MARKERS = Markers()

_MISSING: Any = object()  # a field absent on one side, distinct from any value
_NO_BASE: Any = object()  # add/add: no ancestor, equal to nothing, so every difference clashes


@dataclass
class MergeResult:
    """The merged text and what, if anything, a person has to resolve."""

    text: bytes
    conflicts: list[str] = field(default_factory=list)  # field names, in file order
    collision: bool = False  # both sides added the file (no base)
    fallback: str | None = None  # why the semantic merge could not be used

    @property
    def clean(self) -> bool:
        return not self.conflicts

    def messages(self, path: str) -> list[str]:
        """What the driver tells the person running ``git merge``, one line each."""
        out: list[str] = []
        if self.fallback:
            out.append(f"{path}: {self.fallback}; merged line by line")
        if self.collision:
            out.append(
                f"{path}: both sides added this issue with different content (an id "
                f"collision): if these are two issues, keep one and re-create the other "
                f"with 'git issues new'; if one, resolve the marked fields")
        fields = ", ".join(name for name in self.conflicts if name != "id")
        if "id" in self.conflicts and not self.fallback:
            out.append(f"{path}: the id changed, and an id never changes (it is the file's "
                       f"name): keep the id the name holds, then 'git issues check' and "
                       f"'git add'")
        if fields and not self.fallback:
            out.append(f"{path}: both sides changed {fields} differently; the file marks "
                       f"only those lines: resolve them, then 'git issues check' and 'git add'")
        elif self.conflicts and self.fallback:
            out.append(f"{path}: {self.conflicts[0]}")
        return out


# --- the semantic merge -------------------------------------------------------

def merge_issues(base: Issue | None, ours: Issue, theirs: Issue, *,
                 diff3: bool = False, markers: Markers = DEFAULT_MARKERS) -> MergeResult:
    """Merge two versions of an issue against their common ancestor.

    ``base`` is None when both sides added the file: with nothing to compare
    against, every field that differs is a conflict (an id collision).
    """
    from git_issues.fileformat.issuefile import dump_issue

    old = base.to_dict() if base is not None else None
    a, b = ours.to_dict(), theirs.to_dict()
    order = _key_order(old or {}, a, b)
    merged, conflicts = _merge_mappings(old, a, b, order)
    if not conflicts:
        try:
            text = dump_issue(issue_from_dict(merged))
        except ValidationError as exc:  # cannot happen field by field; never hide it if it does
            everything = {key: (a.get(key, _MISSING), b.get(key, _MISSING)) for key in order}
            return MergeResult(_marked_text(old, {}, everything, order, diff3, markers),
                               [f"the merged issue is invalid: {exc}"])
        return MergeResult(text.encode("utf-8"))
    return MergeResult(_marked_text(old, merged, conflicts, order, diff3, markers), list(conflicts),
                       collision=base is None)


# A merge of one field: (value, None) when clean, (_MISSING, (ours, theirs)) on a
# conflict, where ours/theirs are the field as each side would have it after
# everything else merged (so taking either side loses nothing from the other).
FieldMerge = tuple[Any, "tuple[Any, Any] | None"]


def _merge_mappings(old: dict | None, a: dict, b: dict, order: list[str]
                    ) -> tuple[dict[str, Any], dict[str, tuple[Any, Any]]]:
    """The merged fields, and each conflicted field's two versions, in file order."""
    merged: dict[str, Any] = {}
    conflicts: dict[str, tuple[Any, Any]] = {}
    for key in order:
        o = _NO_BASE if old is None else old.get(key, _MISSING)
        x, y = a.get(key, _MISSING), b.get(key, _MISSING)
        merge = _FIELD_MERGES.get(key, _pick) if old is not None else _pick
        value, clash = merge(o, x, y)
        if clash is not None:
            conflicts[key] = clash
        elif value is not _MISSING:
            merged[key] = value
    _agree_on_closing(old, a, b, merged, conflicts)
    return merged, conflicts


def _key_order(old: dict, a: dict, b: dict) -> list[str]:
    """Canonical keys first, then unknown keys in the order the sides have them."""
    present = dict.fromkeys([*a, *b, *old])
    known = [key for key in ISSUE_KEYS if key in present]
    return known + [key for key in present if key not in ISSUE_KEYS]


def _pick(o: Any, x: Any, y: Any) -> FieldMerge:
    """A scalar three-way merge: the side that changed wins; two changes conflict."""
    if x == y:
        return x, None
    if o == x:
        return y, None
    if o == y:
        return x, None
    return _MISSING, (x, y)


def _merge_set(o: Any, x: Any, y: Any) -> FieldMerge:
    """Labels and assignees: additions on either side apply, and so do removals."""
    base = [] if o is _MISSING else o
    ours = [] if x is _MISSING else x
    theirs = [] if y is _MISSING else y
    removed = (set(base) - set(ours)) | (set(base) - set(theirs))
    result = [item for item in ours if item not in removed]
    result += [item for item in theirs if item not in result and item not in removed]
    return (result or _MISSING), None


def _merge_links(o: Any, x: Any, y: Any) -> FieldMerge:
    """Links: a set merge for each kind of link."""
    base = {} if o is _MISSING else o
    ours = {} if x is _MISSING else x
    theirs = {} if y is _MISSING else y
    result: dict[str, list[str]] = {}
    for kind in dict.fromkeys([*ours, *theirs, *base]):
        ids, _ = _merge_set(base.get(kind, _MISSING), ours.get(kind, _MISSING),
                            theirs.get(kind, _MISSING))
        if ids is not _MISSING:
            result[kind] = ids
    return (result or _MISSING), None


def _merge_comments(o: Any, x: Any, y: Any) -> FieldMerge:
    """Comments: a union by id, each comment merged as a whole, ordered by date."""
    sides = [[] if v is _MISSING else v for v in (o, x, y)]
    by_id = [_comments_by_id(side) for side in sides]
    if any(index is None for index in by_id):  # duplicate ids: no safe union, compare lists
        return _pick(o, x, y)
    base, ours, theirs = by_id
    mine: list[dict] = []
    yours: list[dict] = []
    clashed = False
    for cid in dict.fromkeys([*ours, *theirs, *base]):
        value, clash = _pick(base.get(cid, _MISSING), ours.get(cid, _MISSING),
                             theirs.get(cid, _MISSING))
        pair = clash if clash is not None else (value, value)
        clashed = clashed or clash is not None
        mine += [pair[0]] if pair[0] is not _MISSING else []
        yours += [pair[1]] if pair[1] is not _MISSING else []
    mine, yours = _by_date(mine), _by_date(yours)
    if clashed:
        return _MISSING, (mine or _MISSING, yours or _MISSING)
    return (mine or _MISSING), None


def _by_date(comments: list[dict]) -> list[dict]:
    return sorted(comments, key=lambda c: (str(c.get("date", "")), str(c.get("id", ""))))


def _comments_by_id(comments: list[dict]) -> dict[str, dict] | None:
    index = {str(c.get("id")): c for c in comments}
    return index if len(index) == len(comments) else None


def _keep_id(o: Any, x: Any, y: Any) -> FieldMerge:
    """The id is the file's name and never changes: a change on either side is a conflict.

    Taking it from the side that changed it (``_pick``) merged a file whose id
    no longer matches its name, which ``check`` rejects; keeping the base's
    would drop that side's change unseen.  The same new id on both sides is
    what both sides say: it is kept, and ``check`` reports it as it did on each.
    """
    return (x, None) if x == y else (_MISSING, (x, y))


_FIELD_MERGES: dict[str, Callable[[Any, Any, Any], FieldMerge]] = {
    "id": _keep_id,
    "labels": _merge_set,
    "assignees": _merge_set,
    "links": _merge_links,
    "comments": _merge_comments,
}


def _agree_on_closing(old: dict | None, a: dict, b: dict, merged: dict,
                      conflicts: dict[str, tuple[Any, Any]]) -> None:
    """Both sides closed the issue into the same status: keep the earlier ``closed`` time."""
    if old is None or "closed" not in conflicts or "status" in conflicts:
        return
    if a.get("status") == b.get("status") and "closed" in a and "closed" in b:
        merged["closed"] = min(a["closed"], b["closed"])
        del conflicts["closed"]


# --- writing a conflicted file ------------------------------------------------

def _marked_text(old: dict | None, merged: dict[str, Any],
                 conflicts: dict[str, tuple[Any, Any]], order: list[str], diff3: bool,
                 markers: Markers = DEFAULT_MARKERS) -> bytes:
    """The canonical text with each conflicted field's lines alone between markers.

    A canonical file is the concatenation of one block per top-level key, so
    each field can be written on its own and the merged fields stay exactly
    as ``dump_issue`` would write them.
    """
    out: list[str] = []
    for key in order:
        if key not in conflicts:
            out.extend(_block(key, merged.get(key, _MISSING)))
            continue
        sides = [_block(key, conflicts[key][0]), _block(key, conflicts[key][1])]
        if diff3:
            sides.append(_block(key, (old or {}).get(key, _MISSING)))
        head, tail = _common_edges(sides)
        out.extend(sides[0][:head])
        out.append("<" * markers.size + f" {markers.ours}\n")
        out.extend(_middle(sides[0], head, tail))
        if diff3:
            out.append("|" * markers.size + f" {markers.base}\n")
            out.extend(_middle(sides[2], head, tail))
        out.append("=" * markers.size + "\n")
        out.extend(_middle(sides[1], head, tail))
        out.append(">" * markers.size + f" {markers.theirs}\n")
        out.extend(sides[0][len(sides[0]) - tail:])
    return "".join(out).encode("utf-8")


def _block(key: str, value: Any) -> list[str]:
    from git_issues.fileformat.yamlcodec import dump_mapping

    if value is _MISSING:
        return []
    return dump_mapping({key: value}).splitlines(keepends=True)


def _common_edges(sides: list[list[str]]) -> tuple[int, int]:
    """Lines shared by every side at the start and at the end, kept outside the markers."""
    shortest = min(len(side) for side in sides)
    head = 0
    while head < shortest and all(side[head] == sides[0][head] for side in sides):
        head += 1
    tail = 0
    while (tail < shortest - head
           and all(side[len(side) - 1 - tail] == sides[0][-1 - tail] for side in sides)):
        tail += 1
    return head, tail


def _middle(side: list[str], head: int, tail: int) -> list[str]:
    return side[head:len(side) - tail]


# --- bytes in, bytes out: what git hands the driver ---------------------------

def merge_bytes(base: bytes | None, ours: bytes, theirs: bytes, path: str, *,
                diff3: bool = False, markers: Markers = DEFAULT_MARKERS) -> MergeResult:
    """Merge three versions of the file at ``path``; ``base`` None or empty means add/add."""
    from git_issues.fileformat.issuefile import load_text

    if issue_stem(os.path.basename(path)) is None:  # config.yml and other files: git's merge
        return _line_merge(base or b"", ours, theirs, path, diff3=diff3, reason=None,
                           markers=markers)
    versions = []
    for label, data in zip(LABELS, (ours, base, theirs), strict=True):
        try:
            versions.append(load_text(data, path) if data else None)
        except IssueFileError as exc:
            reason = f"the {label} version is not a valid issue ({exc.problem})"
            return _line_merge(base or b"", ours, theirs, path, diff3=diff3, reason=reason,
                               markers=markers)
    a, old, b = versions
    if a is None or b is None:  # an emptied file is no issue: let git's line merge decide
        return _line_merge(base or b"", ours, theirs, path, diff3=diff3,
                           reason="a version is empty", markers=markers)
    return merge_issues(old, a, b, diff3=diff3, markers=markers)


def _line_merge(base: bytes, ours: bytes, theirs: bytes, path: str, *, diff3: bool,
                reason: str | None, markers: Markers = DEFAULT_MARKERS) -> MergeResult:
    """git's own line merge; a clean result is kept only if it is a valid issue."""
    from git_issues.fileformat.issuefile import dump_issue, load_text

    with tempfile.TemporaryDirectory(prefix="git-issues-merge-") as tmp:
        names = []
        for label, data in zip(LABELS, (ours, base, theirs), strict=True):
            name = os.path.join(tmp, label)
            Path(name).write_bytes(data)
            names.append(name)
        args = ["merge-file", "-p", *(["--diff3"] if diff3 else []),
                f"--marker-size={markers.size}", "-L", markers.ours, "-L", markers.base,
                "-L", markers.theirs, *names]
        proc = gitutil.run(args, check=False)
    if proc.returncode < 0 or proc.returncode > 127:
        raise GitIssuesError(f"{path}: git merge-file failed")
    text = proc.stdout
    if proc.returncode > 0:
        return MergeResult(text, ["the line merge left conflict markers"], fallback=reason)
    if issue_stem(os.path.basename(path)) is None:
        return MergeResult(text, fallback=reason)
    try:
        issue = load_text(text, path)
    except IssueFileError as exc:
        return MergeResult(text, [f"the merged file is not a valid issue: {exc.problem}"],
                           fallback=reason or "a side is not a valid issue")
    return MergeResult(dump_issue(issue).encode("utf-8"), fallback=reason)


def run_driver(base: Path, ours: Path, theirs: Path, path: str,
               markers: Markers = DEFAULT_MARKERS) -> MergeResult:
    """What ``git-issues merge-driver %O %A %B %P ...`` does: merge into ``ours`` in place.

    git reads the merged file back from ``%A``; the exit status (0 clean,
    1 conflict) tells it whether the path is resolved.
    """
    diff3 = conflict_style_has_base()
    old, a, b = base.read_bytes(), ours.read_bytes(), theirs.read_bytes()
    try:
        result = merge_bytes(old, a, b, path, diff3=diff3, markers=markers)
    except Exception:
        # A bug must not cost the other side's work: leave git's own line merge
        # in the file (git then reports a conflict), and keep the traceback.
        ours.write_bytes(_line_merge(old, a, b, path, diff3=diff3, reason=None,
                                     markers=markers).text)
        raise
    ours.write_bytes(result.text)
    return result


def conflict_style_has_base() -> bool:
    """``merge.conflictStyle`` diff3/zdiff3 asks for the base between the markers, too."""
    style = gitutil.output(["config", "--get", "merge.conflictStyle"], check=False)
    return style.strip().lower() in ("diff3", "zdiff3")


def git_markers(size: str | None, base: str | None, ours: str | None,
                theirs: str | None) -> Markers:
    """The markers git's own would show, from what git gave the driver.

    git 2.44 and later fill ``%S %X %Y`` with the labels of its own markers
    (``HEAD``, the merged branch, the merge base); older ones leave the
    placeholders as they are.  Then the branch comes from the ``GITHEAD_<sha>``
    variable ``git merge`` sets, and the base, which only diff3 shows, from
    ``git merge-base``, as git's own ``||||||| 1a2b3c4`` line does.
    """
    def given(value: str | None) -> str | None:
        return value if value and not (len(value) == 2 and value.startswith("%")) else None

    heads = {k[len("GITHEAD_"):]: v for k, v in os.environ.items() if k.startswith("GITHEAD_")}
    theirs_label = given(theirs) or (next(iter(heads.values())) if len(heads) == 1 else None)
    base_label = given(base)
    if base_label is None and len(heads) == 1 and conflict_style_has_base():
        sha = next(iter(heads))
        found = gitutil.output(["merge-base", "HEAD", sha], check=False)
        base_label = gitutil.output(["rev-parse", "--short", found], check=False) if found \
            else None
    marker_size = int(size) if size and size.isdigit() and 0 < int(size) < 100 else MARKER_SIZE
    return Markers(ours=given(ours) or ("HEAD" if heads else LABELS[0]),
                   base=base_label or LABELS[1], theirs=theirs_label or LABELS[2],
                   size=marker_size)
