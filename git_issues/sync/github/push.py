"""``git issues sync github OWNER/REPO``: the import (the pull), then the push.

The pull (pull.py) is ``import github`` that adopts issues created by a
killed push and holds conflicts back.  The push asks the engine for its plan
(``engine.plan_push``: what would be sent compared with the last-synced values
in the same state file, ``.issues/sync/github/OWNER/REPO.json``), then walks
it with the forge, sending only what changed here: a POST for an issue
without a GitHub number (its number is written into its file at once), a POST
per new comment (its id written back), one PATCH per changed issue, one PATCH
per comment edited here.  After each write the state
records what GitHub answered as the new last-synced values.

GitHub's secondary limits on creating content (about 80 a minute, 500 an
hour) are met by pacing the POSTs and by counting them per minute in the state
(``posted``): a push that would go over the hour's budget stops, saying how
many creations are left and when to run again; the next run continues.
"""

from __future__ import annotations

import calendar
import copy
import itertools
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from dataclasses import field as default
from typing import TYPE_CHECKING, Any

from git_issues.errors import FieldError, GitIssuesError, IssueFileError
from git_issues.repo import gitutil
from git_issues.sync import state as state_mod
from git_issues.sync.apply import Summary, Writer, canonical_text
from git_issues.sync.engine import (
    COMMENT_HELD,
    Outgoing,
    Plan,
    Step,
    as_base,
    plan_push,
    push_steps,
)
from git_issues.sync.github.adapter import GitHubForge
from git_issues.sync.github.client import MAX_WAIT, Client, RateLimited, find_token
from git_issues.sync.github.client import api_url as resolve_url
from git_issues.sync.github.importer import Progress
from git_issues.sync.github.mapping import check_repo
from git_issues.sync.github.outgoing import (
    HOURLY_ENV,
    Pushed,
    Say,
    hourly_from_env,
    is_imported,
    is_owner,
    minute,
    outgoing,
    outgoing_body,
    outgoing_comment,
    outgoing_view,
    pace_from_env,
    plural,
    posted_within_hour,
)
from git_issues.sync.github.pull import DryWriter, SyncImporter
from git_issues.sync.origins import GITHUB, ForgeKind

if TYPE_CHECKING:
    from git_issues.core.model import Comment, Issue
    from git_issues.repo.workspace import Workspace

SAVE_EVERY = 50  # creations between two saves of the state file


@dataclass(frozen=True)
class SyncOptions:
    """How one ``sync`` runs; checked once, here, when made.

    ``prefer``: settle conflicts with the local or the remote value;
    ``prefer_ids``: only those issues' conflicts (needs ``prefer``);
    ``dry_run``: reads only (the pull's GETs), what would be written kept in
    memory, nothing sent; ``pace``/``hourly``: seconds between POSTs and
    creations an hour (None: from the environment, per run); ``backoff`` and
    ``max_wait``: the client's retry pause and longest rate-limit wait.
    """

    prefer: str | None = None
    prefer_ids: Collection[str] | None = None
    pull: bool = True
    push: bool = True
    dry_run: bool = False
    pace: float | None = None
    hourly: int | None = None
    backoff: float = 1.0
    max_wait: float = MAX_WAIT
    api_url: str | None = None

    def __post_init__(self) -> None:
        if self.prefer not in (None, "local", "remote"):
            raise FieldError("prefer", "takes local or remote")
        if self.prefer_ids is not None and self.prefer is None:
            raise FieldError("prefer_ids", "says whose conflicts prefer settles: "
                                            "give prefer too")


@dataclass
class Pulled:
    """What the pull hands the push: the state, the counts, and for ``--dry-run`` the
    files as the pull would have left them and the statuses it would add."""

    state: state_mod.SyncState
    pushed: Pushed
    plan: Plan
    overlay: dict[str, Issue] = default(default_factory=dict)
    statuses: dict[str, str] = default(default_factory=dict)


class OutOfBudget(Exception):
    """The hour's creations are used up; the push stops (see ``Pusher.run``)."""


