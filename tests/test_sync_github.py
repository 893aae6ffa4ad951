"""``sync github``: pull then push, against the stand-in GitHub API on 127.0.0.1."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from conftest import git
from github_standin import Repo, StandIn, make_comment, make_issue, serving

pytestmark = pytest.mark.in_process  # run() in this process: see conftest.run

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


def _two_conflicts(run, repo, github) -> tuple[str, str]:
    """Issues #1 and #2 from GitHub, each retitled here and there since the last sync."""
    github.repos[REPO].issues.append(make_issue(REPO, 2, "Second", login="octocat"))
    run("init")
    sync(run, github)
    by_number = {f["github"]["number"]: i for i, f in files(repo).items()}
    for number in (1, 2):
        run("edit", by_number[number], "--title", f"Ours {number}")
        remote(github)[number].update(title=f"Theirs {number}", updated_at=_now())
    return by_number[1], by_number[2]


def test_prefer_with_issue_settles_that_issue_only(run, repo, github):
    first, second = _two_conflicts(run, repo, github)
    proc = sync(run, github, check=False)
    assert proc.returncode == 1 and proc.stderr.count("conflict: ") == 2
    proc = sync(run, github, "--prefer", "remote", "--issue", first[:5], check=False)
    assert proc.returncode == 1  # the other one is still held, and said
    conflicts = [line for line in proc.stderr.splitlines() if line.startswith("conflict: ")]
    assert len(conflicts) == 1 and second in conflicts[0] and "'Theirs 2'" in conflicts[0]
    assert files(repo)[first]["title"] == "Theirs 1"
    assert files(repo)[second]["title"] == "Ours 2" and remote(github)[2]["title"] == "Theirs 2"
    proc = sync(run, github, "--prefer", "local", "--issue", second)
    assert remote(github)[2]["title"] == "Ours 2" and remote(github)[1]["title"] == "Theirs 1"
    assert "conflict" not in proc.stderr


def test_issue_without_prefer_is_a_usage_error(run, repo, github):
    run("init")
    proc = sync(run, github, "--issue", "abcd", check=False)
    assert proc.returncode == 2 and "--prefer" in proc.stderr
    assert writes(github) == [] and github.requests == []


def _synced_comment(run, repo, github) -> tuple[str, str, dict]:
    """A local issue with a comment, both sent: (issue id, comment id, GitHub's comment)."""
    run("init")
    local = run("new", "Made here").stdout.strip()
    run("comment", local, "-m", "First words")
    sync(run, github)
    comment = files(repo)[local]["comments"][0]
    there = next(c for c in github.repos[REPO].comments if c["id"] == comment["github_id"])
    return local, comment["id"], there


def test_a_comment_edited_here_is_patched_once(run, repo, github):
    local, cid, there = _synced_comment(run, repo, github)
    run("comment", local, "--edit", cid, "-m", "Better words")
    proc = sync(run, github)
    assert "comments edited 1" in proc.stderr.splitlines()[-1]
    assert f"PATCH /repos/{REPO}/issues/comments/{there['id']}" in writes(github)
    assert there["body"].startswith("*From Ada Tester")
    assert there["body"].rstrip().endswith("Better words")
    assert len(github.repos[REPO].comments) == 1
    before = len(writes(github))
    proc = sync(run, github)
    assert len(writes(github)) == before  # sent once, not on every sync
    assert files(repo)[local]["comments"][0]["body"] == "Better words"


def test_a_comment_edited_on_github_is_pulled_without_the_attribution(run, repo, github):
    local, cid, there = _synced_comment(run, repo, github)
    head = there["body"].split("\n\n")[0]
    there.update(body=f"{head}\n\nFixed on GitHub", updated_at=_now())
    sync(run, github)
    assert files(repo)[local]["comments"][0]["body"] == "Fixed on GitHub"
    assert there["body"] == f"{head}\n\nFixed on GitHub"
    assert not any("/issues/comments/" in p for p in writes(github))


