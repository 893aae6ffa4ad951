"""A real ``git issues serve`` in a subprocess, and a small HTTP client for it.

The server is the installed console script on 127.0.0.1, port 0; tests talk to
it with ``http.client`` over real sockets. ``Served`` is a context manager:
the process is always stopped, even when a test fails.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from conftest import GIT_ISSUES


class Response:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body
        self.text = body.decode("utf-8", "replace")

    def field(self, name: str) -> str:
        """The value of the first hidden form field ``name`` on the page."""
        match = re.search(rf'name="{name}" value="([^"]*)"', self.text)
        assert match, f"no field {name} in the page"
        return match.group(1)


class Served:
    """``git issues serve PATH... --port 0 --no-open`` until the block ends."""

    def __init__(self, *paths: Path, args: tuple[str, ...] = (), cwd: Path | None = None) -> None:
        self.paths = paths
        self.args = args
        self.cwd = cwd or (paths[0] if paths else Path.cwd())
        self.proc: subprocess.Popen | None = None
        self.conn: http.client.HTTPConnection | None = None

    def __enter__(self) -> Served:
        assert GIT_ISSUES, "the git-issues console script is not installed"
        self.proc = subprocess.Popen(
            [GIT_ISSUES, "serve", *map(str, self.paths), "--port", "0", "--no-open",
             *self.args],
            cwd=self.cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().strip()
        if not line:
            self.proc.wait(timeout=10)
            raise AssertionError(f"serve printed no URL: {self.proc.stderr.read()}")
        self.url = line
        parts = urlsplit(line)
        self.port = parts.port
        self.base = parts.path.rstrip("/")  # /t/<token>: every authorised path starts so
        self.token = self.base.rsplit("/", 1)[-1]
        self.host = f"127.0.0.1:{self.port}"
        return self

    def __exit__(self, *exc: object) -> None:
        if self.conn is not None:
            self.conn.close()
        if self.proc is not None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc.stdout.close()
            self.proc.stderr.close()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def request(self, method: str, path: str, *, form: dict | None = None,
                auth: bool = True, host: str | None = None,
                headers: dict[str, str] | None = None) -> Response:
        """One request over a kept-alive connection (reopened if the server closed it);
        ``auth`` puts the token's prefix before ``path``, as the printed URL does."""
        sent = {"Host": host or self.host, **(headers or {})}
        if auth:
            path = self.base + path
        body = None
        if form is not None:
            body = urlencode(form)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                self.conn.request(method, path, body=body, headers=sent)
                reply = self.conn.getresponse()
                data = reply.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
                continue
            if reply.getheader("Connection", "").lower() == "close":
                self.conn.close()
                self.conn = None
            return Response(reply.status, {k.lower(): v for k, v in reply.getheaders()}, data)
        raise AssertionError("unreachable")

    def get(self, path: str, **kwargs) -> Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, form: dict, **kwargs) -> Response:
        return self.request("POST", path, form=form, **kwargs)


def proc_stats(pid: int) -> dict[str, int]:
    """Open file descriptors, threads, live child processes and RSS (kB) of a process,
    from /proc."""
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    children = 0
    tasks = os.listdir(f"/proc/{pid}/task")
    for task in tasks:
        with open(f"/proc/{pid}/task/{task}/children") as handle:
            children += len(handle.read().split())
    with open(f"/proc/{pid}/status") as handle:
        rss = next(int(line.split()[1]) for line in handle if line.startswith("VmRSS:"))
    return {"fds": fds, "threads": len(tasks), "children": children, "rss_kb": rss}


def wait_for(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()
