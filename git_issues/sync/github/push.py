"""``git issues sync github OWNER/REPO``: the import (the pull), then the push.

The pull is ``import github`` with three additions: an issue GitHub shows that
carries the hidden marker ``<!-- git-issues:ID -->`` of a local issue without a
GitHub number is *adopted* (a crash between the POST and the write-back must
not give a second issue); a field changed on both sides is held back (neither
side written, the last-synced value kept in the state file so the conflict is
seen again next time) unless ``prefer`` settles it; held issues the pull did
not see are fetched one by one so a conflict never silently turns into a push.

The push compares what would be sent with the last-synced values in the same
state file (``.issues/sync/github/OWNER/REPO.json``) and sends only what
changed here: a POST for an issue without a GitHub number (its number is
written into its file at once), a POST per new comment (its id written back),
one PATCH per changed issue, one PATCH per comment edited here.  After each
write the state records what GitHub answered as the new last-synced values.

Comments are compared three ways too, by the digest of their text kept per
GitHub comment id: edited on one side, the edit goes to the other; edited on
both, the comment is held like a field (``comment:ID`` in ``held``).

GitHub's secondary limits on creating content (about 80 a minute, 500 an
hour) are met by pacing the POSTs and by counting them per minute in the state
(``posted``): a push that would go over the hour's budget stops, saying how
many creations are left and when to run again; the next run continues.
"""

from __future__ import annotations

import calendar
import copy
import os
import re
import time
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

from git_issues.errors import GitIssuesError, IssueFileError
from git_issues.sync import state as state_mod
from git_issues.sync.apply import Summary, Writer, body_text, canonical_text
from git_issues.sync.github.importer import (
    Importer,
    Progress,
    as_base,
    check_repo,
    local_values,
    remote_values,
    set_value,
)

if TYPE_CHECKING:
    from git_issues.core.model import Comment, Issue
    from git_issues.repo.config import Config
    from git_issues.repo.workspace import Workspace
    from git_issues.sync.github.client import Client

MARKER = "<!-- git-issues:{} -->"
MARKER_RE = re.compile(r"<!-- git-issues:([0-9a-z]{4,16}) -->")
PACE_ENV = "GIT_ISSUES_SYNC_PACE"
DEFAULT_PACE = 0.8  # seconds between two POSTs: GitHub's ~80 creations a minute
PUSHED_FIELDS = ("title", "status", "labels", "assignees", "milestone", "body")
NOREPLY = "@users.noreply.github.com"
SAVE_EVERY = 50  # creations between two saves of the state file
HOURLY_ENV = "GIT_ISSUES_SYNC_HOURLY"
DEFAULT_HOURLY = 500  # GitHub: "no more than 500 content-generating requests per hour"
COMMENT_HELD = "comment:"  # a held comment in the state's ``held``: "comment:<github id>"
Say = Callable[[str], None]


class OutOfBudget(Exception):
    """The hour's creations are used up; the push stops (see ``Pusher.run``)."""


def hourly_from_env() -> int:
    """Creations allowed in any hour: ``GIT_ISSUES_SYNC_HOURLY``, read per run."""
    return max(_number_from_env(HOURLY_ENV, int, DEFAULT_HOURLY,
                                "a whole number of creations an hour"), 1)