def test_a_comment_edited_on_both_sides_is_held_until_settled(run, repo, github):
    local, cid, there = _synced_comment(run, repo, github)
    run("comment", local, "--edit", cid, "-m", "Ours")
    there.update(body="Theirs", updated_at=_now())
    for _ in range(2):  # held, and still held when GitHub did not change it again
        proc = sync(run, github, check=False)
        assert proc.returncode == 1 and f"comment {cid}: edited here and on GitHub" in proc.stderr
        assert files(repo)[local]["comments"][0]["body"] == "Ours"
        assert there["body"] == "Theirs"
    sync(run, github, "--prefer", "local", "--issue", local)
    assert there["body"].rstrip().endswith("Ours")
    assert sync(run, github).returncode == 0
    assert files(repo)[local]["comments"][0]["body"] == "Ours"


def _tree(path: Path) -> dict[str, bytes]:
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*"))
            if p.is_file()}


def test_dry_run_reads_github_and_writes_nothing(run, repo, github):
    local, cid, there = _synced_comment(run, repo, github)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "synced")
    run("ls")  # the index is up to date
    theirs = next(i for i, f in files(repo).items() if f["github"]["number"] == 1)
    remote(github)[1].update(title="Renamed on GitHub", updated_at=_now())
    run("comment", local, "--edit", cid, "-m", "Edited here")
    run("edit", local, "-l", "ours")
    new = run("new", "Not sent yet").stdout.strip()
    before, git_before = _tree(repo / ".issues"), _tree(repo / ".git")
    asked = len(github.requests)
    proc = sync(run, github, "--dry-run")
    assert "dry run: the pull would have imported 0, updated 1" in proc.stderr
    assert f"would update {theirs} ({REPO}#1) from GitHub: title" in proc.stderr
    assert f"would create: {new} 'Not sent yet'" in proc.stderr
    assert f"would update {local} ({REPO}#2): labels" in proc.stderr
    assert f"would edit comment {cid}" in proc.stderr
    assert f"would update {theirs} ({REPO}#1):" not in proc.stderr  # nothing to send back
    assert proc.stderr.strip().splitlines()[-1] == (
        "dry run: would be pushed: created 1, updated 1, comments 0, comments edited 1")
    assert [p for p, _ in github.requests[asked:] if not p.startswith("/")] == []  # GETs only
    assert _tree(repo / ".issues") == before
    assert _tree(repo / ".git") == git_before  # no index refresh, no staging, no state
    assert files(repo)[theirs]["title"] == "From GitHub"


def _three_new(run) -> list[str]:
    run("init")
    made = []
    for n in range(3):
        made.append(run("new", f"Local {n}").stdout.strip())
        run("comment", made[-1], "-m", f"Note {n}")
    return made


def test_the_hourly_limit_stops_cleanly_and_the_next_run_resumes(run, repo, github):
    made = _three_new(run)
    limited = {**env(github), "GIT_ISSUES_SYNC_HOURLY": "3"}
    proc = run("sync", "github", REPO, env=limited, check=False)
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("error: stopped: 3 creations on GitHub in the last hour")
    assert "1 issue and 2 comments are left to send" in last and "run the same command again" \
        in last
    assert len(github.repos[REPO].issues) == 3 and len(github.repos[REPO].comments) == 1
    # The count is kept in the state: another run within the hour sends nothing.
    posts = len([p for p in writes(github) if p.startswith("POST")])
    proc = run("sync", "github", REPO, env=limited, check=False)
    assert proc.returncode == 1 and "1 issue and 2 comments are left" in proc.stderr
    assert len([p for p in writes(github) if p.startswith("POST")]) == posts
    # A larger budget (or an hour later): the rest, nothing twice.
    run("sync", "github", REPO, env={**limited, "GIT_ISSUES_SYNC_HOURLY": "10"})
    assert len(github.repos[REPO].issues) == 4 and len(github.repos[REPO].comments) == 3
    assert sorted(f["github"]["number"] for f in files(repo).values()) == [1, 2, 3, 4]
    assert all(files(repo)[i]["comments"][0]["github_id"] for i in made)


