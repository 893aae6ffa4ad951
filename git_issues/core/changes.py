"""One comparison of two versions of an issue, and the words that describe it.

``log`` (one issue through its commits), ``diff`` (many issues between two
states), and next the web view and sync all need to say what changed in an
issue.  They say it here, once, so that the same edit reads the same
everywhere: ``compare(old, new)`` lists the changes, ``Change.to_dict()`` is
their JSON, and ``phrase(change, style)`` their words, in plain text or in
Markdown.  Free of git and of click: callers bring the two versions.

The comparison walks the issue's fields generically: a list field (labels,
assignees, …) is compared as a set (``labels +perf -bug``), any other field
as a value (``milestone v1 → v2``), so a field added to the model is
described without code here; a value is always said in words, never as
Python's ``repr`` (a mapping key by key, ``custom.team infra → core``).
Only the fields whose meaning a reader wants spelled out have their own
words: status (closed, reopened), title, priority, body, links, comments and
origin (``GitHub acme/rocket#5``).
"""

from __future__ import annotations

import dataclasses
import difflib
import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from git_issues.core.rules import DEFAULT_STATUSES, priority_name

if TYPE_CHECKING:
    from git_issues.core.model import Comment, Issue

EMPTY = "(none)"  # an empty value in words; a value of its own cannot look like it
ARROW = "→"
FIRST_LINE = 100  # characters of a comment shown: enough to recognise it
FORMATS = ("text", "markdown", "json")  # the ways a change is shown: words, or to_dict()

# Fields described first and last; every other field comes between, in the
# model's order, so a new field needs no entry here.
_LEAD = ("status", "title")
_TAIL = ("body", "links", "comments", "author", "created")
_NOT_COMPARED = ("id", "extra")
# What ``opened`` tells besides title and status: the fields a reader scans.
_NOT_OPENED = ("id", "title", "status", "created", "closed", "links", "body", "comments",
               "extra")


class Change:
    """One change to an issue.

    ``type`` says what happened (see ``to_dict``); ``field`` is the issue
    file's key it concerns (None for ``opened``/``deleted``/``unreadable``),
    ``old`` and ``new`` its values as the file holds them, and ``facts`` what
    a reader wants derived from them (labels added, lines removed, a
    comment's author and first line).
    """
    __slots__ = ("type", "field", "old", "new", "facts")

    def __init__(self, type: str, field: str | None = None, old: Any = None, new: Any = None,
                 **facts: Any) -> None:
        self.type = type
        self.field = field
        self.old = old
        self.new = new
        self.facts = facts

    @property
    def key(self) -> tuple[str | None, str | None]:
        """What the change is about: the field, and which comment for comments."""
        return self.field, self.facts.get("id")

    def to_dict(self) -> dict[str, Any]:
        """JSON: ``type``, then ``field``/``from``/``to`` for a field, then the facts."""
        data: dict[str, Any] = {"type": self.type}
        if self.field is not None:
            data.update({"field": self.field, "from": self.old, "to": self.new})
        data.update(self.facts)
        return data

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Change):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Change({self.to_dict()!r})"


# --- comparing ------------------------------------------------------------------

def compare(old: Issue | None, new: Issue | None,
            statuses: Mapping[str, str] | None = None) -> list[Change]:
    """The changes from ``old`` to ``new`` (None: no file), in a reader's order.

    ``statuses`` maps each status to open or closed (the project's config), so
    that a move into a closed status reads "closed"; the defaults otherwise.
    """
    if old is None and new is None:
        return []
    if old is None:
        return _opened_with_content(new)
    if new is None:
        return [Change("deleted", title=old.title, status=old.status)]
    states = DEFAULT_STATUSES if statuses is None else statuses
    changes: list[Change] = []
    for name in _field_order(type(new)):
        before, after = getattr(old, name), getattr(new, name)
        if before == after:
            continue
        if name == "status":
            changes.append(_status(before, after, states))
        elif name == "closed" and old.status != new.status:
            continue  # told by "closed"/"reopened"/"status" already
        elif name == "comments":
            changes.extend(_comments(before, after))
        else:
            changes.append(_field(name, before, after))
    for key in dict.fromkeys([*old.extra, *new.extra]):
        if old.extra.get(key) != new.extra.get(key):
            changes.append(_field(key, old.extra.get(key), new.extra.get(key)))
    return changes


