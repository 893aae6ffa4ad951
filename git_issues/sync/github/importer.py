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
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from git_issues.core.model import (
    CANONICAL_TIME_RE,
    REPO_RE,
    Comment,
    Issue,
    ValidationError,
    format_timestamp,
    now,
)
from git_issues.errors import GitIssuesError, IssueFileError
from git_issues.repo.store import sweep_dead_spills
from git_issues.sync import state as state_mod
from git_issues.sync.apply import (
    SPILL,
    Summary,
    Writer,
    body_text,
    clean_text,
    ensure_statuses,
    fit,
    latest_time,
    mint_comment_id,
    not_future,
    one_line,
    short_title,
)

if TYPE_CHECKING:
    from random import Random

    from git_issues.repo.workspace import Workspace
    from git_issues.sync.github.client import Client

MARGIN = _dt.timedelta(minutes=10)  # clocks differ; fetching a little twice is harmless
PER_PAGE = 100
# Issues between two saves of the sync state while a run goes on (for a run killed
# hard: Ctrl-C and errors save it anyway), growing by half with the run so that
# the saves of a state of 100,000 issues cost about two saves in all.
CHECKPOINT_EVERY = 5000
REASON_STATUS = {"not_planned": "not_planned", "duplicate": "duplicate"}
NEW_STATUSES = {"not_planned": "closed", "duplicate": "closed"}
LIST_FIELDS = ("labels", "assignees")
LEFT_OUT = ""  # the sync state's digest of a GitHub comment the file cannot hold
# progress(done, estimated_total): the total is an estimate (the pages of the list,
# pull requests included), None when unknown.
Progress = Callable[..., None]


def check_repo(repo: str) -> str:
    if not REPO_RE.fullmatch(repo) or repo.split("/")[1] in (".", ".."):
        raise GitIssuesError(f"'{repo}' is not a repository name like OWNER/REPO")
    return repo


def author_of(user: Any) -> str:
    """A stable author string from a GitHub login (a deleted account is 'ghost')."""
    login = user.get("login") if isinstance(user, dict) else None
    login = one_line(login) or "ghost"
    return f"{login} <{login}@users.noreply.github.com>"


def login_of(user: Any) -> str | None:
    login = user.get("login") if isinstance(user, dict) else None
    return one_line(login) or None


def stamp(value: Any, fallback: str | None = None) -> str:
    """GitHub's '2024-01-02T03:04:05Z' as the file format writes it; ``fallback`` (by
    default the current time) for a missing or unreadable one."""
    found = _timestamp(value)
    if found is not None:
        return found
    return now() if fallback is None else fallback