def test_a_secondary_rate_limit_on_a_write_is_waited_out(run, repo, github):
    _three_new(run)
    github.fail(403, {"Retry-After": "1"},
                {"message": "You have exceeded a secondary rate limit. Please wait a few "
                            "minutes before you try again."},
                when=lambda p: p.startswith("POST"))
    proc = sync(run, github)
    assert "waiting" in proc.stderr
    assert len(github.repos[REPO].issues) == 4 and len(github.repos[REPO].comments) == 3


def test_a_long_secondary_rate_limit_stops_and_resumes(run, repo, github):
    _three_new(run)
    github.fail(429, {"Retry-After": "3600"}, {"message": "secondary rate limit"},
                when=lambda p: p.startswith("POST") and "/comments" in p)
    proc = sync(run, github, check=False)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1].startswith("error: GitHub's rate limit is used up")
    assert "Traceback" not in proc.stderr
    sync(run, github)
    assert len(github.repos[REPO].issues) == 4 and len(github.repos[REPO].comments) == 3


def test_a_secondary_limit_without_headers_waits_a_minute_or_stops(repo, github, monkeypatch):
    from git_issues.errors import GitIssuesError
    from git_issues.repo.workspace import open_workspace
    from git_issues.sync.github.push import SyncOptions, run_sync

    subprocess.run([sys.executable, "-m", "git_issues", "init"], check=True, cwd=repo,
                   capture_output=True)
    subprocess.run([sys.executable, "-m", "git_issues", "new", "Made here"], check=True,
                   cwd=repo, capture_output=True)
    for key, value in env(github).items():
        monkeypatch.setenv(key, value)
    github.fail(403, {}, {"message": "You have exceeded a secondary rate limit."},
                when=lambda p: p.startswith("POST"))
    with open_workspace(repo) as ws, pytest.raises(GitIssuesError, match="rate limit"):
        run_sync(ws, REPO, SyncOptions(max_wait=0.5), say=lambda m: None)
    assert len(github.repos[REPO].issues) == 1  # refused, so nothing was created


def test_an_edit_of_a_comment_deleted_on_github_is_a_note(run, repo, github):
    local, cid, there = _synced_comment(run, repo, github)
    github.repos[REPO].comments.remove(there)
    run("comment", local, "--edit", cid, "-m", "Too late")
    proc = sync(run, github)
    assert "was deleted on GitHub" in proc.stderr and github.repos[REPO].comments == []
    before = len(writes(github))
    sync(run, github)
    assert len(writes(github)) == before  # not tried again


def test_a_first_dry_run_reports_the_import_and_nothing_to_send_back(run, repo, github):
    github.repos[REPO].issues.append(make_issue(
        REPO, 2, "Won't do", state="closed", state_reason="not_planned",
        closed="2024-02-01T00:00:00Z"))
    run("init")
    before = _tree(repo / ".issues")
    proc = sync(run, github, "--dry-run")
    assert f"would import {REPO}#1 'From GitHub'" in proc.stderr
    assert f"would import {REPO}#2 \"Won't do\"" in proc.stderr
    assert "would add the statuses not_planned" in proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == (
        "dry run: would be pushed: created 0, updated 0, comments 0")
    assert _tree(repo / ".issues") == before and writes(github) == []


def test_a_refused_edit_of_someone_elses_comment_stays_here(run, repo, github):
    github.repos[REPO].comments.append(make_comment(REPO, 1, 777, "Their note"))
    remote(github)[1]["comments"] = 1
    run("init")
    sync(run, github)
    local = next(i for i, f in files(repo).items() if f["github"]["number"] == 1)
    cid = files(repo)[local]["comments"][0]["id"]
    run("comment", local, "--edit", cid, "-m", "Our fix of their note")
    github.fail(403, {}, {"message": "Must have admin rights to Repository."},
                when=lambda p: p.startswith("PATCH") and p.endswith("/comments/777"))
    proc = sync(run, github)
    assert "GitHub refused the edit of comment" in proc.stderr and "hubot" in proc.stderr
    assert github.repos[REPO].comments[0]["body"] == "Their note"
    assert files(repo)[local]["comments"][0]["body"] == "Our fix of their note"
