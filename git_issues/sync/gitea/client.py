"""Gitea's and Forgejo's API v1 (Codeberg, or a server of your own).

The GitHub client (``sync/github/client.py``) with Gitea's name, its token
header (``Authorization: token …``) and its refusals: the retry loop (5xx and
dropped connections with backoff, 429 with ``Retry-After`` waited out), the
bounds a broken server meets and the ``Link`` pages are the same code.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import urllib3

from git_issues import __version__
from git_issues.errors import FieldError
from git_issues.sync.github.client import Client

URL_ENV = "GITEA_URL"
TOKEN_ENVS = ("GITEA_TOKEN", "FORGEJO_TOKEN")
API_PATH = "/api/v1"


def server_url(given: str | None = None) -> str:
    """``--url``, else ``GITEA_URL``: the server's address (``https://codeberg.org``)."""
    url = (given or os.environ.get(URL_ENV) or "").strip().rstrip("/")
    if not url:
        raise FieldError("url", "the Gitea or Forgejo server is needed, e.g. "
                                "https://codeberg.org (or set GITEA_URL)")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FieldError("url", f"must be http(s)://host[/path], got {url!r}")
    return url.removesuffix(API_PATH)


def host_of(url: str) -> str:
    """The server's host (and a port other than the default), as the origin keeps it."""
    return urlsplit(url).netloc.lower()


def find_token() -> str | None:
    """GITEA_TOKEN, then FORGEJO_TOKEN; read at each call, never kept."""
    for name in TOKEN_ENVS:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None


class GiteaClient(Client):
    """One repository's conversation with a Gitea or Forgejo server (API v1)."""

    NAME = "Gitea"
    ANONYMOUS_HINT = ("no Gitea token (GITEA_TOKEN or FORGEJO_TOKEN): "
                      "public repositories only")
    WRITE_HINT = ("the token needs the 'write:issue' scope and write access to the "
                  "repository")

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json", "User-Agent": f"git-issues/{__version__}"}
        if self._token:
            headers["Authorization"] = f"token {self._token}"
        return headers

    def _refusal(self, status: int, response: urllib3.BaseHTTPResponse, url: str,
                 what: str) -> str:
        server = host_of(url)
        if status == 401:
            return (f"{server} refused the token (401): check GITEA_TOKEN or FORGEJO_TOKEN "
                    "(a token with the 'read:issue' and 'read:repository' scopes)")
        if status == 403:
            return (f"{server} refused to show {what or 'the repository'} (403): the token "
                    "needs the 'read:issue' and 'read:repository' scopes")
        if status == 404:
            hint = "" if self._token else " (a private one needs a token)"
            return f"{server} has no {what or 'such repository'}{hint}"
        return super()._refusal(status, response, url, what)