def opened(issue: Issue) -> Change:
    """A new issue: its title and status, with the fields a reader scans first.

    Keys this version does not know come under ``extra`` (one of them could be
    named like a fact, ``type`` say).
    """
    facts = {name: _plain(getattr(issue, name))
             for name in _field_order(type(issue)) if name not in _NOT_OPENED}
    if issue.extra:
        facts["extra"] = dict(issue.extra)
    return Change("opened", title=issue.title, status=issue.status, **facts)


def _opened_with_content(issue: Issue) -> list[Change]:
    """``opened``, then what the new file adds besides: its links, its description
    and each comment, as the changes that would add them to an existing issue, so
    a reviewer sees everything a pull request adds, in the same words."""
    found = [opened(issue)]
    if any(issue.links.values()):
        found.append(_links({}, issue.links))
    if issue.body:
        found.append(_field("body", "", issue.body))
    found += [_comment("comment", None, c) for c in issue.comments]
    return found


def _field_order(cls: type) -> list[str]:
    names = [f.name for f in dataclasses.fields(cls) if f.name not in _NOT_COMPARED]
    middle = [n for n in names if n not in _LEAD and n not in _TAIL]
    return [*(n for n in _LEAD if n in names), *middle, *(n for n in _TAIL if n in names)]


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, list) else value


def _status(before: str, after: str, states: Mapping[str, str]) -> Change:
    was, now = states.get(before, "open"), states.get(after, "open")
    if was == "open" and now == "closed":
        return Change("closed", "status", before, after, status=after)
    if was == "closed" and now == "open":
        return Change("reopened", "status", before, after, status=after)
    return Change("status", "status", before, after)


def _field(name: str, before: Any, after: Any) -> Change:
    if name == "title":
        return Change("retitled", name, before, after)
    if name == "priority":
        return Change("priority", name, before, after)
    if name == "body":
        plus, minus = line_counts(before or "", after or "")
        return Change("body", name, before, after, added_lines=plus, removed_lines=minus)
    if name == "links":
        return _links(before or {}, after or {})
    if _is_list(before) and _is_list(after):
        return Change(name, name, _plain(before), _plain(after),
                      added=[x for x in after or [] if x not in (before or [])],
                      removed=[x for x in before or [] if x not in (after or [])])
    return Change("field", name, before, after)


def _is_list(value: Any) -> bool:
    """A set-like field: a list of plain values (None stands for an empty one)."""
    return value is None or (isinstance(value, list)
                             and all(isinstance(x, str | int) for x in value))


def line_counts(before: str, after: str) -> tuple[int, int]:
    """Lines added and removed; autojunk off, or lines frequent in a long text
    (blank lines, list markers) would be counted as changed."""
    plus = minus = 0
    matcher = difflib.SequenceMatcher(None, before.splitlines(), after.splitlines(),
                                      autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op != "equal":
            minus += i2 - i1
            plus += j2 - j1
    return plus, minus


def _links(before: dict[str, list[str]], after: dict[str, list[str]]) -> Change:
    def pairs(links: dict[str, list[str]]) -> list[tuple[str, str]]:
        return [(kind, other) for kind, ids in links.items() for other in ids]

    old, new = pairs(before), pairs(after)
    return Change("links", "links", {k: list(v) for k, v in before.items()},
                  {k: list(v) for k, v in after.items()},
                  added=[{"kind": k, "id": i} for k, i in new if (k, i) not in old],
                  removed=[{"kind": k, "id": i} for k, i in old if (k, i) not in new])


def _comments(before: list[Comment], after: list[Comment]) -> list[Change]:
    """Edited and added in the new order, then the deleted ones."""
    old = {c.id: c for c in before}
    new_ids = {c.id for c in after}
    changes = []
    for comment in after:
        previous = old.get(comment.id)
        if previous is None:
            changes.append(_comment("comment", None, comment))
        elif previous != comment:
            changes.append(_comment("comment_edited", previous, comment))
    changes += [_comment("comment_deleted", c, None) for c in before if c.id not in new_ids]
    return changes


def _comment(kind: str, before: Comment | None, after: Comment | None) -> Change:
    shown = after or before
    assert shown is not None
    return Change(kind, "comments", before.to_dict() if before else None,
                  after.to_dict() if after else None, id=shown.id, author=shown.author,
                  date=shown.date, first_line=first_line(shown.body))


def first_line(text: str) -> str:
    """The first non-blank line, shortened: enough to recognise a comment."""
    for line in text.splitlines():
        if line.strip():
            line = line.strip()
            return line if len(line) <= FIRST_LINE else line[: FIRST_LINE - 1] + "…"
    return ""


def unreadable(side: str, problem: str) -> Change:
    """A version that is not a valid issue (``side``: before or now), named, not fatal."""
    return Change("unreadable", side=side, problem=problem)


# --- words ------------------------------------------------------------------------

class Style:
    """How a format shows user text inside the words.

    ``quote`` for free text (titles, comments, values with spaces), ``code``
    for words (labels, ids, statuses, milestones), ``name`` for people.
    """
    __slots__ = ("quote", "code", "name")

    def __init__(self, quote: Callable[[str], str], code: Callable[[str], str],
                 name: Callable[[str], str]) -> None:
        self.quote, self.code, self.name = quote, code, name


def _json_quote(text: str) -> str:

    return json.dumps(text, ensure_ascii=False)


_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_{}[]()#+!|~"} | {
    "<": "&lt;", ">": "&gt;", "&": "&amp;", "\n": " ", "\r": " "})


