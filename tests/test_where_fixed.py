"""Where is it fixed?  ``show ID`` on a terminal (or with ``--where``) names the
branches and tags where an issue open here is closed, read from git's refs."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import git, on_terminal
from helpers import write_issue

pytestmark = pytest.mark.in_process  # run() in this process: see conftest.run

CLOSED = {"status": "closed", "closed": "2026-02-01T00:00:00Z"}


def commit(repo: Path, message: str) -> None:
    git(repo, "add", "-A", ".issues")
    git(repo, "commit", "-q", "-m", message)


@pytest.fixture
def branches(run, repo: Path) -> Path:
    """'bug11111' open on main; closed on branch 'fix' and tag v1.1 (from 'fix');
    'feat2222' closed on main itself; branch 'other' without the fix."""
    run("init", "--no-hooks")
    folder = repo / ".issues"
    write_issue(folder, "bug11111", "Crash on start")
    write_issue(folder, "feat2222", "Dark mode", **CLOSED)
    commit(repo, "two issues")
    git(repo, "branch", "other")
    git(repo, "checkout", "-q", "-b", "fix")
    write_issue(folder, "bug11111", "Crash on start", **CLOSED)
    write_issue(folder, "feat2222", "Dark mode")  # reopened on fix
    commit(repo, "Fixes: bug1")
    git(repo, "tag", "-a", "-m", "release", "v1.1")
    git(repo, "checkout", "-q", "main")
    return repo


def test_where_lists_the_branches_and_tags_where_it_is_closed(branches, run):
    out = run("show", "bug1", "--where").stdout
    assert "closed on: fix, v1.1\n" in out or "closed on: v1.1, fix\n" in out
    assert "other" not in out


def test_remote_branches_count_and_their_head_is_not_listed_twice(branches, run):
    git(branches, "update-ref", "refs/remotes/origin/fix", "fix")
    git(branches, "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/fix")
    doc = json.loads(run("show", "bug1", "--where", "--json").stdout)
    assert sorted(doc["closed_in"]["refs"]) == ["fix", "origin/fix", "v1.1"]


def test_on_a_terminal_it_is_shown_without_asking(branches, run):
    assert "closed on" not in run("show", "bug1").stdout  # piped: no other ref is read
    code, screen = on_terminal(branches, "show", "bug1", env={"NO_COLOR": "1", "PAGER": "cat"})
    assert code == 0
    line = next(x for x in screen.splitlines() if x.startswith("closed on: "))
    assert sorted(line.removeprefix("closed on: ").split(", ")) == ["fix", "v1.1"]


def test_an_issue_closed_here_says_nothing(branches, run):
    assert "closed on" not in run("show", "feat2", "--where").stdout


def test_the_current_branch_is_not_listed(branches, run):
    git(branches, "checkout", "-q", "fix")
    out = run("show", "feat2", "--where").stdout  # open on fix, closed on main and other
    assert "closed on: " in out
    listed = next(x for x in out.splitlines() if x.startswith("closed on: "))
    assert sorted(listed.removeprefix("closed on: ").split(", ")) == ["main", "other"]


def test_json_has_the_field_with_where(branches, run):
    doc = json.loads(run("show", "bug1", "--where", "--json").stdout)
    assert sorted(doc["closed_in"]["refs"]) == ["fix", "v1.1"]
    assert doc["closed_in"]["left_out"] == 0
    assert "closed_in" not in json.loads(run("show", "bug1", "--json").stdout)


def test_the_refs_read_are_bounded_and_the_cut_is_said(branches, run):
    head = git(branches, "rev-parse", "fix").strip()  # 3 refs + 205 = 208, 200 read
    lines = "".join(f"create refs/heads/many/{n:03d} {head}\n" for n in range(205))
    subprocess.run(["git", "update-ref", "--stdin"], cwd=branches, input=lines, text=True,
                   check=True)
    out = run("show", "bug1", "--where").stdout
    listed = next(x for x in out.splitlines() if x.startswith("closed on: "))
    assert len(listed.split(", ")) == 200
    assert "(8 older branches and tags not read)" in out
