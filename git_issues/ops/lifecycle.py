"""Creating and changing issues: the library behind ``new``, ``edit``, ``close`` ...

Write commands do not touch the index: they write one file atomically and
stage it, and the next read picks the change up through its freshness check.
That keeps them free of SQLAlchemy and of a full scan of ``.issues/``.

One exception: ``link --blocks``/``--blocked-by`` reports a blocks-cycle the new
link closes (``blocks_cycle``).  A link is stored in either file, so finding a
cycle needs every issue's links; the index holds them, and reading every file
instead would cost a rebuild's parse.  So that one write, after writing, reads
the index (and, like any read, refreshes it first).  ``related`` links and
``unlink`` never touch it.
"""

from __future__ import annotations

import copy
import os
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from git_issues.core import ids as ids_mod
from git_issues.core.model import (
    LINK_KINDS,
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
from git_issues.errors import GitIssuesError
from git_issues.repo import gitutil
from git_issues.repo.registration import ensure_merge_driver
from git_issues.repo.store import StaleWriteError
from git_issues.repo.workspace import Workspace

if TYPE_CHECKING:
    from git_issues.repo.config import Config

T = TypeVar("T")

# Where a link is stored on one side, and how the other side would say the same.
MIRROR = {"blocks": "blocked_by", "blocked_by": "blocks", "related": "related"}
LOCKS_DIR = "locks"
REJECTED_DIR = "rejected"
# How often a write whose change does not depend on what changed underneath
# (a comment, a label added, a close) re-reads the file and tries again after
# another writer won the race.  Each lost race means another writer's turn
# succeeded, so eight writers at once need at most seven; the bound only stops
# a writer that is starved for ever.
STALE_RETRIES = 25
EDIT_HEADER = """\
# Editing {shown}. Save and quit to apply; quit without changes to abort.
# The text must stay a valid issue file: if it is not, the file is left as it
# was and your text is kept in a file the error names. The id cannot change.
"""


def resolve_who(ws: Workspace, who: str | None) -> str | None:
    """``@me`` means the user's own email, as in ``gh issue``."""
    if who == "@me":
        email = gitutil.email(ws.root)
        if not email:
            raise GitIssuesError("@me needs git's user.email to be set")
        return email
    return who


def normalize_body(text: str) -> str:
    """Trailing blanks dropped; multi-line text ends in one newline, so it writes as '|'.

    A pasted build log's colour sequences go, other control characters show as
    their pictures (``model.clean_text``): the file stays readable, the text kept.
    """
    text = clean_text(text)[0].rstrip()
    return text + "\n" if "\n" in text else text


def _checked(check, value, argument: str):
    try:
        return check(value)
    except ValidationError as exc:
        raise GitIssuesError(f"{argument}: {exc}") from None


def create(ws: Workspace, title: str, *, body: str = "", labels: list[str] | None = None,
           assignees: list[str] | None = None, milestone: str | None = None,
           priority: str | int | None = None, stage: bool = True) -> Issue:
    """Write a new issue file and stage it; returns the issue.

    ``assignees`` may say ``@me``; a milestone of '' or None means none.
    """
    issue = Issue(
        id=ws.store.mint_id(),
        title=_checked(check_title, title.strip(), "TITLE"),
        status="open",
        created=now(millis=True),
        priority=None if priority is None else _checked(parse_priority, priority, "--priority"),
        labels=[],
        milestone=_milestone(milestone),
        author=gitutil.ident(ws.root),
        body=normalize_body(body),
    )
    for label in labels or []:
        label = _checked(check_label, label, "--label")
        if label not in issue.labels:
            issue.labels.append(label)
    add_assignees(ws, issue, assignees or [])
    path = ws.store.write(issue)
    if stage:
        gitutil.add(ws.root, [path])
    heal(ws)
    return issue


def _milestone(name: str | None) -> str | None:
    """``-M NAME``: None and '' (``-M ''``) both mean no milestone."""
    if name is None or not name.strip():
        return None
    return _checked(check_milestone, name.strip(), "--milestone")


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
        who = _checked(check_assignee, resolve_who(ws, who.strip()), "--assignee")
        if who not in issue.assignees:
            issue.assignees.append(who)
    if len(issue.assignees) > MAX_ASSIGNEES:
        raise GitIssuesError(f"--assignee: an issue has at most {MAX_ASSIGNEES} assignees "
                             f"(this would make {len(issue.assignees)})")


def remove_assignees(ws: Workspace, issue: Issue, people: list[str]) -> None:
    """``-A WHO``: each must be assigned now, so a typo is an error, not a silent no-op."""
    for who in people:
        who = resolve_who(ws, who.strip()) or ""
        if who not in issue.assignees:
            have = ", ".join(issue.assignees) or "none"
            raise GitIssuesError(f"--remove-assignee: issue {issue.id} has no assignee "
                                 f"'{who}' (assignees: {have})")
        issue.assignees.remove(who)


def heal(ws: Workspace) -> None:
    """Every write re-registers the merge driver in a clone that lacks it (DESIGN §4)."""
    ensure_merge_driver(ws)


# --- changing existing issues -------------------------------------------------

class Fields:
    """The field flags of ``edit``: None leaves a field alone, '' clears an optional one.

    Plain classes here and below: see ``model._Plain`` on dataclasses.
    """

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


class Outcome:
    """What a change did; ``changed`` is empty when nothing was written."""

    def __init__(self, issue: Issue, changed: list[str] | None = None,
                 comment: Comment | None = None, *, other: str | None = None) -> None:
        self.issue = issue
        self.changed = changed or []
        self.comment = comment
        self.cycle: list[str] | None = None  # a blocks-cycle that a new link closed
        self.other = other  # the other issue of a link or unlink


def lock_dir(ws: Workspace) -> Path:
    """Per-worktree locks, in the tool's folder in the git dir: never in the work tree."""
    return ws.state_dir / LOCKS_DIR


def read(ws: Workspace, issue_id: str) -> tuple[Issue, bytes]:
    """The issue and the exact bytes it came from, the base of a compare-and-swap write."""
    return ws.store.read_with_bytes(issue_id)


def changed_fields(before: Issue, after: Issue) -> list[str]:
    """Names of the top-level fields whose value differs, in file order."""
    old, new = before.to_dict(), after.to_dict()
    return [key for key in dict.fromkeys([*old, *new]) if old.get(key) != new.get(key)]


def save(ws: Workspace, before: Issue, after: Issue, data: bytes) -> list[str]:
    """Write ``after`` over the file that held ``data`` and stage it; no change, no write.

    Comparing values rather than text means an edit that changes nothing
    leaves even a hand-formatted file byte-identical.
    """
    changed = write(ws, before, after, data)
    if changed:
        gitutil.add(ws.root, [ws.store.path(after.id)])
        heal(ws)
    return changed


def write(ws: Workspace, before: Issue, after: Issue, data: bytes) -> list[str]:
    """``save`` without staging: the changed fields, written only if there are any."""
    from git_issues.fileformat.issuefile import dump_issue

    changed = changed_fields(before, after)
    if changed:
        ws.store.replace_if_unchanged(after.id, data, dump_issue(after), lock_dir(ws))
    return changed


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
    """Apply ``edit``'s flags to ``issue`` in place, validating each against its flag."""
    if fields.title is not None:
        issue.title = _checked(check_title, fields.title.strip(), "--title")
    if fields.body is not None:
        issue.body = normalize_body(fields.body)
    if fields.status is not None:
        config = ws.config()
        try:
            status = config.check_status(fields.status.strip())
        except GitIssuesError as exc:
            raise GitIssuesError(f"--status: {exc}") from None
        if status != issue.status:
            set_status(issue, status, config, now())
    for label in fields.remove_labels:
        if label not in issue.labels:
            have = ", ".join(issue.labels) or "none"
            raise GitIssuesError(
                f"--remove-label: issue {issue.id} has no label '{label}' (labels: {have})")
        issue.labels.remove(label)
    for label in fields.add_labels:
        label = _checked(check_label, label, "--label")
        if label not in issue.labels:
            issue.labels.append(label)
    remove_assignees(ws, issue, fields.remove_assignees)
    add_assignees(ws, issue, fields.add_assignees)
    if fields.milestone is not None:
        issue.milestone = _milestone(fields.milestone)
    if fields.priority is not None:
        text = str(fields.priority).strip()
        issue.priority = _checked(parse_priority, text, "--priority") if text else None


def edit(ws: Workspace, prefix: str, fields: Fields) -> Outcome:
    """Change the given fields of one issue; only their lines of the file change.

    Labels and assignees added or removed apply to whatever the file holds now;
    a field given a value (title, body, status, milestone, priority) that
    someone else changed meanwhile is a real conflict, refused.
    """
    sets = [name for name in ("title", "body", "status", "milestone", "priority")
            if getattr(fields, name) is not None]
    after, changed, _ = changing(ws, ws.store.resolve(prefix),
                                 lambda issue: apply_fields(ws, issue, fields), sets=sets)
    return Outcome(after, changed)


def changing(ws: Workspace, issue_id: str, change: Callable[[Issue], T], *,
             sets: list[str] | tuple[str, ...] = ()) -> tuple[Issue, list[str], T]:
    """Apply ``change`` to the issue as it is now and save it: (issue, changed fields, result).

    When another writer wins the race between reading and writing (the
    compare-and-swap of ``save`` refuses), the change is applied again to the
    file as that writer left it, so eight comments at once all land.  ``sets``
    names the fields the change gives a value of the user's own: if one of
    them changed underneath, the two writers meant different things and the
    refusal stands.
    """
    issue, data = read(ws, issue_id)
    first = issue
    for attempt in range(STALE_RETRIES):
        after = copy.deepcopy(issue)
        result = change(after)
        try:
            return after, save(ws, issue, after, data), result
        except StaleWriteError:
            if attempt == STALE_RETRIES - 1:
                raise
        issue, data = read(ws, issue_id)
        clash = [name for name in sets if getattr(issue, name) != getattr(first, name)]
        if clash:
            raise StaleWriteError(
                f"{ws.store.display(issue_id)}: {', '.join(clash)} changed by someone else "
                "since it was read; nothing was written")
        time.sleep(random.random() * 0.01 * (attempt + 1))  # step out of lockstep
    raise AssertionError("unreachable")


def edit_in_editor(ws: Workspace, prefix: str) -> Outcome:
    """Open the issue's YAML in the user's editor and apply it if it is still a valid issue.

    The file changes only after the edited text has passed every check, and
    only if nobody wrote the file in the meantime; otherwise the user's text is
    kept in a file the error names, so minutes of typing are never lost, and
    the next ``edit`` of the issue opens that text again (``RefusedEdit``).
    """
    from git_issues.ops.editor import edit_text

    issue_id = ws.store.resolve(prefix)
    issue, data = read(ws, issue_id)
    shown = ws.store.display(issue_id)
    refused = RefusedEdit.find(ws, issue_id)
    header, start, again = _editor_start(refused, data, shown)
    text = edit_text(ws.root, header + start, f"{issue_id}.yml")
    typed = text.removeprefix(header)
    if again is not None and again.base == data and text == header + start:
        return Outcome(issue, [])  # the text refused as it was, unchanged: kept for later
    if again is not None and not typed.strip():  # emptied: the user drops the refused text
        again.drop(kept_too=True)
        return Outcome(issue, [])

    def apply() -> tuple[Issue, list[str]]:
        try:
            after = _parse_edited(ws, issue, text, shown)
            return after, write(ws, issue, after, data)
        except StaleWriteError:
            raise  # says itself that the file changed meanwhile
        except GitIssuesError as exc:
            raise GitIssuesError(f"{exc}; the file is unchanged") from None

    def remember(kept: Path, reason: str) -> None:
        RefusedEdit.record(ws, issue_id, data, kept, reason)
        if again is not None:  # superseded by the text just kept
            again.kept.unlink(missing_ok=True)

    after, changed = keeping_typed_text(ws, issue_id, typed, apply, suffix=".yml",
                                        kept=remember)
    if refused is not None:
        refused.drop(kept_too=again is not None)
    if changed:  # written: a failure to stage now must not claim the file is unchanged
        gitutil.add(ws.root, [ws.store.path(issue_id)])
    return Outcome(after, changed)


def _editor_start(refused: RefusedEdit | None, data: bytes, shown: str
                  ) -> tuple[str, str, RefusedEdit | None]:
    """The editor's header and text: the file, or a refused edit's text opened again
    (then returned too, as the third item)."""
    header, start = EDIT_HEADER.format(shown=shown), data.decode("utf-8")
    if refused is None:
        return header, start, None
    reopened, note = refused.reopened(data, shown)
    if reopened is None:
        return header + note, start, None
    return header + note, reopened, refused


class RefusedEdit:
    """The last refused ``edit`` of an issue in the editor: where its text is, and why.

    A note ``rejected/<id>.refused`` beside the kept text names that text, the
    reason, and holds the version of the file it was written against.  The
    next ``edit`` opens the text again, with the reason.  If the file changed
    since (someone else wrote it: the usual reason for a refusal), opening the
    old text as it was would undo their change: it is merged field by field
    with what changed, as the merge driver would (a field both changed is
    marked), or, when the text is not a valid issue to merge, the file is
    opened as it is and the note names the kept text.  A successful edit
    drops the note.
    """

    def __init__(self, note: Path, kept: Path, reason: str, base: bytes) -> None:
        self.note_path, self.kept, self.reason, self.base = note, kept, reason, base

    @staticmethod
    def _note_path(ws: Workspace, issue_id: str) -> Path:
        return ws.state_dir / REJECTED_DIR / f"{issue_id}.refused"

    @classmethod
    def find(cls, ws: Workspace, issue_id: str) -> RefusedEdit | None:
        """The note, if there is one and its text is still there."""
        path = cls._note_path(ws, issue_id)
        try:
            kept, reason, base = path.read_bytes().split(b"\n", 2)
            kept_path = path.parent / kept.decode("utf-8")
            if kept_path.is_file():
                return cls(path, kept_path, reason.decode("utf-8"), base)
        except (OSError, UnicodeError, ValueError):
            pass
        path.unlink(missing_ok=True)
        return None

    @classmethod
    def record(cls, ws: Workspace, issue_id: str, base: bytes, kept: Path, reason: str) -> None:
        line = " ".join(reason.split())
        cls._note_path(ws, issue_id).write_bytes(f"{kept.name}\n{line}\n".encode() + base)

    def reopened(self, current: bytes, shown: str) -> tuple[str | None, str]:
        """The text to open again over the file as it is now (None: the file), and
        the header lines that say what is shown and why."""
        refused = f"# Your last edit of this issue was refused:\n#   {self.reason}\n"
        drop = "# Delete everything to drop it and edit the file as it is.\n"
        text = self.kept.read_text(encoding="utf-8")
        if current == self.base:
            return text, refused + ("# Its text is below, to fix; quitting without changes\n"
                                    "# keeps it for later.\n") + drop
        merged = _merged(self.base, text, current, shown)
        if merged is not None:
            return merged, refused + (
                "# The file has changed since: below, your text is merged with what\n"
                "# changed (a field both changed is marked: resolve it). Save to apply.\n"
            ) + drop
        return None, refused + ("# The file has changed since, so it is shown as it is now;\n"
                                f"# your refused text is still in {self.kept}\n")

    def drop(self, *, kept_too: bool) -> None:
        self.note_path.unlink(missing_ok=True)
        if kept_too:
            self.kept.unlink(missing_ok=True)


def _merged(base: bytes, mine: str, current: bytes, shown: str) -> str | None:
    """``mine`` merged field by field with what changed from ``base`` to ``current``;
    None when one of them is not a valid issue."""
    from git_issues.fileformat.issuefile import load_text
    from git_issues.fileformat.mergetext import merge_issues

    try:
        versions = [load_text(data, shown) for data in (base, mine.encode("utf-8"), current)]
    except GitIssuesError:
        return None
    return merge_issues(*versions).text.decode("utf-8")


def _parse_edited(ws: Workspace, before: Issue, text: str, shown: str) -> Issue:
    from git_issues.fileformat.issuefile import load_text

    after = load_text(text.encode("utf-8"), f"{shown} (edited)")
    if after.id != before.id:
        raise GitIssuesError(
            f"{shown}: the id cannot be changed (it was '{before.id}', the edit says '{after.id}')")
    if after.status != before.status:
        config = ws.config()
        try:
            config.check_status(after.status)
        except GitIssuesError as exc:
            raise GitIssuesError(f"{shown} (edited): {exc}") from None
        if after.closed == before.closed:  # the user left 'closed' alone: keep it consistent
            status, after.status = after.status, before.status
            set_status(after, status, config, now())
    return after


def keeping_typed_text(ws: Workspace, issue_id: str, typed: str, write: Callable[[], T], *,
                       suffix: str = ".md",
                       kept: Callable[[Path, str], None] | None = None) -> T:
    """Run ``write``; if it is refused, save what the user ``typed`` and say where.

    Minutes of typing in an editor must never be lost to a refused write (a
    title too long, a broken YAML edit, a file changed meanwhile).  Text of
    nothing but blanks is not worth a file; the error is raised as it was.
    ``kept`` is told the file and the reason.
    """
    try:
        return write()
    except GitIssuesError as exc:
        if not typed.strip():
            raise
        path = keep_text(ws, issue_id, typed, suffix)
        if kept is not None:
            kept(path, str(exc))
        raise GitIssuesError(f"{exc}; your text is in {path}") from None


def keep_text(ws: Workspace, issue_id: str, text: str, suffix: str = ".md") -> Path:
    """Save text the user wrote that could not be applied, under a name never reused."""
    folder = ws.state_dir / REJECTED_DIR
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f"{issue_id}-", suffix=suffix, dir=folder)
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
    return Path(name)


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


