"""The GitHub client against a broken or hostile server (issue 26): bounded, one line each.

Every fault here is served by the stand-in on 127.0.0.1 (or a second listener
there); the bounds are made small for the test through the client's
environment variables, read per client.
"""

from __future__ import annotations

import json
import shutil
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from github_standin import Repo, StandIn, make_issue, serving

from git_issues.errors import GitIssuesError
from git_issues.sync.github.client import Client

TOKEN = "ghp_standInToken0123456789"
REPO = "acme/rocket"
ISSUES = f"/repos/{REPO}/issues"


@pytest.fixture
def github() -> Iterator[StandIn]:
    stand_in = StandIn(token=TOKEN)
    stand_in.repos[REPO] = Repo([make_issue(REPO, n, f"Issue {n}") for n in range(1, 4)])
    with serving(stand_in) as served:
        yield served


@pytest.fixture(autouse=True)
def small_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_ISSUES_FORGE_MIN_WAIT", "0.01")
    monkeypatch.setenv("GIT_ISSUES_FORGE_DEADLINE", "1.5")


def env(github: StandIn) -> dict[str, str]:
    return {"GITHUB_API_URL": github.url, "GITHUB_TOKEN": TOKEN, "GH_TOKEN": ""}


def walk(github: StandIn, said: list[str] | None = None) -> list[list[Any]]:
    with Client(github.url, TOKEN, say=(said if said is not None else []).append,
                backoff=0.01) as client:
        return list(client.pages(ISSUES, {"per_page": 100}))


def one_error_line(proc: subprocess.CompletedProcess) -> str:
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr and lines[-1].startswith("error: "), proc.stderr
    assert TOKEN not in proc.stderr
    return lines[-1]


def test_a_next_page_pointing_at_itself_ends_the_walk(github):
    page = f"{github.url}{ISSUES}?per_page=100&page=1"
    github.fail(200, {"Link": f'<{page}>; rel="next"'}, [], times=1000)
    with pytest.raises(GitIssuesError, match="points back to a page already read"):
        walk(github)
    assert len(github.requests) == 2  # was: one request after another, ~1,000 a second


@pytest.mark.parametrize("retry_after", ["0", "-5"])
def test_a_retry_after_of_zero_or_less_is_waited_with_a_floor_and_ends(github, retry_after):
    github.fail(429, {"Retry-After": retry_after}, {"message": "slow down"}, times=1000)
    started = time.monotonic()
    with pytest.raises(GitIssuesError, match="kept answering .* with a rate limit after 5"):
        walk(github)
    assert len(github.requests) == 6  # was: 34 requests a second, forever
    assert time.monotonic() - started >= 5 * 0.01


def test_a_rate_limit_reset_in_the_past_is_not_asked_again_forever(github, monkeypatch):
    monkeypatch.setenv("GIT_ISSUES_FORGE_MIN_WAIT", "0.01")
    github.fail(403, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1000"},
                {"message": "API rate limit exceeded"}, times=1000)
    with Client(github.url, TOKEN, backoff=0.01) as client:
        client.min_wait = 0.01
        with pytest.raises(GitIssuesError, match="rate limit after 5 waits"):
            list(client.pages(ISSUES))
    assert len(github.requests) == 6


def test_a_run_has_a_budget_of_retries_and_waits(github, monkeypatch):
    monkeypatch.setenv("GIT_ISSUES_FORGE_RETRIES", "6")
    # Each request fails a little (a 502, then a rate limit) and then succeeds:
    # no single request gives up, but the run does once its budget is spent.
    for _ in range(50):
        github.fail(502)
        github.fail(429, {"Retry-After": "0"}, {"message": "slow down"})
        github.fail(200, {"Link": f'<{github.url}{ISSUES}?page={_ + 2}>; rel="next"'},
                    [])
    with pytest.raises(GitIssuesError, match="too many retries and waits in this run"):
        walk(github)
    assert len(github.requests) <= 12


def test_a_trickled_body_meets_the_whole_request_deadline(github, monkeypatch):
    monkeypatch.setenv("GIT_ISSUES_FORGE_DEADLINE", "0.5")
    github.trickle = 0.05  # a byte every 50 ms: each read is quick, the body takes minutes
    started = time.monotonic()
    with pytest.raises(GitIssuesError, match="not answering .*within 0.5 s"):
        walk(github)
    elapsed = time.monotonic() - started
    assert elapsed < 5 * 0.5 + 4 * 0.01 * 16 + 3, elapsed  # five tries of 0.5 s, short backoff