def _number_from_env(name: str, kind: type, default: Any, what: str) -> Any:
    """``name`` from the environment as ``kind``, ``default`` when unset; anything
    else is one line naming the variable."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return kind(value)
    except ValueError:
        raise GitIssuesError(f"{name} must be {what}, got {value!r}") from None


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def minute(moment: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime(moment))


def posted_within_hour(posted: dict[str, int], now: float) -> dict[str, int]:
    """The per-minute creation counts of the last hour (older ones are forgotten)."""
    since = minute(now - 3600)
    return {k: v for k, v in posted.items() if k >= since}  # a minute late, never early


def pace_from_env() -> float:
    """Seconds between POSTs: ``GIT_ISSUES_SYNC_PACE`` (0 turns pacing off), read per run."""
    return max(_number_from_env(PACE_ENV, float, DEFAULT_PACE, "a number of seconds"), 0.0)


class Pushed:
    """What the push did (or, with ``--dry-run``, would do)."""

    def __init__(self) -> None:
        self.created = 0
        self.updated = 0
        self.comments = 0
        self.edited = 0  # comments already on GitHub, edited here
        self.adopted = 0
        self.conflicts: list[str] = []

    def line(self) -> str:
        text = f"pushed: created {self.created}, updated {self.updated}, comments {self.comments}"
        if self.edited:
            text += f", comments edited {self.edited}"
        if self.adopted:
            text += f", adopted {self.adopted}"
        if self.conflicts:
            count = len(self.conflicts)
            text += f", {count} conflict{'s' if count > 1 else ''} (neither side changed)"
        return text


# --- what an issue looks like on GitHub ----------------------------------------------


def is_imported(author: str | None) -> bool:
    """Written on GitHub (imported): its author is already on GitHub, no attribution."""
    return bool(author) and author.rstrip(">").lower().endswith(NOREPLY)


def is_owner(author: str | None, login: str) -> bool:
    """Whether a git identity is the token's owner.

    ``login`` is ``GET /user``'s login, name and public email joined by tabs:
    the owner is the author whose name or email is one of them, or whose email
    is the login's noreply address.
    """
    if not author:
        return True  # nobody to attribute it to
    name, _, email = author.partition("<")
    name, email = name.strip().lower(), email.rstrip(">").strip().lower()
    known = {part.strip().lower() for part in login.split("\t") if part.strip()}
    handle = login.split("\t")[0].strip().lower()
    noreply = email.endswith(NOREPLY) and email.split("@")[0].split("+")[-1] == handle
    return name in known or email in known or noreply


def attribution(author: str | None, date: str, login: str) -> str:
    if is_imported(author) or is_owner(author, login):
        return ""
    return f"*From {author} on {date[:10]} in the repository:*"


def outgoing_body(issue: Issue, login: str, *, marked: bool | None = None) -> str:
    """The body as sent: attribution and marker for issues written here, idempotently."""
    text = issue.body
    if marked is None:
        marked = not is_imported(issue.author)
    if not marked:
        return body_text(text)
    line = attribution(issue.author, issue.created, login)
    if line and not text.startswith(line):
        text = f"{line}\n\n{text}"
    marker = MARKER.format(issue.id)
    if marker not in text:
        text = f"{text.rstrip()}\n\n{marker}"
    return body_text(text)


def outgoing_comment(comment: Comment, login: str) -> str:
    line = attribution(comment.author, comment.date, login)
    text = comment.body
    if line and not text.startswith(line):
        text = f"{line}\n\n{text}"
    return body_text(text)


def comment_texts(comment: Comment) -> set[str]:
    """What GitHub holds of a comment sent from here: with or without attribution."""
    line = f"*From {comment.author} on {comment.date[:10]} in the repository:*"
    return {body_text(comment.body), body_text(f"{line}\n\n{comment.body}")}


def comment_unchanged(comment: Comment, base: str) -> bool:
    """Whether the comment here is still what GitHub held at the last sync."""
    return any(state_mod.digest(text) == base for text in comment_texts(comment))


def without_attribution(comment: Comment, theirs: str) -> str:
    """GitHub's text of a comment sent from here, less the attribution line we added."""
    line = f"*From {comment.author} on {comment.date[:10]} in the repository:*\n\n"
    return body_text(theirs[len(line):]) if theirs.startswith(line) else theirs


def remote_status(status: str, config: Config) -> str:
    """The status as the pull would read GitHub's state back (open, closed or a reason)."""
    if config.state_of(status) != "closed":
        return "open"
    return status if status in ("not_planned", "duplicate") else "closed"


def outgoing(issue: Issue, config: Config, login: str) -> dict[str, Any]:
    return {"title": issue.title, "status": remote_status(issue.status, config),
            "labels": list(issue.labels), "assignees": list(issue.assignees),
            "milestone": issue.milestone, "body": outgoing_body(issue, login)}


def body_unchanged(issue: Issue, base: dict[str, Any]) -> bool:
    """Whether GitHub holds this body already, with or without our marker and the
    attribution line: no need to ask whose token this is (``GET /user``) to know
    that nothing changed, and an author with a noreply address (who looks
    imported) must not cost a PATCH a sync."""
    line = f"*From {issue.author} on {issue.created[:10]} in the repository:*"
    texts = {issue.body, f"{line}\n\n{issue.body}"}
    marker = MARKER.format(issue.id)
    texts |= {f"{t.rstrip()}\n\n{marker}" for t in texts}
    return any(state_mod.digest(body_text(t)) == base["body"] for t in texts)


def differs(field: str, value: Any, base: dict[str, Any]) -> bool:
    if field == "body":
        return state_mod.digest(value) != base["body"]
    if field in ("labels", "assignees"):
        return sorted(value or []) != sorted(base[field] or [])
    return (value or None) != (base[field] or None)


