"""A small client for GitHub's REST API v3 (github.com and GitHub Enterprise Server).

urllib3 and nothing heavier: one pool of kept-alive connections, opened and
closed by ``with Client(...)``, pages followed through the ``Link`` header,
and the faults a long import meets handled here, once, as GitHub documents
them: 5xx and dropped connections retried with backoff, a rate limit (403 or
429 with ``X-RateLimit-Remaining: 0`` or ``Retry-After``) waited out when the
wait is short and stopped cleanly when it is long, 401 and 404 turned into one
line each.  The token travels in a header only: it is never put in a URL, an
error message or a log line, and only to the scheme, host and port it was
configured for.

A broken or hostile server cannot hold a run: a page seen twice ends the walk,
every wait has a floor and a ceiling, a whole request (headers and body) has a
deadline, a run has a budget of retries and waits, and an answer too large,
too deep or not shaped like GitHub's is one line, never a traceback.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import urllib3

from git_issues import __version__
from git_issues.errors import GitIssuesError
from git_issues.sync.prefetch import Prefetch

DEFAULT_API_URL = "https://api.github.com"
API_URL_ENV = "GITHUB_API_URL"
TOKEN_ENVS = ("GITHUB_TOKEN", "GH_TOKEN")
RETRY_STATUSES = frozenset({500, 502, 503, 504})
RETRIES = 5
MAX_WAIT = 15 * 60  # a rate limit resetting later than this stops the run instead
# The bounds a broken server meets, each overridable for a run (tests use small ones):
DEADLINE_ENV, DEADLINE = "GIT_ISSUES_FORGE_DEADLINE", 300.0  # s for one whole request
MIN_WAIT_ENV, MIN_WAIT = "GIT_ISSUES_FORGE_MIN_WAIT", 1.0  # s: the floor of any wait
BUDGET_ENV, BUDGET = "GIT_ISSUES_FORGE_RETRIES", 100  # retries and waits in one run
RATE_WAITS = 5  # rate-limit waits for one request before the run stops
MAX_BODY = 64 * 1024 * 1024  # bytes of one answer (a page of 100 issues is ~7 MB at most)
MAX_ID = 2**53  # numbers and ids GitHub gives fit a JSON number exactly
_ANONYMOUS_HINT = ("no GitHub token (GITHUB_TOKEN, GH_TOKEN or `gh auth token`): "
                   "public repositories only, 60 requests an hour")

Say = Callable[[str], None]


class RateLimited(GitIssuesError):
    """The limit resets too late to wait for; the run stops cleanly."""


def api_url(given: str | None = None) -> str:
    """``--api-url``, else ``GITHUB_API_URL`` (set by GitHub Actions), else github.com."""
    url = (given or os.environ.get(API_URL_ENV) or DEFAULT_API_URL).strip().rstrip("/")
    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
        raise GitIssuesError(f"the API URL must be http(s)://host[/path], got {url!r}")
    return url


def _env_number(name: str, default: float) -> float:
    """A positive number from the environment, read per client (never kept)."""
    try:
        value = float(os.environ.get(name, "") or default)
    except ValueError:
        raise GitIssuesError(f"{name} must be a number of seconds or tries") from None
    if not math.isfinite(value) or value <= 0:
        raise GitIssuesError(f"{name} must be a positive number")
    return value


def find_token() -> str | None:
    """GITHUB_TOKEN, then GH_TOKEN, then ``gh auth token`` if gh is installed.

    Read at each call (never cached), and handed to the client only.
    """
    for name in TOKEN_ENVS:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    gh = shutil.which("gh")
    if gh is None:
        return None
    try:
        proc = subprocess.run([gh, "auth", "token"], capture_output=True, text=True,
                              timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    token = proc.stdout.strip()
    return token if proc.returncode == 0 and token else None


def next_link(header: str | None) -> str | None:
    """The ``rel="next"`` URL of a ``Link`` header, if any."""
    return _link(header, "next")


def last_page(header: str | None) -> int | None:
    """The page number of the ``rel="last"`` URL of a ``Link`` header, if any."""
    url = _link(header, "last")
    if url is None:
        return None
    page = parse_qs(urlsplit(url).query).get("page", [""])[0]
    return int(page) if page.isdigit() else None


def _link(header: str | None, rel: str) -> str | None:
    for part in (header or "").split(","):
        url, _, params = part.partition(";")
        if f'rel="{rel}"' in params.replace(" ", ""):
            return url.strip().strip("<>")
    return None


class Client:
    """One repository's API conversation: ``with Client(url, token) as gh: gh.pages(...)``.

    Another forge's client is a subclass (``sync/gitlab/client.py``,
    ``sync/gitea/client.py``) that names the forge, sends its own headers and
    reads its own pagination; the retry loop, the waits, the limits and the
    refusals are these."""

    NAME = "GitHub"  # as messages name the forge
    TOKEN_HINT = "check GITHUB_TOKEN, GH_TOKEN or `gh auth status`"
    UNAUTHORIZED = "401 Bad credentials"
    ANONYMOUS_HINT = _ANONYMOUS_HINT
    WRITE_HINT = ("the token needs write access to issues (scope 'repo', or "
                  "'Issues: Read and write' for a fine-grained token)")

    def __init__(self, base_url: str, token: str | None, *, say: Say | None = None,
                 backoff: float = 1.0, max_wait: float = MAX_WAIT,
                 timeout: float = 60.0) -> None:
        self.base_url = base_url
        self._token = token
        self.say = say or (lambda message: None)
        self.backoff = backoff
        self.max_wait = max_wait
        self.timeout = timeout
        self.requests = 0
        self.last_page: int | None = None  # of the list being paged, from its Link header
        self._pool: urllib3.PoolManager | None = None
        self._interrupt = threading.Event()  # ends a wait of a fetch thread being closed
        self._origin = _origin_of(base_url)
        self.deadline = _env_number(DEADLINE_ENV, DEADLINE)
        self.min_wait = _env_number(MIN_WAIT_ENV, MIN_WAIT)
        self.budget = int(_env_number(BUDGET_ENV, BUDGET))  # retries and waits left

    def __enter__(self) -> Client:
        self._pool = urllib3.PoolManager(
            num_pools=2, maxsize=2, retries=False,
            timeout=urllib3.Timeout(connect=min(self.timeout, 15.0), read=self.timeout))
        if self._token is None:
            self.say(f"note: {self.ANONYMOUS_HINT}")
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._pool is not None
        self._pool.clear()
        self._pool = None

    def __repr__(self) -> str:  # never the token
        return f"Client({self.base_url!r})"

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/vnd.github+json",
                   "X-GitHub-Api-Version": "2022-11-28",
                   "User-Agent": f"git-issues/{__version__}"}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        return headers

    def url(self, path: str, params: dict[str, Any] | None = None) -> str:
        query = f"?{urlencode(params)}" if params else ""
        return f"{self.base_url}{path}{query}"

    def pages(self, path: str, params: dict[str, Any] | None = None,
              what: str = "") -> Iterator[list[Any]]:
        """Each page of a list endpoint, following ``Link: rel="next"`` to the end."""
        url: str | None = self.url(path, params)
        seen: set[str] = set()
        while url:
            seen.add(url)
            response = self.get(url, what)
            data = _page(_json(response, url, self.NAME), url, self.NAME)
            self.last_page = self.total_pages(response) or self.last_page
            yield data
            url = self.next_url(response, url)
            if url and _origin_of(url) != self._origin:  # the token stays with its origin
                raise GitIssuesError(f"{self.NAME}'s next page points to another host, port "
                                     f"or scheme: {_origin(url)}; nothing was sent there")
            if url in seen:
                raise GitIssuesError(f"{self.NAME}'s next page points back to a page already "
                                     f"read ({_shown(url)}): the list was not read to its end")

    def next_url(self, response: urllib3.BaseHTTPResponse, url: str) -> str | None:
        """The next page's URL: GitHub gives it in ``Link: rel="next"``."""
        return next_link(response.headers.get("Link"))

    def total_pages(self, response: urllib3.BaseHTTPResponse) -> int | None:
        return last_page(response.headers.get("Link"))

    def prefetch(self, path: str, params: dict[str, Any] | None = None,
                 what: str = "") -> Prefetch:
        """``pages`` fetched by a thread, up to ``PREFETCH`` pages ahead of the caller:
        ``with client.prefetch(...) as pages: for page in pages: ...``.

        The server prepares the next page while this one is imported.
        """
        self.last_page = None
        return Prefetch(self.pages(path, params, what), self._interrupt)

    def get(self, url: str, what: str = "") -> urllib3.BaseHTTPResponse:
        """One GET, retried through 5xx, dropped connections and short rate limits."""
        return self._request("GET", url, what=what)

    def send(self, method: str, path: str, payload: dict[str, Any]) -> Any:
        """One write (POST or PATCH) with a JSON body; the answer's JSON.

        A POST is never sent twice: if the connection drops after sending it,
        GitHub may have created the thing, so the run stops and the next one
        finds it (``sync`` marks what it creates).  A PATCH says the same
        thing twice harmlessly and is retried like a GET.  A 403 that is not a
        rate limit means the token may read but not write.
        """
        url = self.url(path)
        data = _json(self._request(method, url, body=json.dumps(payload).encode("utf-8")), url,
                     self.NAME)
        return _checked(data, url, self.NAME) if isinstance(data, dict) else data

    def _request(self, method: str, url: str, *, body: bytes | None = None,
                 what: str = "") -> urllib3.BaseHTTPResponse:
        """The one retry loop of every request: see the module docstring for the rules."""
        assert self._pool is not None, "use the client in a `with` block"
        headers = self._headers()
        if body is not None:
            headers["Content-Type"] = "application/json"
        once = method == "POST"  # may have created something: never sent twice
        failures = waits = 0
        while True:
            try:
                self.requests += 1
                response = self._fetch(method, url, body, headers)
            except urllib3.exceptions.HTTPError as exc:
                if once:
                    raise GitIssuesError(
                        f"{self.NAME} did not answer {method} {_shown(url)} ({_reason(exc)}); "
                        "run the same command again: it finds what was created") from None
                failures = self._retry(failures, f"{_shown(url)}: {_reason(exc)}")
                continue
            status = response.status
            if status < 300:
                return response
            if status in RETRY_STATUSES and not once:
                failures = self._retry(failures, f"{_shown(url)}: HTTP {status}")
                continue
            wait = _rate_limit_wait(response)
            if wait is not None:
                waits += 1
                if waits > RATE_WAITS:
                    raise GitIssuesError(f"{self.NAME} kept answering {_shown(url)} with a rate "
                                         f"limit after {RATE_WAITS} waits; run the same command "
                                         "again later: it continues")
                self._wait_out(wait)
                continue
            if status == 403 and method != "GET":
                raise GitIssuesError(f"{self.NAME} refused to write ({method} {_shown(url)}): "
                                     f"{self.WRITE_HINT}")
            raise GitIssuesError(self._refusal(status, response, url, what))

    def _fetch(self, method: str, url: str, body: bytes | None,
               headers: dict[str, str]) -> urllib3.BaseHTTPResponse:
        """One request whose body is read within ``deadline`` seconds of its start.

        A read timeout only bounds the silence between two bytes, so a server
        that trickles a byte now and then would hold the run forever; a timer
        shuts the socket down when the deadline passes, which ends the read.
        """
        assert self._pool is not None
        started = time.monotonic()
        response = self._pool.request(method, url, body=body, headers=headers,
                                      preload_content=False, redirect=method == "GET",
                                      timeout=self._timeout(self.deadline))
        expired = threading.Event()
        watchdog = threading.Timer(max(self.deadline - (time.monotonic() - started), 0.0),
                                   _cut, (response, expired))
        watchdog.daemon = True
        watchdog.start()
        try:
            data = _read_capped(response, url, self.NAME)
        except urllib3.exceptions.HTTPError:
            response.close()
            if expired.is_set():
                raise urllib3.exceptions.ReadTimeoutError(
                    None, url, f"no whole answer within {self.deadline:g} s") from None
            raise
        finally:
            watchdog.cancel()
        if expired.is_set():
            response.close()
            raise urllib3.exceptions.ReadTimeoutError(
                None, url, f"no whole answer within {self.deadline:g} s")
        response.release_conn()
        response._body = data  # what ``.data`` returns: the body, read once
        return response

    def _timeout(self, left: float) -> urllib3.Timeout:
        read = min(self.timeout, left)
        return urllib3.Timeout(connect=min(read, 15.0), read=read)

    def get_json(self, path: str, what: str = "") -> Any:
        """One GET of a single object (``/user``, one issue)."""
        url = self.url(path)
        return _checked(_json(self.get(url, what), url, self.NAME), url, self.NAME)

    def _spend(self, problem: str) -> None:
        """One retry or wait out of the run's budget: a server failing forever ends the run."""
        self.budget -= 1
        if self.budget < 0:
            raise GitIssuesError(f"{self.NAME} needed too many retries and waits in this run "
                                 f"({problem}); run the same command again later: it continues")

    def _retry(self, failures: int, problem: str) -> int:
        failures += 1
        if failures >= RETRIES:
            raise GitIssuesError(f"{self.NAME} is not answering ({problem}) after {RETRIES} "
                                 "tries; run the same command again later: it continues")
        self._spend(problem)
        delay = self.backoff * 2 ** (failures - 1)
        self.say(f"{problem}; retrying in {delay:g} s")
        self._pause(delay)
        return failures

    def _wait_out(self, wait: float) -> None:
        if not wait <= self.max_wait:  # also NaN and infinity
            raise RateLimited(f"{self.NAME}'s rate limit is used up {_until(wait)}; run the same "
                              "command again then: it continues where it stopped")
        wait = max(wait, self.min_wait)
        self._spend("rate limit")
        self.say(f"{self.NAME}'s rate limit is used up: waiting {_until(wait)} ({wait:.0f} s)")
        self._pause(wait)

    def _refusal(self, status: int, response: urllib3.BaseHTTPResponse, url: str,
                 what: str) -> str:
        message, forge = _message(response), self.NAME
        if status == 401:
            return f"{forge} refused the token ({self.UNAUTHORIZED}): {self.TOKEN_HINT}"
        if status == 404:
            hint = "" if self._token is not None else " (a private one needs a token)"
            return f"{forge} has no {what or _shown(url)} at {_origin(url)}{hint}"
        return f"{forge} refused {_shown(url)}: HTTP {status}{': ' + message if message else ''}"

    def _pause(self, seconds: float) -> None:
        """Sleep, unless the fetch thread doing it is being closed (Ctrl-C in the import)."""
        if self._interrupt.wait(seconds):
            raise GitIssuesError(f"stopped while waiting for {self.NAME}")


