"""A server that shows several repositories for days must end as it began.

Three repositories, 3,000 real HTTP requests over every kind of page while one
repository changes underneath (hand edits, new files, commits): the server's
open file descriptors, threads (waitress's and each repository's watcher's),
child processes and memory are read from /proc and must stay flat after
warm-up. This is the founding lesson (an engine cached
across workspaces leaked until the process died) checked where it matters.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import git, make_repo
from webserver import Served, proc_stats, wait_for

pytest.importorskip("flask", reason="the web extra is not installed")
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

REQUESTS = 3000
WARM_UP = 300


def fill(repo: Path, count: int, tag: str) -> list[str]:
    """``count`` issues written through the store, committed in one commit."""
    from git_issues.core.model import Comment, Issue
    from git_issues.repo.store import Store

    store = Store(repo)
    ids = []
    for n in range(count):
        issue = Issue(id=store.mint_id(), title=f"{tag} issue {n}", status="open",
                      created=f"2026-01-{1 + n % 28:02d}T10:00:00Z", priority=n % 5,
                      labels=[f"area:{n % 3}", "bug" if n % 2 else "feature"],
                      body=f"Body of **{tag}** {n}\n\nsearchable{n % 7}\n",
                      comments=[Comment(id="c0000001", date="2026-02-01T00:00:00Z",
                                        body="first")])
        store.write(issue)
        ids.append(issue.id)
    git(repo, "add", ".issues")
    git(repo, "commit", "-q", "-m", f"{tag} issues")
    return ids


def change(repo: Path, ids: list[str], step: int) -> None:
    """Something a person or git does to a repository while it is being served."""
    kind = step % 3
    if kind == 0:
        path = repo / ".issues" / f"{ids[step % len(ids)]}.yml"
        path.write_text(path.read_text().replace("title: ", f"title: edit {step} ", 1))
    elif kind == 1:
        from git_issues.core.model import Issue
        from git_issues.repo.store import Store

        store = Store(repo)
        issue = Issue(id=store.mint_id(), title=f"arrived {step}", status="open",
                      created="2026-03-01T00:00:00Z")
        store.write(issue)
        ids.append(issue.id)
    else:
        git(repo, "add", ".issues")
        git(repo, "commit", "-q", "--allow-empty", "-m", f"change {step}")


def paths(name: str, ids: list[str], n: int) -> str:
    issue = ids[n % len(ids)]
    return [f"/r/{name}/", f"/r/{name}/?q=searchable{n % 7}", f"/r/{name}/board",
            f"/r/{name}/issues/{issue}", f"/r/{name}/?status=all&label=bug&sort=priority&page=2",
            f"/r/{name}/board?prefix=area:", f"/r/{name}/issues/{issue}/history",
            f"/r/{name}/new", "/", "/static/style.css"][n % 10]


def test_thousands_of_requests_over_three_changing_repositories_leak_nothing(tmp_path: Path):
    repos = [make_repo(tmp_path / name) for name in ("one", "two", "three")]
    ids = {repo.name: fill(repo, 60, repo.name) for repo in repos}
    with Served(*repos) as server:
        def hit(n: int) -> None:
            name = repos[n % 3].name
            reply = server.get(paths(name, ids[name], n // 3))
            assert reply.status == 200, (n, reply.text[:300])

        for n in range(WARM_UP):
            hit(n)
        assert wait_for(lambda: proc_stats(server.pid)["children"] == 0)
        before = proc_stats(server.pid)
        for n in range(WARM_UP, REQUESTS):
            if n % 40 == 0:
                change(repos[2], ids["three"], n)
            hit(n)
        assert wait_for(lambda: proc_stats(server.pid)["children"] == 0), "git left running"
        # A descriptor the last request's thread is still closing is not a leak; one
        # that stays for seconds is (a CI run once saw 8 -> 9 at the instant measured).
        wait_for(lambda: proc_stats(server.pid)["fds"] <= before["fds"], timeout=5)
        after = proc_stats(server.pid)
        assert "arrived" in server.get("/r/three/?sort=created&q=arrived").text  # fresh
    print(f"\nserve leak check: before {before}, after {after}")
    assert after["fds"] <= before["fds"], (before, after)
    assert after["threads"] <= before["threads"], (before, after)  # a watcher per repository
    assert after["rss_kb"] <= before["rss_kb"] * 1.2, (before, after)
