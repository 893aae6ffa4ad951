"""The sync engine: a three-way compare over typed values, with no forge in it.

A sync meets three versions of each field of an issue: the *base* (the value
both sides agreed on at the last sync, kept in the sync state), the *local*
value (the issue file) and the *remote* one (the forge, already turned into a
``RemoteIssue`` by its adapter's mapping).  For each field the engine decides
once, the same way for every forge:

- equal on both sides: nothing to do;
- changed only on the forge: *take* it here;
- changed only here: *send* it there (the push's business);
- changed on both: a *conflict*, held back (or settled by ``--prefer``,
  ``settle``).

A comment's text is compared the same way (``compare_text``).  The push is
planned whole before anything is sent (``plan_push``): from the local issues
as the adapter sees them (``Outgoing``), their last-synced entries and the
conflicts the pull held, the steps in the order of the writes (create there
with its comments, compare first when there is no base, update the fields
changed here, add or edit comments) and the conflicts held; no I/O.  The push
walks that plan with the forge; ``--dry-run`` tells it.

An adapter (``sync/github/`` first; GitLab and Gitea/Forgejo next) does only
what differs between forges, behind ``Forge``: list the issues and comments
changed since a time, read one, create one, update some fields, add or edit a
comment.  Its mapping turns the forge's shapes into ``RemoteIssue`` /
``RemoteComment`` and back (GitLab: ``iid`` as the number, ``state_event``
close/reopen, labels as one comma string, notes as comments; Gitea: GitHub's
paths under ``/api/v1``, labels set by id).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from git_issues.sync.state import FIELDS, Entry, digest

if TYPE_CHECKING:
    from git_issues.core.model import Issue

LIST_FIELDS = ("labels", "assignees")  # compared as sets: the order is not a change
COMPARED = tuple(name for name in FIELDS if name != "closed")  # closed follows status
PUSHED = COMPARED  # the fields a push sends (closed follows status there too)
COMMENT_HELD = "comment:"  # a held comment in the state's ``held``: "comment:<remote id>"


@dataclass
class Conflict:
    """A field changed on both sides since the last sync."""

    field: str
    mine: Any
    theirs: Any


@dataclass
class FieldPlan:
    """What the compare of one issue decided, field by field."""

    take: dict[str, Any] = field(default_factory=dict)  # changed there only: set here
    send: list[str] = field(default_factory=list)  # changed here only: the push sends it
    conflicts: list[Conflict] = field(default_factory=list)


@dataclass(frozen=True)
class Step:
    """One step of a plan: what a run does, or a dry run would do, to one issue."""

    kind: str  # a key of STEP_LINES
    local_id: str = ""
    number: int | None = None
    title: str = ""
    fields: tuple[str, ...] = ()
    comment: str = ""  # a comment's local id
    comments: int = 0  # comments created with the issue


# How a dry run tells each kind of step; {forge} is the adapter's name for people.
STEP_LINES = {
    "create here": "would import {repo}#{number} {title!r}",
    "update here": "would update {local_id} ({repo}#{number}) from {forge}: {fields}",
    "create there": "would create: {local_id} {title!r}{with_comments}",
    "compare": "would compare {local_id} ({repo}#{number}) with {forge} (no last-synced values)",
    "update there": "would update {local_id} ({repo}#{number}): {fields}",
    "comment there": "would comment on {repo}#{number} ({local_id})",
    "edit comment there": "would edit comment {comment} on {repo}#{number} ({local_id})",
}
# Kinds a dry run does not tell on a line of their own: a comment sent with a new
# issue is told in its "create there" line.
SILENT = ("comment with it",)


class Plan:
    """The steps a dry run decided: create here, update here, create there, update
    there, comments to send; the conflicts held are reported beside them.

    The pull's steps are told (``say``) as they are decided, in the order of the
    run; the push's plan, made whole by ``plan_push``, is told at once (``tell``).
    Both are kept in ``steps``.
    """

    def __init__(self, forge: str, repo: str, say: Callable[[str], None]) -> None:
        self.forge = forge
        self.repo = repo
        self.say = say
        self.steps: list[Step] = []

    def add(self, step: Step) -> None:
        self.steps.append(step)
        if step.kind not in SILENT:
            self.say(self.line(step))

    def tell(self, steps: Iterable[Step]) -> None:
        """Add a plan made whole (``plan_push``), told line by line."""
        for step in steps:
            self.add(step)

    def line(self, step: Step) -> str:
        return STEP_LINES[step.kind].format(
            repo=self.repo, forge=self.forge, number=step.number, title=step.title,
            local_id=step.local_id, fields=", ".join(step.fields), comment=step.comment,
            with_comments=f" with {step.comments} comments" if step.comments else "")


def local_values(issue: Issue) -> dict[str, Any]:
    """An issue's compared fields, as the file holds them (body as text)."""
    return {"title": issue.title, "status": issue.status, "closed": issue.closed,
            "labels": list(issue.labels), "assignees": list(issue.assignees),
            "milestone": issue.milestone, "body": issue.body}