def _cut(response: urllib3.BaseHTTPResponse, expired: threading.Event) -> None:
    """The deadline passed: shut the socket down, so that the blocked read returns."""
    expired.set()
    sock = getattr(response.connection, "sock", None)
    try:
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _read_capped(response: urllib3.BaseHTTPResponse, url: str, forge: str) -> bytes:
    """The whole body, refused past ``MAX_BODY`` bytes (memory is not the server's to fill)."""
    chunks, size = [], 0
    while chunk := response.read(1024 * 1024):
        size += len(chunk)
        if size > MAX_BODY:
            response.close()
            raise GitIssuesError(f"{forge}'s answer to {_shown(url)} is larger than "
                                 f"{MAX_BODY // 2**20} MiB; nothing of it was used")
        chunks.append(chunk)
    return b"".join(chunks)


def _page(data: Any, url: str, forge: str) -> list[Any]:
    """A list page as the forge gives it: at most ``per_page`` objects with sane numbers."""
    if not isinstance(data, list):
        raise GitIssuesError(f"{forge} answered {_shown(url)} with something that is not a list")
    query = parse_qs(urlsplit(url).query)  # GitHub's per_page, Gitea's limit
    asked = (query.get("per_page") or query.get("limit") or ["30"])[0]
    most = min(int(asked), 100) if asked.isdigit() else 100
    if len(data) > most:
        raise GitIssuesError(f"{forge} answered {_shown(url)} with {len(data):,} items, more "
                             f"than the {most} a page holds; nothing of it was used")
    for item in data:
        _checked(item, url, forge)
    return data