@pytest.mark.parametrize("headers", [
    {"Retry-After": "1e20"}, {"Retry-After": "inf"}, {"Retry-After": "nan"},
    {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1" + "0" * 30},
], ids=["retry-after-1e20", "retry-after-inf", "retry-after-nan", "reset-1e30"])
def test_absurd_waits_stop_the_run_in_one_line(run, repo, github, headers):
    github.fail(429 if "Retry-After" in headers else 403, headers, {"message": "limit"})
    line = one_error_line(run("import", "github", REPO, env=env(github), check=False))
    assert "rate limit is used up" in line and "run the same command again" in line


@pytest.mark.parametrize(("body", "words"), [
    ([{**make_issue(REPO, 1, "Huge"), "number": 10**30}], "number is not one GitHub gives"),
    ([{**make_issue(REPO, 1, "Negative"), "id": -1}], "id is not one GitHub gives"),
    ("[" * 100_000 + "]" * 100_000, "nested too deep"),
    ([0] * 3_000_000, "3,000,000 items, more than the 100 a page holds"),
    ([1, 2, 3], "item that is not an object"),
], ids=["number-1e30", "negative-id", "nested-100k", "3-million-items", "not-objects"])
def test_answers_not_shaped_like_githubs_are_one_line(run, repo, github, body, words):
    raw = body if isinstance(body, str) else json.dumps(body)
    github.fail(200, {}, raw.encode(), when=lambda path: path.startswith(ISSUES + "?"))
    line = one_error_line(run("import", "github", REPO, env=env(github), check=False))
    assert words in line
    assert not list((repo / ".issues").glob("*.yml")) if (repo / ".issues").exists() else True


# --- the token stays with the scheme, host and port it was configured for ----------------

class _Recorder(BaseHTTPRequestHandler):
    """A second local server: records the headers of whatever reaches it."""

    protocol_version = "HTTP/1.1"
    seen: list[dict[str, str]] = []
    link = ""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        type(self).seen.append(dict(self.headers))
        self.send_response(200)
        if type(self).link:
            self.send_header("Link", type(self).link)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"[]")


@pytest.fixture
def recorder() -> Iterator[tuple[str, list[dict[str, str]]]]:
    _Recorder.seen, _Recorder.link = [], ""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", _Recorder.seen
    finally:
        server.shutdown()
        server.server_close()


def test_a_next_page_on_another_port_is_not_sent_the_token(github, recorder):
    other, seen = recorder
    github.fail(200, {"Link": f'<{other}{ISSUES}?page=2>; rel="next"'}, [])
    with pytest.raises(GitIssuesError, match="another host, port or scheme"):
        walk(github)
    assert seen == []


def _self_signed(folder: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a certificate for 127.0.0.1")
    cert, key = folder / "cert.pem", folder / "key.pem"
    proc = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                           "-keyout", str(key), "-out", str(cert), "-days", "1",
                           "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                          capture_output=True)
    if proc.returncode != 0:
        pytest.skip(f"openssl could not make a certificate: {proc.stderr[-200:]!r}")
    return cert, key


def test_an_https_api_never_sends_the_token_to_http_on_the_same_host(tmp_path, monkeypatch):
    """https://127.0.0.1:P answers with a next page at http://127.0.0.1:P (a downgrade):
    the client must refuse it, and nothing in clear text may reach the port."""
    cert, key = _self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    plain: list[bytes] = []
    server = _PeekingServer(("127.0.0.1", 0), _Recorder, context, plain)
    port = server.server_address[1]
    _Recorder.seen = []
    _Recorder.link = f'<http://127.0.0.1:{port}{ISSUES}?page=2>; rel="next"'
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        with Client(f"https://127.0.0.1:{port}", TOKEN, backoff=0.01) as client:
            with pytest.raises(GitIssuesError, match="another host, port or scheme"):
                list(client.pages(ISSUES))
    finally:
        server.shutdown()
        server.server_close()
    assert len(_Recorder.seen) == 1  # the first page, over TLS
    assert plain == []  # and nothing at all in clear text


class _PeekingServer(ThreadingHTTPServer):
    """TLS for a client that starts a handshake; a plain request is recorded and refused."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type, context: ssl.SSLContext,
                 plain: list[bytes]) -> None:
        super().__init__(address, handler)
        self.context, self.plain = context, plain

    def get_request(self) -> tuple[Any, Any]:
        sock, address = super().get_request()
        sock.settimeout(5)
        first = sock.recv(1, 0x2)  # MSG_PEEK
        if first != b"\x16":  # not a TLS handshake: clear text
            self.plain.append(sock.recv(65536))
            sock.close()
            raise OSError("clear text")
        return self.context.wrap_socket(sock, server_side=True), address
