"""One comment on a pull or merge request with the issue diff: ``git issues pr-comment``.

A reviewer approves the issue changes of a pull request together with its
code; ``git issues diff --format markdown BASE...HEAD`` says them in words.
This posts that text as **one** comment, found again on the next run by the
hidden marker it starts with and edited in place (left alone when the text is
the same), and deleted when the range no longer changes any issue: a stale
comment would tell the reviewer about changes that are gone.

The forge is reached with the import's clients (``sync/github/client.py``,
``sync/gitlab/client.py``: their retry loop, their token handling, the token
bound to its origin); a ``Thread`` says where a forge keeps the comments of
one pull or merge request.  A token that may read but not write (GitHub gives
a fork's pull request one) is ``ReadOnlyToken``: nothing is posted, and the
caller says so in one line and succeeds, because the job summary
(``GITHUB_STEP_SUMMARY``, written first) still carries the text.

Inside CI the pull request and its range come from the environment
(``request_from_github_env``, ``request_from_gitlab_env``), so the step is
``git issues pr-comment github``.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote

import urllib3

from git_issues.errors import GitIssuesError
from git_issues.ops import review
from git_issues.repo import gitutil
from git_issues.sync.github import client as github
from git_issues.sync.github.client import Client, _rate_limit_wait
from git_issues.sync.gitlab import client as gitlab
from git_issues.sync.gitlab.client import GitLabClient

if TYPE_CHECKING:
    from git_issues.repo.workspace import Workspace

MARKER = "<!-- git-issues pr-comment -->"
# The comment docs/ci.md's workflow "without the action" posts: taken over, not doubled.
MARKERS = (MARKER, review.MARKDOWN_MARKER)
GITHUB_LIMIT = 65_536  # characters in a comment: GitHub refuses a longer body (422)
GITLAB_LIMIT = 1_000_000  # characters in a note
SUMMARY_ENV = "GITHUB_STEP_SUMMARY"
_REPO = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
_PROJECT = re.compile(r"[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+")

Say = Callable[[str], None]


class ReadOnlyToken(GitIssuesError):
    """The forge refused a write with 403: the token may read only."""


@dataclass(frozen=True)
class Request:
    """The pull (merge) request to comment on, and the range whose issue changes it gets."""

    repo: str  # OWNER/REPO on GitHub, GROUP/PROJECT on GitLab
    number: int  # the pull request's number, the merge request's iid
    revisions: str  # BASE...HEAD


@dataclass(frozen=True)
class Outcome:
    """What the run did: created, updated, unchanged, deleted, nothing or read-only."""

    action: str
    url: str  # the comment's page (empty when there is none)
    body: str  # the comment's text ("" when the range changes no issue)
    refusal: str = ""  # the forge's words when the token could not write


@dataclass(frozen=True)
class Posted:
    """A comment already on the pull request."""

    id: int
    body: str
    url: str


class Thread(Protocol):
    """The comments of one pull or merge request on a forge."""

    def comments(self) -> Iterator[Posted]: ...
    def create(self, body: str) -> str: ...
    def edit(self, comment_id: int, body: str) -> str: ...
    def delete(self, comment_id: int) -> None: ...


# --- the comment --------------------------------------------------------------

def comment_body(ws: Workspace, revisions: str, limit: int) -> str:
    """The marker and the markdown diff, within ``limit`` characters; "" without changes."""
    if ".." not in revisions:
        raise GitIssuesError(f"'{revisions}' is not a range: give BASE...HEAD (the target "
                             "branch and the pull request's head)")
    try:
        report = review.diff(ws, revisions)
    except GitIssuesError as exc:
        if gitutil.output(["rev-parse", "--is-shallow-repository"], ws.root) == "true":
            raise exc.amended("; this clone is shallow: fetch the whole history "
                              "(actions/checkout with fetch-depth: 0, GIT_DEPTH: 0 on "
                              "GitLab)") from None
        raise
    text = review.report_markdown(report, limit - len(MARKER) - 1)
    return f"{MARKER}\n{text}" if text else ""


def post(thread: Thread, body: str) -> Outcome:
    """Create, edit or delete the one marked comment so that it says ``body``."""
    mine = _find_mine(thread)
    try:
        if not body:
            if mine is None:
                return Outcome("nothing", "", body)
            thread.delete(mine.id)
            return Outcome("deleted", "", body)
        if mine is None:
            return Outcome("created", thread.create(body), body)
        if mine.body == body:
            return Outcome("unchanged", mine.url, body)
        return Outcome("updated", thread.edit(mine.id, body), body)
    except ReadOnlyToken as exc:
        return Outcome("read-only", "", body, str(exc))


def _find_mine(thread: Thread) -> Posted | None:
    """The first comment that starts with one of the markers (every page is read: the
    client checks that a list ends)."""
    found = None
    for posted in thread.comments():
        if found is None and posted.body.lstrip().startswith(MARKERS):
            found = posted
    return found


def write_summary(body: str, revisions: str) -> None:
    """Append the text to the job summary when GitHub Actions gives one (else nothing)."""
    path = os.environ.get(SUMMARY_ENV, "").strip()
    if not path:
        return
    text = body or f"### Issues\n\nNo issue changes in `{revisions}`.\n"
    try:
        with open(path, "a", encoding="utf-8") as summary:
            summary.write(text + "\n")
    except OSError as exc:
        raise GitIssuesError(f"{SUMMARY_ENV}: cannot write {path}: {exc.strerror}") from None


# --- GitHub -------------------------------------------------------------------

class _Writes:
    """What a comment needs beyond the import's client: DELETE, and a refused write
    (403, not a rate limit) told apart as ``ReadOnlyToken``."""

    NAME: str
    url: Callable[..., str]
    _request: Callable[..., urllib3.BaseHTTPResponse]

    def remove(self, path: str) -> None:
        """One DELETE (answered 204, no body)."""
        self._request("DELETE", self.url(path))

    def _fetch(self, method: str, url: str, body: bytes | None,
               headers: dict[str, str]) -> urllib3.BaseHTTPResponse:
        response = super()._fetch(method, url, body, headers)  # type: ignore[misc]
        if response.status == 403 and method != "GET" and _rate_limit_wait(response) is None:
            raise ReadOnlyToken(f"{self.NAME} refused to write the comment (403): the token "
                                "may only read, as a pull request from a fork gets it")
        return response


class GitHubWriter(_Writes, Client):
    """GitHub's client that deletes and tells a read-only token apart."""