def state_payload(status: str) -> dict[str, Any]:
    if status == "open":
        return {"state": "open"}
    reason = status if status in ("not_planned", "duplicate") else "completed"
    return {"state": "closed", "state_reason": reason}


def shorten(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(value) + "]" if value else "(none)"
    if not value:
        return "(none)"
    text = " ".join(str(value).split())
    return repr(text if len(text) <= 60 else text[:57] + "...")


# --- the pull ------------------------------------------------------------------------


class DryWriter(Writer):
    """A writer for ``--dry-run``: keeps what would be written in memory, touches nothing."""

    def __init__(self, ws: Workspace) -> None:
        super().__init__(ws)
        self.issues: dict[str, Issue] = {}

    def __enter__(self) -> DryWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def mint_id(self) -> str:
        return self.mint_id_avoiding(set(self.issues))

    def create(self, issue: Issue, data: Any = None, base: Any = None) -> None:
        self.issues[issue.id] = copy.deepcopy(issue)
        self.written += 1

    def replace(self, issue: Issue, data: bytes, base: Any = None) -> None:
        self.create(issue)

    def stage_later(self, path: Any) -> None:
        pass


class SyncImporter(Importer):
    """The import, adopting marked issues and holding conflicts back (see the module doc)."""

    def __init__(self, ws: Workspace, repo: str, client: Client, *, say: Say,
                 progress: Progress | None, prefer: str | None, pushed: Pushed,
                 prefer_ids: Collection[str] | None = None, dry_run: bool = False) -> None:
        super().__init__(ws, repo, client, say=say, progress=progress)
        self.prefer = prefer
        self.prefer_ids = None if prefer_ids is None else set(prefer_ids)
        self.dry_run = dry_run
        self.pushed = pushed
        self.held_before = {int(n): set(f) for n, f in self.state.held.items()}
        self.state.held = {}
        self.seen: set[int] = set()
        self.seen_comments: set[int] = set()
        self.kept_bases: dict[tuple[int, int], str | None] = {}  # held comments' old bases
        self._remote: dict[str, Any] = {}
        self.overlay: dict[str, Issue] = {}  # --dry-run: the files as the pull would leave them
        self.statuses_added: dict[str, str] = {}  # --dry-run: what config.yml would gain

    def settles(self, issue_id: str) -> str | None:
        """How ``--prefer`` settles this issue's conflicts: local, remote or not at all."""
        if self.prefer_ids is not None and issue_id not in self.prefer_ids:
            return None
        return self.prefer

    # --- --dry-run: reads only ----------------------------------------------------

    def _writer(self) -> Writer:
        if not self.dry_run:
            return super()._writer()
        writer = DryWriter(self.ws)
        self.overlay = writer.issues
        return writer

    def _save_state(self) -> None:
        self._restore_comment_bases()
        if not self.dry_run:
            super()._save_state()

    def _add_statuses(self) -> None:
        if not self.dry_run:
            super()._add_statuses()
            return
        from git_issues.sync.github.importer import NEW_STATUSES

        missing = [s for s in NEW_STATUSES if s not in self.ws.config().statuses]
        if missing:
            self.summary.notes.append(f"would add the statuses {', '.join(missing)} (closed) "
                                      "to .issues/config.yml for GitHub's close reasons")
        self.statuses_added = {s: NEW_STATUSES[s] for s in missing}

    def _known_numbers(self) -> dict[int, str]:
        """With ``--dry-run``, from the files themselves: refreshing the index writes it."""
        if not self.dry_run:
            return super()._known_numbers()
        known = self.state.issues.local_ids()
        for issue_id in self.ws.store.ids():
            try:
                github = self.ws.store.read(issue_id).origin.get("github")
            except (IssueFileError, GitIssuesError):
                continue
            if github and str(github.get("repo", "")).lower() == self.repo.lower():
                known[int(github["number"])] = issue_id
        return known

    def _create(self, item: dict[str, Any], remote: dict[str, Any], comments: list[tuple]) -> None:
        before = self.summary.imported
        super()._create(item, remote, comments)
        if self.dry_run and self.summary.imported > before:
            self.say(f"would import {self.repo}#{item['number']} {remote['title']!r}")

    def _save_if_changed(self, before: Issue, after: Issue, data: bytes) -> None:
        if self.dry_run and after != before:
            old, new = local_values(before), local_values(after)
            what = [f for f in state_mod.FIELDS if old[f] != new[f] and f != "closed"]
            if before.comments != after.comments:
                what.append("comments")
            number = after.origin.get("github", {}).get("number")
            self.say(f"would update {after.id} ({self.repo}#{number}) from GitHub: "
                     f"{', '.join(what) or 'comment ids'}")
        super()._save_if_changed(before, after, data)

    # --- issues ------------------------------------------------------------------

    def _one_issue(self, item: dict[str, Any], comments: list[tuple]) -> None:
        number = item["number"]
        self.seen.add(number)
        self.seen_comments.update(row[0] for row in comments)
        if number not in self.known and self._adopt(item):
            return
        self._base_of_our_own(item)
        old = copy.deepcopy(self.state.issues.get(number))
        self._remote = remote_values(item)
        super()._one_issue(item, comments)
        held = self.state.held.get(str(number), [])
        entry = self.state.issues.get(number)
        if old is not None and entry is not None:
            for field in held:
                if field.startswith(COMMENT_HELD):
                    continue
                index = state_mod.FIELDS.index(field) + 1
                entry[index] = old[index]
                if field == "status":
                    closed = state_mod.FIELDS.index("closed") + 1
                    entry[closed] = old[closed]
        self._restore_comment_bases()

    def _adopt(self, item: dict[str, Any]) -> bool:
        """A remote issue carrying a local issue's marker: that issue, created by a run
        that stopped before writing the number back.  Write it back now."""
        match = MARKER_RE.search(str(item.get("body") or ""))
        if match is None or not self.ws.store.exists(match[1]):
            return False
        try:
            issue, data = self.ws.store.read_with_bytes(match[1])
        except IssueFileError:
            return False
        if "github" in issue.origin:
            return False
        number = item["number"]
        issue.origin["github"] = {"repo": self.repo, "number": number,
                                  "url": str(item.get("html_url") or "")}
        entry = self.state.entry(number, issue.id, as_base(remote_values(item)))
        self.writer.replace(issue, data, base=self.state.journal_base(number, entry))
        self.known[number] = issue.id
        self.state.issues.keep(number, entry)
        self.pushed.adopted += 1
        return True

    def _base_of_our_own(self, item: dict[str, Any]) -> None:
        """A known issue with no last-synced values that this tool created (its body
        carries the local issue's marker): a push killed after writing the number
        back but before saving the state.  GitHub holds what was sent, so its values
        are the base: without one, every field the push decorated (the attribution
        line, the marker) would read as changed on both sides."""
        number = item["number"]
        if self.state.base(number) is not None:
            return
        match = MARKER_RE.search(str(item.get("body") or ""))
        if match is not None and match[1] == self.known.get(number):
            self.state.record(number, match[1], as_base(remote_values(item)))

    def _conflict(self, issue: Issue, field: str, mine: Any, theirs: Any, number: int) -> None:
        settle = self.settles(issue.id)
        if settle == "remote":
            set_value(issue, field, theirs)
            if field == "status":
                issue.closed = self._remote.get("closed")
            return
        if settle == "local":
            return  # the base becomes GitHub's value: the push sends ours
        self.state.held.setdefault(str(number), []).append(field)
        self.pushed.conflicts.append(
            f"{issue.id} ({self.repo}#{number}) {field}: changed here and on GitHub: "
            f"here {shorten(mine)}, on GitHub {shorten(theirs)}; neither changed "
            f"(--prefer local|remote [--issue {issue.id}] settles it)")

    # --- comments ------------------------------------------------------------------

    def _merge_comments(self, after: Issue, number: int, rows: list[tuple]) -> None:
        """Adopt GitHub's copy of a comment sent by a run that stopped before writing
        its id back (same text as a comment here that has no id yet); then compare
        the comments both sides have three ways; the import adds the new ones."""
        unsent = [c for c in after.comments if c.github_id is None]
        known = {c.github_id for c in after.comments}
        for row in rows if unsent else []:
            github_id, theirs = row[0], body_text(row[4])
            match = next((c for c in unsent if c.github_id is None and github_id not in known
                          and theirs in comment_texts(c)), None)
            if match is not None:
                match.github_id = github_id
                known.add(github_id)
                self.pushed.adopted += 1
        by_github = {c.github_id: c for c in after.comments if c.github_id is not None}
        for row in rows:
            if row[0] in by_github:
                self._merge_comment(after, number, by_github[row[0]], body_text(row[4]))
        super()._merge_comments(after, number, [r for r in rows if r[0] not in by_github])

    def _merge_comment(self, after: Issue, number: int, mine: Comment, theirs: str) -> None:
        if theirs in comment_texts(mine):
            return
        assert mine.github_id is not None
        base = self.state.comment_base(number, mine.github_id)
        if base is not None and state_mod.digest(theirs) == base:
            return  # edited here only: the push sends it
        if base is not None and comment_unchanged(mine, base):
            mine.body = without_attribution(mine, theirs)  # edited on GitHub only
            return
        settle = self.settles(after.id)
        if settle == "remote":
            mine.body = without_attribution(mine, theirs)
            return
        if settle == "local":
            return  # the base becomes GitHub's text: the push sends ours
        self.state.held.setdefault(str(number), []).append(f"{COMMENT_HELD}{mine.github_id}")
        self.kept_bases[(number, mine.github_id)] = base
        url = after.origin.get("github", {}).get("url", "")
        self.pushed.conflicts.append(
            f"{after.id} ({self.repo}#{number}) comment {mine.id}: edited here and on "
            f"GitHub ({url}#issuecomment-{mine.github_id}); neither changed "
            f"(--prefer local|remote [--issue {after.id}] settles it)")

    def _restore_comment_bases(self) -> None:
        """A held comment keeps its old last-synced text, so the conflict is seen again."""
        for (number, github_id), base in self.kept_bases.items():
            entry = self.state.issues.get(number)
            if entry is None:
                continue
            comments = entry[-1]
            if base is None:
                comments.pop(str(github_id), None)
            else:
                comments[str(github_id)] = base

    def _leftover_comments(self, spill: Any) -> None:
        for (number, github_id) in self._held_comments():
            if github_id not in self.seen_comments:  # unchanged on GitHub: ask for it again
                self._refetch_comment(spill, number, github_id)
        super()._leftover_comments(spill)
        self._restore_comment_bases()
        for number in sorted(set(self.held_before) - self.seen):
            fields = self.held_before[number]
            if all(f.startswith(COMMENT_HELD) for f in fields):
                continue  # only comments held: asked for above
            item = self.client.get_json(f"/repos/{self.repo}/issues/{number}",
                                        what=f"issue {self.repo}#{number}")
            if isinstance(item, dict) and item.get("number") == number:
                self._one_issue(item, [])

    def _held_comments(self) -> list[tuple[int, int]]:
        return [(number, int(f[len(COMMENT_HELD):])) for number, fields in
                sorted(self.held_before.items()) for f in sorted(fields)
                if f.startswith(COMMENT_HELD)]

    def _refetch_comment(self, spill: Any, number: int, github_id: int) -> None:
        """Put a held comment GitHub did not change back into the spill, so that step 3
        compares it again (it may have been settled by an edit on either side)."""
        from git_issues.sync.github.client import RateLimited
        from git_issues.sync.github.importer import _comment_row

        try:
            item = self.client.get_json(f"/repos/{self.repo}/issues/comments/{github_id}",
                                        what=f"comment {github_id} of {self.repo}#{number}")
        except RateLimited:
            raise
        except GitIssuesError as exc:  # deleted on GitHub: nothing left to hold it against
            self.summary.notes.append(f"no longer held: {exc}")
            return
        row = _comment_row(item)
        if row is not None:
            self.seen_comments.add(github_id)
            spill.execute("INSERT OR REPLACE INTO c VALUES (?, ?, ?, ?, ?)", row)


# --- the push ------------------------------------------------------------------------


class Pusher:
    """Sends what changed here since the last sync; see the module docstring."""

    def __init__(self, ws: Workspace, repo: str, client: Client, state: state_mod.SyncState,
                 pushed: Pushed, *, say: Say, dry_run: bool, pace: float,
                 progress: Progress | None = None, hourly: int = DEFAULT_HOURLY,
                 overlay: dict[str, Issue] | None = None,
                 statuses: dict[str, str] | None = None) -> None:
        self.ws = ws
        self.progress = progress or (lambda n: None)
        self.repo = repo
        self.client = client
        self.state = state
        self.pushed = pushed
        self.say = say
        self.dry_run = dry_run
        self.pace = pace
        self.hourly = hourly
        self.overlay = overlay or {}  # --dry-run: files as the pull would have left them
        self.config = ws.config()
        self.config.statuses = {**(statuses or {}), **self.config.statuses}  # --dry-run's
        self.held = {int(n): set(f) for n, f in state.held.items()}
        self._login: str | None = None
        self._milestones: dict[str, int] | None = None
        self._last_post = 0.0
        self.writer: Writer | None = None

    @property
    def login(self) -> str:
        """The token owner's login (``GET /user``), asked once and only when needed."""
        if self._login is None:
            user = self.client.get_json("/user", what="user of the token")
            user = user if isinstance(user, dict) else {}
            self._login = "\t".join(str(user.get(k) or "") for k in ("login", "name", "email"))
        return self._login

    def run(self) -> None:
        ids = sorted(set(self.ws.store.ids()) | set(self.overlay))
        with (DryWriter(self.ws) if self.dry_run else Writer(self.ws)) as writer:
            self.writer = writer
            for number, entry in writer.recovered.get(self.state.shown, {}).items():
                self.state.issues.keep(number, entry)  # a killed run's (--push-only)
            try:
                for index, issue_id in enumerate(ids):
                    try:
                        self._one(issue_id)
                    except OutOfBudget:
                        raise GitIssuesError(self._stop_line(ids[index:])) from None
            finally:
                if not self.dry_run:
                    self._save()
        if self.dry_run:
            self._budget_note()

    def _save(self) -> None:
        from git_issues.repo import gitutil

        self.state.posted = posted_within_hour(self.state.posted, time.time())
        if self.state.issues or self.state.held or self.state.posted:
            gitutil.add(self.ws.root, [self.state.save()])

    def _read(self, issue_id: str) -> tuple[Issue, bytes]:
        if issue_id in self.overlay:
            return copy.deepcopy(self.overlay[issue_id]), b""
        return self.ws.store.read_with_bytes(issue_id)

    def _one(self, issue_id: str) -> None:
        try:
            issue, data = self._read(issue_id)
        except (IssueFileError, GitIssuesError):
            return
        github = issue.origin.get("github")
        if github is None:
            self._create(issue, data)
        elif str(github.get("repo", "")).lower() == self.repo.lower():
            self._update(issue, data, int(github["number"]))

    # --- the hour's budget of creations ------------------------------------------

    def _used(self) -> int:
        return sum(posted_within_hour(self.state.posted, time.time()).values())

    def _pending(self, ids: list[str]) -> tuple[int, int]:
        """Issues and comments still to create among ``ids`` (as the files are now)."""
        issues = comments = 0
        for issue_id in ids:
            try:
                issue, _ = self._read(issue_id)
            except (IssueFileError, GitIssuesError):
                continue
            github = issue.origin.get("github")
            if github is None:
                issues += 1
            elif str(github.get("repo", "")).lower() != self.repo.lower():
                continue
            comments += sum(1 for c in issue.comments if c.github_id is None)
        return issues, comments

    def _stop_line(self, rest: list[str]) -> str:
        issues, comments = self._pending(rest)
        window = posted_within_hour(self.state.posted, time.time())
        oldest = min(window) if window else minute(time.time())
        start = calendar.timegm(time.strptime(oldest, "%Y-%m-%dT%H:%MZ"))
        again = time.strftime("%H:%M UTC", time.gmtime(start + 3660))
        return (f"stopped: {self._used()} creations on GitHub in the last hour, the limit "
                f"is {self.hourly} ({HOURLY_ENV}); {plural(issues, 'issue')} and "
                f"{plural(comments, 'comment')} are left to send; run the same command "
                f"again after {again}: it continues")

    def _budget_note(self) -> None:
        wanted = self.pushed.created + self.pushed.comments
        room = max(self.hourly - self._used(), 0)
        if wanted > room:
            self.say(f"note: {wanted} creations, {room} left this hour ({HOURLY_ENV}="
                     f"{self.hourly}): the sync would stop after {room} and continue later")

    # --- writes ------------------------------------------------------------------

    def _post(self, path: str, payload: dict[str, Any]) -> Any:
        if self._used() >= self.hourly:
            raise OutOfBudget
        wait = self._last_post + self.pace - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        try:
            return self.client.send("POST", path, payload)
        finally:
            self._last_post = time.monotonic()
            key = minute(time.time())
            self.state.posted[key] = self.state.posted.get(key, 0) + 1

    def _write(self, issue: Issue, data: bytes, base: state_mod.Base | None = None) -> bytes:
        assert self.writer is not None
        self.writer.replace(issue, data, base)
        return canonical_text(issue).encode("utf-8")

    def _milestone_number(self, title: str | None) -> int | None:
        if not title:
            return None
        if self._milestones is None:
            self._milestones = {}
            path = f"/repos/{self.repo}/milestones"
            for page in self.client.pages(path, {"state": "all", "per_page": 100}):
                for item in page:
                    if isinstance(item, dict) and isinstance(item.get("number"), int):
                        self._milestones[str(item.get("title"))] = item["number"]
        if title not in self._milestones:
            made = self._post(f"/repos/{self.repo}/milestones", {"title": title})
            self._milestones[title] = made["number"]
        return self._milestones[title]

    def _create(self, issue: Issue, data: bytes) -> None:
        values = outgoing(issue, self.config, self.login)
        values["body"] = outgoing_body(issue, self.login, marked=True)  # found after a crash
        if self.dry_run:
            self.say(f"would create: {issue.id} {issue.title!r}"
                     + (f" with {len(issue.comments)} comments" if issue.comments else ""))
            self.pushed.created += 1
            self.pushed.comments += len(issue.comments)
            return
        payload: dict[str, Any] = {"title": values["title"], "body": values["body"],
                                   "labels": values["labels"], "assignees": values["assignees"]}
        if values["milestone"]:
            payload["milestone"] = self._milestone_number(values["milestone"])
        item = self._post(f"/repos/{self.repo}/issues", payload)
        number = item["number"]
        issue.origin["github"] = {"repo": self.repo, "number": number,
                                  "url": str(item.get("html_url") or "")}
        # At once, with what GitHub answered as its base in the journal: after a
        # kill the rerun stages the number and remembers the base (an edit made on
        # GitHub meanwhile is then pulled, not overwritten), and nothing creates
        # the issue twice.
        entry = self.state.entry(number, issue.id, as_base(remote_values(item)))
        data = self._write(issue, data, self.state.journal_base(number, entry))
        if values["status"] != "open":
            item = self.client.send("PATCH", f"/repos/{self.repo}/issues/{number}",
                                    state_payload(values["status"]))
        self.state.record(number, issue.id, as_base(remote_values(item)))
        self.pushed.created += 1
        self.progress(self.pushed.created)
        self._comments(issue, data, number)
        if self.pushed.created % SAVE_EVERY == 0:
            self._save()

    def _update(self, issue: Issue, data: bytes, number: int) -> None:
        base = self.state.base(number)
        if base is None:
            if self.dry_run:
                self.say(f"would compare {issue.id} ({self.repo}#{number}) with GitHub "
                         "(no last-synced values)")
                return
            item = self.client.get_json(f"/repos/{self.repo}/issues/{number}")
            self.state.record(number, issue.id, as_base(remote_values(item)))
            base = self.state.base(number)
            assert base is not None
        values = outgoing(issue, self.config, "")
        held = self.held.get(number, set())
        changed = [f for f in PUSHED_FIELDS if f not in held and differs(f, values[f], base)
                   and not (f == "body" and body_unchanged(issue, base))]
        if "body" in changed:
            values["body"] = outgoing_body(issue, self.login)
            if not differs("body", values["body"], base):
                changed.remove("body")
        if changed:
            self._patch(issue, number, values, changed)
        self._comments(issue, data, number)

    def _patch(self, issue: Issue, number: int, values: dict[str, Any],
               changed: list[str]) -> None:
        if self.dry_run:
            self.say(f"would update {issue.id} ({self.repo}#{number}): {', '.join(changed)}")
            self.pushed.updated += 1
            return
        payload: dict[str, Any] = {}
        for field in changed:
            if field == "status":
                payload.update(state_payload(values["status"]))
            elif field == "milestone":
                payload["milestone"] = self._milestone_number(values["milestone"])
            else:
                payload[field] = values[field]
        item = self.client.send("PATCH", f"/repos/{self.repo}/issues/{number}", payload)
        old = list(self.state.issues[number])
        self.state.record(number, issue.id, as_base(remote_values(item)))
        entry = self.state.issues[number]
        for field in self.held.get(number, set()):  # a held field keeps its old base
            if not field.startswith(COMMENT_HELD):
                index = state_mod.FIELDS.index(field) + 1
                entry[index] = old[index]
        self.pushed.updated += 1

    def _comments(self, issue: Issue, data: bytes, number: int) -> None:
        for comment in issue.comments:
            if comment.github_id is not None:
                self._edit_comment(issue, comment, number)
                continue
            if self.dry_run:
                self.say(f"would comment on {self.repo}#{number} ({issue.id})")
                self.pushed.comments += 1
                continue
            body = outgoing_comment(comment, self.login)
            made = self._post(f"/repos/{self.repo}/issues/{number}/comments", {"body": body})
            comment.github_id = int(made["id"])
            data = self._write(issue, data)
            if number in self.state.issues:
                self.state.record_comment(number, comment.github_id,
                                          state_mod.digest(body_text(made.get("body"))))
            self.pushed.comments += 1

    def _exists(self, path: str) -> bool:
        """Whether GitHub still has this thing (asked after a write to it failed)."""
        from git_issues.sync.github.client import RateLimited

        try:
            self.client.get_json(path)
        except RateLimited:
            return True
        except GitIssuesError:
            return False
        return True

    def _edit_comment(self, issue: Issue, comment: Comment, number: int) -> None:
        """A comment already on GitHub, edited here since the last sync: one PATCH."""
        from git_issues.sync.github.client import RateLimited

        github_id = comment.github_id
        assert github_id is not None
        if f"{COMMENT_HELD}{github_id}" in self.held.get(number, set()):
            return
        base = self.state.comment_base(number, github_id)
        if base is None or comment_unchanged(comment, base):
            return
        if self.dry_run:
            self.say(f"would edit comment {comment.id} on {self.repo}#{number} ({issue.id})")
            self.pushed.edited += 1
            return
        body = outgoing_comment(comment, self.login)
        path = f"/repos/{self.repo}/issues/comments/{github_id}"
        try:
            made = self.client.send("PATCH", path, {"body": body})
        except RateLimited:
            raise
        except GitIssuesError:
            if not self._exists(path):
                self.say(f"note: comment {comment.id} of {issue.id} was deleted on GitHub; "
                         "its edit is not sent (comments are not created again)")
                self.state.issues[number][-1].pop(str(github_id), None)
                return
            if is_imported(comment.author) and not is_owner(comment.author, self.login):
                self.say(f"note: GitHub refused the edit of comment {comment.id} of "
                         f"{issue.id}, written there by {comment.author.split(' <')[0]}: "
                         "the edit stays here (the token may edit only its own comments)")
                return
            raise
        self.state.record_comment(number, github_id,
                                  state_mod.digest(body_text(made.get("body"))))
        self.pushed.edited += 1


def run_sync(ws: Workspace, repo: str, *, api_url: str | None, say: Say,
             progress: Progress | None = None, prefer: str | None = None,
             prefer_ids: Collection[str] | None = None,
             pull: bool = True, push: bool = True, dry_run: bool = False,
             pace: float | None = None, hourly: int | None = None, backoff: float = 1.0,
             max_wait: float | None = None) -> tuple[Summary, Pushed]:
    """Pull then push, through one client; the library entry point of ``sync github``.

    ``prefer_ids`` limits ``prefer`` to those issues' conflicts.  ``dry_run``
    makes the pull's reads (GETs only) and keeps what it would write in memory,
    so the push it then reports is judged against GitHub as it is now; nothing
    is written on disk and no POST or PATCH is sent.
    """
    from git_issues.sync.github.client import MAX_WAIT, Client, find_token
    from git_issues.sync.github.client import api_url as resolve_url

    check_repo(repo)
    if prefer not in (None, "local", "remote"):
        raise GitIssuesError("--prefer takes local or remote")
    if prefer_ids is not None and prefer is None:
        raise GitIssuesError("--issue says whose conflicts --prefer settles: give --prefer too")
    pace = pace_from_env() if pace is None else pace
    hourly = hourly_from_env() if hourly is None else hourly
    pushed = Pushed()
    summary = Summary()
    overlay: dict[str, Issue] = {}
    statuses: dict[str, str] = {}
    with Client(resolve_url(api_url), find_token(), say=say, backoff=backoff,
                max_wait=MAX_WAIT if max_wait is None else max_wait) as client:
        if pull:
            importer = SyncImporter(ws, repo, client, say=say, progress=progress,
                                    prefer=prefer, pushed=pushed, prefer_ids=prefer_ids,
                                    dry_run=dry_run)
            summary = importer.run()
            state, overlay, statuses = importer.state, importer.overlay, importer.statuses_added
        else:
            state = state_mod.load(ws.root, "github", repo)
        if push:
            Pusher(ws, repo, client, state, pushed, say=say, dry_run=dry_run, pace=pace,
                   progress=progress, hourly=hourly, overlay=overlay, statuses=statuses).run()
    return summary, pushed