def _checked(item: Any, url: str, forge: str) -> Any:
    """An object whose ``number``, ``iid`` and ``id`` are numbers a forge gives (an int
    below 2**53)."""
    if not isinstance(item, dict):
        raise GitIssuesError(f"{forge} answered {_shown(url)} with an item that is not an object")
    for key in ("number", "iid", "id"):
        value = item.get(key)
        if value is not None and not (type(value) is int and 0 < value < MAX_ID):
            shown = str(value) if len(str(value)) <= 40 else f"{str(value)[:40]}…"
            raise GitIssuesError(f"{forge} answered {_shown(url)} with an item whose {key} is "
                                 f"not one {forge} gives: {shown}; nothing of the page was used")
    return item


def _until(wait: float) -> str:
    """'until 12:34:56 UTC' for a wait a clock can show; words for one it cannot."""
    try:
        return "until " + time.strftime("%H:%M:%S UTC", time.gmtime(time.time() + wait))
    except (OverflowError, ValueError, OSError):
        return "for longer than anyone can wait"


def _rate_limit_wait(response: urllib3.BaseHTTPResponse) -> float | None:
    """Seconds to wait when a 403/429 is a rate limit, else None."""
    if response.status not in (403, 429):
        return None
    # GitHub's X-RateLimit-*, GitLab's RateLimit-* (the same meaning: epoch seconds)
    headers = {k.lower().removeprefix("x-"): v.rpartition(",")[2].strip()
               for k, v in response.headers.items()}
    retry_after = headers.get("retry-after")
    if retry_after is not None:
        try:
            return max(float(retry_after), 0.0)
        except ValueError:
            return 60.0
    if headers.get("ratelimit-remaining") == "0":
        try:
            reset = float(headers.get("ratelimit-reset", ""))
        except ValueError:
            return 60.0
        return max(reset - time.time(), 0.0) + 1.0
    if response.status == 429 or "secondary rate limit" in _message(response).lower():
        return 60.0  # GitHub: "wait at least one minute" when it gives no header
    return None




def _message(response: urllib3.BaseHTTPResponse) -> str:
    try:
        data = json.loads(response.data)
    except (ValueError, TypeError):
        return ""
    text = data.get("message", "") if isinstance(data, dict) else ""
    return " ".join(str(text).split())[:200]


def _json(response: urllib3.BaseHTTPResponse, url: str, forge: str) -> Any:
    try:
        return json.loads(response.data)
    except ValueError:
        raise GitIssuesError(f"{forge} answered {_shown(url)} with something that is not "
                             "JSON") from None
    except RecursionError:
        raise GitIssuesError(f"{forge} answered {_shown(url)} with JSON nested too deep to "
                             "read") from None


def _reason(exc: Exception) -> str:
    reason = getattr(exc, "reason", None) or exc
    return " ".join(str(reason).split())[:200] or type(exc).__name__


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _origin_of(url: str) -> tuple[str, str, int | None]:
    """Scheme, host and port (the default one filled in): where a token may go."""
    parts = urlsplit(url)
    try:
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError:  # a port that is not a number
        port = -1
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


def _shown(url: str) -> str:
    """A URL for a message: its path, no query (nothing secret is ever in it anyway)."""
    return urlsplit(url).path or url
