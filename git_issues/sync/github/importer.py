"""``git issues import github OWNER/REPO``: GitHub's issues, again and again.

A run asks only for what changed since the last one (``since`` = the last
run's start minus a margin, kept in the sync state so any clone continues),
in three steps that keep memory flat whatever the repository's size:

1. the repository-wide comments list (100 a request, not one request per
   issue) is spilled into a temporary SQLite file in the git dir;
2. the issues list, oldest change first, is streamed page by page: each issue
   is written whole, with its comments, once; pull requests are skipped;
3. comments on issues that did not change themselves are added to their files.

For an issue imported before, each field is compared three ways (the value
at the last import, kept in the sync state; the file; GitHub): a field only
GitHub changed is applied, a field only changed here is kept, and a field
both changed is a conflict: the local value stays and both are reported.

An issue whose file would pass the reader's limit (1 MiB: a long thread) is
stored with its body and the newest comments that fit; the file's ``github``
mapping counts the comments left out (``left_out``, shown by ``show`` with
the link), and the sync state marks each of them (``LEFT_OUT``), so that no
re-run brings them back and overflows again.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as _dt
import os
import shlex
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from git_issues.core.model import (
    Comment,
    Issue,
    ValidationError,
    format_timestamp,
    issue_from_dict,
    now,
)
from git_issues.errors import IssueFileError
from git_issues.index.query import open_index
from git_issues.index.spill import CommentSpill, open_spill
from git_issues.repo.locks import sweep_dead_spills
from git_issues.sync import state as state_mod
from git_issues.sync.apply import Summary, Writer, ensure_statuses, mint_comment_id
from git_issues.sync.engine import (
    as_base,
    compare,
    compare_text,
    local_values,
    set_value,
    settle,
)
from git_issues.sync.github.adapter import PER_PAGE, GitHubForge
from git_issues.sync.github.client import Client, find_token
from git_issues.sync.github.client import api_url as resolve_url
from git_issues.sync.github.mapping import (
    NEW_STATUSES,
    RemoteComment,
    RemoteIssue,
    check_repo,
)
from git_issues.sync.journal import SPILL
from git_issues.sync.origins import GITHUB, ForgeKind
from git_issues.sync.text import fit, latest_time, not_future

if TYPE_CHECKING:
    from git_issues.repo.workspace import Workspace

MARGIN = _dt.timedelta(minutes=10)  # clocks differ; fetching a little twice is harmless
# Issues between two saves of the sync state while a run goes on (for a run killed
# hard: Ctrl-C and errors save it anyway), growing by half with the run so that
# the saves of a state of 100,000 issues cost about two saves in all.
CHECKPOINT_EVERY = 5000
LEFT_OUT = ""  # the sync state's digest of a GitHub comment the file cannot hold
# progress(done, estimated_total): the total is an estimate (the pages of the list,
# pull requests included), None when unknown.
Progress = Callable[..., None]


class Importer:
    """One run against one repository; see the module docstring for the steps.

    Another forge's import is a subclass that names its ``kind``, ``forge`` and
    ``state`` (``sync/gitlab/importer.py``); the steps and the writes are these."""

    kind: ForgeKind = GITHUB
    new_statuses: dict[str, str] = NEW_STATUSES  # the forge's close reasons, as statuses
    ordered = True  # the list comes oldest change first: a killed run resumes there

    def __init__(self, ws: Workspace, repo: str, client: Client, *,
                 say: Callable[[str], None], progress: Progress | None = None) -> None:
        self.ws = ws
        self.repo = self.checked(repo)
        self.client = client
        self.forge: Any = self.open_forge(client)
        self.say = say
        self.progress = progress or (lambda done, total=None, unit="issues": None)
        self.summary = Summary()
        self.state = self.load_state()
        self.known: dict[int, str] = {}
        self.started = now()
        self.done = 0
        self.statuses_checked = False
        self.checkpoint = CHECKPOINT_EVERY  # issues done at the next save of the state
        self.remember_since = True  # False for a file (gh-json): its data may be old
        self.latest = latest_time()  # times past it are clamped: check would refuse them

    def checked(self, repo: str) -> str:
        return check_repo(repo)

    def open_forge(self, client: Any) -> Any:
        return GitHubForge(client, self.repo)

    def load_state(self) -> state_mod.SyncState:
        return state_mod.load(self.ws.root, "github", self.repo)

    # --- the run ---------------------------------------------------------------

    def run(self) -> Summary:
        state = self.state
        issues_since = comments_since = _minus_margin(state.since)
        if state.partial.get("issues_through"):
            issues_since = max(filter(None, [issues_since, state.partial["issues_through"]]))
        self.started = state.partial.get("started") or self.started
        self.known = self._known_numbers()
        with self._writer() as writer, _spill(self.ws) as spill:
            self.writer = writer
            for number, entry in writer.recovered.get(state.shown, {}).items():
                state.issues.keep(number, entry)  # a killed run's, newer than the file read
            try:
                self._fetch_comments(spill, comments_since)
                self._import_issues(spill, issues_since)
                self._leftover_comments(spill)
            except BaseException:
                if self.done or writer.written:  # a refusal before any issue: nothing to keep
                    state.partial = {"started": self.started,
                                     "issues_through": state.partial.get("issues_through")}
                    self._save_state()
                raise
            if self.remember_since:
                state.since = self.started
            state.partial = {}
            self._save_state()
        return self.summary

    def _writer(self) -> Writer:
        """Where the files go; ``sync --dry-run`` swaps in one that keeps them in memory."""
        return Writer(self.ws)

    def _save_state(self) -> None:
        """Write and stage the state; not while it holds no issue (a run that imported
        nothing writes and stages nothing: the next one just asks for everything)."""
        if not (self.state.issues or self.state.held or self.state.posted):
            return
        self.writer.journal(self.state.path)
        self.writer.stage_later(self.state.save())

    def _known_numbers(self) -> dict[int, str]:
        """GitHub number -> local id: from the files (through the index), then the state."""
        known = self.state.issues.local_ids()
        if not self.ws.store.ids():
            return known  # no issue files: nothing to look up (and no index to build)
        with open_index(self.ws.sources) as view:
            kind = self.kind
            known.update(view.ids_by_origin(kind.key, self.repo, repo_key=kind.repo_key,
                                            number_key=kind.number_key,
                                            host=self._origin_host()))
        return known

    # --- step 1: comments into the spill ----------------------------------------

    def _fetch_comments(self, spill: CommentSpill, since: str | None) -> None:
        fetched = 0
        with self.forge.comment_pages(since) as pages:
            for page in pages:
                spill.put(self._in_time(comment).row() for comment in page)
                fetched += len(page)
                total = self.forge.total_pages
                self.progress(fetched, total * PER_PAGE if total else None, "comments")

    def _in_time(self, comment: RemoteComment) -> RemoteComment:
        """The comment with a date ``check`` accepts (see ``text.not_future``)."""
        if comment.created > self.latest:
            where = f"{self.repo}#{comment.number} comment {comment.id}: created"
            comment.created = not_future(comment.created, self.latest, where, self.summary)
        return comment

    # --- step 2: issues, oldest change first -------------------------------------

    def _import_issues(self, spill: CommentSpill, since: str | None) -> None:
        with self.forge.issue_pages(since) as pages:
            for page in pages:
                self._import_page(spill, page)

    def _import_page(self, spill: CommentSpill, items: list[RemoteIssue]) -> None:
        """One page of issues, their comments taken from the spill in one query."""
        comments = _take_comments(spill, [remote.number for remote in items])
        total = self.forge.total_pages
        for remote in items:
            if remote.is_pull:
                self.summary.skip("pull requests")
                continue
            if not self.statuses_checked and remote.status != "open":
                self._add_statuses()
                self.statuses_checked = True
            self._one_issue(remote, comments.get(remote.number, []))
            if self.ordered:
                self.state.partial["issues_through"] = remote.updated
            self.done += 1
            self.progress(self.done, total * PER_PAGE if total else None)
            if self.done >= self.checkpoint:
                self.state.partial["started"] = self.started
                self._save_state()
                self.checkpoint = max(self.done + CHECKPOINT_EVERY, self.done * 3 // 2)

    def _add_statuses(self) -> None:
        added = ensure_statuses(self.ws, self.new_statuses, self.writer)
        if added:
            self.summary.notes.append(
                f"added the statuses {', '.join(added)} (closed) to .issues/config.yml "
                f"for {self.kind.name}'s close reasons")

    def _one_issue(self, remote: RemoteIssue, comments: list[RemoteComment]) -> None:
        number = remote.number
        local_id = self.known.get(number)
        if remote.closed and remote.closed > self.latest:
            remote.closed = not_future(remote.closed, self.latest,
                                       f"{self.repo}#{number}: closed", self.summary)
        if local_id is None:
            self._create(remote, comments)
            return
        if not self.ws.store.exists(local_id):
            self.summary.skip("deleted here")
            return
        try:
            issue, data = self.ws.store.read_with_bytes(local_id)
        except IssueFileError as exc:
            self.summary.skip("broken files")
            self.summary.notes.append(f"not updated: {exc}")
            return
        after = copy.deepcopy(issue)
        self._merge_fields(after, remote.values(), number)
        self._merge_comments(after, number, comments)
        left_out = self._fit(after, number)
        if left_out is None:
            return
        self.state.record(number, local_id, as_base(remote.values()),
                          self._digests(number, comments, left_out))
        self._save_if_changed(issue, after, data)

    def _fit(self, issue: Issue, number: int) -> set[int] | None:
        """Leave out the oldest GitHub comments the file cannot hold (``apply.fit``), named
        by number in a note; the ids left out, or None (and a note) when the issue cannot
        be stored even without them: skipped, the rest of the import goes on."""
        remote_id = self.kind.comment_id
        left = fit(issue, [c for c in issue.comments if remote_id(c) is not None])
        github = self.kind.origin(issue)
        if left is None:
            self.summary.skip("too big to store")
            self.summary.notes.append(
                f"not stored: {self.repo}#{number} ({github.get('url')}): its file would be "
                f"over 1 MiB even without its {self.kind.name} comments")
            return None
        if left:
            github["left_out"] = github.get("left_out", 0) + len(left)
            self.summary.notes.append(
                f"{self.repo}#{number}: {github['left_out']} older comments left out, the "
                f"file would be over 1 MiB; all of them: {github.get('url')}")
        return {found for c in left if (found := remote_id(c)) is not None}

    def _digests(self, number: int, rows: list[RemoteComment],
                 left_out: set[int]) -> dict[str, str]:
        """The comments' digests for the sync state; LEFT_OUT for those not stored, now
        or before (a re-run skips them rather than bringing them back)."""
        digests = _digests(rows)
        for github_id in left_out:
            digests[str(github_id)] = LEFT_OUT
        before = self.state.comment_bases(number)  # decoded once, not once a comment
        if LEFT_OUT in before.values():
            digests.update((key, LEFT_OUT) for key in digests if before.get(key) == LEFT_OUT)
        return digests

    def _create(self, remote: RemoteIssue, comments: list[RemoteComment]) -> None:
        number = remote.number
        created = not_future(remote.created, self.latest,
                             f"{self.repo}#{number}: created", self.summary)
        if remote.title_length > len(remote.title):
            self.summary.notes.append(f"{self.repo}#{number}: the title is cut to "
                                      f"{len(remote.title)} characters")
        issue = Issue(id=self.writer.mint_id(), title=remote.title, status=remote.status,
                      created=created, author=remote.author,
                      closed=remote.closed, body=remote.body,
                      labels=remote.labels, assignees=remote.assignees,
                      milestone=remote.milestone,
                      origin=self.new_origin(remote))
        if issue.closed and issue.closed < issue.created:
            issue.closed = issue.created
        taken: set[str] = set()
        for row in comments:
            issue.comments.append(self._new_comment(row, taken))
        left_out = self._fit(issue, number)
        if left_out is None:
            return
        data = _checked(issue, self.summary, new_comments=True)
        if data is None:
            return
        digests = {str(self.kind.comment_id(c)): state_mod.digest(c.body)
                   for c in issue.comments}
        digests.update((str(github_id), LEFT_OUT) for github_id in left_out)
        entry = self.state.entry(number, issue.id, as_base(remote.values()), digests)
        base = self.state.journal_base(number, entry)
        self.writer.create(issue, data, base=base)
        self.known[number] = issue.id
        self.state.issues.keep_text(number, base[2])
        self.summary.imported += 1

    def new_origin(self, remote: RemoteIssue) -> dict[str, Any]:  # a file's, written once
        return self.kind.new_origin(self.repo, remote.number, remote.url, self._origin_host())

    def _origin_host(self) -> str | None:  # the server an origin names (Gitea's), or None
        return getattr(self.forge, "host", None) if self.kind.keeps_host else None

    def _merge_fields(self, after: Issue, remote: dict[str, Any], number: int) -> None:
        """Three-way, field by field: base (last import), local (the file), remote."""
        plan = settle(compare(self.state.base(number), local_values(after), remote),
                      self.settles(after.id))
        for name, value in plan.take.items():  # only changed on the forge
            set_value(after, name, value)
            if name == "status":
                after.closed = remote["closed"]
        for conflict in plan.conflicts:
            self._conflict(after, conflict.field, conflict.mine, conflict.theirs, number)

    def settles(self, issue_id: str) -> str | None:
        """How this run settles an issue's conflicts (``engine.settle``): the import
        never does (it keeps yours and says so); ``sync``'s ``prefer`` may."""
        return None

    def _conflict(self, issue: Issue, field: str, mine: Any, theirs: Any, number: int) -> None:
        where, forge = f"{issue.id} ({self.repo}#{number}) {field}", self.kind.name
        if field == "body":
            how = (f"to take {forge}'s, copy it from {self.kind.origin(issue).get('url')} "
                   f"into git issues edit {issue.id}")
            shown = "the body differs"
        else:
            shown = f"here {_show(mine)}, on {forge} {_show(theirs)}"
            how = f"to take {forge}'s: git issues edit {issue.id} {_edit_args(field, theirs)}"
        self.summary.conflicts.append(f"{where}: changed on both sides: {shown}; kept yours; "
                                      f"{how}")

    def _merge_comments(self, after: Issue, number: int, rows: list[RemoteComment]) -> None:
        remote_id = self.kind.comment_id
        by_github = {remote_id(c): c for c in after.comments if remote_id(c) is not None}
        taken = {c.id for c in after.comments}
        for row in rows:
            github_id = row.id
            mine = by_github.get(github_id)
            if mine is None and self.state.comment_base(number, github_id) == LEFT_OUT:
                continue  # left out before: the file cannot hold it
            if mine is None:
                after.comments.append(self._new_comment(row, taken))
                continue
            theirs = row.text
            if mine.body == theirs:
                continue  # the common case, told without decoding the issue's base
            base = self.state.comment_base(number, github_id)
            decided = compare_text(base, [mine.body], theirs)
            if decided == "take":  # edited there only
                mine.body = theirs
            if decided != "hold":
                continue
            self.summary.conflicts.append(
                f"{after.id} ({self.repo}#{number}) comment {mine.id}: edited here and on "
                f"{self.kind.name}; kept yours; {self.kind.name}'s: "
                f"{self.kind.comment_url(after, github_id)}")

    def _new_comment(self, row: RemoteComment, taken: set[str]) -> Comment:
        return self.kind.comment(row.id, id=mint_comment_id(taken, self.writer.random),
                                 author=row.author, date=row.created, body=row.text)

    def _save_if_changed(self, before: Issue, after: Issue, data: bytes) -> None:
        if after == before:
            self.summary.unchanged += 1
            return
        if not _valid(after, self.summary):
            return
        self.writer.replace(after, data, base=self._journal_base(after))
        self.summary.updated += 1

    def _journal_base(self, issue: Issue) -> state_mod.JournalBase | None:
        """The base recorded for the issue, for the journal of its write."""
        number = self.kind.number(issue)
        return self.state.journal_base(number) if number in self.state.issues else None

    # --- step 3: comments on issues that did not change -------------------------

    def _leftover_comments(self, spill: CommentSpill) -> None:
        for number in spill.numbers():
            rows = _take_comments(spill, [number]).get(number, [])
            local_id = self.known.get(number)
            if local_id is None or not self.ws.store.exists(local_id):
                continue  # a pull request's comments, or an issue deleted here
            try:
                issue, data = self.ws.store.read_with_bytes(local_id)
            except IssueFileError:
                continue
            after = copy.deepcopy(issue)
            self._merge_comments(after, number, rows)
            left_out = self._fit(after, number)
            if left_out is None:
                continue
            if number in self.state.issues:
                for key, digest in self._digests(number, rows, left_out).items():
                    self.state.record_comment(number, int(key), digest)
            if after != issue and _valid(after, self.summary):
                self.writer.replace(after, data, base=self._journal_base(after))
                self.summary.updated += 1


