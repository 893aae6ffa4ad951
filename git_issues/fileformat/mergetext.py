"""The text of a merged issue: canonical when the fields merged cleanly, else the
canonical text with only each conflicted field's lines between git-style
conflict markers, so that ``git issues check`` reports the file and ``ls``
names it while listing the rest.

The field merge itself is ``core.merge``; this is its writer, used by the
merge driver (``gitint.mergedriver``), ``resolve`` and an edit that met a
change made meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from git_issues.core.merge import MISSING, merge_fields
from git_issues.core.model import ValidationError, issue_from_dict
from git_issues.fileformat.issuefile import dump_issue
from git_issues.fileformat.yamlcodec import dump_mapping

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


def merge_issues(base: Issue | None, ours: Issue, theirs: Issue, *,
                 diff3: bool = False, markers: Markers = DEFAULT_MARKERS) -> MergeResult:
    """Merge two versions of an issue against their common ancestor.

    ``base`` is None when both sides added the file: with nothing to compare
    against, every field that differs is a conflict (an id collision).
    """
    old = base.to_dict() if base is not None else None
    a, b = ours.to_dict(), theirs.to_dict()
    merged, conflicts, order = merge_fields(old, a, b)
    if not conflicts:
        try:
            text = dump_issue(issue_from_dict(merged))
        except ValidationError as exc:  # cannot happen field by field; never hide it if it does
            everything = {key: (a.get(key, MISSING), b.get(key, MISSING)) for key in order}
            return MergeResult(_marked_text(old, {}, everything, order, diff3, markers),
                               [f"the merged issue is invalid: {exc}"])
        return MergeResult(text.encode("utf-8"))
    return MergeResult(_marked_text(old, merged, conflicts, order, diff3, markers), list(conflicts),
                       collision=base is None)


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
            out.extend(_block(key, merged.get(key, MISSING)))
            continue
        sides = [_block(key, conflicts[key][0]), _block(key, conflicts[key][1])]
        if diff3:
            sides.append(_block(key, (old or {}).get(key, MISSING)))
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
    if value is MISSING:
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
