"""Running the app under waitress: bind, print the URL, serve until stopped.

waitress is a pure-Python, multi-threaded WSGI server that runs the same on
Linux, macOS and Windows and needs no C compiler: what a tool installed with
pip on a developer's machine can count on.
"""

from __future__ import annotations

import os
import sys
import time
import webbrowser
from pathlib import Path
from typing import IO, Any

from waitress.channel import HTTPChannel
from waitress.server import create_server

from git_issues.errors import GitIssuesError
from git_issues.repo import gitutil
from git_issues.repo.store import Store
from git_issues.repo.workspace import open_workspace
from git_issues.web.app import MAX_FORM, create_app, git_limit, name_repos
from git_issues.web.security import Guard, is_loopback, public_name, url_host
from git_issues.web.watcher import Watcher

THREADS = 4
# What a client may send before the app (and so the Host and token checks) sees it.
# waitress reads a whole request, body included, before calling the app: the body
# is capped at the app's own 1 MiB, so a 200 MiB POST is refused after its headers.
MAX_HEADERS = 64 * 1024
IDLE_TIMEOUT = 30  # s a kept-alive connection may sit idle
# s a request may take to arrive whole (``GIT_ISSUES_SERVE_REQUEST_TIMEOUT``): a
# client trickling its headers a byte at a time is cut off then, so slow clients
# cannot hold every connection; checked every ``SWEEP`` seconds.
REQUEST_TIMEOUT, SWEEP = 10.0, 1.0
CONNECTIONS = 200


class Server:
    """A bound server: ``url`` is known before ``run`` starts serving."""

    def __init__(self, paths: list[Path], host: str, port: int, token: str | None = None) -> None:
        repos = name_repos(paths)
        self.watchers: dict[Path, Watcher] = {}
        self.guard = Guard(host, port, token)
        try:
            # The app is made after binding (the Host check needs the real port),
            # so the server starts with a placeholder that is swapped before serving.
            late = _Late()
            self.wsgi = create_server(
                late, host=host, port=port, threads=THREADS, ident="git-issues",
                clear_untrusted_proxy_headers=True, max_request_body_size=MAX_FORM,
                max_request_header_size=MAX_HEADERS, channel_timeout=IDLE_TIMEOUT,
                cleanup_interval=SWEEP, connection_limit=CONNECTIONS)
            _cut_slow_requests(self.wsgi, _seconds(REQUEST_TIMEOUT_ENV, REQUEST_TIMEOUT))
        except OSError as exc:
            raise GitIssuesError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
        bound = self.wsgi.effective_port
        self.guard = Guard(host, bound, self.guard.token)
        self.watchers = {repo.path: Watcher(Store(repo.path).dir) for repo in repos}
        late.app = create_app(repos, self.guard, dict(self.watchers))
        self.port = bound
        self.url = f"http://{url_host(public_name(host))}:{bound}{self.guard.prefix}/"

    def run(self) -> None:
        try:
            self.wsgi.run()
        finally:
            self.close()

    def close(self) -> None:
        self.wsgi.close()
        for watcher in self.watchers.values():
            watcher.close()


REQUEST_TIMEOUT_ENV = "GIT_ISSUES_SERVE_REQUEST_TIMEOUT"


def _seconds(name: str, default: float) -> float:
    """A number of seconds from the environment, read for this server run only."""
    try:
        return max(float(os.environ.get(name) or default), 0.1)
    except ValueError:
        return default


def _cut_slow_requests(server: Any, limit: float) -> None:
    """Close a connection whose request has been arriving for longer than ``limit``.

    waitress closes only *idle* connections, and a byte every few seconds is not
    idle: 101 such clients held every connection of the server.  Its periodic
    sweep is extended to cut them, and its channels note when a request began.
    """
    class Channel(HTTPChannel):
        started = 0.0

        def received(self, data: bytes) -> bool:
            if self.request is None:
                self.started = time.time()  # the first bytes of a request
            return super().received(data)

    sweep = server.maintenance

    def maintenance(now: float) -> None:
        sweep(now)
        for channel in list(server.active_channels.values()):
            if channel.request is not None and not channel.requests \
                    and now - getattr(channel, "started", now) > limit:
                channel.will_close = True

    server.channel_class = Channel
    server.maintenance = maintenance


class _Late:
    """A WSGI callable whose app is set once the port is known."""

    app: Any = None

    def __call__(self, environ: dict, start_response: Any) -> Any:
        return self.app(environ, start_response)


def check_paths(paths: list[str]) -> list[Path]:
    """Each PATH's work-tree root, discovered once; an error names the bad PATH."""
    roots: list[Path] = []
    for path in paths or ["."]:
        if not Path(path).is_dir():
            what = "is not a folder" if Path(path).exists() else "does not exist"
            raise GitIssuesError(f"{path} {what}: serve takes the folders of repositories")
        with open_workspace(Path(path)) as ws:
            root = ws.root.resolve()
        if root not in roots:
            roots.append(root)
    return roots


def serve(paths: list[str], host: str, port: int, open_browser: bool,
          out: IO[str] = sys.stdout, err: IO[str] = sys.stderr) -> None:
    """Serve until interrupted; the URL goes to stdout, warnings to stderr."""
    with gitutil.time_limit(git_limit()):  # a FIFO at .git/HEAD must not hang the start
        roots = check_paths(paths)
    server = Server(roots, host, port)
    if not is_loopback(host):
        print(f"warning: serving on {host}, reachable from other machines; anyone with the "
              "URL can read and change these issues", file=err)
    print(server.url, file=out, flush=True)
    if open_browser:
        webbrowser.open(server.url)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
