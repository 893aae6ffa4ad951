"""Creating and changing issues: the library behind ``new``, ``edit``, ``close``,
``reopen`` and ``comment``, and the web view's forms.

Every change goes through ``repo.issues`` (read, change a copy, compare-and-swap,
stage).  Write commands do not touch the index: they write one file atomically
and stage it, and the next read picks the change up through its freshness
check.  That keeps them free of SQLAlchemy and of a full scan of ``.issues/``.

A value refused is a ``FieldError`` naming the field it was given for; the CLI
says it as the flag, the web view as the form's field.  ``expect`` (the digest
of the version a page showed) refuses a change to a file that changed since.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from git_issues.core import ids as ids_mod
from git_issues.core.model import (
    MAX_ASSIGNEES,
    Comment,
    Issue,
    ValidationError,
    check_assignee,
    check_label,
    check_milestone,
    check_title,
    clean_text,
    now,
    parse_priority,
)
from git_issues.core.rules import block_text
from git_issues.errors import FieldError, GitIssuesError
from git_issues.repo import gitutil, issues
from git_issues.repo.people import resolve_who

if TYPE_CHECKING:
    from collections.abc import Callable

    from git_issues.repo.config import Config
    from git_issues.repo.workspace import Workspace


def normalize_body(text: str) -> str:
    """Trailing blanks dropped; multi-line text ends in one newline, so it writes as '|'.

    A pasted build log's colour sequences go, other control characters show as
    their pictures (``rules.clean_text``): the file stays readable, the text kept.
    """
    return block_text(clean_text(text)[0])


def _checked(check: Callable[[Any], Any], value: Any, field: str) -> Any:
    """``check(value)``, its refusal said as a refusal of ``field``."""
    try:
        return check(value)
    except ValidationError as exc:
        raise FieldError(field, str(exc)) from None


class Outcome:
    """What a change did; ``changed`` is empty when nothing was written.

    Plain classes here and below: see ``model._Plain`` on dataclasses.
    """

    def __init__(self, issue: Issue, changed: list[str] | None = None,
                 comment: Comment | None = None, *, other: str | None = None) -> None:
        self.issue = issue
        self.changed = changed or []
        self.comment = comment
        self.cycle: list[str] | None = None  # a blocks-cycle that a new link closed
        self.other = other  # the other issue of a link or unlink


# --- new issues -------------------------------------------------------------------

def create(ws: Workspace, title: str, *, body: str = "", labels: list[str] | None = None,
           assignees: list[str] | None = None, milestone: str | None = None,
           priority: str | int | None = None, stage: bool = True) -> Issue:
    """Write a new issue file and stage it; returns the issue.

    ``assignees`` may say ``@me``; a milestone of '' or None means none.
    """
    issue = Issue(
        id=ws.store.mint_id(),
        title=_checked(check_title, title.strip(), "title"),
        status="open",
        created=now(millis=True),
        priority=None if priority is None else _checked(parse_priority, priority, "priority"),
        labels=[],
        milestone=_milestone(milestone),
        author=gitutil.ident(ws.root),
        body=normalize_body(body),
    )
    add_labels(issue, labels or [])
    add_assignees(ws, issue, assignees or [])
    issues.create(ws, issue, stage_it=stage)
    return issue


def _milestone(name: str | None) -> str | None:
    """``-M NAME``: None and '' (``-M ''``) both mean no milestone."""
    if name is None or not name.strip():
        return None
    return _checked(check_milestone, name.strip(), "milestone")


def add_labels(issue: Issue, labels: list[str]) -> None:
    """Add each label once, in order; a label there already is no change."""
    for label in labels:
        label = _checked(check_label, label, "labels")
        if label not in issue.labels:
            issue.labels.append(label)


def remove_labels(issue: Issue, labels: list[str]) -> None:
    """Each must be there now, so a typo is an error, not a silent no-op."""
    for label in labels:
        if label not in issue.labels:
            have = ", ".join(issue.labels) or "none"
            raise FieldError("remove_labels",
                             f"issue {issue.id} has no label '{label}' (labels: {have})")
        issue.labels.remove(label)


def add_assignees(ws: Workspace, issue: Issue, people: list[str]) -> None:
    """Add each of ``people`` once, in order; '' first removes everyone (``-a ''``).

    A set in a list: order is the order people were added, a duplicate is no
    change, and more than GitHub's ten is refused before anything is written.
    """
    if any(not who.strip() for who in people):
        issue.assignees = []
    for who in people:
        if not who.strip():
            continue
        who = _checked(check_assignee, resolve_who(ws, who.strip()), "assignees")
        if who not in issue.assignees:
            issue.assignees.append(who)
    if len(issue.assignees) > MAX_ASSIGNEES:
        raise FieldError("assignees", f"an issue has at most {MAX_ASSIGNEES} assignees "
                                      f"(this would make {len(issue.assignees)})")


def remove_assignees(ws: Workspace, issue: Issue, people: list[str]) -> None:
    """``-A WHO``: each must be assigned now, so a typo is an error, not a silent no-op."""
    for who in people:
        who = resolve_who(ws, who.strip()) or ""
        if who not in issue.assignees:
            have = ", ".join(issue.assignees) or "none"
            raise FieldError("remove_assignees",
                             f"issue {issue.id} has no assignee '{who}' (assignees: {have})")
        issue.assignees.remove(who)


# --- changing fields --------------------------------------------------------------

class Fields:
    """The fields ``edit`` changes: None leaves a field alone, '' clears an optional one."""

    def __init__(self, title: str | None = None, body: str | None = None,
                 status: str | None = None, add_labels: list[str] | None = None,
                 remove_labels: list[str] | None = None,
                 add_assignees: list[str] | None = None,
                 remove_assignees: list[str] | None = None, milestone: str | None = None,
                 priority: str | int | None = None) -> None:
        self.title = title
        self.body = body
        self.status = status
        self.add_labels = add_labels or []
        self.remove_labels = remove_labels or []
        self.add_assignees = add_assignees or []
        self.remove_assignees = remove_assignees or []
        self.milestone = milestone
        self.priority = priority

    def empty(self) -> bool:
        return vars(self) == vars(Fields())

    def sets(self) -> list[str]:
        """The fields given a value of the user's own (a clash if changed underneath)."""
        return [name for name in ("title", "body", "status", "milestone", "priority")
                if getattr(self, name) is not None]


