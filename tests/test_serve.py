"""``git issues serve`` over real HTTP: access control, escaping, writes on disk, freshness.

Each test starts the installed console script on 127.0.0.1 with port 0 and
talks to it with ``http.client``; files are checked on disk and in git's index.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from conftest import GIT_ISSUES, git, make_repo
from helpers import staged
from webserver import Served

pytest.importorskip("flask", reason="the web extra is not installed")

XSS_TITLE = '<script>alert("t")</script> & "quotes"'
XSS_BODY = ('Hello <img src=x onerror=alert(1)> <script>alert(2)</script>\n\n'
            '[click](javascript:alert(3)) [ok](https://example.org/a) '
            '<a href="javascript:alert(4)">raw</a>\n')


@pytest.fixture
def issues(invoke, repo: Path) -> dict[str, str]:
    """Three issues: one with hostile text, one linked to it, one closed (made in-process:
    the machine is shared, and the server is what these tests are about)."""
    invoke("init", "--no-hooks")
    bad = invoke("new", XSS_TITLE, "-m", XSS_BODY, "-l", "bug", "-p", "1").stdout.strip()
    other = invoke("new", "Second issue", "-l", "area:ui").stdout.strip()
    done = invoke("new", "Done already", "-l", "bug").stdout.strip()
    invoke("close", done)
    invoke("link", bad, "--blocks", other)
    invoke("edit", other, "-a", "carol@example.com", "-M", "v1.0")
    git(repo, "commit", "-q", "-m", "issues")
    return {"bad": bad, "other": other, "done": done}


@pytest.fixture
def served(repo: Path, issues: dict[str, str]):
    with Served(repo) as server:
        yield server


def canonical(path: Path) -> bool:
    from git_issues.fileformat.issuefile import dump_issue, load_text

    data = path.read_bytes()
    return dump_issue(load_text(data, path.name)).encode() == data


# --- the URL and access ---------------------------------------------------------------

def test_the_url_names_the_picked_port_and_carries_the_token(served: Served):
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/t/[\w-]{40,}/", served.url)
    assert served.port != 0


def test_without_the_token_every_request_is_forbidden(served: Served, issues):
    for path in ("/", "/r/repo/", f"/r/repo/issues/{issues['bad']}", "/static/style.css"):
        assert served.get(path, auth=False).status == 403, path
    assert served.get("/?token=wrong", auth=False).status == 403
    assert served.get("/t/wrong/r/repo/", auth=False).status == 403
    assert served.get(f"/t/{served.token[:-1]}/r/repo/", auth=False).status == 403
    cookie = {"Cookie": f"git_issues_{served.port}={served.token}"}  # the old credential
    assert served.get("/r/repo/", auth=False, headers=cookie).status == 403


def test_the_token_is_in_the_path_and_no_cookie_is_ever_set(served: Served, issues):
    """A cookie goes to every port of the host (issue 26): the credential is the path."""
    first = served.get(f"/r/repo/?status=all&token={served.token}", auth=False)
    assert first.status == 303  # the URL older versions printed still works
    assert first.headers["location"] == f"{served.base}/r/repo/?status=all"
    assert "set-cookie" not in first.headers
    page = served.get(f"/r/repo/issues/{issues['bad']}")
    assert page.status == 200 and "set-cookie" not in page.headers
    links = re.findall(r'(?:href|action|src)="(/[^"]*)"', page.text)
    assert links and all(link.startswith(served.base + "/") for link in links), links


def test_a_host_other_than_the_served_one_is_refused(served: Served):
    """DNS rebinding: a page on evil.example resolving to 127.0.0.1 sends its own Host."""
    assert served.get("/r/repo/", host=f"evil.example:{served.port}").status == 400
    assert served.get("/r/repo/", host="127.0.0.1:1").status == 400
    assert served.get("/r/repo/", host=f"localhost:{served.port}").status == 200


def test_every_response_forbids_inline_script(served: Served, issues):
    for path in ("/r/repo/", f"/r/repo/issues/{issues['bad']}", "/nowhere"):
        csp = served.get(path).headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
    assert served.get("/r/repo/", auth=False).headers["referrer-policy"] == "same-origin"


# --- escaping -----------------------------------------------------------------------------

def test_titles_and_bodies_are_escaped_and_javascript_links_dropped(served: Served, issues):
    listing = served.get("/r/repo/").text
    assert "<script>alert" not in listing
    assert "&lt;script&gt;alert(&#34;t&#34;)&lt;/script&gt; &amp; &#34;quotes&#34;" in listing
    page = served.get(f"/r/repo/issues/{issues['bad']}").text
    assert "<script>alert" not in page
    tags = re.findall(r"<[^>]*>", page)
    assert not [t for t in tags if "onerror" in t or "javascript:" in t or t.startswith("<img")]
    assert 'href="https://example.org/a"' in page
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page


# --- no write on GET, CSRF ----------------------------------------------------------------

def test_a_write_without_the_csrf_token_is_refused(served: Served, repo: Path, issues):
    path = repo / ".issues" / f"{issues['other']}.yml"
    before = path.read_bytes()
    page = served.get(f"/r/repo/issues/{issues['other']}")
    form = {"digest": page.field("digest"), "body": "sneaky"}
    assert served.post(f"/r/repo/issues/{issues['other']}/comment", form).status == 403
    form["csrf"] = "not-it"
    assert served.post(f"/r/repo/issues/{issues['other']}/comment", form).status == 403
    form["csrf"] = page.field("csrf")
    evil = {"Origin": "http://evil.example"}
    assert served.post(f"/r/repo/issues/{issues['other']}/comment", form,
                       headers=evil).status == 403
    assert path.read_bytes() == before and staged(repo) == []


def test_nothing_is_written_on_get(served: Served, repo: Path, issues):
    path = repo / ".issues" / f"{issues['other']}.yml"
    before = path.read_bytes()
    page = served.get(f"/r/repo/issues/{issues['other']}")
    query = f"csrf={page.field('csrf')}&digest={page.field('digest')}&body=x&state=closed"
    for action in ("comment", "state"):
        assert served.get(f"/r/repo/issues/{issues['other']}/{action}?{query}").status == 405
    assert served.get(f"/r/repo/new?title=x&csrf={page.field('csrf')}").status == 200
    assert path.read_bytes() == before
    assert sorted(p.name for p in (repo / ".issues").glob("*.yml")) == sorted(
        [f"{i}.yml" for i in issues.values()] + ["config.yml"])


# --- writes -------------------------------------------------------------------------------

def test_comment_close_reopen_edit_write_the_canonical_staged_file(served: Served, repo: Path,
                                                                    run, issues):
    issue_id = issues["other"]
    path = repo / ".issues" / f"{issue_id}.yml"
    head = git(repo, "rev-parse", "HEAD")

    def act(action: str, **fields: str):
        page = served.get(f"/r/repo/issues/{issue_id}")
        form = {"csrf": page.field("csrf"), "digest": page.field("digest"), **fields}
        reply = served.post(f"/r/repo/issues/{issue_id}/{action}", form)
        assert reply.status == 303, reply.text
        assert canonical(path) and staged(repo) == [f".issues/{issue_id}.yml"]
        assert git(repo, "diff", "--name-only") == ""  # what is on disk is what is staged

    act("comment", body="Seen on **Linux**.\r\nTwice.")
    assert "body: |\n    Seen on **Linux**.\n    Twice." in path.read_text()
    act("state", state="closed", body="")
    assert "status: closed" in path.read_text() and "closed: '" in path.read_text()
    act("state", state="open", body="Back again")
    assert "status: open" in path.read_text() and "\nclosed:" not in path.read_text()
    act("edit", title="Renamed from the web", status="open", labels="area:ui, web",
        assignees="bob@example.com, @me", milestone="v1.0", priority="2", body="New body")
    shown = run("show", issue_id, "--json").stdout
    assert '"title": "Renamed from the web"' in shown and '"priority": 2' in shown
    assert '"web"' in shown and '"milestone": "v1.0"' in shown
    assert '"assignees": [\n    "bob@example.com",\n    "ada@example.com"\n  ]' in shown
    assert git(repo, "rev-parse", "HEAD") == head  # nothing committed


def test_a_new_issue_from_the_page_is_the_file_the_cli_would_write(served: Served, repo: Path,
                                                                   run):
    page = served.get("/r/repo/new")
    reply = served.post("/r/repo/new", {"csrf": page.field("csrf"), "title": "Made on the web",
                                        "body": "Line one\nline two", "labels": "web, ui",
                                        "priority": "3", "assignees": "", "milestone": "v2"})
    assert reply.status == 303
    new_id = reply.headers["location"].split("/")[-1].split("?")[0]
    path = repo / ".issues" / f"{new_id}.yml"
    assert canonical(path) and f".issues/{new_id}.yml" in staged(repo)
    text = path.read_text()
    assert "title: Made on the web" in text and "labels:\n- web\n- ui\n" in text
    assert "priority: 3" in text and "author: Ada Tester <ada@example.com>" in text
    assert "milestone: v2" in text and "assignees" not in text
    assert new_id in run("ls").stdout


def test_an_invalid_new_issue_is_refused_and_keeps_the_text(served: Served, repo: Path):
    page = served.get("/r/repo/new")
    reply = served.post("/r/repo/new", {"csrf": page.field("csrf"), "title": "   ",
                                        "body": "my long text"})
    assert reply.status == 400 and "my long text" in reply.text
    assert staged(repo) == []


def test_a_stale_write_is_refused_and_shows_the_current_state(served: Served, repo: Path,
                                                              issues):
    issue_id = issues["other"]
    path = repo / ".issues" / f"{issue_id}.yml"
    page = served.get(f"/r/repo/issues/{issue_id}")
    path.write_text(path.read_text().replace("Second issue", "Changed by hand"))
    edited = path.read_bytes()
    form = {"csrf": page.field("csrf"), "digest": page.field("digest"), "body": "my words"}
    reply = served.post(f"/r/repo/issues/{issue_id}/comment", form)
    assert reply.status == 409
    assert "Changed by hand" in reply.text and "my words" in reply.text  # now, and kept
    assert path.read_bytes() == edited and staged(repo) == []
    edit = served.get(f"/r/repo/issues/{issue_id}/edit")
    path.write_text(path.read_text().replace("Changed by hand", "Changed twice"))
    reply = served.post(f"/r/repo/issues/{issue_id}/edit", {
        "csrf": edit.field("csrf"), "digest": edit.field("digest"), "title": "Mine",
        "status": "open", "labels": "", "assignees": "", "milestone": "", "priority": "",
        "body": ""})
    assert reply.status == 409 and "Changed twice" in reply.text
    assert "Changed twice" in path.read_text()


# --- reading ------------------------------------------------------------------------------

def test_the_list_filters_like_ls(served: Served, issues):
    assert issues["done"] not in served.get("/r/repo/").text  # open by default
    closed = served.get("/r/repo/?status=closed").text
    assert issues["done"] in closed and issues["other"] not in closed
    by_label = served.get("/r/repo/?status=all&label=bug").text
    assert issues["bad"] in by_label and issues["done"] in by_label
    assert issues["other"] not in by_label
    assert issues["bad"] in served.get("/r/repo/?priority=1").text
    assert issues["other"] not in served.get("/r/repo/?priority=1").text
    assert issues["bad"] in served.get("/r/repo/?priority=0-1").text  # a range, as ls -p takes
    assert "priority: &#39;9&#39; is not a priority" in served.get("/r/repo/?priority=9").text
    for query in ("milestone=v1.0", "assignee=CAROL"):
        page = served.get(f"/r/repo/?status=all&{query}").text
        assert issues["other"] in page and issues["bad"] not in page, query
        assert "carol@example.com" in page and "v1.0" in page
    found = served.get("/r/repo/?q=onerror").text  # full text reaches the body
    assert issues["bad"] in found and issues["other"] not in found
    assert served.get("/r/repo/?sort=bogus").status == 200
    assert "unknown status" in served.get("/r/repo/?status=bogus").text


def test_the_issue_page_shows_links_both_ways_and_the_history(served: Served, repo: Path,
                                                              issues):
    page = served.get(f"/r/repo/issues/{issues['other']}").text
    assert "blocked by" in page and issues["bad"] in page
    path = repo / ".issues" / f"{issues['other']}.yml"
    path.write_text(path.read_text().replace("Second issue", "Retitled"))
    log = served.get(f"/r/repo/issues/{issues['other']}/history").text
    assert "<strong>issues</strong>" in log  # the commit, by its subject
    assert "Not staged (work tree)" in log and "Retitled" in log
    part = served.get(f"/r/repo/issues/{issues['other']}/history?part=1").text
    assert part.lstrip().startswith('<div class="log">')  # what app.js puts in the page
    assert served.get("/r/repo/issues/zzzzzz").status == 404


def test_a_hand_edit_and_a_checkout_show_on_the_next_load(served: Served, repo: Path, issues):
    path = repo / ".issues" / f"{issues['other']}.yml"
    path.write_text(path.read_text().replace("Second issue", "Edited by hand"))
    assert "Edited by hand" in served.get("/r/repo/").text
    git(repo, "checkout", "-q", "-b", "topic")
    git(repo, "checkout", "-q", "--", ".issues")
    page = served.get("/r/repo/").text
    assert "Second issue" in page and "topic" in page  # the branch shown


def test_the_board_has_a_column_per_status_or_per_label(served: Served, issues):
    board = served.get("/r/repo/board").text
    assert "<h2>open" in board and "<h2>closed" in board
    by_area = served.get("/r/repo/board?prefix=area:").text
    assert "<h2>area:ui" in by_area and issues["other"] in by_area
    assert issues["done"] not in by_area


def test_several_paths_get_a_start_page(tmp_path: Path, run, repo: Path, issues):
    other = make_repo(tmp_path / "second")
    run("new", "Elsewhere", cwd=other)
    with Served(repo, other) as server:
        start = server.get("/").text
        base = server.base
        assert f'href="{base}/r/repo/"' in start and f'href="{base}/r/second/"' in start
        assert "Elsewhere" in server.get("/r/second/").text
        assert "Elsewhere" not in server.get("/r/repo/").text


def test_outside_a_repository_serve_is_a_user_error(tmp_path: Path):
    proc = subprocess.run([GIT_ISSUES, "serve", str(tmp_path), "--no-open", "--port", "0"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and proc.stderr.startswith("error: ")
    assert "not a git repository" in proc.stderr and "Traceback" not in proc.stderr


def test_a_non_loopback_host_warns(repo: Path, issues):
    with Served(repo, args=("--host", "0.0.0.0")) as server:
        warning = server.proc.stderr.readline()
        assert warning.startswith("warning: serving on 0.0.0.0")
        assert server.get("/r/repo/").status == 200  # still reached on loopback


def test_a_port_in_use_is_a_user_error(repo: Path, issues):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = subprocess.run([GIT_ISSUES, "serve", "--no-open", "--port", str(port)],
                              capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.startswith(f"error: cannot listen on 127.0.0.1:{port}")


# --- issue 26 and 21: what a hostile title or query and a sorted list do -------------------

def test_a_bidirectional_override_in_a_title_is_shown_escaped(invoke, repo: Path):
    invoke("init", "--no-hooks")
    spoof = invoke("new", "Invoice \u202etxt.exe").stdout.strip()
    with Served(repo) as server:
        for page in (server.get("/r/repo/").text, server.get(f"/r/repo/issues/{spoof}").text):
            assert "\u202e" not in page
            assert "Invoice \\u202etxt.exe" in page


def test_a_thousand_label_filters_are_a_400_not_a_500(served: Served):
    query = "&".join(f"label=l{n}" for n in range(1000))
    reply = served.get(f"/r/repo/?{query}")
    assert reply.status == 400 and "label" in reply.text


def test_paging_links_name_the_order_the_list_is_in(invoke, repo: Path):
    invoke("init", "--no-hooks")
    for n in range(51):
        invoke("new", f"Issue {n:02d}")
    with Served(repo) as server:
        by_time = server.get("/r/repo/").text
        assert "older →" in by_time
        for sort in ("title", "priority"):
            first = server.get(f"/r/repo/?sort={sort}").text
            assert "next →" in first and "older →" not in first
            second = server.get(f"/r/repo/?sort={sort}&page=2").text
            assert "← previous" in second and "← newer" not in second


# --- issue 26: nothing unauthenticated is read past the headers; no hang on git --------------

def test_a_huge_post_with_a_foreign_host_is_refused_after_its_headers(served: Served):
    import socket

    # What the client got into the socket bounds what the server read: it is the
    # server's reads plus the two kernels' buffers (a few MiB).  /proc/PID/io's rchar
    # cannot measure it: it does not count reads from sockets.
    sent = 0
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as sock:
        sock.sendall(b"POST /r/repo/new HTTP/1.1\r\nHost: evil.example\r\n"
                     b"Content-Type: application/x-www-form-urlencoded\r\n"
                     b"Content-Length: 209715200\r\n\r\n")
        chunk = b"x" * 65536
        try:
            while sent < 200 * 2**20:
                sock.sendall(chunk)
                sent += len(chunk)
        except OSError:  # the server closed the connection: what it had not read is lost
            pass
        sock.settimeout(5)
        try:
            answer = sock.recv(200)
        except OSError:
            answer = b""
    assert sent < 16 * 2**20, f"the server took {sent:,} bytes of an unauthenticated body"
    assert answer == b"" or answer.startswith(b"HTTP/1.1 413"), answer
    assert served.get("/r/repo/").status == 200  # and it still serves


def test_slow_clients_cannot_starve_an_authenticated_one(repo: Path, issues, monkeypatch):
    import socket
    import time

    monkeypatch.setenv("GIT_ISSUES_SERVE_REQUEST_TIMEOUT", "2")
    with Served(repo) as server:
        slow = []
        try:
            for _ in range(201):  # more than the server's connection limit
                sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
                sock.sendall(b"GET / HTTP/1.1\r\nX-Slow: ")  # and never the end of it
                slow.append(sock)
            started = time.monotonic()
            for _ in range(4):  # keep trickling, as a slowloris does
                for sock in slow:
                    try:
                        sock.send(b"a")
                    except OSError:
                        pass
                time.sleep(0.5)
            reply = server.get("/r/repo/")
            waited = time.monotonic() - started
        finally:
            for sock in slow:
                sock.close()
    assert reply.status == 200
    assert waited < 15, f"an authenticated request waited {waited:.1f} s"


def test_a_fifo_at_git_head_is_an_error_page_not_a_hung_worker(repo: Path, issues, monkeypatch):
    import os
    import time

    monkeypatch.setenv("GIT_ISSUES_SERVE_GIT_TIMEOUT", "2")
    with Served(repo) as server:
        assert server.get("/r/repo/").status == 200
        head = repo / ".git" / "HEAD"
        saved = head.read_bytes()
        head.unlink()
        os.mkfifo(head)
        try:
            started = time.monotonic()
            reply = server.get("/r/repo/")
            waited = time.monotonic() - started
        finally:
            head.unlink()
            head.write_bytes(saved)
        assert reply.status in (400, 500)
        assert "HEAD is not a file" in reply.text or "did not answer within 2 s" in reply.text
        assert waited < 10
        assert server.get("/r/repo/").status == 200  # the worker is free again


def test_a_repository_moved_away_is_named_not_blamed_on_git(tmp_path: Path, repo: Path,
                                                            issues):
    with Served(repo, cwd=tmp_path) as server:
        moved = repo.with_name("moved-away")
        repo.rename(moved)
        try:
            reply = server.get("/r/repo/")
        finally:
            moved.rename(repo)
    assert reply.status in (400, 404)
    assert "does not exist" in reply.text and "git is not installed" not in reply.text


@pytest.mark.parametrize("target", ["file", "missing", "outside"])
def test_serve_of_a_path_that_is_no_repository_is_one_line(run, tmp_path: Path, target: str):
    path = {"file": tmp_path / "a-file", "missing": tmp_path / "no" / "such",
            "outside": tmp_path / "plain-folder"}[target]
    if target == "file":
        path.write_text("x")
    if target == "outside":
        path.mkdir()
    proc = run("serve", str(path), "--no-open", "--port", "0", check=False)
    assert proc.returncode in (1, 2)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and str(path) in lines[0], lines
    assert "Traceback" not in proc.stderr and "git is not installed" not in proc.stderr


def test_a_title_over_256_characters_is_refused_with_the_text_kept(served: Served, repo: Path):
    form_page = served.get("/r/repo/new")
    assert 'maxlength="256"' in form_page.text
    long_title = "x" * 257
    reply = served.post("/r/repo/new", {"csrf": form_page.field("csrf"), "title": long_title,
                                        "body": "my typed text"})
    assert reply.status == 400 and "256" in reply.text
    assert long_title in reply.text and "my typed text" in reply.text
    assert not [p for p in (repo / ".issues").glob("*.yml")
                if long_title in p.read_text()]


def test_a_blocked_object_read_ends_at_the_time_limit(repo: Path):
    """The history page reads blobs through one long ``git cat-file --batch``: it too
    must end at a request's time limit (a FIFO at .git/HEAD blocks its start)."""
    import os
    import time

    from git_issues.errors import GitIssuesError
    from git_issues.repo import gitutil

    blob = subprocess.run(["git", "hash-object", "-w", "--stdin"], cwd=repo, input=b"held\n",
                          capture_output=True, check=True).stdout.decode().strip()
    head = repo / ".git" / "HEAD"
    saved = head.read_bytes()
    head.unlink()
    os.mkfifo(head)
    started = time.monotonic()
    try:
        with pytest.raises(GitIssuesError, match="git cat-file did not answer within 1 s"):
            with gitutil.time_limit(1), gitutil.BlobReader(repo) as blobs:
                blobs.read(blob)
    finally:
        head.unlink()
        head.write_bytes(saved)
    assert time.monotonic() - started < 5


def test_a_fifo_at_git_head_at_start_is_one_line_not_a_hang(repo: Path, monkeypatch):
    import os

    monkeypatch.setenv("GIT_ISSUES_SERVE_GIT_TIMEOUT", "1")
    head = repo / ".git" / "HEAD"
    saved = head.read_bytes()
    head.unlink()
    os.mkfifo(head)
    try:
        proc = subprocess.run([GIT_ISSUES, "serve", str(repo), "--no-open", "--port", "0"],
                              capture_output=True, text=True, timeout=20)
    finally:
        head.unlink()
        head.write_bytes(saved)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()]
    assert "did not answer within 1 s" in proc.stderr and "Traceback" not in proc.stderr