def comment(ws: Workspace, prefix: str, text: str) -> Outcome:
    """Add a comment to an issue."""
    if not text.strip():
        raise GitIssuesError("aborted: the comment is empty")
    after, changed, added = changing(ws, ws.store.resolve(prefix),
                                     lambda issue: new_comment(ws, issue, text, now()))
    return Outcome(after, changed, added)


def close(ws: Workspace, prefix: str, text: str | None = None) -> Outcome:
    """Close an issue (status 'closed', 'closed' stamped), with an optional comment."""
    return _change_state(ws, prefix, "closed", text)


def reopen(ws: Workspace, prefix: str, text: str | None = None) -> Outcome:
    """Reopen an issue (status 'open', 'closed' removed), with an optional comment."""
    return _change_state(ws, prefix, "open", text)


def _change_state(ws: Workspace, prefix: str, state: str, text: str | None) -> Outcome:
    """Already in that state is no error: the comment, if any, is still added."""
    config = ws.config()

    def change(issue: Issue) -> Comment | None:
        stamp = now()
        if config.state_of(issue.status) != state:
            set_status(issue, state, config, stamp)
        return new_comment(ws, issue, text, stamp) if text and text.strip() else None

    after, changed, added = changing(ws, ws.store.resolve(prefix), change)
    return Outcome(after, changed, added)