def set_status(issue: Issue, status: str, config: Config, stamp: str) -> None:
    """Change the status; ``closed`` is set when the state becomes closed and cleared on reopen."""
    was_closed = config.state_of(issue.status) == "closed"
    issue.status = status
    if config.state_of(status) == "closed":
        if not (was_closed and issue.closed):
            issue.closed = stamp
    else:
        issue.closed = None


def apply_fields(ws: Workspace, issue: Issue, fields: Fields) -> None:
    """Apply ``fields`` to ``issue`` in place, each value checked as its field's."""
    if fields.title is not None:
        issue.title = _checked(check_title, fields.title.strip(), "title")
    if fields.body is not None:
        issue.body = normalize_body(fields.body)
    if fields.status is not None:
        config = ws.config()
        try:
            status = config.check_status(fields.status.strip())
        except GitIssuesError as exc:
            raise FieldError("status", str(exc)) from None
        if status != issue.status:
            set_status(issue, status, config, now())
    remove_labels(issue, fields.remove_labels)
    add_labels(issue, fields.add_labels)
    remove_assignees(ws, issue, fields.remove_assignees)
    add_assignees(ws, issue, fields.add_assignees)
    if fields.milestone is not None:
        issue.milestone = _milestone(fields.milestone)
    if fields.priority is not None:
        text = str(fields.priority).strip()
        issue.priority = _checked(parse_priority, text, "priority") if text else None


def edit(ws: Workspace, prefix: str, fields: Fields, *, expect: str | None = None) -> Outcome:
    """Change the given fields of one issue; only their lines of the file change.

    Labels and assignees added or removed apply to whatever the file holds now;
    a field given a value (title, body, status, milestone, priority) that
    someone else changed meanwhile is a real conflict, refused.
    """
    draft, _ = issues.update(ws, ws.store.resolve(prefix),
                             lambda issue: apply_fields(ws, issue, fields),
                             sets=fields.sets(), expect=expect)
    return Outcome(draft.issue, draft.changed)