class Pusher:
    """Sends what changed here since the last sync; see the module docstring.

    Another forge's push is a subclass naming its ``kind`` and ``open_forge``."""

    kind: ForgeKind = GITHUB

    def __init__(self, ws: Workspace, repo: str, client: Client, options: SyncOptions,
                 pulled: Pulled, *, say: Say, progress: Progress | None = None) -> None:
        self.ws = ws
        self.progress = progress or (lambda n: None)
        self.repo = repo
        self.client = client
        self.state = pulled.state
        self.pushed = pulled.pushed
        self.plan = pulled.plan
        self.say = say
        self.dry_run = options.dry_run
        self.pace = pace_from_env() if options.pace is None else options.pace
        self.hourly = hourly_from_env() if options.hourly is None else options.hourly
        self.overlay = pulled.overlay  # --dry-run: files as the pull would have left them
        self.config = ws.config()
        self.config.statuses = {**pulled.statuses, **self.config.statuses}  # --dry-run's
        self.held = {int(n): set(f) for n, f in self.state.held.items()}
        self._login: str | None = None
        self._last_post = 0.0
        self.forge = self.open_forge(client)
        self.host: str | None = getattr(self.forge, "host", None)
        self.writer: Writer | None = None

    def open_forge(self, client: Any) -> Any:
        """The adapter the push writes through (another forge's push names its own)."""
        return GitHubForge(client, self.repo, paced=self._paced)

    def view(self, issue: Issue) -> Outgoing | None:
        return outgoing_view(issue, self.config, self.repo, self.kind, self.host)

    @property
    def login(self) -> str:
        """The token owner's login (``GET /user``), asked once and only when needed."""
        if self._login is None:
            self._login = self.forge.owner()
        return self._login

    def run(self) -> None:
        ids = sorted(set(self.ws.store.ids()) | set(self.overlay))
        with (DryWriter(self.ws) if self.dry_run else Writer(self.ws)) as writer:
            self.writer = writer
            for number, entry in writer.recovered.get(self.state.shown, {}).items():
                self.state.issues.keep(number, entry)  # a killed run's (--push-only)
            plan = plan_push(self._views(ids), _Peek(self.state.issues), self.held)
            if self.dry_run:
                self._tell(plan.steps)
            else:
                try:
                    self._apply(plan.steps, ids)
                finally:
                    self._save()
        if self.dry_run:
            self._budget_note()

    def _views(self, ids: list[str]) -> Iterator[Outgoing]:
        """The engine's view of each local issue of this repository (or never sent),
        one at a time: a file is read again when its steps are applied."""
        for issue_id in ids:
            try:
                issue, _ = self._read(issue_id)
            except (IssueFileError, GitIssuesError):
                continue
            view = self.view(issue)
            if view is not None:
                yield view

    def _tell(self, steps: list[Step]) -> None:
        """``--dry-run``: the plan, told line by line, and what it would count."""
        for step in steps:
            if step.kind == "create there":
                self.pushed.created += 1
                self.pushed.comments += step.comments
            elif step.kind == "update there":
                self.pushed.updated += 1
            elif step.kind == "comment there":
                self.pushed.comments += 1
            elif step.kind == "edit comment there":
                self.pushed.edited += 1
        self.plan.tell(steps)

    def _apply(self, steps: list[Step], ids: list[str]) -> None:
        """Walk the plan with the forge, one issue's steps after another."""
        for issue_id, group in itertools.groupby(steps, key=lambda step: step.local_id):
            try:
                self._apply_issue(issue_id, list(group))
            except OutOfBudget:
                rest = [other for other in ids if other >= issue_id]
                raise GitIssuesError(self._stop_line(rest)) from None

    def _save(self) -> None:
        self.state.posted = posted_within_hour(self.state.posted, time.time())
        if self.state.issues or self.state.held or self.state.posted:
            gitutil.add(self.ws.root, [self.state.save()])

    def _read(self, issue_id: str) -> tuple[Issue, bytes]:
        if issue_id in self.overlay:
            return copy.deepcopy(self.overlay[issue_id]), b""
        return self.ws.store.read_with_bytes(issue_id)

    def _apply_issue(self, issue_id: str, steps: list[Step]) -> None:
        try:
            issue, data = self._read(issue_id)
        except (IssueFileError, GitIssuesError):
            return
        for step in steps:
            data = self._apply_step(issue, data, step)
        if steps[0].kind == "create there" and self.pushed.created % SAVE_EVERY == 0:
            self._save()

    def _apply_step(self, issue: Issue, data: bytes, step: Step) -> bytes:
        """One step's writes; the file's bytes as they are afterwards."""
        if step.kind == "create there":
            return self._create(issue, data)
        number = int(self.kind.origin(issue)[self.kind.number_key])
        if step.kind == "compare":
            return self._compare(issue, data, number)
        if step.kind == "update there":
            self._patch(issue, number, list(step.fields))
            return data
        comment = next(c for c in issue.comments if c.id == step.comment)
        if step.kind == "edit comment there":
            self._edit_comment(issue, comment, number)
            return data
        return self._add_comment(issue, data, number, comment)

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
            view = self.view(issue)
            if view is None:
                continue
            issues += view.number is None
            comments += sum(1 for c in view.comments if c.remote_id is None)
        return issues, comments

    def _stop_line(self, rest: list[str]) -> str:
        issues, comments = self._pending(rest)
        window = posted_within_hour(self.state.posted, time.time())
        oldest = min(window) if window else minute(time.time())
        start = calendar.timegm(time.strptime(oldest, "%Y-%m-%dT%H:%MZ"))
        again = time.strftime("%H:%M UTC", time.gmtime(start + 3660))
        return (f"stopped: {self._used()} creations on {self.kind.name} in the last hour, "
                f"the limit "
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

    def _paced(self, send: Callable[[], Any]) -> Any:
        """One creation, within the hour's budget and the pace; counted in the state."""
        if self._used() >= self.hourly:
            raise OutOfBudget
        wait = self._last_post + self.pace - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        try:
            return send()
        finally:
            self._last_post = time.monotonic()
            key = minute(time.time())
            self.state.posted[key] = self.state.posted.get(key, 0) + 1

    def _write(self, issue: Issue, data: bytes,
               base: state_mod.JournalBase | None = None) -> bytes:
        assert self.writer is not None
        self.writer.replace(issue, data, base)
        return canonical_text(issue).encode("utf-8")

    def _create(self, issue: Issue, data: bytes) -> bytes:
        values = outgoing(issue, self.config, self.login, self.kind)
        values["body"] = outgoing_body(issue, self.login, marked=True)  # found after a crash
        made = self.forge.create_issue(values)
        number = made.number
        issue.origin.update(self.kind.new_origin(self.repo, number, made.url, self.host))
        # At once, with what GitHub answered as its base in the journal: after a
        # kill the rerun stages the number and remembers the base (an edit made on
        # GitHub meanwhile is then pulled, not overwritten), and nothing creates
        # the issue twice.
        entry = self.state.entry(number, issue.id, as_base(made.values()))
        data = self._write(issue, data, self.state.journal_base(number, entry))
        if values["status"] != "open":
            made = self.forge.update_issue(number, values, ["status"])
        self.state.record(number, issue.id, as_base(made.values()))
        self.pushed.created += 1
        self.progress(self.pushed.created)
        return data

    def _compare(self, issue: Issue, data: bytes, number: int) -> bytes:
        """No last-synced values: GitHub's copy becomes the base, then the engine
        plans this issue again against it."""
        found = self.forge.issue(number)
        if found is None:
            raise GitIssuesError(f"{self.kind.name}'s answer about {self.repo}#{number} "
                                 "is not an issue")
        self.state.record(number, issue.id, as_base(found.values()))
        view = self.view(issue)
        assert view is not None
        for step in push_steps(view, self.state.issues.peek(number),
                               self.held.get(number, ())):
            data = self._apply_step(issue, data, step)
        return data

    def _patch(self, issue: Issue, number: int, changed: list[str]) -> None:
        values = outgoing(issue, self.config, "", self.kind)
        if "body" in changed:
            values["body"] = outgoing_body(issue, self.login)
        made = self.forge.update_issue(number, values, changed)
        old = copy.deepcopy(self.state.issues[number])
        self.state.record(number, issue.id, as_base(made.values()))
        entry = self.state.issues[number]
        for name in self.held.get(number, set()):  # a held field keeps its old base
            if not name.startswith(COMMENT_HELD):
                entry.keep_from(old, name)
        self.pushed.updated += 1

    def _add_comment(self, issue: Issue, data: bytes, number: int, comment: Comment) -> bytes:
        body = outgoing_comment(comment, self.login)
        made = self.forge.add_comment(number, body)
        self.kind.set_comment_id(comment, made.id)
        data = self._write(issue, data)
        if number in self.state.issues:
            self.state.record_comment(number, made.id, state_mod.digest(made.text))
        self.pushed.comments += 1
        return data

    def _edit_comment(self, issue: Issue, comment: Comment, number: int) -> None:
        """A comment already on GitHub, edited here since the last sync: one PATCH."""
        github_id = self.kind.comment_id(comment)
        assert github_id is not None
        body = outgoing_comment(comment, self.login)
        forge = self.kind.name
        try:
            text = self.forge.edit_comment(github_id, body, number)
        except RateLimited:
            raise
        except GitIssuesError:
            if not self.forge.comment_exists(github_id, number):
                self.say(f"note: comment {comment.id} of {issue.id} was deleted on {forge}; "
                         "its edit is not sent (comments are not created again)")
                self.state.forget_comment(number, github_id)
                return
            if is_imported(comment.author) and not is_owner(comment.author, self.login):
                self.say(f"note: {forge} refused the edit of comment {comment.id} of "
                         f"{issue.id}, written there by {comment.author.split(' <')[0]}: "
                         "the edit stays here (the token may edit only its own comments)")
                return
            raise
        self.state.record_comment(number, github_id, state_mod.digest(text))
        self.pushed.edited += 1


class _Peek(Mapping[int, state_mod.Entry]):
    """The state's entries as the engine reads them: decoded one by one, not kept."""

    def __init__(self, entries: state_mod.Entries) -> None:
        self.entries = entries

    def __getitem__(self, number: int) -> state_mod.Entry:
        entry = self.entries.peek(number)
        if entry is None:
            raise KeyError(number)
        return entry

    def __iter__(self) -> Iterator[int]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)