# --- links --------------------------------------------------------------------

def _check_kind(kind: str) -> str:
    if kind not in MIRROR:
        raise GitIssuesError(f"unknown link kind '{kind}' (known: {', '.join(LINK_KINDS)})")
    return kind


def _option(kind: str) -> str:
    return "--" + kind.replace("_", "-")


def has_link(issue: Issue, kind: str, other: Issue | None, other_id: str) -> bool:
    """True when either file already says it (a link is stored once, on either side)."""
    if other_id in issue.links.get(kind, []):
        return True
    return other is not None and issue.id in other.links.get(MIRROR[kind], [])


def link(ws: Workspace, prefix: str, kind: str, other_prefix: str) -> Outcome:
    """Store ``ID kind OTHER`` once, in ID's file; a blocks-cycle it closes is reported.

    Both ids must name existing issues and differ.  Finding a cycle needs
    every issue's links, so this one write reads the index (after writing).
    """
    _check_kind(kind)
    known = ws.store.ids()
    issue_id = ids_mod.resolve(prefix, known)
    try:
        other_id = ids_mod.resolve(other_prefix, known)
    except GitIssuesError as exc:
        raise GitIssuesError(f"{_option(kind)}: {exc}") from None
    if other_id == issue_id:
        raise GitIssuesError(f"{_option(kind)}: an issue cannot be linked to itself ({issue_id})")
    other, _ = read(ws, other_id)

    def add_link(issue: Issue) -> None:
        if not has_link(issue, kind, other, other_id):
            issue.links.setdefault(kind, []).append(other_id)
            issue.links = _ordered_links(issue.links)

    after, changed, _ = changing(ws, issue_id, add_link)
    outcome = Outcome(after, changed, other=other_id)
    if not changed:
        return outcome
    if kind != "related":
        blocker, blocked = (issue_id, other_id) if kind == "blocks" else (other_id, issue_id)
        outcome.cycle = blocks_cycle(ws, blocker, blocked)
    return outcome


