"""The three-way merge of one issue's fields: pure, on the plain mappings of the
three versions (no text, no files, no git).

git merges text line by line, which is wrong for issues in both directions:
two comments appended on two branches touch the same lines and conflict,
while a title changed two ways on the same line is a real disagreement.  This
merges the *fields* instead.  Each side is compared with the common ancestor
(the base):

- comments are a union by comment id (an edit or deletion on one side
  applies), ordered by date, then id;
- labels, assignees and links are sets: an addition on either side is
  added, a removal on either side is removed;
- the id is the file's name: a change to it on either side is a conflict;
- every other field (title, status, priority, milestone, author, body,
  created, closed, unknown keys) is taken from the side that changed it.  The
  same change on both sides is fine; two different changes are a conflict.
  One agreement is recognised: both sides closing the issue into the same
  status keeps the earlier ``closed`` time (the two states agree; only the
  clocks differ).

Writing the result (canonical, or with conflict markers around the clashing
fields) is ``fileformat.mergetext``'s job; the merge driver git runs is
``gitint.mergedriver``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from git_issues.core.model import ISSUE_KEYS

MISSING: Any = object()  # a field absent on one side, distinct from any value
_NO_BASE: Any = object()  # add/add: no ancestor, equal to nothing, so every difference clashes


class FieldsMerged(NamedTuple):
    """The merged fields, and each conflicted field's two versions, in file order."""

    merged: dict[str, Any]
    conflicts: dict[str, tuple[Any, Any]]
    order: list[str]


def merge_fields(old: dict | None, a: dict, b: dict) -> FieldsMerged:
    """Merge two versions of an issue's fields against their common ancestor.

    ``old`` is None when both sides added the file: with nothing to compare
    against, every field that differs is a conflict (an id collision).
    """
    order = _key_order(old or {}, a, b)
    merged: dict[str, Any] = {}
    conflicts: dict[str, tuple[Any, Any]] = {}
    for key in order:
        o = _NO_BASE if old is None else old.get(key, MISSING)
        x, y = a.get(key, MISSING), b.get(key, MISSING)
        merge = _FIELD_MERGES.get(key, _pick) if old is not None else _pick
        value, clash = merge(o, x, y)
        if clash is not None:
            conflicts[key] = clash
        elif value is not MISSING:
            merged[key] = value
    _agree_on_closing(old, a, b, merged, conflicts)
    return FieldsMerged(merged, conflicts, order)


# A merge of one field: (value, None) when clean, (MISSING, (ours, theirs)) on a
# conflict, where ours/theirs are the field as each side would have it after
# everything else merged (so taking either side loses nothing from the other).
FieldMerge = tuple[Any, "tuple[Any, Any] | None"]


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
    return MISSING, (x, y)


def _merge_set(o: Any, x: Any, y: Any) -> FieldMerge:
    """Labels and assignees: additions on either side apply, and so do removals."""
    base = [] if o is MISSING else o
    ours = [] if x is MISSING else x
    theirs = [] if y is MISSING else y
    removed = (set(base) - set(ours)) | (set(base) - set(theirs))
    result = [item for item in ours if item not in removed]
    result += [item for item in theirs if item not in result and item not in removed]
    return (result or MISSING), None


def _merge_links(o: Any, x: Any, y: Any) -> FieldMerge:
    """Links: a set merge for each kind of link."""
    base = {} if o is MISSING else o
    ours = {} if x is MISSING else x
    theirs = {} if y is MISSING else y
    result: dict[str, list[str]] = {}
    for kind in dict.fromkeys([*ours, *theirs, *base]):
        ids, _ = _merge_set(base.get(kind, MISSING), ours.get(kind, MISSING),
                            theirs.get(kind, MISSING))
        if ids is not MISSING:
            result[kind] = ids
    return (result or MISSING), None


def _merge_comments(o: Any, x: Any, y: Any) -> FieldMerge:
    """Comments: a union by id, each comment merged as a whole, ordered by date."""
    sides = [[] if v is MISSING else v for v in (o, x, y)]
    by_id = [_comments_by_id(side) for side in sides]
    if any(index is None for index in by_id):  # duplicate ids: no safe union, compare lists
        return _pick(o, x, y)
    base, ours, theirs = by_id
    mine: list[dict] = []
    yours: list[dict] = []
    clashed = False
    for cid in dict.fromkeys([*ours, *theirs, *base]):
        value, clash = _pick(base.get(cid, MISSING), ours.get(cid, MISSING),
                             theirs.get(cid, MISSING))
        pair = clash if clash is not None else (value, value)
        clashed = clashed or clash is not None
        mine += [pair[0]] if pair[0] is not MISSING else []
        yours += [pair[1]] if pair[1] is not MISSING else []
    mine, yours = _by_date(mine), _by_date(yours)
    if clashed:
        return MISSING, (mine or MISSING, yours or MISSING)
    return (mine or MISSING), None


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
    return (x, None) if x == y else (MISSING, (x, y))


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