class GitLabWriter(_Writes, GitLabClient):
    """GitLab's client that deletes and tells a read-only token apart."""


@dataclass
class GitHubThread:
    """A pull request's issue comments (``/repos/{repo}/issues/{number}/comments``)."""

    client: Client
    repo: str
    number: int

    def _comment(self, comment_id: int) -> str:
        return f"/repos/{self.repo}/issues/comments/{comment_id}"

    def comments(self) -> Iterator[Posted]:
        path = f"/repos/{self.repo}/issues/{self.number}/comments"
        for page in self.client.pages(path, {"per_page": 100},
                                      what=f"pull request {self.repo}#{self.number}"):
            for item in page:
                yield Posted(item["id"], str(item.get("body") or ""),
                             str(item.get("html_url") or ""))

    def create(self, body: str) -> str:
        made = self.client.send("POST", f"/repos/{self.repo}/issues/{self.number}/comments",
                                {"body": body})
        return str(made.get("html_url") or "")

    def edit(self, comment_id: int, body: str) -> str:
        return str(self.client.send("PATCH", self._comment(comment_id),
                                    {"body": body}).get("html_url") or "")

    def delete(self, comment_id: int) -> None:
        self.client.remove(self._comment(comment_id))  # type: ignore[attr-defined]


def comment_github(ws: Workspace, request: Request, *, api_url: str | None = None,
                   say: Say | None = None) -> Outcome:
    """``pr-comment github``: the job summary first, then the comment."""
    if not _REPO.fullmatch(request.repo):
        raise GitIssuesError(f"'{request.repo}' is not OWNER/REPO")
    body = comment_body(ws, request.revisions, GITHUB_LIMIT)
    write_summary(body, request.revisions)
    token = github.find_token()
    if token is None:
        raise GitIssuesError("no GitHub token (GITHUB_TOKEN, GH_TOKEN or `gh auth token`): "
                             "a comment needs one that may write to pull requests")
    with GitHubWriter(github.api_url(api_url), token, say=say) as client:
        return post(GitHubThread(client, request.repo, request.number), body)


def request_from_github_env(repo: str | None, number: int | None,
                            revisions: str | None) -> Request:
    """What is not given, from GitHub Actions: ``GITHUB_REPOSITORY`` and the
    ``pull_request`` event at ``GITHUB_EVENT_PATH`` (its number, base and head)."""
    pull = _github_event()
    repo = repo or os.environ.get("GITHUB_REPOSITORY", "").strip() or None
    number = number or pull.get("number")
    if revisions is None and pull:
        revisions = f"{pull['base']}...{pull['head']}"
    if repo is None or number is None or revisions is None:
        raise GitIssuesError("no pull request to comment on: give OWNER/REPO NUMBER "
                             "BASE...HEAD (in GitHub Actions, run it on a pull_request event)")
    return Request(repo, int(number), revisions)


