"""Merges that need no setup: the heal on every command, ``resolve``, ``init --global``.

Real repositories: an origin set up with ``init``, and clones of it in which
nothing of git-issues ran (so git has no merge driver there), edited by hand
and merged by the real git.
"""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest
from conftest import git

from git_issues.core.model import Comment
from git_issues.fileformat.issuefile import dump_issue, load_text
from git_issues.repo import registration

pytestmark = pytest.mark.in_process  # run() in this process: see conftest.run

ISSUE = "shar1234"
ISSUE_PATH = f".issues/{ISSUE}.yml"
T0 = "2026-11-26T12:00:00Z"


# --- helpers ------------------------------------------------------------------

@pytest.fixture
def origin(run, repo: Path) -> Path:
    """A project set up with ``init`` (its .gitattributes committed) holding one issue."""
    run("init", "--no-hooks")
    (repo / ISSUE_PATH).write_text(f"id: {ISSUE}\ntitle: Shared issue\nstatus: open\n"
                                   f"created: '{T0}'\n", encoding="utf-8")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "an issue")
    return repo


def clone(origin: Path, name: str) -> Path:
    """A fresh clone: git-issues never ran in it, so git knows no merge driver."""
    path = origin.parent / name
    git(origin.parent, "clone", "-q", str(origin), str(path))
    assert git(path, "config", "--local", "merge.git-issues.driver", check=False) == ""
    return path


def hand_edit(where: Path, message: str, *, comment: str | None = None,
              title: str | None = None) -> None:
    """Edit the issue file as a text editor would (no git-issues command), and commit."""
    path = where / ISSUE_PATH
    issue = load_text(path.read_bytes(), ISSUE_PATH)
    if comment is not None:
        issue.comments.append(Comment(id=f"{comment}0001", author="Ada Tester <ada@example.com>",
                                      date=f"2026-11-27T{10 + len(issue.comments)}:00:00Z",
                                      body=f"From {comment}."))
    if title is not None:
        issue.title = title
    path.write_text(dump_issue(issue), encoding="utf-8")
    git(where, "commit", "-q", "-am", message)


def pull(where: Path, other: Path, how: str = "--no-rebase") -> subprocess.CompletedProcess:
    return subprocess.run(["git", "pull", "-q", "--no-edit", how, str(other), "main"],
                          cwd=where, capture_output=True, text=True)


def unmerged(where: Path) -> str:
    return git(where, "ls-files", "-u")


def comment_ids(where: Path) -> list[str]:
    return [c.id for c in load_text((where / ISSUE_PATH).read_bytes(), ISSUE_PATH).comments]


def two_commenting_clones(origin: Path) -> tuple[Path, Path]:
    """Clones a and b, each with a comment on the same issue committed by hand."""
    a, b = clone(origin, "a"), clone(origin, "b")
    hand_edit(a, "a comments", comment="aaaa")
    hand_edit(b, "b comments", comment="bbbb")
    return a, b


# --- resolve ------------------------------------------------------------------

def test_resolve_finishes_a_pull_that_ran_without_the_driver(run, origin):
    a, b = two_commenting_clones(origin)
    pulled = pull(b, a)
    assert pulled.returncode != 0
    assert "<<<<<<<" in (b / ISSUE_PATH).read_text()  # git's own line conflict
    resolved = run("resolve", cwd=b, check=False)
    assert resolved.returncode == 0, resolved.stderr
    assert f"merged {ISSUE_PATH} (staged)" in resolved.stderr
    assert "git commit" in resolved.stderr
    assert unmerged(b) == ""
    assert sorted(comment_ids(b)) == ["aaaa0001", "bbbb0001"]
    git(b, "commit", "-q", "--no-edit")
    assert git(b, "status", "--porcelain") == ""
    assert run("check", cwd=b).stdout == ""