def _valid(issue: Issue, summary: Summary) -> bool:
    """Whether the issue passes the model's rules (it always should; never write one that fails)."""
    return _checked(issue, summary) is not None


def _checked(issue: Issue, summary: Summary, *,
             new_comments: bool = False) -> dict[str, Any] | None:
    """The issue's mapping if it passes the model's rules, else None (and it is counted).

    ``new_comments``: every comment was made by ``_new_comment`` from a spill row, valid
    by construction (a minted id, a canonical date, a positive forge id, texts through
    ``clean_text``): checking 300,000 comments again was a tenth of an import's time.
    """
    data = issue.to_dict()
    try:
        issue_from_dict({**data, "comments": None} if new_comments else data)
    except ValidationError as exc:
        summary.skip("invalid issues")
        summary.notes.append(f"not imported: {issue.origin}: {exc}")
        return None
    return data


def _digests(rows: list[RemoteComment]) -> dict[str, str]:
    """GitHub comment id (as the state's text key) -> digest of the body as written."""
    return {str(row.id): state_mod.digest(row.text) for row in rows}


def _take_comments(spill: CommentSpill, numbers: list[int]) -> dict[int, list[RemoteComment]]:
    """The spilled comments of these issues, by number, oldest first (``CommentSpill.take``)."""
    return {number: [RemoteComment(*row) for row in rows]
            for number, rows in spill.take(numbers).items()}