def as_base(values: dict[str, Any]) -> dict[str, Any]:
    """What the sync state keeps of a value set: bodies as digests."""
    return {**values, "body": digest(values["body"])}


def same(name: str, a: Any, b: Any) -> bool:
    if name in LIST_FIELDS:
        return sorted(a or []) == sorted(b or [])
    return a == b


def is_base(name: str, value: Any, base: dict[str, Any]) -> bool:
    """Whether ``value`` is what the field held at the last sync (bodies by digest)."""
    if name == "body":
        return digest(value) == base["body"]
    return same(name, value, base[name])


def differs(name: str, value: Any, base: dict[str, Any]) -> bool:
    """Whether a value to send differs from the last-synced one (empty is empty)."""
    if name == "body":
        return digest(value) != base["body"]
    if name in LIST_FIELDS:
        return sorted(value or []) != sorted(base[name] or [])
    return (value or None) != (base[name] or None)


def set_value(issue: Issue, name: str, value: Any) -> None:
    setattr(issue, name, list(value) if name in LIST_FIELDS else value)


def compare(base: dict[str, Any] | None, local: dict[str, Any],
            remote: dict[str, Any]) -> FieldPlan:
    """The three-way decision for each compared field (see the module docstring).

    Without a base (never synced, or the state deleted) a difference cannot be
    placed on one side: it is a conflict, and the local value is kept.
    """
    plan = FieldPlan()
    for name in COMPARED:
        mine, theirs = local[name], remote[name]
        if same(name, mine, theirs):
            continue
        if base is not None and is_base(name, theirs, base):
            plan.send.append(name)  # only changed here: never undone
        elif base is not None and is_base(name, mine, base):
            plan.take[name] = theirs  # only changed there
        else:
            plan.conflicts.append(Conflict(name, mine, theirs))
    return plan


def settle(plan: FieldPlan, prefer: str | None) -> FieldPlan:
    """``--prefer`` applied to a compare: ``remote`` takes the forge's value of each
    conflict here; ``local`` keeps ours (the forge's value becomes the base, so the
    push sends ours); None holds them."""
    if prefer is None or not plan.conflicts:
        return plan
    take = dict(plan.take)
    if prefer == "remote":
        take.update((c.field, c.theirs) for c in plan.conflicts)
    return FieldPlan(take, list(plan.send), [])


def compare_text(base: str | None, mine: Iterable[str], theirs: str,
                 prefer: str | None = None) -> str:
    """The three-way decision for a comment's text: ``same``, ``send`` (edited here
    only: the push sends it), ``take`` (edited there only) or ``hold`` (edited on
    both, unless ``prefer`` settles it: ``local`` sends ours, ``remote`` takes theirs).

    ``mine``: the texts the forge may hold of the comment here (an adapter may add
    an attribution line when sending); ``base``: the digest of the last-synced text.
    """
    forms = list(mine)
    if theirs in forms:
        return "same"
    if base is not None and digest(theirs) == base:
        return "send"
    if sent_unchanged(forms, base):
        return "take"
    return {"local": "send", "remote": "take"}.get(prefer or "", "hold")


def changed_here(base: dict[str, Any], values: dict[str, Any], names: Iterable[str],
                 held: Iterable[str] = ()) -> list[str]:
    """The fields whose value to send differs from the last-synced one, less those held."""
    kept = set(held)
    return [name for name in names if name not in kept and differs(name, values[name], base)]