def _github_event() -> dict[str, Any]:
    """The pull request of the event GitHub Actions runs for: its number, base and head
    commits ({} outside Actions, or for an event that is not about a pull request)."""
    path = os.environ.get("GITHUB_EVENT_PATH", "").strip()
    if not path:
        return {}
    try:
        pull = json.loads(Path(path).read_bytes()).get("pull_request")
        if pull is None:
            return {}
        return {"number": int(pull["number"]), "base": str(pull["base"]["sha"]),
                "head": str(pull["head"]["sha"])}
    except OSError as exc:
        raise GitIssuesError(f"GITHUB_EVENT_PATH: cannot read {path}: {exc.strerror}") from None
    except (ValueError, TypeError, KeyError, AttributeError):
        raise GitIssuesError(f"GITHUB_EVENT_PATH: {path} is not a GitHub event "
                             "(JSON with pull_request.number, base.sha, head.sha)") from None


# --- GitLab -------------------------------------------------------------------

@dataclass
class GitLabThread:
    """A merge request's notes (``/projects/{id}/merge_requests/{iid}/notes``)."""

    client: Client
    project: str
    iid: int
    web: str  # the server's URL, for a note's link

    def _notes(self) -> str:
        return f"/projects/{quote(self.project, safe='')}/merge_requests/{self.iid}/notes"

    def comments(self) -> Iterator[Posted]:
        params = {"per_page": 100, "sort": "asc", "order_by": "created_at"}
        for page in self.client.pages(self._notes(), params,
                                      what=f"merge request {self.project}!{self.iid}"):
            for item in page:
                if not item.get("system"):
                    yield Posted(item["id"], str(item.get("body") or ""),
                                 self.link(item["id"]))

    def create(self, body: str) -> str:
        return self.link(self.client.send("POST", self._notes(), {"body": body})["id"])

    def edit(self, comment_id: int, body: str) -> str:
        self.client.send("PUT", f"{self._notes()}/{comment_id}", {"body": body})
        return self.link(comment_id)

    def delete(self, comment_id: int) -> None:
        self.client.remove(f"{self._notes()}/{comment_id}")  # type: ignore[attr-defined]

    def link(self, comment_id: int) -> str:
        return f"{self.web}/{self.project}/-/merge_requests/{self.iid}#note_{comment_id}"


def comment_gitlab(ws: Workspace, request: Request, *, url: str | None = None,
                   say: Say | None = None) -> Outcome:
    """``pr-comment gitlab``: the note on the merge request."""
    if not _PROJECT.fullmatch(request.repo):
        raise GitIssuesError(f"'{request.repo}' is not GROUP/PROJECT")
    body = comment_body(ws, request.revisions, GITLAB_LIMIT)
    token = gitlab.find_token()
    if token is None:
        raise GitIssuesError(f"no GitLab token ({gitlab.TOKEN_ENV}): a note needs one with "
                             "the 'api' scope (CI_JOB_TOKEN may not write notes)")
    web = gitlab.base_url(url or os.environ.get(gitlab.URL_ENV)
                          or os.environ.get("CI_SERVER_URL"))
    with GitLabWriter(f"{web}/api/v4", token, say=say) as client:
        return post(GitLabThread(client, request.repo, request.number, web), body)


def request_from_gitlab_env(project: str | None, iid: int | None,
                            revisions: str | None) -> Request:
    """What is not given, from a GitLab merge request pipeline: ``CI_PROJECT_PATH``,
    ``CI_MERGE_REQUEST_IID``, ``CI_MERGE_REQUEST_DIFF_BASE_SHA...CI_COMMIT_SHA``."""
    env = {name: os.environ.get(name, "").strip() for name in (
        "CI_PROJECT_PATH", "CI_MERGE_REQUEST_IID", "CI_MERGE_REQUEST_DIFF_BASE_SHA",
        "CI_COMMIT_SHA")}
    project = project or env["CI_PROJECT_PATH"] or None
    given_iid = iid or (int(env["CI_MERGE_REQUEST_IID"])
                        if env["CI_MERGE_REQUEST_IID"].isdigit() else None)
    if revisions is None and env["CI_MERGE_REQUEST_DIFF_BASE_SHA"] and env["CI_COMMIT_SHA"]:
        revisions = f"{env['CI_MERGE_REQUEST_DIFF_BASE_SHA']}...{env['CI_COMMIT_SHA']}"
    if project is None or given_iid is None or revisions is None:
        raise GitIssuesError("no merge request to comment on: give GROUP/PROJECT MR "
                             "BASE...HEAD (in GitLab CI, run it in a merge request pipeline)")
    return Request(project, given_iid, revisions)