def test_a_field_changed_two_ways_stays_in_conflict_alone(run, origin):
    a, b = clone(origin, "a"), clone(origin, "b")
    hand_edit(a, "a", comment="aaaa", title="Retitled in a")
    hand_edit(b, "b", comment="bbbb", title="Retitled in b")
    assert pull(b, a).returncode != 0
    resolved = run("resolve", cwd=b, check=False)
    assert resolved.returncode == 1
    assert ISSUE_PATH in resolved.stderr and "title" in resolved.stderr
    text = (b / ISSUE_PATH).read_text()
    inside = text.split("<<<<<<< HEAD\n")[1].split(">>>>>>>")[0]
    assert inside == "title: Retitled in b\n=======\ntitle: Retitled in a\n"
    assert text.count("<<<<<<<") == 1
    assert "From aaaa." in text and "From bbbb." in text  # the comments merged outside
    assert ISSUE_PATH in unmerged(b)  # still a conflict for git: no commit by mistake


def test_resolve_during_a_rebase(run, origin):
    a, b = two_commenting_clones(origin)
    assert pull(b, a, "--rebase").returncode != 0
    assert run("resolve", cwd=b, check=False).returncode == 0
    assert unmerged(b) == ""
    env = {**os.environ, "GIT_EDITOR": "true"}
    subprocess.run(["git", "rebase", "--continue"], cwd=b, env=env, check=True,
                   capture_output=True)
    assert sorted(comment_ids(b)) == ["aaaa0001", "bbbb0001"]
    assert git(b, "log", "--format=%s", "-2").split("\n")[:2] == ["b comments", "a comments"]


def test_resolve_during_a_cherry_pick(run, origin):
    b = clone(origin, "b")
    git(b, "checkout", "-q", "-b", "topic")
    hand_edit(b, "on topic", comment="aaaa")
    git(b, "checkout", "-q", "main")
    hand_edit(b, "on main", comment="bbbb")
    picked = subprocess.run(["git", "cherry-pick", "topic"], cwd=b, capture_output=True)
    assert picked.returncode != 0
    resolved = run("resolve", ISSUE_PATH, cwd=b, check=False)
    assert resolved.returncode == 0, resolved.stderr
    assert "git cherry-pick --continue" in resolved.stderr
    env = {**os.environ, "GIT_EDITOR": "true"}
    subprocess.run(["git", "cherry-pick", "--continue"], cwd=b, env=env, check=True,
                   capture_output=True)
    assert sorted(comment_ids(b)) == ["aaaa0001", "bbbb0001"]


def test_resolve_after_a_stash_pop(run, origin):
    a, b = clone(origin, "a"), clone(origin, "b")
    hand_edit(a, "a comments", comment="aaaa")
    hand_edit(b, "b comments", comment="bbbb")
    git(b, "reset", "-q", "--soft", "HEAD~1")  # b's comment: uncommitted work
    git(b, "stash", "-q")
    assert pull(b, a).returncode == 0
    assert subprocess.run(["git", "stash", "pop"], cwd=b, capture_output=True).returncode != 0
    assert run("resolve", cwd=b, check=False).returncode == 0
    assert unmerged(b) == ""
    assert sorted(comment_ids(b)) == ["aaaa0001", "bbbb0001"]


def test_resolve_leaves_a_file_resolved_by_hand_alone(run, origin):
    a, b = two_commenting_clones(origin)
    pull(b, a)
    by_hand = f"id: {ISSUE}\ntitle: Kept by hand\nstatus: open\ncreated: '{T0}'\n"
    (b / ISSUE_PATH).write_text(by_hand)
    resolved = run("resolve", cwd=b, check=False)
    assert resolved.returncode == 1
    assert "no conflict markers left" in resolved.stderr
    assert (b / ISSUE_PATH).read_text() == by_hand
    assert ISSUE_PATH in unmerged(b)


def test_resolve_with_nothing_in_conflict_and_a_wrong_path(run, origin):
    assert run("resolve").stderr == "no issue file is in conflict\n"
    wrong = run("resolve", ".issues/nope1234.yml", check=False)
    assert wrong.returncode == 1
    assert wrong.stderr.startswith("error: .issues/nope1234.yml: no issue file there is in "
                                   "conflict")
    assert "Traceback" not in wrong.stderr


