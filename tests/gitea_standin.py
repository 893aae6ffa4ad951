"""A stand-in for Gitea's and Forgejo's API v1 on 127.0.0.1, shaped like the real one.

Serves ``GET /api/v1/repos/{owner}/{repo}/issues`` and ``.../issues/comments``
as Gitea documents them: ``state``, ``type`` (``issues`` leaves pull requests
out), ``since`` (by ``updated_at``), ``page`` and ``limit`` (at most 50), the
newest issue first, a ``Link`` header with ``next`` and ``last`` and an
``X-Total-Count``; every issue carries ``pull_request`` (``null`` for an
issue), times with the server's offset, the token checked as
``Authorization: token …``.  The server, the faults (``fail``) and what was
asked are GitHub's stand-in's (``github_standin.StandIn``).

The writes of ``sync gitea``, as Gitea answers them: ``POST .../issues``
(``labels`` as label ids, ``assignees`` logins, ``milestone`` an id), ``PATCH
.../issues/{n}`` (``state``, ...), ``PUT .../issues/{n}/labels`` (the ids
replace the set), ``POST .../issues/{n}/comments``, ``PATCH
.../issues/comments/{id}``, the repository's ``labels`` and ``milestones``
(GET and POST) and ``GET /user``; ``read_only``, ``drop_after_create``,
``write_delay`` and ``delay`` as in GitHub's stand-in.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, urlsplit

import github_standin
from github_standin import Handler, StandIn, serving

__all__ = ["GiteaHandler", "Repo", "StandIn", "make_comment", "make_issue", "gitea_serving"]
HOST = "gitea.example"
MAX_LIMIT = 50


def user(login: str) -> dict[str, Any]:
    return {"id": abs(hash(login)) % 10**6, "login": login, "login_name": "", "full_name": "",
            "email": f"{login}@noreply.{HOST}", "avatar_url": "", "username": login}


def make_issue(repo: str, number: int, title: str, *, body: str = "", login: str = "alice",
               state: str = "open", labels: Sequence[str] = (), assignees: Sequence[str] = (),
               milestone: str | None = None, created: str = "2024-01-02T04:04:05+01:00",
               updated: str | None = None, closed: str | None = None,
               pull: bool = False) -> dict[str, Any]:
    """An issue as Gitea's list gives it (``pull_request`` is null for an issue)."""
    web = f"https://{HOST}/{repo}/{'pulls' if pull else 'issues'}/{number}"
    return {
        "id": 5000 + number, "url": f"https://{HOST}/api/v1/repos/{repo}/issues/{number}",
        "html_url": web, "number": number, "user": user(login), "original_author": "",
        "original_author_id": 0, "title": title, "body": body, "ref": "",
        "assets": [],
        "labels": [{"id": 30 + i, "name": name, "exclusive": False, "is_archived": False,
                    "color": "ee0701", "description": "", "url": ""}
                   for i, name in enumerate(labels)],
        "milestone": None if milestone is None else {
            "id": 3, "title": milestone, "description": "", "state": "open",
            "open_issues": 1, "closed_issues": 0, "created_at": created, "updated_at": created,
            "closed_at": None, "due_on": None},
        "assignee": user(assignees[0]) if assignees else None,
        "assignees": [user(a) for a in assignees] or None,
        "state": state, "is_locked": False, "comments": 0,
        "created_at": created, "updated_at": updated or created, "closed_at": closed,
        "due_date": None,
        "pull_request": {"merged": False, "merged_at": None, "html_url": web} if pull else None,
        "repository": {"id": 1, "name": repo.split("/")[1], "owner": repo.split("/")[0],
                       "full_name": repo},
        "pin_order": 0,
    }


def make_comment(repo: str, number: int, comment_id: int, body: str, *, login: str = "bob",
                 created: str = "2024-01-03T00:00:00Z", updated: str | None = None,
                 pull: bool = False) -> dict[str, Any]:
    """A comment of the repository-wide list (``issue_url`` empty for a pull request's)."""
    web = f"https://{HOST}/{repo}/{'pulls' if pull else 'issues'}/{number}"
    return {"id": comment_id, "html_url": f"{web}#issuecomment-{comment_id}",
            "pull_request_url": web if pull else "", "issue_url": "" if pull else web,
            "user": user(login), "original_author": "", "original_author_id": 0,
            "body": body, "assets": [], "created_at": created,
            "updated_at": updated or created}