def _ordered_links(links: dict[str, list[str]]) -> dict[str, list[str]]:
    """Known kinds in the file format's order, then any others as they were."""
    ordered = {kind: links[kind] for kind in LINK_KINDS if links.get(kind)}
    ordered.update((k, v) for k, v in links.items() if k not in ordered and v)
    return ordered


def blocks_cycle(ws: Workspace, blocker: str, blocked: str) -> list[str] | None:
    """The cycle ``blocker -> blocked -> ... -> blocker``, if the link made one.

    The one write that reads the index (see the module's docstring); imported
    here so that no other write loads the index package.
    """
    from git_issues.index.query import open_index

    with open_index(ws.sources) as view:
        path = view.blocks_path(blocked, blocker)
    return [blocker, *path] if path else None


def unlink(ws: Workspace, prefix: str, kind: str, other_prefix: str) -> Outcome:
    """Remove ``ID kind OTHER`` from whichever file stores it (both, if both do).

    The other id may name an issue that no longer exists: a dangling link can
    still be removed by its id as written in ID's file.
    """
    _check_kind(kind)
    known = ws.store.ids()
    issue_id = ids_mod.resolve(prefix, known)
    issue, data = read(ws, issue_id)
    try:
        other_id = ids_mod.resolve(other_prefix, {*known, *issue.links.get(kind, [])})
    except GitIssuesError as exc:
        raise GitIssuesError(f"{_option(kind)}: {exc}") from None
    other = None
    if other_id in known and other_id != issue_id:
        other, other_data = read(ws, other_id)
    if not has_link(issue, kind, other, other_id):
        relation = kind.replace("_", " ")
        raise GitIssuesError(f"{_option(kind)}: no link '{issue_id} {relation} {other_id}'")
    after = copy.deepcopy(issue)
    after.links = _without(after.links, kind, other_id)
    outcome = Outcome(after, save(ws, issue, after, data), other=other_id)
    if other is not None:
        other_after = copy.deepcopy(other)
        other_after.links = _without(other_after.links, MIRROR[kind], issue_id)
        if save(ws, other, other_after, other_data):
            outcome.changed.append(f"{other_id}.links")
    return outcome


