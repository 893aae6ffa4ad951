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


class GitLabStandIn(StandIn):
    """The server's state: projects by path, a token, faults, what was asked."""

    def __init__(self, token: str | None = None) -> None:
        super().__init__(token)
        self.projects: dict[str, Project] = {}
        self.link = True  # send a Link header (else only X-Next-Page tells the next page)


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
        if self._refused(stand_in, self.path):
            return None
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        # The project is one segment, its slashes encoded: split before decoding.
        segments = parts.path.removeprefix(API).strip("/").split("/")
        if len(segments) < 3 or segments[0] != "projects" or segments[2] != "issues":
            return self._send(404, {"error": "404 Not Found"})
        project = stand_in.projects.get(unquote(segments[1]))
        if project is None:
            return self._send(404, {"message": "404 Project Not Found"})
        rest = segments[3:]
        if not rest:
            return self._list(_issues(project.issues, query), query, parts.path)
        found = [i for i in project.issues if str(i["iid"]) == rest[0]]
        if not found:
            return self._send(404, {"message": "404 Not found"})
        if len(rest) == 1:
            return self._send(200, found[0])
        if rest[1:] == ["notes"]:
            notes = [n for n in project.notes if n["noteable_iid"] == found[0]["iid"]]
            notes.sort(key=lambda n: (n[query.get("order_by", "created_at")], n["id"]),
                       reverse=query.get("sort", "desc") == "desc")
            return self._list(notes, query, parts.path)
        return self._send(404, {"error": "404 Not Found"})

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