def md_escape(value: Any) -> str:
    """User text shown literally in Markdown: no markup, no HTML, no line breaks."""
    return str(value).translate(_MD_SPECIAL)


def md_quote(value: Any) -> str:
    return f"“{md_escape(value)}”"


def md_code(value: Any) -> str:
    text = str(value)
    if "`" in text or "\n" in text or not text.strip():
        return md_escape(text)
    return f"`{text}`"


TEXT = Style(quote=_json_quote, code=str, name=str)
MARKDOWN = Style(quote=md_quote, code=md_code, name=md_escape)


def phrase(change: Change, style: Style = TEXT) -> str:
    """One change in words, the same in ``log``, ``diff`` and wherever else it is shown."""
    words = _PHRASES.get(change.type)
    if words is not None:
        return words(change, style)
    if change.field is not None and "added" in change.facts:
        return _set_words(change.field, change.facts["added"], change.facts["removed"], style)
    return change.type


def _opened_words(change: Change, s: Style) -> str:
    facts = change.facts
    shown = [f"status {s.code(facts['status'])}"] if facts["status"] != "open" else []
    for name, value in facts.items():
        if name in ("title", "status", "author") or value in (None, "", [], {}):
            continue
        if name == "priority":
            shown.append(_priority(value))
        elif name == "origin":
            shown.append(f"origin {_origin(value, s)}")
        elif name == "extra":
            shown += [f"{key} {_inner(v, s, (dict,))}" for key, v in value.items()]
        else:
            shown.append(f"{name} {_value(value, s)}")
    by = f" by {s.name(facts['author'])}" if facts.get("author") else ""
    return f"opened {s.quote(facts['title'])}{by}" + (": " + "; ".join(shown) if shown else "")


def _state_words(change: Change, s: Style) -> str:
    plain = "closed" if change.type == "closed" else "open"
    status = change.facts["status"]
    return change.type + ("" if status == plain else f" as {s.code(status)}")


def _set_words(name: str, added: list[Any], removed: list[Any], s: Style) -> str:
    parts = [f"+{s.code(x)}" for x in added] + [f"-{s.code(x)}" for x in removed]
    return f"{name} " + (" ".join(parts) if parts else "reordered")


def _body_words(change: Change, s: Style) -> str:
    plus, minus = change.facts["added_lines"], change.facts["removed_lines"]
    what = "added" if not change.old else "removed" if not change.new else "edited"
    return f"description {what} (+{plus} -{minus} lines)"


def _links_words(change: Change, s: Style) -> str:
    parts = [f"+{link['kind']} {s.code(link['id'])}" for link in change.facts["added"]]
    parts += [f"-{link['kind']} {s.code(link['id'])}" for link in change.facts["removed"]]
    return "links " + (", ".join(parts) if parts else "reordered")


