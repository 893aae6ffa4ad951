"""``git issues import gh-json FILE``: the output of ``gh issue list --json ...``.

``gh issue list --state all -L 100000 --json number,title,body,state,stateReason,
labels,assignees,milestone,author,createdAt,closedAt,comments,url`` writes one
JSON array.  Its records are turned into the shapes of the REST API and go
through the very same importer as ``import github`` (same origin keys, same
sync state, same three-way comparison), served from the file instead of the
network: importing the file and later running ``import github`` on the same
repository continue each other.

gh fetches at most 100 comments per issue; an issue that has exactly 100 is
reported, since ``import github`` would bring the rest.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from git_issues.core.model import REPO_RE
from git_issues.errors import GitIssuesError
from git_issues.fileformat.issuefile import open_named_file
from git_issues.sync.github.importer import Importer

if TYPE_CHECKING:
    from git_issues.repo.workspace import Workspace
    from git_issues.sync.apply import Summary

GH_COMMENT_CAP = 100
_URL_RE = re.compile(r"https?://[^/]+/([^/]+/[^/]+)/(?:issues|pull)/(\d+)")
_COMMENT_ID_RE = re.compile(r"#issuecomment-(\d+)$")


def _lower(value: Any) -> str | None:
    return str(value).lower() if value else None


def rest_issue(record: dict[str, Any]) -> dict[str, Any]:
    """A gh record in the shape of ``GET /repos/{o}/{r}/issues``."""
    milestone = record.get("milestone")
    closed_at = record.get("closedAt")
    if closed_at and str(closed_at).startswith("0001-"):  # gh's zero time: not closed
        closed_at = None
    return {
        "number": record.get("number"), "title": record.get("title"),
        "body": record.get("body"), "state": _lower(record.get("state")),
        "state_reason": _lower(record.get("stateReason")),
        "labels": [{"name": label.get("name")} for label in record.get("labels") or []
                   if isinstance(label, dict)],
        "assignees": [{"login": a.get("login")} for a in record.get("assignees") or []
                      if isinstance(a, dict)],
        "milestone": {"title": milestone.get("title")} if isinstance(milestone, dict) else None,
        "user": record.get("author"), "created_at": record.get("createdAt"),
        "closed_at": closed_at, "html_url": record.get("url"), "updated_at": None,
    }


def rest_comments(record: dict[str, Any], api_issue_url: str) -> list[dict[str, Any]]:
    """gh's comments in the shape of ``GET /repos/{o}/{r}/issues/comments``."""
    out = []
    for comment in record.get("comments") or []:
        if not isinstance(comment, dict):
            continue
        found = _COMMENT_ID_RE.search(str(comment.get("url") or ""))
        if not found:
            continue  # without its number a comment could not be recognised on a re-run
        out.append({"id": int(found.group(1)), "issue_url": api_issue_url,
                    "user": comment.get("author"), "created_at": comment.get("createdAt"),
                    "body": comment.get("body")})
    return out


class FileSource:
    """Serves a gh file the way ``forge.github.Client.pages`` serves the API."""

    def __init__(self, records: list[dict[str, Any]], repo: str) -> None:
        self.records = records
        self.repo = repo

    def pages(self, path: str, params: dict[str, Any] | None = None,
              what: str = "") -> Iterator[list[Any]]:
        if path.endswith("/issues/comments"):
            for record in self.records:
                api = f"https://api.github.com/repos/{self.repo}/issues/{record.get('number')}"
                yield rest_comments(record, api)
        else:
            yield from ([rest_issue(r)] for r in self.records)


def load(path: str) -> list[dict[str, Any]]:
    try:
        with open_named_file(path) as handle:  # no /dev/zero, no FIFO, a size cap
            data = json.load(handle)
    except OSError as exc:
        raise GitIssuesError(f"{path}: {exc.strerror}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise GitIssuesError(f"{path}: not the JSON gh writes ({exc})") from None
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise GitIssuesError(f"{path}: not the JSON gh writes (a list of issues)")
    return data


def repo_of(records: list[dict[str, Any]], given: str | None, path: str) -> str:
    if given:
        if not REPO_RE.fullmatch(given):
            raise GitIssuesError(f"--repo: '{given}' is not like OWNER/REPO")
        return given
    repos = {m.group(1) for r in records if (m := _URL_RE.match(str(r.get("url") or "")))}
    if len(repos) != 1:
        raise GitIssuesError(f"{path}: cannot tell the repository from the issues' urls "
                             "(add 'url' to --json, or give --repo OWNER/REPO)")
    return repos.pop()


def import_file(ws: Workspace, path: str, *, repo: str | None = None) -> Summary:
    records = load(path)
    repo = repo_of(records, repo, path) if records else (repo or "unknown/unknown")
    capped = sum(1 for r in records if len(r.get("comments") or []) >= GH_COMMENT_CAP)
    importer = Importer(ws, repo, FileSource(records, repo), say=lambda message: None)
    importer.remember_since = False
    summary = importer.run()
    if capped:
        summary.notes.append(
            f"{capped} issue{'s' if capped > 1 else ''} {'have' if capped > 1 else 'has'} "
            f"{GH_COMMENT_CAP} comments, where gh stops: `git issues import github {repo}` "
            "brings the rest")
    return summary