@contextlib.contextmanager
def _spill(ws: Workspace) -> Iterator[CommentSpill]:
    """The run's comment spill, a temporary file in the git dir, removed on leaving."""
    folder = ws.state_dir
    folder.mkdir(parents=True, exist_ok=True)
    sweep_dead_spills(folder)  # those of imports killed before they could remove theirs
    with open_spill(folder / SPILL.format(pid=os.getpid())) as spill:
        yield spill


def _minus_margin(since: str | None) -> str | None:
    if not since:
        return None
    moment = _dt.datetime.fromisoformat(since.replace("Z", "+00:00")) - MARGIN
    return format_timestamp(moment)


def _show(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(value) + "]" if value else "(none)"
    return repr(value) if value else "(none)"


def _edit_args(field: str, value: Any) -> str:
    if field == "title":
        return f"--title {shlex.quote(value)}"
    if field == "status":
        return f"-s {value}"
    if field == "milestone":
        return f"--milestone {shlex.quote(value or '')}"
    if field == "labels":
        return " ".join(f"-l {shlex.quote(v)}" for v in value) + " (and -L for the others)"
    if field == "assignees":
        return " ".join(f"-a {shlex.quote(v)}" for v in value) or "-a ''"
    return ""


def run_import(ws: Workspace, repo: str, *, api_url: str | None, say: Callable[[str], None],
               progress: Progress | None = None, backoff: float = 1.0) -> Summary:
    """Open the client for the run and import; the library entry point of the command."""
    check_repo(repo)
    with Client(resolve_url(api_url), find_token(), say=say, backoff=backoff) as client:
        return Importer(ws, repo, client, say=say, progress=progress).run()
