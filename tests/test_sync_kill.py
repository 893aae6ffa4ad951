"""``sync github`` killed hard (``kill -9``) at several points of its push, then run again.

Issue 26: a killed push left numbers written back but unstaged and no base for
them; the rerun called the created issues conflicts ("neither side changed"),
and a clone of the commit created them all again.  After a kill at any point,
the reruns must finish the push, every local issue must exist exactly once on
GitHub, and a sync from a fresh clone must create nothing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from conftest import GIT_ISSUES, git
from github_standin import Repo, StandIn, make_issue, serving

TOKEN = "ghp_standInToken0123456789"
REPO = "acme/rocket"
LOCAL = 8  # issues made here, created on GitHub by the push


@pytest.fixture
def github() -> Iterator[StandIn]:
    stand_in = StandIn(token=TOKEN)
    stand_in.repos[REPO] = Repo([make_issue(REPO, 1, "From GitHub", body="There first")])
    with serving(stand_in) as served:
        yield served


def env(github: StandIn) -> dict[str, str]:
    return {**os.environ, "GITHUB_API_URL": github.url, "GITHUB_TOKEN": TOKEN, "GH_TOKEN": "",
            "GIT_ISSUES_SYNC_PACE": "0"}


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def created_on_github(github: StandIn) -> list[str]:
    """The titles of the issues the push created, once per GitHub issue (duplicates show)."""
    return sorted(i["title"] for i in github.repos[REPO].issues if i["number"] != 1)


def killed_sync(repo: Path, github: StandIn, after: int, method: str = "POST") -> None:
    """Run ``sync`` and ``kill -9`` it as GitHub receives its ``after``-th ``method``
    (that write is then applied: GitHub has it, the client never hears of it).  A
    PATCH here is the close of an issue just created and its number written back,
    the sync state not saved yet (for the last issue: just before the save)."""
    seen = 0
    killed = threading.Event()

    def kill_there(target: str) -> None:
        nonlocal seen
        if not target.startswith(f"{method} ") or killed.is_set():
            return
        seen += 1
        if seen == after:
            os.kill(proc.pid, signal.SIGKILL)
            killed.set()
            time.sleep(0.1)

    github.write_delay = kill_there
    proc = subprocess.Popen([GIT_ISSUES, "sync", "github", REPO], cwd=repo, env=env(github),
                            stderr=subprocess.PIPE, text=True)
    proc.communicate(timeout=120)
    github.write_delay = None
    assert killed.is_set() and proc.returncode == -signal.SIGKILL


@pytest.mark.parametrize("after_posts", [1, 4, LOCAL, LOCAL + 3],
                         ids=["first-post", "midway", "last-issue", "during-comments"])
def test_a_killed_push_is_finished_by_the_rerun_and_no_clone_duplicates(
        run, repo: Path, github: StandIn, after_posts: int):
    run("init")
    made = [run("new", f"Local {n}", "-m", f"Body {n}").stdout.strip() for n in range(LOCAL)]
    for issue_id in made[:4]:
        run("comment", issue_id, "-m", "A note from here")
    git(repo, "commit", "-q", "-m", "local issues")

    killed_sync(repo, github, after_posts)
    for _ in range(2):
        proc = run("sync", "github", REPO, env=env(github), check=False)
        assert "conflict" not in proc.stderr, proc.stderr
        assert proc.returncode == 0, proc.stderr
    assert created_on_github(github) == sorted(f"Local {n}" for n in range(LOCAL))
    status = git(repo, "status", "--porcelain", "--untracked-files=all", ".issues").splitlines()
    assert [line for line in status if line[1] != " "] == [], status  # nothing unstaged
    comments = [c for c in github.repos[REPO].comments if "A note from here" in c["body"]]
    assert len(comments) == 4  # each comment once

    git(repo, "commit", "-q", "-m", "sync")
    clone = repo.parent / "clone"
    git(repo.parent, "clone", "-q", str(repo), str(clone))
    proc = run("sync", "github", REPO, env=env(github), cwd=clone, check=False)
    assert proc.returncode == 0 and "conflict" not in proc.stderr, proc.stderr
    assert "created 0" in proc.stderr and "comments 0" in proc.stderr, proc.stderr
    assert created_on_github(github) == sorted(f"Local {n}" for n in range(LOCAL))


def local_titles(repo: Path) -> list[str]:
    return sorted(yaml.safe_load(p.read_text())["title"] for p in (repo / ".issues").glob("*.yml")
                  if p.name != "config.yml")


@pytest.mark.parametrize("patches", [1, LOCAL // 2, LOCAL],
                         ids=["after-first-post", "midway", "after-last-post"])
def test_an_edit_on_github_after_a_killed_push_is_pulled_not_overwritten(
        run, repo: Path, github: StandIn, patches: int):
    """The numbers written back carry, in the journal, the values GitHub answered as
    their base: a title edited on GitHub after the kill is pulled by the rerun (with
    GitHub's current values as the base the push would send the old title back)."""
    run("init")
    for n in range(LOCAL):
        issue_id = run("new", f"Local {n}", "-m", f"Body {n}").stdout.strip()
        run("close", issue_id)
    git(repo, "commit", "-q", "-m", "local issues")

    killed_sync(repo, github, patches, "PATCH")
    for issue in github.repos[REPO].issues:
        if issue["number"] != 1:
            issue.update(title=f"{issue['title']} (edited on GitHub)", updated_at=_now())
    edited = sorted(i["title"] for i in github.repos[REPO].issues if i["number"] != 1)
    assert len(edited) == patches
    for _ in range(2):
        proc = run("sync", "github", REPO, env=env(github), check=False)
        assert proc.returncode == 0 and "conflict" not in proc.stderr, proc.stderr
    on_github = created_on_github(github)
    assert len(on_github) == LOCAL  # each once
    assert set(edited) <= set(on_github)  # the edits made on GitHub stay there
    assert local_titles(repo) == sorted([*on_github, "From GitHub"])
    assert all(i["state"] == "closed" for i in github.repos[REPO].issues if i["number"] != 1)
    status = git(repo, "status", "--porcelain", "--untracked-files=all", ".issues").splitlines()
    assert [line for line in status if line[1] != " "] == [], status  # nothing unstaged

    git(repo, "commit", "-q", "-m", "sync")
    clone = repo.parent / "clone"
    git(repo.parent, "clone", "-q", str(repo), str(clone))
    proc = run("sync", "github", REPO, env=env(github), cwd=clone, check=False)
    assert proc.returncode == 0 and "conflict" not in proc.stderr, proc.stderr
    assert "created 0, updated 0" in proc.stderr, proc.stderr
    assert created_on_github(github) == on_github


def test_a_push_only_rerun_keeps_the_killed_run_s_bases(run, repo: Path, github: StandIn):
    """``--push-only`` finishes a killed run too (no pull to read the journal): the
    bases it meant to remember are taken, so GitHub's edit is not sent back over."""
    run("init")
    for n in range(4):
        run("close", run("new", f"Local {n}", "-m", f"Body {n}").stdout.strip())
    git(repo, "commit", "-q", "-m", "local issues")
    killed_sync(repo, github, 2, "PATCH")
    for issue in github.repos[REPO].issues:
        if issue["number"] != 1:
            issue.update(title=f"{issue['title']} (edited on GitHub)", updated_at=_now())
    edited = created_on_github(github)
    proc = run("sync", "github", REPO, "--push-only", env=env(github), check=False)
    assert proc.returncode == 0, proc.stderr
    assert set(edited) <= set(created_on_github(github))
    assert len(created_on_github(github)) == 4
