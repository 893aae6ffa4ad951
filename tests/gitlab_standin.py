"""A stand-in for GitLab's REST API v4 on 127.0.0.1, shaped like the real one.

Serves ``GET /api/v4/projects/:id/issues`` (``:id`` the URL-encoded path,
``group%2Fsub%2Fproject``), one issue, and ``.../issues/:iid/notes`` the way
GitLab documents them: ``scope``, ``state``, ``updated_after`` (by
``updated_at``), ``order_by``, ``sort``, ``per_page`` and ``page``; the
pagination headers (``X-Page``, ``X-Next-Page``, ``X-Total``,
``X-Total-Pages`` and a ``Link`` header, which ``link = False`` leaves out);
``RateLimit-*`` headers; system notes mixed into the notes; the token in
``PRIVATE-TOKEN``.  Faults are scripted per test (``fail``, from the GitHub
stand-in this one is built on: the server, the faults and the log are its).

The writes of ``sync gitlab``, as GitLab answers them: ``POST .../issues``
(``labels`` a comma list, ``assignee_ids``, ``milestone_id``), ``PUT
.../issues/:iid`` (``state_event`` close|reopen, ``labels``, ...), ``POST`` and
``PUT .../issues/:iid/notes[/:id]``, ``GET``/``POST .../milestones``, ``GET
/users?username=`` and ``GET /user``; ``read_only`` answers a write 403,
``drop_after_create`` closes the connection after creating, ``write_delay``
lands a kill between two writes, ``delay`` slows the reads.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from github_standin import Handler, StandIn

API = "/api/v4"


def user(username: str) -> dict[str, Any]:
    return {"id": sum(map(ord, username)), "username": username, "name": username.title(),
            "state": "active", "avatar_url": None,
            "web_url": f"https://gitlab.example/{username}"}


def make_issue(project: str, iid: int, title: str, *, description: str | None = "",
               author: str = "alice", state: str = "opened", labels: Sequence[str] = (),
               assignees: Sequence[str] = (), milestone: str | None = None,
               created: str = "2024-01-02T03:04:05.000Z", updated: str | None = None,
               closed: str | None = None, confidential: bool = False,
               notes: int = 0) -> dict[str, Any]:
    """An issue with the fields (and the noise) GitLab's list endpoint returns."""
    return {
        "id": 90_000 + iid, "iid": iid, "project_id": 42, "title": title,
        "description": description, "state": state, "created_at": created,
        "updated_at": updated or created, "closed_at": closed,
        "closed_by": user(author) if closed else None, "labels": list(labels),
        "milestone": None if milestone is None else {
            "id": 7, "iid": 1, "project_id": 42, "title": milestone, "state": "active"},
        "assignees": [user(a) for a in assignees],
        "assignee": user(assignees[0]) if assignees else None,
        "author": user(author), "type": "ISSUE", "user_notes_count": notes,
        "upvotes": 0, "downvotes": 0, "confidential": confidential,
        "discussion_locked": None, "issue_type": "issue",
        "web_url": f"https://gitlab.example/{project}/-/issues/{iid}",
        "references": {"short": f"#{iid}", "full": f"{project}#{iid}"},
    }


def make_note(iid: int, note_id: int, body: str, *, author: str = "bob",
              created: str = "2024-01-03T00:00:00.000Z", system: bool = False
              ) -> dict[str, Any]:
    return {"id": note_id, "type": None, "body": body, "attachment": None,
            "author": user(author), "created_at": created, "updated_at": created,
            "system": system, "noteable_id": 90_000 + iid, "noteable_type": "Issue",
            "noteable_iid": iid, "resolvable": False, "confidential": False,
            "internal": False}


class Project:
    """One project's data; tests change it between runs."""

    def __init__(self, issues: Sequence[dict] = (), notes: Sequence[dict] = ()) -> None:
        self.issues: list[dict[str, Any]] = list(issues)
        self.notes: list[dict[str, Any]] = list(notes)
        self.milestones: list[dict[str, Any]] = []
        self.notes_of: Any = None  # the benchmark's: an issue's notes, made when asked


class GitLabStandIn(StandIn):
    """The server's state: projects by path, a token, faults, what was asked."""

    def __init__(self, token: str | None = None) -> None:
        super().__init__(token)
        self.projects: dict[str, Project] = {}
        self.link = True  # send a Link header (else only X-Next-Page tells the next page)
        self.login = "alice"  # the token's owner (GET /user)
        self.users = {"alice", "bob", "carol", "dave"}  # GET /users?username= knows them
        self.sent: list[tuple[str, dict[str, Any]]] = []  # each write and its payload


