"""A stand-in for GitHub's REST API v3 on 127.0.0.1, shaped like the real one.

Serves ``GET /repos/{owner}/{repo}/issues`` and ``.../issues/comments`` the way
GitHub documents them: ``state``, ``since`` (by ``updated_at``), ``sort``,
``direction``, ``per_page`` and ``page``, a ``Link`` header with ``next`` and
``last``, the rate-limit headers, pull requests mixed into the issue list with
a ``pull_request`` key.  Faults are scripted per test (``fail``).

Used by the tests and by ``bench/import_bench.py``; it never opens anything but
a listening socket on 127.0.0.1.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

Fault = tuple[int, dict[str, str], Any]


def user(login: str) -> dict[str, Any]:
    return {"login": login, "id": abs(hash(login)) % 10**8, "type": "User",
            "html_url": f"https://github.com/{login}", "site_admin": False}


def make_issue(repo: str, number: int, title: str, *, body: str | None = "",
               login: str = "octocat", state: str = "open", state_reason: str | None = None,
               labels: Sequence[str] = (), assignees: Sequence[str] = (),
               milestone: str | None = None, created: str = "2024-01-02T03:04:05Z",
               updated: str | None = None, closed: str | None = None,
               pull: bool = False, comments: int = 0) -> dict[str, Any]:
    """An issue object with the fields (and the noise) GitHub's list endpoint returns."""
    api = f"https://api.github.com/repos/{repo}"
    issue: dict[str, Any] = {
        "url": f"{api}/issues/{number}", "repository_url": api,
        "html_url": f"https://github.com/{repo}/{'pull' if pull else 'issues'}/{number}",
        "id": 1_000_000 + number, "node_id": f"I_kw{number}", "number": number,
        "title": title, "user": user(login),
        "labels": [{"id": 10 + i, "name": name, "color": "d73a4a", "default": False,
                    "description": None} for i, name in enumerate(labels)],
        "state": state, "locked": False,
        "assignee": user(assignees[0]) if assignees else None,
        "assignees": [user(a) for a in assignees],
        "milestone": None if milestone is None else {
            "id": 7, "number": 1, "title": milestone, "state": "open", "description": None},
        "comments": comments, "created_at": created, "updated_at": updated or created,
        "closed_at": closed, "author_association": "OWNER", "active_lock_reason": None,
        "body": body, "reactions": {"total_count": 0, "+1": 0},
        "state_reason": state_reason,
    }
    if pull:
        issue["pull_request"] = {"url": f"{api}/pulls/{number}", "merged_at": None}
    return issue


def make_comment(repo: str, number: int, comment_id: int, body: str, *,
                 login: str = "hubot", created: str = "2024-01-03T00:00:00Z",
                 updated: str | None = None) -> dict[str, Any]:
    api = f"https://api.github.com/repos/{repo}"
    return {"url": f"{api}/issues/comments/{comment_id}",
            "html_url": f"https://github.com/{repo}/issues/{number}#issuecomment-{comment_id}",
            "issue_url": f"{api}/issues/{number}", "id": comment_id,
            "node_id": f"IC_{comment_id}", "user": user(login), "created_at": created,
            "updated_at": updated or created, "author_association": "NONE", "body": body,
            "reactions": {"total_count": 0}}


class Repo:
    """One repository's data; tests change it between runs."""

    def __init__(self, issues: Sequence[dict] = (), comments: Sequence[dict] = ()) -> None:
        self.issues: Any = list(issues)
        self.comments: Any = list(comments)
        self.milestones: list[dict[str, Any]] = []


class StandIn:
    """The server's state: repositories, a token, scripted faults, what was asked."""

    def __init__(self, token: str | None = None) -> None:
        self.repos: dict[str, Repo] = {}
        self.token = token
        self.faults: list[tuple[Callable[[str], bool], Fault]] = []
        self.requests: list[tuple[str, str | None]] = []  # (path?query, Authorization)
        self.remaining = 5000
        # Seconds before each answer, or a function of the request's path and query
        # that gives them (one page slower than the others, say).
        self.delay: float | Callable[[str], float] = 0.0
        # Called with "POST /path" (or PATCH) before a write is applied; it may sleep
        # or kill the client, so a crash test lands between two of sync's writes.
        self.write_delay: Callable[[str], None] | None = None
        self.url = ""
        self.lock = threading.Lock()
        self.login = "octocat"  # the token's owner, for GET /user
        self.name: str | None = "The Octocat"
        self.email: str | None = None  # a public email, if the owner shows one
        self.drop_after_create = 0  # issue/comment creations never answered (a crash)
        self.read_only = False  # the token may read only: writes get 403
        self.trickle = 0.0  # seconds between two bytes of every body (a hostile server)

    def fail(self, status: int, headers: dict[str, str] | None = None,
             body: dict | list | bytes | None = None, *,
             when: Callable[[str], bool] = lambda p: True, times: int = 1) -> None:
        """The next ``times`` requests matching ``when`` get this answer instead
        (a ``bytes`` body is sent as it is: JSON no writer would make)."""
        for _ in range(times):
            self.faults.append((when, (status, headers or {},
                                       {"message": "fault"} if body is None else body)))

    def take_fault(self, target: str) -> Fault | None:
        with self.lock:
            for index, (when, fault) in enumerate(self.faults):
                if when(target):
                    del self.faults[index]
                    return fault
        return None


