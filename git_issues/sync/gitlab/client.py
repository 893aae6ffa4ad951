"""GitLab's REST API v4 through the GitHub client's one retry loop.

The conversation is the same one (``sync/github/client.py``: the retries of
5xx and dropped connections, the waits of a rate limit, a deadline a request,
one line for a refusal); what differs is said here: the token travels as
``PRIVATE-TOKEN`` (or ``Authorization: Bearer`` for an OAuth token given as
``Bearer …``), the next page is the ``Link`` header's or ``X-Next-Page``, the
count of pages ``X-Total-Pages``, and a rate limit is a 429 with
``Retry-After`` or ``RateLimit-Reset`` (the client reads both names).
"""

from __future__ import annotations

import os
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import urllib3

from git_issues import __version__
from git_issues.errors import GitIssuesError
from git_issues.sync.github.client import Client

DEFAULT_URL = "https://gitlab.com"
URL_ENV = "GITLAB_URL"
TOKEN_ENV = "GITLAB_TOKEN"


def base_url(given: str | None = None) -> str:
    """``--url``, else ``GITLAB_URL``, else gitlab.com; the API is under ``/api/v4``."""
    url = (given or os.environ.get(URL_ENV) or DEFAULT_URL).strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
        raise GitIssuesError(f"the GitLab URL must be http(s)://host[/path], got {url!r}")
    return url


def find_token() -> str | None:
    """GITLAB_TOKEN, read at each call (never cached) and handed to the client only."""
    return os.environ.get(TOKEN_ENV, "").strip() or None


class GitLabClient(Client):
    """``with GitLabClient(base_url(url) + "/api/v4", token) as gl: gl.pages(...)``."""

    NAME = "GitLab"
    TOKEN_HINT = f"check {TOKEN_ENV}"
    UNAUTHORIZED = "401 Unauthorized"
    ANONYMOUS_HINT = f"no GitLab token ({TOKEN_ENV}): public projects only"
    WRITE_HINT = "the token needs the 'api' scope and at least the Reporter role"

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json", "User-Agent": f"git-issues/{__version__}"}
        token = self._token
        if token and token.startswith("Bearer "):
            headers["Authorization"] = token
        elif token:
            headers["PRIVATE-TOKEN"] = token
        return headers

    def next_url(self, response: urllib3.BaseHTTPResponse, url: str) -> str | None:
        """``Link: rel="next"`` when given, else this URL with ``page=X-Next-Page``
        (GitLab sends an empty ``X-Next-Page`` on the last page)."""
        found = super().next_url(response, url)
        if found:
            return found
        page = (response.headers.get("X-Next-Page") or "").strip()
        if not page.isdigit():
            return None
        parts = urlsplit(url)
        query = [(k, v) for k, v in parse_qsl(parts.query) if k != "page"] + [("page", page)]
        return urlunsplit(parts._replace(query=urlencode(query)))

    def total_pages(self, response: urllib3.BaseHTTPResponse) -> int | None:
        pages = (response.headers.get("X-Total-Pages") or "").strip()
        return int(pages) if pages.isdigit() else super().total_pages(response)