def _comment_words(change: Change, s: Style) -> str:
    verb = {"comment": "comment", "comment_edited": "comment edited",
            "comment_deleted": "comment deleted"}[change.type]
    author = f" by {s.name(change.facts['author'])}" if change.facts["author"] else ""
    text = change.facts["first_line"]
    return f"{verb}{author}" + (f": {s.quote(text)}" if text else "")


def _priority(value: int | None) -> str:
    return EMPTY if value is None else priority_name(value)


def _value(value: Any, s: Style) -> str:
    """A field's value in words: words as code, text with spaces quoted, nothing as
    EMPTY; a list as its items (``a, b``), a mapping as its keys and values
    (``team infra; tags a, b``), one nested inside another in parentheses.
    Never Python's ``repr``: a key this version does not know reads like the rest."""
    if value is None or value == "" or value == [] or value == {}:
        return EMPTY
    if isinstance(value, dict):
        return "; ".join(f"{key} {_inner(v, s, (dict,))}" for key, v in value.items())
    if isinstance(value, list):
        return ", ".join(_inner(x, s, (dict, list)) for x in value)
    if isinstance(value, bool):  # as the file says it, not Python's True
        return s.code("true" if value else "false")
    text = value if isinstance(value, str) else str(value)
    return s.quote(text) if any(ch.isspace() for ch in text) else s.code(text)


def _inner(value: Any, s: Style, bracketed: tuple[type, ...]) -> str:
    """A value inside another: in parentheses when it is a ``bracketed`` kind with
    more than one entry, so its separators do not read as the outer one's."""
    nested = isinstance(value, bracketed) and len(value) > 1
    return f"({_value(value, s)})" if nested else _value(value, s)


# The forges an issue may come from, as their names are written.
_SOURCES = {"github": "GitHub", "gitlab": "GitLab", "gitea": "Gitea", "forgejo": "Forgejo"}


def _origin(value: Any, s: Style) -> str:
    """Where an imported issue came from: ``GitHub acme/rocket#5``, ``beads bd-12``."""
    if not isinstance(value, dict) or not value:
        return _value(value, s)
    parts = []
    for source, where in value.items():
        name = _SOURCES.get(source, source)
        if isinstance(where, dict) and "repo" in where and "number" in where:
            ref = f"{where['repo']}#{where['number']}"
            parts.append(f"{name} {s.code(ref)}")
        else:
            parts.append(f"{name} {_value(where, s)}")
    return ", ".join(parts)


def _field_words(change: Change, s: Style) -> str:
    """A value changed: ``milestone v1 → v2``; the origin in words; a mapping
    (a key this version does not know) key by key: ``custom.team infra → core``."""
    if change.field == "origin":
        return "origin " + _arrow(change, lambda v: _origin(v, s))
    return "; ".join(f"{name} {_value(old, s)} {ARROW} {_value(new, s)}"
                     for name, old, new in _leaves(str(change.field), change.old, change.new))


def _leaves(name: str, old: Any, new: Any) -> list[tuple[str, Any, Any]]:
    """The dotted names and values that differ, down through mappings (a mapping
    added or removed whole is compared with an empty one)."""
    if isinstance(old, dict) and new is None:
        new = {}
    elif old is None and isinstance(new, dict):
        old = {}
    if not (isinstance(old, dict) and isinstance(new, dict)):
        return [(name, old, new)]
    return [leaf for key in dict.fromkeys([*old, *new]) if old.get(key) != new.get(key)
            for leaf in _leaves(f"{name}.{key}", old.get(key), new.get(key))]


def _arrow(change: Change, shown: Callable[[Any], str]) -> str:
    return f"{shown(change.old)} {ARROW} {shown(change.new)}"


_PHRASES: dict[str, Callable[[Change, Style], str]] = {
    "opened": _opened_words,
    "deleted": lambda c, s: "deleted (the file was removed)",
    "closed": _state_words,
    "reopened": _state_words,
    "status": lambda c, s: "status " + _arrow(c, s.code),
    "retitled": lambda c, s: "retitled " + _arrow(c, s.quote),
    "priority": lambda c, s: "priority " + _arrow(c, _priority),
    "body": _body_words,
    "links": _links_words,
    "comment": _comment_words,
    "comment_edited": _comment_words,
    "comment_deleted": _comment_words,
    "field": _field_words,
    "unreadable": lambda c, s: f"cannot be read ({c.facts['side']}): {c.facts['problem']}",
}