def test_reads_of_a_conflicted_file_say_to_run_resolve(run, origin):
    a, b = two_commenting_clones(origin)
    pull(b, a)
    hint = "git issues resolve"
    assert hint in run("ls", cwd=b, check=False).stderr
    assert hint in run("show", ISSUE, cwd=b, check=False).stderr
    assert hint in run("check", cwd=b, check=False).stdout
    assert hint in run("check", "--staged", cwd=b, check=False).stdout


# --- the heal, on reads too ---------------------------------------------------

def test_a_clone_that_ran_one_ls_merges_the_pull_without_a_conflict(run, origin):
    a, b = two_commenting_clones(origin)
    run("ls", cwd=b)
    assert git(b, "config", "merge.git-issues.driver").strip() == registration.DRIVER_COMMAND
    pulled = pull(b, a)
    assert pulled.returncode == 0, pulled.stderr
    assert sorted(comment_ids(b)) == ["aaaa0001", "bbbb0001"]
    assert git(b, "status", "--porcelain") == ""


def git_logging_to(tmp_path: Path, log: Path) -> dict[str, str]:
    """An environment whose ``git`` writes its arguments to ``log``, then runs the real git."""
    real = subprocess.run(["sh", "-c", "command -v git"], capture_output=True, text=True,
                          check=True).stdout.strip()
    shims = tmp_path / "shims"
    shims.mkdir()
    script = shims / "git"
    script.write_text(f'#!/bin/sh\necho "$*" >> "{log}"\nexec "{real}" "$@"\n')
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return {"PATH": f"{shims}{os.pathsep}{os.environ['PATH']}"}


def test_a_read_heals_once_then_starts_no_git_config(run, origin, tmp_path):
    b = clone(origin, "b")
    log = tmp_path / "git.log"
    env = git_logging_to(tmp_path, log)
    run("show", ISSUE, cwd=b, env=env)  # the heal: this clone's first command
    assert git(b, "config", "merge.git-issues.driver").strip() == registration.DRIVER_COMMAND
    assert "config" in log.read_text()
    log.write_text("")
    for command in (["ls"], ["show", ISSUE], ["check"]):
        run(*command, cwd=b, env=env)
    calls = log.read_text().splitlines()
    assert calls and not [line for line in calls if line.startswith("config")]


def test_a_global_registration_is_enough_and_found_once(run, origin, tmp_path):
    run("init", "--global")
    b = clone(origin, "b")
    log = tmp_path / "git.log"
    env = git_logging_to(tmp_path, log)
    run("ls", cwd=b, env=env)
    run("ls", cwd=b, env=env)
    assert git(b, "config", "--local", "merge.git-issues.driver", check=False) == ""
    assert sum(line.startswith("config") for line in log.read_text().splitlines()) == 1


# --- init says once that --global exists ---------------------------------------

def test_init_mentions_global_once(run, repo, tmp_path):
    first = run("init", "--no-hooks").stderr
    assert "git issues init --global" in first
    assert "git issues init --global" not in run("init", "--no-hooks").stderr
    run("init", "--global")
    other = tmp_path / "other"
    git(tmp_path, "init", "-q", "-b", "main", str(other))
    assert "git issues init --global" not in run("init", "--no-hooks", cwd=other).stderr


# --- the driver keeps the id (issue 26) ---------------------------------------

def test_an_id_changed_on_one_side_is_a_conflict_not_a_merged_file_check_rejects(run, origin):
    git(origin, "checkout", "-q", "-b", "topic")
    path = origin / ISSUE_PATH
    path.write_text(path.read_text().replace(f"id: {ISSUE}", "id: other123"))
    git(origin, "commit", "-q", "-am", "id changed")
    git(origin, "checkout", "-q", "main")
    hand_edit(origin, "a comment", comment="aaaa")
    merged = subprocess.run(["git", "merge", "--no-edit", "topic"], cwd=origin,
                            capture_output=True, text=True)
    assert merged.returncode != 0
    assert f"{ISSUE_PATH}: the id changed" in merged.stderr
    assert ISSUE_PATH in unmerged(origin)
    text = path.read_text()
    assert text.split("<<<<<<< HEAD\n")[1].split(">>>>>>>")[0] == \
        f"id: {ISSUE}\n=======\nid: other123\n"