def _filtered(items: Sequence[dict], query: dict[str, str]) -> Sequence[dict]:
    since = query.get("since")
    if isinstance(items, list):
        chosen = [i for i in items if not since or i["updated_at"] >= since]
        key = "updated_at" if query.get("sort") == "updated" else "created_at"
        chosen.sort(key=lambda i: (i[key], i.get("number", 0), i["id"]),
                    reverse=query.get("direction", "desc" if "number" in (items or [{}])[0]
                                      else "asc") == "desc")
        if "state" in query and query["state"] != "all":
            chosen = [i for i in chosen if i.get("state") == query["state"]]
        return chosen
    return items  # a generated sequence (the benchmark) is served as it is


class Handler(BaseHTTPRequestHandler):
    server: Any
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: with Nagle's algorithm the body waits
    # for the client's delayed ACK, 40 ms a request that GitHub does not add.
    disable_nagle_algorithm = True
    AUTH = "Bearer {}"  # the Authorization header the token is accepted in
    BAD_TOKEN = "Bad credentials"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        stand_in: StandIn = self.server.stand_in
        stand_in.requests.append((self.path, self.headers.get("Authorization")))
        delay = stand_in.delay(self.path) if callable(stand_in.delay) else stand_in.delay
        if delay:
            time.sleep(delay)
        if self._refused(stand_in, self.path):
            return None
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        segments = parts.path.strip("/").split("/")
        if segments == ["user"]:
            return self._send(200, {**user(stand_in.login), "name": stand_in.name,
                                    "email": stand_in.email})
        if len(segments) == 4 and segments[0] == "repos" and segments[3] == "milestones":
            repo = stand_in.repos.get(f"{segments[1]}/{segments[2]}")
            return self._page(repo.milestones, query, parts.path) if repo else \
                self._send(404, {"message": "Not Found"})
        if len(segments) < 4 or segments[0] != "repos" or segments[3] != "issues":
            return self._send(404, {"message": "Not Found"})
        repo = stand_in.repos.get(f"{segments[1]}/{segments[2]}")
        if repo is None:
            return self._send(404, {"message": "Not Found"})
        if len(segments) == 5 and segments[4].isdigit():
            found = [i for i in repo.issues if i["number"] == int(segments[4])]
            return self._send(200, found[0]) if found else \
                self._send(404, {"message": "Not Found"})
        if len(segments) == 6 and segments[4] == "comments" and segments[5].isdigit():
            found = [c for c in repo.comments if c["id"] == int(segments[5])]
            return self._send(200, found[0]) if found else \
                self._send(404, {"message": "Not Found"})
        if segments[4:] == ["comments"]:
            items = _filtered(repo.comments, query)
        elif len(segments) == 4:
            items = _filtered(repo.issues, query)
        else:
            return self._send(404, {"message": "Not Found"})
        self._page(items, query, parts.path)

    def _refused(self, stand_in: StandIn, request: str) -> bool:
        """A fault planted for this request, or a wrong token: answered here (True)."""
        fault = stand_in.take_fault(request)
        if fault is not None:
            status, headers, body = fault
            self._send(status, body, headers)
            return True
        if stand_in.token is not None and not self.authorized(stand_in.token):
            self._send(401, {"message": self.BAD_TOKEN})
            return True
        return False

    def authorized(self, token: str) -> bool:
        """Whether the request carries the token, the way this forge takes it."""
        return self.headers.get("Authorization") == self.AUTH.format(token)

    def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
        self._write("POST")

    def do_PATCH(self) -> None:  # noqa: N802 - the stdlib's name
        self._write("PATCH")

    def _write(self, method: str) -> None:
        """Creations and edits of issues, comments and milestones, as GitHub answers them."""
        stand_in: StandIn = self.server.stand_in
        length = int(self.headers.get("Content-Length") or 0)
        payload = json.loads(self.rfile.read(length) or b"{}")
        stand_in.requests.append((f"{method} {self.path}", self.headers.get("Authorization")))
        if callable(stand_in.write_delay):  # before the write is done: a kill lands between
            stand_in.write_delay(f"{method} {self.path}")
        if self._refused(stand_in, f"{method} {self.path}"):
            return None
        if stand_in.read_only:
            return self._send(403, {"message": "Resource not accessible by integration"})
        segments = urlsplit(self.path).path.strip("/").split("/")
        repo = stand_in.repos.get("/".join(segments[1:3])) if len(segments) >= 4 else None
        if repo is None or segments[0] != "repos":
            return self._send(404, {"message": "Not Found"})
        name, rest = "/".join(segments[1:3]), segments[3:]
        with stand_in.lock:
            answer = _apply(stand_in, repo, name, method, rest, payload)
        if answer is None:
            return self._send(404, {"message": "Not Found"})
        status, body = answer
        if method == "POST" and rest[0] == "issues" and rest[-1] in ("issues", "comments") \
                and stand_in.drop_after_create:
            stand_in.drop_after_create -= 1
            self.close_connection = True
            self.connection.close()  # created, never answered: the client's crash
            return None
        return self._send(status, body)

    def _page(self, items: Sequence[dict], query: dict[str, str], path: str) -> None:
        per_page = min(int(query.get("per_page", 30)), 100)
        page = int(query.get("page", 1))
        chunk = list(items[(page - 1) * per_page: page * per_page])
        last = max(1, -(-len(items) // per_page))
        links = []
        base = f"{self.server.stand_in.url}{path}?"
        rest = "&".join(f"{k}={v}" for k, v in query.items() if k != "page")
        if page < last:
            links.append(f'<{base}{rest}&page={page + 1}>; rel="next"')
            links.append(f'<{base}{rest}&page={last}>; rel="last"')
        headers = {"Link": ", ".join(links)} if links else {}
        self._send(200, chunk, headers)

    def rate_headers(self, remaining: int) -> dict[str, str]:
        """The rate-limit headers every answer carries (GitLab's stand-in names its own)."""
        return {"X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": str(remaining),
                "X-RateLimit-Reset": str(int(time.time()) + 3600)}

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        stand_in: StandIn = self.server.stand_in
        with stand_in.lock:
            stand_in.remaining = max(stand_in.remaining - 1, 0)
            remaining = stand_in.remaining
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for key, value in {**self.rate_headers(remaining), **(headers or {})}.items():
            self.send_header(key, value)
        self.end_headers()
        if not stand_in.trickle:
            self.wfile.write(data)
            return
        for byte in data:  # a byte now and then: every read is quick, the answer never ends
            self.wfile.write(bytes([byte]))
            self.wfile.flush()
            time.sleep(stand_in.trickle)


def _stamp() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _apply(stand_in: StandIn, repo: Repo, name: str, method: str, rest: list[str],
           payload: dict[str, Any]) -> tuple[int, Any] | None:
    """A write on the repository's data, with the answer GitHub gives."""
    login = stand_in.login
    if method == "POST" and rest == ["milestones"]:
        made = {"id": 500 + len(repo.milestones), "number": len(repo.milestones) + 1,
                "title": payload["title"], "state": "open", "description": None}
        repo.milestones.append(made)
        return 201, made
    if method == "POST" and rest == ["issues"]:
        number = max([i["number"] for i in repo.issues] or [0]) + 1
        issue = make_issue(name, number, payload["title"], body=payload.get("body"),
                           login=login, labels=payload.get("labels") or (),
                           assignees=payload.get("assignees") or (), created=_stamp())
        _set_milestone(repo, issue, payload)
        repo.issues.append(issue)
        return 201, issue
    if method == "PATCH" and len(rest) == 3 and rest[:2] == ["issues", "comments"]:
        return _patch_comment(repo, rest[2], payload)
    found = [i for i in repo.issues if len(rest) >= 2 and str(i["number"]) == rest[1]]
    if not found or rest[0] != "issues":
        return None
    issue = found[0]
    if method == "POST" and rest[2:] == ["comments"]:
        ids = [c["id"] for c in repo.comments] or [20000]
        comment = make_comment(name, issue["number"], max(ids) + 1, payload["body"],
                               login=login, created=_stamp())
        repo.comments.append(comment)
        issue["comments"] += 1
        issue["updated_at"] = _stamp()
        return 201, comment
    if method == "PATCH" and len(rest) == 2:
        _patch_issue(repo, issue, payload)
        return 200, issue
    return None


def _patch_comment(repo: Repo, comment_id: str, payload: dict[str, Any]
                   ) -> tuple[int, Any] | None:
    """``PATCH .../issues/comments/{comment_id}`` with ``{"body": ...}``: 200 and the comment."""
    found = [c for c in repo.comments if str(c["id"]) == comment_id]
    if not found:
        return None
    if not isinstance(payload.get("body"), str):
        return 422, {"message": "Invalid request.", "errors": [{"field": "body",
                                                                 "code": "missing_field"}]}
    found[0]["body"] = payload["body"]
    found[0]["updated_at"] = _stamp()
    return 200, found[0]


def _set_milestone(repo: Repo, issue: dict[str, Any], payload: dict[str, Any]) -> None:
    if "milestone" not in payload:
        return
    chosen = [m for m in repo.milestones if m["number"] == payload["milestone"]]
    issue["milestone"] = chosen[0] if chosen else None


def _patch_issue(repo: Repo, issue: dict[str, Any], payload: dict[str, Any]) -> None:
    for key in ("title", "body"):
        if key in payload:
            issue[key] = payload[key]
    if "labels" in payload:
        issue["labels"] = [{"id": 10 + i, "name": n, "color": "d73a4a"}
                           for i, n in enumerate(payload["labels"])]
    if "assignees" in payload:
        issue["assignees"] = [user(a) for a in payload["assignees"]]
    _set_milestone(repo, issue, payload)
    if "state" in payload:
        issue["state"] = payload["state"]
        closed = payload["state"] == "closed"
        issue["state_reason"] = payload.get("state_reason") if closed else "reopened"
        issue["closed_at"] = _stamp() if closed else None
    issue["updated_at"] = _stamp()


@contextmanager
def serving(stand_in: StandIn, handler: type[Handler] | None = None) -> Iterator[StandIn]:
    """Serve on 127.0.0.1, a free port, in a thread; always shut down on leaving
    (``handler``: another forge's answers, ``gitea_standin.GiteaHandler``)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler or Handler)
    server.daemon_threads = True
    server.stand_in = stand_in  # type: ignore[attr-defined]
    stand_in.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield stand_in
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


# --- pull request comments (pr-comment) ---------------------------------------

class PullRequestHandler(Handler):
    """GitHub's answers plus what ``pr-comment`` asks for: one pull request's comments
    (``GET /repos/{o}/{r}/issues/{n}/comments``, paged, in ascending id as GitHub
    orders them) and ``DELETE /repos/{o}/{r}/issues/comments/{id}`` (204, no body).
    Creating (POST ``.../issues/{n}/comments``, the pull request made with
    ``make_issue(..., pull=True)``) and editing (PATCH) are the Handler's."""

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        parts = urlsplit(self.path)
        segments = parts.path.strip("/").split("/")
        if not (len(segments) == 6 and segments[0] == "repos" and segments[3] == "issues"
                and segments[4].isdigit() and segments[5] == "comments"):
            return super().do_GET()
        stand_in: StandIn = self.server.stand_in
        stand_in.requests.append((self.path, self.headers.get("Authorization")))
        if self._refused(stand_in, self.path):
            return None
        repo = stand_in.repos.get(f"{segments[1]}/{segments[2]}")
        number = int(segments[4])
        if repo is None or not any(i["number"] == number for i in repo.issues):
            return self._send(404, {"message": "Not Found"})
        mine = sorted((c for c in repo.comments
                       if c["issue_url"].endswith(f"/issues/{number}")), key=lambda c: c["id"])
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        return self._page(mine, query, parts.path)

    def do_DELETE(self) -> None:  # noqa: N802 - the stdlib's name
        stand_in: StandIn = self.server.stand_in
        stand_in.requests.append((f"DELETE {self.path}", self.headers.get("Authorization")))
        if self._refused(stand_in, f"DELETE {self.path}"):
            return None
        if stand_in.read_only:
            return self._send(403, {"message": "Resource not accessible by integration"})
        segments = urlsplit(self.path).path.strip("/").split("/")
        repo = stand_in.repos.get("/".join(segments[1:3])) if len(segments) == 6 else None
        if repo is None or segments[3:5] != ["issues", "comments"]:
            return self._send(404, {"message": "Not Found"})
        with stand_in.lock:
            found = [c for c in repo.comments if str(c["id"]) == segments[5]]
            for comment in found:
                repo.comments.remove(comment)
        return self._send(204, b"") if found else self._send(404, {"message": "Not Found"})