def _without(links: dict[str, list[str]], kind: str, other_id: str) -> dict[str, list[str]]:
    kept = {k: [i for i in ids if not (k == kind and i == other_id)] for k, ids in links.items()}
    return {k: ids for k, ids in kept.items() if ids}


# --- deleting -------------------------------------------------------------------

class Removal:
    """What ``rm`` did: the issue it removed, and the files whose links to it went too."""

    def __init__(self, issue: Issue, unlinked: dict[str, list[str]],
                 committed: bool) -> None:
        self.issue = issue
        self.unlinked = unlinked  # other id -> the kinds of link removed from its file
        self.committed = committed  # False: git has no copy; the text is gone for good


def is_committed(ws: Workspace, issue_id: str) -> bool:
    """True when HEAD holds the file, so ``git checkout HEAD -- FILE`` brings it back."""
    spec = f"HEAD:{ws.store.display(issue_id)}"
    return gitutil.run(["cat-file", "-e", spec], ws.root, check=False).returncode == 0


def remove(ws: Workspace, prefix: str) -> Removal:
    """Delete an issue the way ``git rm -f`` deletes a file, and every link to it.

    The links in other files go first, each rewritten canonically and staged:
    if one cannot be written (someone else changed it), nothing is deleted.
    The file is then removed from the work tree and the index whatever its
    state (committed, staged or new), as ``git rm -f`` does: the user has
    confirmed, and a committed issue stays in git's history.
    """
    from git_issues.fileformat.issuefile import read_bytes

    issue_id = ws.store.resolve(prefix)
    issue, data = read(ws, issue_id)
    committed = is_committed(ws, issue_id)
    unlinked: dict[str, list[str]] = {}
    for other_id in linking_ids(ws, issue_id):
        other, other_data = read(ws, other_id)
        after = copy.deepcopy(other)
        after.links = {kind: [i for i in ids if i != issue_id]
                       for kind, ids in other.links.items()}
        after.links = {kind: ids for kind, ids in after.links.items() if ids}
        if save(ws, other, after, other_data):
            unlinked[other_id] = [k for k, ids in other.links.items() if issue_id in ids]
    path = ws.store.path(issue_id)
    if read_bytes(str(path), ws.store.display(issue_id))[0] != data:  # no link to /dev/zero
        raise StaleWriteError(f"{ws.store.display(issue_id)}: changed by someone else since "
                              "it was read; nothing was deleted")
    gitutil.run(["rm", "-q", "-f", "--ignore-unmatch", "--", str(path)], ws.root)
    if path.exists():  # never added: git rm does not know it
        path.unlink()
    return Removal(issue, unlinked, committed)