def _timestamp(value: Any) -> str | None:
    if not value:
        return None
    if type(value) is str and CANONICAL_TIME_RE.fullmatch(value):
        try:  # already the file's form (GitHub's always is): only the date is checked
            _dt.datetime.fromisoformat(value[:-1])
            return value
        except ValueError:
            return None
    try:
        return format_timestamp(_dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")))
    except ValueError:
        return None


def remote_values(item: dict[str, Any]) -> dict[str, Any]:
    """The fields a re-run compares, as the file would hold them (body as text)."""
    created = stamp(item.get("created_at"))
    closed = item.get("state") == "closed"
    status = REASON_STATUS.get(item.get("state_reason") or "", "closed") if closed else "open"
    labels: list[str] = []
    for label in item.get("labels") or []:
        name = one_line(label.get("name") if isinstance(label, dict) else label)
        if name and name not in labels:
            labels.append(name)
    assignees: list[str] = []
    for user in item.get("assignees") or []:
        login = login_of(user)
        if login and login not in assignees:
            assignees.append(login)
    milestone = item.get("milestone")
    return {
        "title": short_title(one_line(item.get("title")) or f"(untitled #{item.get('number')})"),
        "status": status,
        "closed": stamp(item.get("closed_at"), created) if closed else None,
        "labels": labels,
        "assignees": assignees[:10],
        "milestone": one_line(milestone.get("title")) or None
        if isinstance(milestone, dict) else None,
        "body": body_text(item.get("body")),
    }


def local_values(issue: Issue) -> dict[str, Any]:
    return {"title": issue.title, "status": issue.status, "closed": issue.closed,
            "labels": list(issue.labels), "assignees": list(issue.assignees),
            "milestone": issue.milestone, "body": issue.body}


def as_base(values: dict[str, Any]) -> dict[str, Any]:
    """What the sync state keeps of a value set: bodies as digests."""
    return {**values, "body": state_mod.digest(values["body"])}


def _same(field: str, a: Any, b: Any) -> bool:
    if field in LIST_FIELDS:
        return sorted(a or []) == sorted(b or [])
    return a == b


def _is_base(field: str, value: Any, base: dict[str, Any]) -> bool:
    """Whether ``value`` is what the field held at the last import (bodies by digest)."""
    if field == "body":
        return state_mod.digest(value) == base["body"]
    return _same(field, value, base[field])


def set_value(issue: Issue, field: str, value: Any) -> None:
    setattr(issue, field, list(value) if field in LIST_FIELDS else value)


class Importer:
    """One run against one repository; see the module docstring for the steps."""

    def __init__(self, ws: Workspace, repo: str, client: Client, *,
                 say: Callable[[str], None], progress: Progress | None = None) -> None:
        self.ws = ws
        self.repo = check_repo(repo)
        self.client = client
        self.say = say
        self.progress = progress or (lambda done, total=None, unit="issues": None)
        self.summary = Summary()
        self.state = state_mod.load(ws.root, "github", repo)
        self.known: dict[int, str] = {}
        self.started = now()
        self.done = 0
        self.statuses_checked = False
        self.checkpoint = CHECKPOINT_EVERY  # issues done at the next save of the state
        self.remember_since = True  # False for a file (gh-json): its data may be old
        self.latest = latest_time()  # times past it are clamped: check would refuse them

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
        from git_issues.index.query import open_index

        with open_index(self.ws.sources) as view:
            known.update(view.ids_by_github_number(self.repo))
        return known

    # --- step 1: comments into the spill ----------------------------------------

    def _fetch_comments(self, spill: sqlite3.Connection, since: str | None) -> None:
        params: dict[str, Any] = {"sort": "updated", "direction": "asc", "per_page": PER_PAGE}
        if since:
            params["since"] = since
        path = f"/repos/{self.repo}/issues/comments"
        fetched = 0
        with self._pages(path, params) as pages:
            for page in pages:
                rows = [self._in_time(row) for c in page if (row := _comment_row(c)) is not None]
                with _transaction(spill):  # one write of the file a page, not one a row
                    spill.executemany("INSERT OR REPLACE INTO c VALUES (?, ?, ?, ?, ?)", rows)
                fetched += len(page)
                total = getattr(self.client, "last_page", None)
                self.progress(fetched, total * PER_PAGE if total else None, "comments")

    def _in_time(self, row: tuple) -> tuple:
        """A spill row whose date ``check`` accepts (see ``apply.not_future``)."""
        if row[3] <= self.latest:
            return row
        where = f"{self.repo}#{row[1]} comment {row[0]}: created"
        return (*row[:3], not_future(row[3], self.latest, where, self.summary), *row[4:])

    def _pages(self, path: str, params: dict[str, Any]) -> Any:
        """The list's pages, fetched ahead by a thread when the source is the network."""
        what = f"repository {self.repo}"
        prefetch = getattr(self.client, "prefetch", None)
        if prefetch is None:  # a file (gh-json): nothing to wait for
            return contextlib.nullcontext(self.client.pages(path, params, what=what))
        return prefetch(path, params, what=what)

    # --- step 2: issues, oldest change first -------------------------------------

    def _import_issues(self, spill: sqlite3.Connection, since: str | None) -> None:
        params: dict[str, Any] = {"state": "all", "sort": "updated", "direction": "asc",
                                  "per_page": PER_PAGE}
        if since:
            params["since"] = since
        path = f"/repos/{self.repo}/issues"
        with self._pages(path, params) as pages:
            for page in pages:
                self._import_page(spill, page)

    def _import_page(self, spill: sqlite3.Connection, page: list[Any]) -> None:
        """One page of issues, their comments taken from the spill in one query."""
        items = [item for item in page
                 if isinstance(item, dict) and isinstance(item.get("number"), int)]
        comments = _take_comments(spill, [item["number"] for item in items])
        total = getattr(self.client, "last_page", None)
        for item in items:
            number = item["number"]
            if "pull_request" in item:
                self.summary.skip("pull requests")
                continue
            if not self.statuses_checked and item.get("state") == "closed":
                self._add_statuses()
                self.statuses_checked = True
            self._one_issue(item, comments.get(number, []))
            self.state.partial["issues_through"] = item.get("updated_at")
            self.done += 1
            self.progress(self.done, total * PER_PAGE if total else None)
            if self.done >= self.checkpoint:
                self.state.partial["started"] = self.started
                self._save_state()
                self.checkpoint = max(self.done + CHECKPOINT_EVERY, self.done * 3 // 2)

    def _add_statuses(self) -> None:
        added = ensure_statuses(self.ws, NEW_STATUSES, self.writer)
        if added:
            self.summary.notes.append(
                f"added the statuses {', '.join(added)} (closed) to .issues/config.yml "
                "for GitHub's close reasons")

    def _one_issue(self, item: dict[str, Any], comments: list[tuple]) -> None:
        number = item["number"]
        local_id = self.known.get(number)
        remote = remote_values(item)
        if remote["closed"] and remote["closed"] > self.latest:
            remote["closed"] = not_future(remote["closed"], self.latest,
                                          f"{self.repo}#{number}: closed", self.summary)
        if local_id is None:
            self._create(item, remote, comments)
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
        self._merge_fields(after, remote, number)
        self._merge_comments(after, number, comments)
        left_out = self._fit(after, number)
        if left_out is None:
            return
        self.state.record(number, local_id, as_base(remote),
                          self._digests(number, comments, left_out))
        self._save_if_changed(issue, after, data)

    def _fit(self, issue: Issue, number: int) -> set[int] | None:
        """Leave out the oldest GitHub comments the file cannot hold (``apply.fit``), named
        by number in a note; the ids left out, or None (and a note) when the issue cannot
        be stored even without them: skipped, the rest of the import goes on."""
        left = fit(issue, [c for c in issue.comments if c.github_id is not None])
        github = issue.origin["github"]
        if left is None:
            self.summary.skip("too big to store")
            self.summary.notes.append(
                f"not stored: {self.repo}#{number} ({github.get('url')}): its file would be "
                "over 1 MiB even without its GitHub comments")
            return None
        if left:
            github["left_out"] = github.get("left_out", 0) + len(left)
            self.summary.notes.append(
                f"{self.repo}#{number}: {github['left_out']} older comments left out, the "
                f"file would be over 1 MiB; all of them: {github.get('url')}")
        return {c.github_id for c in left if c.github_id is not None}

    def _digests(self, number: int, rows: list[tuple], left_out: set[int]) -> dict[str, str]:
        """The comments' digests for the sync state; LEFT_OUT for those not stored, now
        or before (a re-run skips them rather than bringing them back)."""
        digests = _digests(rows)
        for github_id in left_out:
            digests[str(github_id)] = LEFT_OUT
        entry = self.state.issues.peek(number)  # decoded once, not once a comment
        before = entry[-1] if entry else {}
        if LEFT_OUT in before.values():
            digests.update((key, LEFT_OUT) for key in digests if before.get(key) == LEFT_OUT)
        return digests

    def _create(self, item: dict[str, Any], remote: dict[str, Any], comments: list[tuple]) -> None:
        number = item["number"]
        created = not_future(stamp(item.get("created_at")), self.latest,
                             f"{self.repo}#{number}: created", self.summary)
        if len(one_line(item.get("title"))) > len(remote["title"]):
            self.summary.notes.append(f"{self.repo}#{number}: the title is cut to "
                                      f"{len(remote['title'])} characters")
        issue = Issue(id=self.writer.mint_id(), title=remote["title"], status=remote["status"],
                      created=created, author=author_of(item.get("user")),
                      closed=remote["closed"], body=remote["body"],
                      labels=remote["labels"], assignees=remote["assignees"],
                      milestone=remote["milestone"],
                      origin={"github": {"repo": self.repo, "number": number,
                                         "url": one_line(item.get("html_url"))}})
        if issue.closed and issue.closed < issue.created:
            issue.closed = issue.created
        taken: set[str] = set()
        for row in comments:
            issue.comments.append(_new_comment(row, taken, self.writer.random))
        left_out = self._fit(issue, number)
        if left_out is None:
            return
        data = _checked(issue, self.summary, new_comments=True)
        if data is None:
            return
        digests = {str(c.github_id): state_mod.digest(c.body) for c in issue.comments}
        digests.update((str(github_id), LEFT_OUT) for github_id in left_out)
        entry = self.state.entry(number, issue.id, as_base(remote), digests)
        base = self.state.journal_base(number, entry)
        self.writer.create(issue, data, base=base)
        self.known[number] = issue.id
        self.state.issues.keep_text(number, base[2])
        self.summary.imported += 1

    def _merge_fields(self, after: Issue, remote: dict[str, Any], number: int) -> None:
        """Three-way, field by field: base (last import), local (the file), remote."""
        base = self.state.base(number)
        local = local_values(after)
        for field in state_mod.FIELDS:
            if field == "closed":
                continue  # follows status, below
            mine, theirs = local[field], remote[field]
            if _same(field, mine, theirs):
                continue
            if base is not None and _is_base(field, theirs, base):
                continue  # only changed here: never undone
            if base is not None and _is_base(field, mine, base):
                set_value(after, field, theirs)  # only changed on GitHub
                if field == "status":
                    after.closed = remote["closed"]
                continue
            self._conflict(after, field, mine, theirs, number)

    def _conflict(self, issue: Issue, field: str, mine: Any, theirs: Any, number: int) -> None:
        where = f"{issue.id} ({self.repo}#{number}) {field}"
        if field == "body":
            how = (f"to take GitHub's, copy it from {issue.origin['github'].get('url')} "
                   f"into git issues edit {issue.id}")
            shown = "the body differs"
        else:
            shown = f"here {_show(mine)}, on GitHub {_show(theirs)}"
            how = f"to take GitHub's: git issues edit {issue.id} {_edit_args(field, theirs)}"
        self.summary.conflicts.append(f"{where}: changed on both sides: {shown}; kept yours; "
                                      f"{how}")

    def _merge_comments(self, after: Issue, number: int, rows: list[tuple]) -> None:
        by_github = {c.github_id: c for c in after.comments if c.github_id is not None}
        taken = {c.id for c in after.comments}
        for row in rows:
            github_id, _, _, _, body = row
            mine = by_github.get(github_id)
            if mine is None and self.state.comment_base(number, github_id) == LEFT_OUT:
                continue  # left out before: the file cannot hold it
            if mine is None:
                after.comments.append(_new_comment(row, taken, self.writer.random))
                continue
            theirs = body_text(body)
            if mine.body == theirs:
                continue
            base = self.state.comment_base(number, github_id)
            if base is not None and state_mod.digest(theirs) == base:
                continue  # edited here only
            if base is not None and state_mod.digest(mine.body) == base:
                mine.body = theirs
                continue
            self.summary.conflicts.append(
                f"{after.id} ({self.repo}#{number}) comment {mine.id}: edited here and on "
                f"GitHub; kept yours; GitHub's: {after.origin['github'].get('url')}"
                f"#issuecomment-{github_id}")

    def _save_if_changed(self, before: Issue, after: Issue, data: bytes) -> None:
        if after == before:
            self.summary.unchanged += 1
            return
        if not _valid(after, self.summary):
            return
        self.writer.replace(after, data, base=self._journal_base(after))
        self.summary.updated += 1

    def _journal_base(self, issue: Issue) -> state_mod.Base | None:
        """The base recorded for the issue, for the journal of its write."""
        number = (issue.origin.get("github") or {}).get("number")
        return self.state.journal_base(number) if number in self.state.issues else None

    # --- step 3: comments on issues that did not change -------------------------

    def _leftover_comments(self, spill: sqlite3.Connection) -> None:
        numbers = [n for (n,) in spill.execute("SELECT DISTINCT number FROM c ORDER BY number")]
        for number in numbers:
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

    ``new_comments``: every comment was made by ``_new_comment`` from a spill row,
    valid by construction (a minted id, a canonical date, a positive GitHub id,
    texts through ``clean_text``), so only the issue's own fields are checked:
    checking 300,000 comments again was a tenth of an import's time.
    """
    from git_issues.core.model import issue_from_dict

    data = issue.to_dict()
    try:
        issue_from_dict({**data, "comments": None} if new_comments else data)
    except ValidationError as exc:
        summary.skip("invalid issues")
        summary.notes.append(f"not imported: {issue.origin}: {exc}")
        return None
    return data


def _digests(rows: list[tuple]) -> dict[str, str]:
    """GitHub comment id (as the state's text key) -> digest of the body as written."""
    return {str(row[0]): state_mod.digest(body_text(row[4])) for row in rows}


def _new_comment(row: tuple, taken: set[str], rng: Random | None = None) -> Comment:
    github_id, author, created, _updated, body = row
    return Comment(id=mint_comment_id(taken, rng), author=author, date=created,
                   body=body_text(body), github_id=github_id)


def _comment_row(comment: Any) -> tuple | None:
    """A comment of the list endpoint as a spill row, with its issue's number."""
    if not isinstance(comment, dict) or type(comment.get("id")) is not int or comment["id"] <= 0:
        return None
    number = str(comment.get("issue_url", "")).rstrip("/").rpartition("/")[2]
    if not number.isdigit():
        return None
    created = stamp(comment.get("created_at"))
    return (comment["id"], int(number), author_of(comment.get("user")), created,
            clean_text(comment.get("body")))  # SQLite takes no lone surrogate


def _take_comments(spill: sqlite3.Connection, numbers: list[int]) -> dict[int, list[tuple]]:
    """The spilled comments of these issues (a page: one query), by number, oldest first;
    taken out of the spill, so what is left at the end belongs to issues not listed."""
    if not numbers:
        return {}
    marks = ",".join("?" * len(numbers))
    taken: dict[int, list[tuple]] = {}
    for number, *row in spill.execute(
            f"SELECT number, id, author, created, 0, body FROM c WHERE number IN ({marks}) "
            "ORDER BY number, created, id", numbers):
        taken.setdefault(number, []).append(tuple(row))
    if taken:
        spill.execute(f"DELETE FROM c WHERE number IN ({marks})", numbers)
    return taken


@contextlib.contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """One transaction (the connection is in autocommit mode, ``isolation_level=None``)."""
    conn.execute("BEGIN")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


@contextlib.contextmanager
def _spill(ws: Workspace) -> Iterator[sqlite3.Connection]:
    """A temporary SQLite file in the git dir, closed and removed on leaving."""
    folder = ws.state_dir
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / SPILL.format(pid=os.getpid())
    _remove(path)
    sweep_dead_spills(folder)  # those of imports killed before they could remove theirs
    try:
        with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as conn:
            conn.execute("PRAGMA journal_mode = OFF")
            conn.execute("PRAGMA synchronous = OFF")
            # One process ever opens it: no file lock taken and dropped per statement.
            conn.execute("PRAGMA locking_mode = EXCLUSIVE")
            conn.execute("CREATE TABLE c (id INTEGER PRIMARY KEY, number INTEGER, author TEXT, "
                         "created TEXT, body TEXT)")
            conn.execute("CREATE INDEX c_number ON c (number)")
            yield conn
    finally:
        _remove(path)


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


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
    import shlex

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
    from git_issues.sync.github.client import Client, find_token
    from git_issues.sync.github.client import api_url as resolve_url

    check_repo(repo)
    with Client(resolve_url(api_url), find_token(), say=say, backoff=backoff) as client:
        return Importer(ws, repo, client, say=say, progress=progress).run()