@dataclass(frozen=True)
class Remote:
    """What a sync run takes from one forge: its client (opened per run, from the
    options), its pull and its push; ``checked`` refuses a misspelt repository."""

    client: Callable[[SyncOptions, Say], Client]
    importer: type[SyncImporter] = SyncImporter
    pusher: type[Pusher] = Pusher
    checked: Callable[[str], str] = check_repo


def _github_client(options: SyncOptions, say: Say) -> Client:
    return Client(resolve_url(options.api_url), find_token(), say=say, backoff=options.backoff,
                  max_wait=options.max_wait)


GITHUB_REMOTE = Remote(_github_client)


def run_sync(ws: Workspace, repo: str, options: SyncOptions | None = None, *, say: Say,
             progress: Progress | None = None,
             remote: Remote = GITHUB_REMOTE) -> tuple[Summary, Pushed]:
    """Pull then push, through one client; the library entry point of ``sync github``
    (and, with their ``remote``, of ``sync gitlab`` and ``sync gitea``).

    With ``dry_run`` the pull makes reads only and keeps what it would write in
    memory, so the push it then reports is judged against the forge as it is now;
    nothing is written on disk and no POST or PATCH is sent.
    """
    options = options or SyncOptions()
    remote.checked(repo)
    summary = Summary()
    with remote.client(options, say) as client:
        pushed = Pushed()
        importer = remote.importer(ws, repo, client, options, pushed, say=say,
                                   progress=progress)
        if options.pull:
            summary = importer.run()
            pulled = Pulled(importer.state, pushed, importer.plan, importer.overlay,
                            importer.statuses_added)
        else:  # the state as saved (the importer set its held conflicts aside)
            pulled = Pulled(importer.load_state(), pushed, importer.plan)
        if options.push:
            remote.pusher(ws, repo, client, options, pulled, say=say, progress=progress).run()
    return summary, pulled.pushed