class Repo(github_standin.Repo):
    """A repository's data, with the labels a push may create."""

    def __init__(self, issues: Sequence[dict] = (), comments: Sequence[dict] = ()) -> None:
        super().__init__(issues, comments)
        self.labels: list[dict[str, Any]] = []


def _moment(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


class GiteaHandler(Handler):
    """Gitea's answers, on the GitHub stand-in's server and faults."""

    AUTH = "token {}"
    BAD_TOKEN = "user does not exist [uid: 0, name: ]"

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
        if segments == ["api", "v1", "user"]:
            return self._send(200, {**user(stand_in.login), "full_name": stand_in.name})
        repo = stand_in.repos.get("/".join(segments[3:5]))
        if segments[:3] != ["api", "v1", "repos"] or len(segments) < 6 or repo is None:
            return self._send(404, {"errors": ["repository does not exist"],
                                    "message": "The target couldn't be found."})
        if segments[5:] in (["labels"], ["milestones"]):
            return self._page(getattr(repo, segments[5]), query, parts.path)
        if segments[5] != "issues":
            return self._send(404, {"message": "page not found"})
        rest = segments[6:]
        if len(rest) == 2 and rest[0] == "comments":
            found = [c for c in repo.comments if str(c["id"]) == rest[1]]
            return self._send(200, found[0]) if found else self._send(404, {"message": "x"})
        if len(rest) == 1 and rest[0].isdigit():
            found = [i for i in repo.issues if i["number"] == int(rest[0])]
            return self._send(200, found[0]) if found else self._send(404, {"message": "x"})
        if not isinstance(repo.issues, list):  # the benchmark's generated lists, as they are
            items = repo.comments if rest == ["comments"] else repo.issues
        elif rest == ["comments"]:
            items = self._since(repo.comments, query)
            items.sort(key=lambda c: (_moment(c["created_at"]), c["id"]))
        elif not rest:
            items = self._issues(repo.issues, query)
        else:
            return self._send(404, {"message": "page not found"})
        self._page(items, query, parts.path)

    @staticmethod
    def _since(items: Sequence[dict], query: dict[str, str]) -> list[dict]:
        since = query.get("since")
        return [i for i in items if not since or _moment(i["updated_at"]) >= _moment(since)]

    def _issues(self, items: Sequence[dict], query: dict[str, str]) -> list[dict]:
        chosen = self._since(items, query)
        if query.get("state", "open") != "all":
            chosen = [i for i in chosen if i["state"] == query.get("state", "open")]
        kind = query.get("type")
        if kind in ("issues", "pulls"):
            chosen = [i for i in chosen if (i["pull_request"] is not None) == (kind == "pulls")]
        return sorted(chosen, key=lambda i: (_moment(i["created_at"]), i["number"]),
                      reverse=True)  # newest first: no sort by change in this list

    def _page(self, items: Sequence[dict], query: dict[str, str], path: str) -> None:
        limit = min(int(query.get("limit", MAX_LIMIT)), MAX_LIMIT)
        page = max(int(query.get("page", 1)), 1)
        chunk = list(items[(page - 1) * limit: page * limit])
        last = max(1, -(-len(items) // limit))
        base = f"{self.server.stand_in.url}{path}?"
        rest = "&".join(f"{k}={v}" for k, v in query.items() if k != "page")
        links = []
        if page < last:
            links.append(f'<{base}{rest}&page={page + 1}>; rel="next"')
            links.append(f'<{base}{rest}&page={last}>; rel="last"')
        headers = {"X-Total-Count": str(len(items))}
        if links:
            headers["Link"] = ", ".join(links)
        self._send(200, chunk, headers)


    def _write(self, method: str) -> None:
        """A write, with the faults GitHub's stand-in plants (see the module docstring)."""
        stand_in: StandIn = self.server.stand_in
        length = int(self.headers.get("Content-Length") or 0)
        payload = json.loads(self.rfile.read(length) or b"{}")
        target = f"{method} {self.path}"
        stand_in.requests.append((target, self.headers.get("Authorization")))
        stand_in.sent.append((target, payload))  # type: ignore[attr-defined]
        if callable(stand_in.write_delay):
            stand_in.write_delay(target)
        if self._refused(stand_in, target):
            return None
        if stand_in.read_only:
            return self._send(403, {"message": "token does not have at least one of required "
                                               "scope(s): [write:issue]"})
        segments = urlsplit(self.path).path.strip("/").split("/")
        repo = stand_in.repos.get("/".join(segments[3:5]))
        if segments[:3] != ["api", "v1", "repos"] or len(segments) < 6 or repo is None:
            return self._send(404, {"message": "The target couldn't be found."})
        with stand_in.lock:
            answer = _write(stand_in, repo, "/".join(segments[3:5]), method, segments[5:],
                            payload)
        if answer is None:
            return self._send(404, {"message": "The target couldn't be found."})
        if method == "POST" and segments[5] == "issues" and segments[-1] in (
                "issues", "comments") and stand_in.drop_after_create:
            stand_in.drop_after_create -= 1
            self.close_connection = True
            self.connection.close()  # created, never answered: the client's crash
            return None
        return self._send(*answer)

    def do_PUT(self) -> None:  # noqa: N802 - the stdlib's name
        self._write("PUT")


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def _write(stand_in: StandIn, repo: Repo, name: str, method: str, rest: list[str],
           payload: dict[str, Any]) -> tuple[int, Any] | None:
    """A write on the repository's data, with the answer Gitea gives (None: 404)."""
    if method == "POST" and rest in (["labels"], ["milestones"]):
        kept = getattr(repo, rest[0])
        made = {"id": (60 if rest == ["labels"] else 3) + len(kept) + 1, "color": "",
                "description": "", **payload}
        kept.append(made)
        return 201, made
    if method == "POST" and rest == ["issues"]:
        number = max([i["number"] for i in repo.issues] or [0]) + 1
        issue = make_issue(name, number, payload["title"], body=payload.get("body") or "",
                           login=stand_in.login, created=_now())
        _edit(repo, issue, payload)
        repo.issues.append(issue)
        return 201, issue
    if method == "PATCH" and len(rest) == 3 and rest[1] == "comments":
        found = [c for c in repo.comments if str(c["id"]) == rest[2]]
        if found:
            found[0].update(body=payload["body"], updated_at=_now())
            return 200, found[0]
        return None
    issue = next((i for i in repo.issues if len(rest) >= 2 and str(i["number"]) == rest[1]),
                 None)
    if issue is None:
        return None
    if method == "PATCH" and len(rest) == 2:
        _edit(repo, issue, payload)
        return 201, issue  # Gitea answers an edit with 201
    if method == "PUT" and rest[2:] == ["labels"]:
        _edit(repo, issue, payload)
        return 200, issue["labels"]
    if method == "POST" and rest[2:] == ["comments"]:
        comment_id = max([c["id"] for c in repo.comments] or [20000]) + 1
        comment = make_comment(name, issue["number"], comment_id, payload["body"],
                               login=stand_in.login, created=_now())
        repo.comments.append(comment)
        issue["comments"] += 1
        issue["updated_at"] = _now()
        return 201, comment
    return None


def _edit(repo: Repo, issue: dict[str, Any], payload: dict[str, Any]) -> None:
    """Gitea's fields of a create or an edit applied to the issue."""
    for key in ("title", "body"):
        if key in payload:
            issue[key] = payload[key]
    if "labels" in payload:
        issue["labels"] = [label for label in repo.labels if label["id"] in payload["labels"]]
    if "assignees" in payload:
        issue["assignees"] = [user(a) for a in payload["assignees"]] or None
    if "milestone" in payload:
        chosen = [m for m in repo.milestones if m["id"] == payload["milestone"]]
        issue["milestone"] = chosen[0] if chosen else None
    if payload.get("state") in ("open", "closed"):
        issue["state"] = payload["state"]
        issue["closed_at"] = _now() if payload["state"] == "closed" else None
    issue["updated_at"] = _now()


@contextmanager
def gitea_serving(stand_in: StandIn) -> Iterator[StandIn]:
    """Serve Gitea's API on 127.0.0.1, a free port; ``stand_in.url`` is the server's URL."""
    stand_in.sent = []  # type: ignore[attr-defined] # each write and its payload
    stand_in.login = "alice"
    with serving(stand_in, GiteaHandler) as served:
        yield served
