"""``sync github``: pull then push, against the stand-in GitHub API on 127.0.0.1."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from conftest import git
from github_standin import Repo, StandIn, make_issue, serving

TOKEN = "ghp_standInToken0123456789"
REPO = "acme/rocket"


@pytest.fixture
def github() -> Iterator[StandIn]:
    stand_in = StandIn(token=TOKEN)
    stand_in.repos[REPO] = Repo([make_issue(REPO, 1, "From GitHub", body="There first",
                                            login="octocat")])
    with serving(stand_in) as served:
        yield served


def env(github: StandIn) -> dict[str, str]:
    return {"GITHUB_API_URL": github.url, "GITHUB_TOKEN": TOKEN, "GH_TOKEN": "",
            "GIT_ISSUES_SYNC_PACE": "0"}


def files(repo: Path) -> dict[str, dict]:
    out = {}
    for path in (repo / ".issues").glob("*.yml"):
        if path.name != "config.yml":
            out[path.stem] = yaml.safe_load(path.read_text())
    return out


def remote(github: StandIn) -> dict[int, dict]:
    return {i["number"]: i for i in github.repos[REPO].issues}


def writes(github: StandIn) -> list[str]:
    return [p for p, _ in github.requests if p.startswith(("POST", "PATCH"))]


def sync(run, github: StandIn, *args: str, check: bool = True, cwd: Path | None = None):
    return run("sync", "github", REPO, *args, env=env(github), check=check, cwd=cwd)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def test_round_trip_creates_once_and_loses_nothing(run, repo, github):
    run("init")
    local = run("new", "Made here", "-m", "Our words", "-l", "bug").stdout.strip()
    run("comment", local, "-m", "A local note")
    proc = sync(run, github)
    assert proc.stderr.strip().splitlines()[-1] == "pushed: created 1, updated 0, comments 1"
    mine = files(repo)[local]
    assert mine["github"]["number"] == 2 and mine["github"]["repo"] == REPO
    assert isinstance(mine["comments"][0]["github_id"], int)
    there = remote(github)[2]
    assert there["title"] == "Made here" and [la["name"] for la in there["labels"]] == ["bug"]
    assert f"<!-- git-issues:{local} -->" in there["body"]
    # Written by Ada, the token is octocat's: attributed, not skipped.
    assert there["body"].startswith("*From Ada Tester <ada@example.com> on ")
    assert github.repos[REPO].comments[0]["body"].startswith("*From Ada Tester")
    # The issue from GitHub came in; a second sync has nothing to send.
    assert any(f.get("github", {}).get("number") == 1 for f in files(repo).values())
    before = len(writes(github))
    proc = sync(run, github)
    assert len(writes(github)) == before
    assert proc.stderr.strip().splitlines()[-1] == "pushed: created 0, updated 0, comments 0"
    # Changed on GitHub: pulled; changed here: pushed; nothing duplicated.
    stamp = _now()
    remote(github)[2].update(title="Renamed on GitHub", updated_at=stamp)
    run("close", local)
    run("edit", local, "-l", "p1")
    sync(run, github)
    mine = files(repo)[local]
    assert mine["title"] == "Renamed on GitHub" and mine["status"] == "closed"
    there = remote(github)[2]
    assert there["state"] == "closed" and there["state_reason"] == "completed"
    assert sorted(la["name"] for la in there["labels"]) == ["bug", "p1"]
    assert len(github.repos[REPO].issues) == 2 and len(files(repo)) == 2
    assert len(github.repos[REPO].comments) == 1 and len(mine["comments"]) == 1


def test_the_token_owners_own_text_is_not_attributed(run, repo, github):
    github.login, github.email = "ada", "ada@example.com"  # Ada Tester is the owner
    run("init")
    local = run("new", "Mine", "-m", "My words").stdout.strip()
    run("comment", local, "-m", "My note")
    sync(run, github)
    there = remote(github)[2]
    assert there["body"].startswith("My words") and "*From" not in there["body"]
    assert github.repos[REPO].comments[0]["body"] == "My note"


def test_milestones_are_looked_up_or_created(run, repo, github):
    run("init")
    local = run("new", "Planned", "--milestone", "v2").stdout.strip()
    sync(run, github)
    assert [m["title"] for m in github.repos[REPO].milestones] == ["v2"]
    number = files(repo)[local]["github"]["number"]
    assert remote(github)[number]["milestone"]["title"] == "v2"


def test_a_conflict_holds_that_field_only_and_prefer_settles_it(run, repo, github):
    run("init")
    sync(run, github)
    local = next(i for i, f in files(repo).items() if f["github"]["number"] == 1)
    run("edit", local, "--title", "Our title", "-l", "ours")
    remote(github)[1].update(title="Their title", updated_at=_now())
    proc = sync(run, github, check=False)
    assert proc.returncode == 1
    assert "'Our title'" in proc.stderr and "'Their title'" in proc.stderr
    assert files(repo)[local]["title"] == "Our title"
    assert remote(github)[1]["title"] == "Their title"
    assert [la["name"] for la in remote(github)[1]["labels"]] == ["ours"]  # the rest synced
    # Still a conflict on the next run, even though GitHub did not change again.
    proc = sync(run, github, check=False)
    assert proc.returncode == 1 and "Their title" in proc.stderr
    assert remote(github)[1]["title"] == "Their title"
    proc = sync(run, github, "--prefer", "local")
    assert remote(github)[1]["title"] == "Our title"
    assert files(repo)[local]["title"] == "Our title"
    assert sync(run, github).returncode == 0


def test_prefer_remote_takes_githubs_value(run, repo, github):
    run("init")
    sync(run, github)
    local = next(i for i, f in files(repo).items() if f["github"]["number"] == 1)
    run("edit", local, "--title", "Our title")
    remote(github)[1].update(title="Their title", updated_at=_now())
    sync(run, github, "--prefer", "remote")
    assert files(repo)[local]["title"] == "Their title"
    assert remote(github)[1]["title"] == "Their title"


def test_a_crash_after_the_post_is_adopted_not_created_twice(run, repo, github):
    run("init")
    local = run("new", "Made here").stdout.strip()
    github.drop_after_create = 1
    proc = sync(run, github, check=False)
    assert proc.returncode == 1 and "run the same command again" in proc.stderr
    assert len(github.repos[REPO].issues) == 2  # created there...
    assert "github" not in files(repo)[local]  # ...but the number never came back
    proc = sync(run, github)
    assert "adopted 1" in proc.stderr
    assert len(github.repos[REPO].issues) == 2
    assert files(repo)[local]["github"]["number"] == 2
    assert len(files(repo)) == 2  # not imported as a third issue either


def test_a_crash_after_posting_a_comment_is_adopted_not_posted_twice(run, repo, github):
    run("init")
    sync(run, github)
    local = next(i for i, f in files(repo).items() if f["github"]["number"] == 1)
    run("comment", local, "-m", "Posted once")
    github.drop_after_create = 1
    assert sync(run, github, check=False).returncode == 1
    assert len(github.repos[REPO].comments) == 1
    proc = sync(run, github)
    assert "adopted 1" in proc.stderr
    assert len(github.repos[REPO].comments) == 1
    comments = files(repo)[local]["comments"]
    assert len(comments) == 1 and comments[0]["github_id"] == github.repos[REPO].comments[0]["id"]


def test_two_clones_sync_in_turn(run, repo, github, tmp_path):
    run("init")
    a = run("new", "From clone A").stdout.strip()
    sync(run, github)
    git(repo, "commit", "-qam", "sync")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "sync state", check=False)
    clone = tmp_path / "b"
    subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True)
    git(clone, "config", "user.name", "Bea")
    git(clone, "config", "user.email", "bea@example.com")
    run("edit", a, "--title", "Renamed by B", cwd=clone)
    before = len(github.repos[REPO].issues)
    proc = sync(run, github, cwd=clone)
    assert proc.stderr.strip().splitlines()[-1] == "pushed: created 0, updated 1, comments 0"
    assert len(github.repos[REPO].issues) == before
    number = files(clone)[a]["github"]["number"]
    assert remote(github)[number]["title"] == "Renamed by B"
    assert not [p for p in writes(github)[-1:] if p.startswith("POST")]


def test_dry_run_sends_and_writes_nothing(run, repo, github):
    run("init")
    local = run("new", "Made here").stdout.strip()
    before = (repo / ".issues" / f"{local}.yml").read_bytes()
    proc = sync(run, github, "--dry-run")
    assert "would create" in proc.stderr and "created 1" in proc.stderr
    assert writes(github) == []
    assert (repo / ".issues" / f"{local}.yml").read_bytes() == before
    assert not (repo / ".issues/sync").exists()


def test_a_read_only_token_says_so_in_one_line(run, repo, github):
    run("init")
    run("new", "Made here")
    github.read_only = True
    proc = sync(run, github, "--push-only", check=False)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        line for line in proc.stderr.strip().splitlines() if "Traceback" not in line]
    assert "the token needs write access" in proc.stderr.strip().splitlines()[-1]




def test_pull_only_sends_nothing_and_push_only_pulls_nothing(run, repo, github):
    run("init")
    local = run("new", "Made here").stdout.strip()
    sync(run, github, "--pull-only")
    assert writes(github) == [] and "github" not in files(repo)[local]
    assert len(files(repo)) == 2  # GitHub's issue 1 came in
    remote(github)[1].update(title="Changed there", updated_at=_now())
    asked = len(github.requests)
    sync(run, github, "--push-only")
    assert not any("/issues?" in p for p, _ in github.requests[asked:])  # no pull
    assert files(repo)[local]["github"]["number"] == 2
    mine = next(f for f in files(repo).values() if f["github"]["number"] == 1)
    assert mine["title"] == "From GitHub"