def linking_ids(ws: Workspace, issue_id: str) -> list[str]:
    """Other issues whose own files link to ``issue_id`` (from the fresh index)."""
    from git_issues.index.query import open_index

    with open_index(ws.sources) as view:
        return view.linking_ids(issue_id)


# --- changing and deleting comments ----------------------------------------------

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


def edit_comment(ws: Workspace, issue_id: str, comment_prefix: str, text: str,
                 base: tuple[Issue, bytes] | None = None) -> Outcome:
    """Replace a comment's text; its id, author and date stay.

    ``base`` is the version the user's text was written against (read before
    the editor opened): the write is refused if the file changed since.
    """
    if not text.strip():
        raise GitIssuesError("aborted: the comment is empty (--delete removes a comment)")
    issue, data = base or read(ws, ws.store.resolve(issue_id))
    after = copy.deepcopy(issue)
    target = resolve_comment(after, comment_prefix)
    target.body = normalize_body(text)
    return Outcome(after, save(ws, issue, after, data), target)


def delete_comment(ws: Workspace, issue_id: str, comment_prefix: str) -> Outcome:
    """Remove one comment; the others keep their place."""
    issue, data = read(ws, ws.store.resolve(issue_id))
    after = copy.deepcopy(issue)
    target = resolve_comment(after, comment_prefix)
    after.comments.remove(target)
    return Outcome(after, save(ws, issue, after, data), target)