# --- comments and state -------------------------------------------------------------

def new_comment(ws: Workspace, issue: Issue, text: str, stamp: str) -> Comment:
    """Append a comment with its own random id, so two branches never mint the same one."""
    taken = {c.id for c in issue.comments}
    comment = Comment(
        id=ids_mod.mint(taken.__contains__),
        author=gitutil.ident(ws.root),
        date=stamp,
        body=normalize_body(text),
    )
    issue.comments.append(comment)
    return comment


def comment(ws: Workspace, prefix: str, text: str, *, expect: str | None = None) -> Outcome:
    """Add a comment to an issue."""
    if not text.strip():
        raise GitIssuesError("aborted: the comment is empty")
    draft, added = issues.update(ws, ws.store.resolve(prefix),
                                 lambda issue: new_comment(ws, issue, text, now()),
                                 expect=expect)
    return Outcome(draft.issue, draft.changed, added)


def close(ws: Workspace, prefix: str, text: str | None = None, *,
          expect: str | None = None) -> Outcome:
    """Close an issue (status 'closed', 'closed' stamped), with an optional comment."""
    return set_state(ws, prefix, "closed", text, expect=expect)


def reopen(ws: Workspace, prefix: str, text: str | None = None, *,
           expect: str | None = None) -> Outcome:
    """Reopen an issue (status 'open', 'closed' removed), with an optional comment."""
    return set_state(ws, prefix, "open", text, expect=expect)


def set_state(ws: Workspace, prefix: str, state: str, text: str | None = None, *,
              expect: str | None = None) -> Outcome:
    """Already in that state is no error: the comment, if any, is still added."""
    config = ws.config()

    def change(issue: Issue) -> Comment | None:
        stamp = now()
        if config.state_of(issue.status) != state:
            set_status(issue, state, config, stamp)
        return new_comment(ws, issue, text, stamp) if text and text.strip() else None

    draft, added = issues.update(ws, ws.store.resolve(prefix), change, expect=expect)
    return Outcome(draft.issue, draft.changed, added)


def resolve_comment(issue: Issue, prefix: str) -> Comment:
    """The comment that a unique prefix of its id names; ambiguity names the candidates."""
    wanted = prefix.strip().lower()
    if not wanted:
        raise GitIssuesError("a comment id is needed (see 'git issues show --json')")
    matches = [c for c in issue.comments if c.id.startswith(wanted)]
    exact = [c for c in matches if c.id == wanted]
    if exact:
        return exact[0]
    if not matches:
        have = ", ".join(c.id for c in issue.comments) or "none"
        raise GitIssuesError(f"issue {issue.id} has no comment '{wanted}' (comments: {have})")
    if len(matches) > 1:
        shown = ", ".join(c.id for c in matches)
        raise GitIssuesError(f"comment id prefix '{wanted}' is ambiguous: {shown}")
    return matches[0]


def edit_comment(ws: Workspace, issue_id: str, comment_prefix: str, text: str, *,
                 expect: str | None = None) -> Outcome:
    """Replace a comment's text; its id, author and date stay.

    ``expect``: the version the user's text was written against (read before the
    editor opened): the write is refused if the file changed since.
    """
    if not text.strip():
        raise GitIssuesError("aborted: the comment is empty (--delete removes a comment)")
    with issues.change(ws, ws.store.resolve(issue_id), expect) as draft:
        target = resolve_comment(draft.issue, comment_prefix)
        target.body = normalize_body(text)
    return Outcome(draft.issue, draft.changed, target)


def delete_comment(ws: Workspace, issue_id: str, comment_prefix: str) -> Outcome:
    """Remove one comment; the others keep their place."""
    with issues.change(ws, ws.store.resolve(issue_id)) as draft:
        target = resolve_comment(draft.issue, comment_prefix)
        draft.issue.comments.remove(target)
    return Outcome(draft.issue, draft.changed, target)