class Forge(Protocol):
    """What an adapter does for the engine; values are typed (``RemoteIssue``,
    ``RemoteComment`` of the adapter's mapping), never the forge's raw shapes."""

    def issue_pages(self, since: str | None) -> AbstractContextManager[Iterator[list[Any]]]:
        """Issues changed since ``since`` (all when None), oldest change first, by page."""

    def comment_pages(self, since: str | None) -> AbstractContextManager[Iterator[list[Any]]]:
        """The repository's comments changed since ``since``, by page."""

    def issue(self, number: int) -> Any:
        """One issue, or None if the answer is not one."""

    def create_issue(self, values: dict[str, Any]) -> Any:
        """Create an issue from the compared fields; the forge's copy comes back."""

    def update_issue(self, number: int, values: dict[str, Any], names: list[str]) -> Any:
        """Send the fields ``names`` of ``values``; the forge's copy comes back."""

    def add_comment(self, number: int, body: str) -> Any:
        """Add a comment; the forge's copy comes back."""

    def edit_comment(self, comment_id: int, body: str, number: int) -> Any:
        """Change a comment (of issue ``number``: GitLab's notes live under their
        issue); the text the forge holds now comes back."""


# --- the push's plan -------------------------------------------------------------------


@dataclass(frozen=True)
class LocalComment:
    """A comment here as the push sees it: its remote id once sent, and the texts
    the forge may hold of it (with or without what the adapter adds when sending)."""

    id: str
    remote_id: int | None
    forms: tuple[str, ...]


@dataclass(frozen=True)
class Outgoing:
    """A local issue as the push sees it, made by the adapter from the file.

    ``values``: the compared fields as the forge would hold them (the body aside);
    ``body_forms``: the texts of its body the forge may hold already (an adapter
    adds a marker or an attribution line when sending): none of them at the last
    sync means the body changed here.
    """

    id: str
    title: str
    number: int | None  # None: never sent
    values: dict[str, Any]
    body_forms: tuple[str, ...]
    comments: tuple[LocalComment, ...] = ()


@dataclass(frozen=True)
class Held:
    """Fields (or ``comment:ID``) of an issue kept back: a conflict the pull held."""

    local_id: str
    number: int
    fields: tuple[str, ...]


@dataclass
class PushPlan:
    """What a push does, whole, before anything is sent: the steps in the order of
    the writes, and the conflicts held back (not sent)."""

    steps: list[Step] = field(default_factory=list)
    held: list[Held] = field(default_factory=list)


def sent_unchanged(forms: Iterable[str], base_digest: str | None) -> bool:
    """Whether one of the texts the forge may hold is the last-synced one."""
    return base_digest is not None and any(digest(text) == base_digest for text in forms)


def fields_to_send(issue: Outgoing, entry: Entry, held: Collection[str]) -> list[str]:
    """The pushed fields changed here since the last sync, less those held."""
    base = entry.values()
    names = [name for name in PUSHED if name != "body"]
    changed = changed_here(base, issue.values, names, held)
    if "body" not in held and not sent_unchanged(issue.body_forms, base["body"]):
        changed.append("body")
    return [name for name in PUSHED if name in changed]


def push_steps(issue: Outgoing, entry: Entry | None, held: Collection[str] = ()) -> list[Step]:
    """The steps of one issue: create it there (with its comments), or compare it
    (no last-synced values: the forge's copy is read first, then ``push_steps``
    again), or send the fields and comments changed here, in the file's order."""
    if issue.number is None:
        return [Step("create there", issue.id, title=issue.title,
                     comments=len(issue.comments)),
                *(Step("comment with it", issue.id, comment=c.id)
                  for c in issue.comments if c.remote_id is None)]
    number = issue.number
    if entry is None:
        return [Step("compare", issue.id, number)]
    steps = []
    fields = fields_to_send(issue, entry, held)
    if fields:
        steps.append(Step("update there", issue.id, number, fields=tuple(fields)))
    for comment in issue.comments:
        if comment.remote_id is None:
            steps.append(Step("comment there", issue.id, number, comment=comment.id))
        elif f"{COMMENT_HELD}{comment.remote_id}" not in held:
            base = entry.comments.get(str(comment.remote_id))
            if base is not None and not sent_unchanged(comment.forms, base):
                steps.append(Step("edit comment there", issue.id, number, comment=comment.id))
    return steps


def plan_push(issues: Iterable[Outgoing], entries: Mapping[int, Entry],
              held: Mapping[int, Collection[str]]) -> PushPlan:
    """The whole push: for each local issue (in the order given), what changed here
    since the last sync (``entries``: the last-synced values by number) or was
    never sent; ``held``: the conflicts the pull kept back, by number.  No I/O."""
    plan = PushPlan()
    for issue in issues:
        kept = held.get(issue.number, ()) if issue.number is not None else ()
        plan.steps.extend(push_steps(issue, entries.get(issue.number) if
                                     issue.number is not None else None, kept))
        if kept:
            plan.held.append(Held(issue.id, issue.number or 0, tuple(sorted(kept))))
    return plan