class GitLabHandler(Handler):
    BAD_TOKEN = "401 Unauthorized"

    def authorized(self, token: str) -> bool:
        return self.headers.get("PRIVATE-TOKEN") == token

    def rate_headers(self, remaining: int) -> dict[str, str]:
        return {"RateLimit-Limit": "2000", "RateLimit-Remaining": str(remaining),
                "RateLimit-Reset": str(int(time.time()) + 60)}

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        stand_in: GitLabStandIn = self.server.stand_in
        stand_in.requests.append((self.path, self.headers.get("PRIVATE-TOKEN")))
        delay = stand_in.delay(self.path) if callable(stand_in.delay) else stand_in.delay
        if delay:
            time.sleep(delay)
        if self._refused(stand_in, self.path):
            return None
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        # The project is one segment, its slashes encoded: split before decoding.
        segments = parts.path.removeprefix(API).strip("/").split("/")
        if segments == ["user"]:
            return self._send(200, {**user(stand_in.login), "public_email": ""})
        if segments == ["users"]:
            name = query.get("username", "")
            return self._send(200, [user(name)] if name in stand_in.users else [])
        project = stand_in.projects.get(unquote(segments[1])) if len(segments) >= 3 else None
        if segments[0] != "projects" or project is None:
            return self._send(404, {"message": "404 Project Not Found"})
        if segments[2:] == ["milestones"]:
            title = query.get("title")
            return self._list([m for m in project.milestones if title in (None, m["title"])],
                              query, parts.path)
        if segments[2] != "issues":
            return self._send(404, {"error": "404 Not Found"})
        rest = segments[3:]
        if not rest:
            return self._list(_issues(project.issues, query), query, parts.path)
        if not isinstance(project.issues, list):  # the benchmark's: iid n is item n - 1
            found = [project.issues[int(rest[0]) - 1]]
        else:
            found = [i for i in project.issues if str(i["iid"]) == rest[0]]
        if not found:
            return self._send(404, {"message": "404 Not found"})
        if len(rest) == 1:
            return self._send(200, found[0])
        if rest[1:] == ["notes"]:
            notes = project.notes_of(found[0]["iid"]) if project.notes_of else \
                [n for n in project.notes if n["noteable_iid"] == found[0]["iid"]]
            notes.sort(key=lambda n: (n[query.get("order_by", "created_at")], n["id"]),
                       reverse=query.get("sort", "desc") == "desc")
            return self._list(notes, query, parts.path)
        if rest[1:2] == ["notes"] and len(rest) == 3:
            note = [n for n in project.notes if str(n["id"]) == rest[2]
                    and n["noteable_iid"] == found[0]["iid"]]
            return self._send(200, note[0]) if note else \
                self._send(404, {"message": "404 Not found"})
        return self._send(404, {"error": "404 Not Found"})

    def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
        self._gitlab_write("POST")

    def do_PUT(self) -> None:  # noqa: N802 - the stdlib's name
        self._gitlab_write("PUT")

    def _gitlab_write(self, method: str) -> None:
        """A write, with the faults GitHub's stand-in plants (see the module docstring)."""
        stand_in: GitLabStandIn = self.server.stand_in
        length = int(self.headers.get("Content-Length") or 0)
        payload = json.loads(self.rfile.read(length) or b"{}")
        target = f"{method} {self.path}"
        stand_in.requests.append((target, self.headers.get("PRIVATE-TOKEN")))
        stand_in.sent.append((target.replace(f"{API}/projects/", " "), payload))
        if callable(stand_in.write_delay):
            stand_in.write_delay(target)
        if self._refused(stand_in, target):
            return None
        if stand_in.read_only:
            return self._send(403, {"message": "403 Forbidden"})
        segments = urlsplit(self.path).path.removeprefix(API).strip("/").split("/")
        project = stand_in.projects.get(unquote(segments[1])) if len(segments) >= 3 else None
        if segments[0] != "projects" or project is None:
            return self._send(404, {"message": "404 Project Not Found"})
        with stand_in.lock:
            answer = _write(stand_in, project, unquote(segments[1]), method, segments[2:],
                            payload)
        if answer is None:
            return self._send(404, {"message": "404 Not found"})
        if method == "POST" and segments[-1] in ("issues", "notes") \
                and stand_in.drop_after_create:
            stand_in.drop_after_create -= 1
            self.close_connection = True
            self.connection.close()  # created, never answered: the client's crash
            return None
        return self._send(*answer)

    def _list(self, items: list[dict], query: dict[str, str], path: str) -> None:
        """A page, with GitLab's pagination headers (``per_page`` 20 unless asked)."""
        per_page = min(int(query.get("per_page", 20)), 100)
        page = int(query.get("page", 1))
        last = max(1, -(-len(items) // per_page))
        headers = {"X-Page": str(page), "X-Per-Page": str(per_page), "X-Total": str(len(items)),
                   "X-Total-Pages": str(last),
                   "X-Next-Page": str(page + 1) if page < last else "",
                   "X-Prev-Page": str(page - 1) if page > 1 else ""}
        rest = "&".join(f"{k}={v}" for k, v in query.items() if k != "page")
        base = f"{self.server.stand_in.url}{path}?{rest}"
        links = [f'<{base}&page=1>; rel="first"', f'<{base}&page={last}>; rel="last"']
        if page < last:
            links.insert(0, f'<{base}&page={page + 1}>; rel="next"')
        if self.server.stand_in.link:
            headers["Link"] = ", ".join(links)
        self._send(200, items[(page - 1) * per_page: page * per_page], headers)


def _issues(issues: list[dict], query: dict[str, str]) -> list[dict]:
    """The list endpoint's filters and order (``state`` all unless asked)."""
    if not isinstance(issues, list):
        return issues  # the benchmark's generated list, made in the order asked for
    since = query.get("updated_after")
    chosen = [i for i in issues if not since or _instant(i["updated_at"]) >= _instant(since)]
    if query.get("state") in ("opened", "closed"):
        chosen = [i for i in chosen if i["state"] == query["state"]]
    key = query.get("order_by", "created_at")
    chosen.sort(key=lambda i: (i[key], i["iid"]), reverse=query.get("sort", "desc") == "desc")
    return chosen


def _instant(value: str) -> str:
    """'2024-01-02T03:04:05.000Z' and '2024-01-02T03:04:05Z' compared as one moment."""
    return value.replace(".000Z", "Z")


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())


def _write(stand_in: GitLabStandIn, project: Project, path: str, method: str,
           rest: list[str], payload: dict[str, Any]) -> tuple[int, Any] | None:
    """A write on the project's data, with the answer GitLab gives (None: 404)."""
    if method == "POST" and rest == ["milestones"]:
        made = {"id": 700 + len(project.milestones), "iid": len(project.milestones) + 1,
                "project_id": 42, "title": payload["title"], "state": "active"}
        project.milestones.append(made)
        return 201, made
    if method == "POST" and rest == ["issues"]:
        iid = max([i["iid"] for i in project.issues] or [0]) + 1
        issue = make_issue(path, iid, payload["title"], description=payload.get("description"),
                           author=stand_in.login, created=_now())
        _edit(stand_in, project, issue, payload)
        project.issues.append(issue)
        return 201, issue
    found = [i for i in project.issues if len(rest) >= 2 and rest[0] == "issues"
             and str(i["iid"]) == rest[1]]
    if not found:
        return None
    issue = found[0]
    if method == "PUT" and len(rest) == 2:
        _edit(stand_in, project, issue, payload)
        return 200, issue
    if method == "POST" and rest[2:] == ["notes"]:
        note_id = max([n["id"] for n in project.notes] or [800]) + 1
        note = make_note(issue["iid"], note_id, payload["body"], author=stand_in.login,
                         created=_now())
        project.notes.append(note)
        issue["user_notes_count"] += 1
        issue["updated_at"] = _now()
        return 201, note
    if method == "PUT" and rest[2:3] == ["notes"] and len(rest) == 4:
        notes = [n for n in project.notes if str(n["id"]) == rest[3]]
        if not notes:
            return None
        notes[0]["body"] = payload["body"]
        notes[0]["updated_at"] = issue["updated_at"] = _now()
        return 200, notes[0]
    return None


def _edit(stand_in: GitLabStandIn, project: Project, issue: dict[str, Any],
          payload: dict[str, Any]) -> None:
    """GitLab's parameters of a create or an edit applied to the issue."""
    for key in ("title", "description"):
        if key in payload:
            issue[key] = payload[key]
    if "labels" in payload:
        issue["labels"] = [n for n in payload["labels"].split(",") if n]
    if "assignee_ids" in payload:
        by_id = {user(name)["id"]: name for name in stand_in.users}
        issue["assignees"] = [user(by_id[i]) for i in payload["assignee_ids"]]
    if "milestone_id" in payload:
        chosen = [m for m in project.milestones if m["id"] == payload["milestone_id"]]
        issue["milestone"] = chosen[0] if chosen else None
    event = payload.get("state_event")
    if event in ("close", "reopen"):
        issue["state"] = "closed" if event == "close" else "opened"
        issue["closed_at"] = _now() if event == "close" else None
    issue["updated_at"] = _now()


# --- merge request notes (pr-comment) -----------------------------------------

class MergeRequestStandIn(GitLabStandIn):
    """GitLab with merge requests: ``notes[(project, iid)]`` is each one's notes (a
    merge request exists when it has an entry, an empty list for none)."""

    def __init__(self, token: str | None = None) -> None:
        super().__init__(token)
        self.notes: dict[tuple[str, int], list[dict[str, Any]]] = {}
        self.next_note = 7000


def make_mr_note(iid: int, note_id: int, body: str, *, author: str = "bot",
                 system: bool = False) -> dict[str, Any]:
    """A merge request's note as ``GET .../merge_requests/:iid/notes`` lists it."""
    return {**make_note(iid, note_id, body, author=author, system=system),
            "noteable_type": "MergeRequest", "noteable_id": 80_000 + iid}


class MergeRequestHandler(GitLabHandler):
    """GitLab's answers plus a merge request's notes: ``GET`` (paged, ``sort``),
    ``POST`` (201), ``PUT .../notes/:id`` (200), ``DELETE .../notes/:id`` (204)."""

    def _notes(self, method: str) -> tuple[list[dict] | None, list[str], dict[str, str]]:
        """The merge request's notes (None: no such merge request), the path after
        ``notes``, the query; logs the request."""
        stand_in: MergeRequestStandIn = self.server.stand_in
        stand_in.requests.append((f"{method} {self.path}", self.headers.get("PRIVATE-TOKEN")))
        parts = urlsplit(self.path)
        segments = parts.path.removeprefix(API).strip("/").split("/")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if len(segments) < 5 or segments[0] != "projects" or segments[2] != "merge_requests" \
                or segments[4] != "notes" or not segments[3].isdigit():
            return None, [], query
        key = (unquote(segments[1]), int(segments[3]))
        return stand_in.notes.get(key), segments[5:], query

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        if "/merge_requests/" not in self.path:
            return super().do_GET()
        notes, rest, query = self._notes("GET")
        if self._refused(self.server.stand_in, self.path):
            return None
        if notes is None or rest:
            return self._send(404, {"message": "404 Not found"})
        ordered = sorted(notes, key=lambda n: (n["created_at"], n["id"]),
                         reverse=query.get("sort", "desc") == "desc")
        return self._list(ordered, query, urlsplit(self.path).path)

    def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
        self._note_write("POST")

    def do_PUT(self) -> None:  # noqa: N802 - the stdlib's name
        self._note_write("PUT")

    def do_DELETE(self) -> None:  # noqa: N802 - the stdlib's name
        self._note_write("DELETE")

    def _note_write(self, method: str) -> None:
        stand_in: MergeRequestStandIn = self.server.stand_in
        length = int(self.headers.get("Content-Length") or 0)
        payload = json.loads(self.rfile.read(length) or b"{}")
        notes, rest, _ = self._notes(method)
        if self._refused(stand_in, f"{method} {self.path}"):
            return None
        if stand_in.read_only:
            return self._send(403, {"message": "403 Forbidden"})
        if notes is None:
            return self._send(404, {"message": "404 Not found"})
        iid = int(urlsplit(self.path).path.split("/")[-2 if not rest else -3])
        with stand_in.lock:
            status, body = _note_change(stand_in, notes, method, rest, iid, payload)
        return self._send(status, body)


def _note_change(stand_in: MergeRequestStandIn, notes: list[dict], method: str,
                 rest: list[str], iid: int, payload: dict[str, Any]) -> tuple[int, Any]:
    """One write on a merge request's notes, with GitLab's answer."""
    if method == "POST" and not rest:
        stand_in.next_note += 1
        note = make_mr_note(iid, stand_in.next_note, payload["body"])
        notes.append(note)
        return 201, note
    found = [n for n in notes if rest and str(n["id"]) == rest[0]]
    if not found:
        return 404, {"message": "404 Note Not Found"}
    if method == "DELETE":
        notes.remove(found[0])
        return 204, b""
    found[0]["body"] = payload["body"]
    return 200, found[0]
