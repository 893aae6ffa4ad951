"""``sync gitlab``: pull then push, against the GitLab stand-in on 127.0.0.1."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from conftest import git
from forge_kill import killed_sync
from github_standin import serving
from gitlab_standin import GitLabHandler, GitLabStandIn, Project, make_issue, make_note

pytestmark = pytest.mark.in_process  # run() in this process: see conftest.run

TOKEN = "glpat-standInToken0123456789"
PROJECT = "acme/tools/rocket"
WRITES = ("POST", "PUT")


@pytest.fixture
def gitlab() -> Iterator[GitLabStandIn]:
    stand_in = GitLabStandIn(token=TOKEN)
    stand_in.projects[PROJECT] = Project(
        [make_issue(PROJECT, 1, "From GitLab", description="There first", notes=1)],
        [make_note(1, 501, "A note there", author="bob")])
    with serving(stand_in, GitLabHandler) as served:
        yield served  # type: ignore[misc]


def env(gitlab: GitLabStandIn) -> dict[str, str]:
    return {"GITLAB_URL": gitlab.url, "GITLAB_TOKEN": TOKEN, "GIT_ISSUES_SYNC_PACE": "0",
            "GIT_ISSUES_FORGE_MIN_WAIT": "0.05"}


def sync(run, gitlab: GitLabStandIn, *args: str, check: bool = True, cwd: Path | None = None):
    return run("sync", "gitlab", PROJECT, *args, env=env(gitlab), check=check, cwd=cwd)


def files(repo: Path) -> dict[str, dict]:
    return {p.stem: yaml.safe_load(p.read_text()) for p in (repo / ".issues").glob("*.yml")
            if p.name != "config.yml"}


def remote(gitlab: GitLabStandIn) -> dict[int, dict]:
    return {i["iid"]: i for i in gitlab.projects[PROJECT].issues}


def writes(gitlab: GitLabStandIn) -> list[str]:
    return [p for p, _ in gitlab.requests if p.startswith(WRITES)]


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())


def test_round_trip_new_here_edited_there_comments_both_ways(run, repo, gitlab):
    run("init")
    local = run("new", "Made here", "-m", "Our body", "-l", "bug", "-l", "priority::high",
                "-a", "bob").stdout.strip()
    run("comment", local, "-m", "Said here")
    proc = sync(run, gitlab)
    assert "created 1" in proc.stderr and "comments 1" in proc.stderr, proc.stderr
    made = remote(gitlab)[2]
    assert made["title"] == "Made here" and made["labels"] == ["bug", "priority::high"]
    assert [a["username"] for a in made["assignees"]] == ["bob"]
    assert "Our body" in made["description"]  # with who wrote it and the hidden marker
    assert f"<!-- git-issues:{local} -->" in made["description"]
    mine = files(repo)[local]
    assert mine["gitlab"]["project"] == PROJECT and mine["gitlab"]["iid"] == 2
    assert mine["comments"][0]["gitlab_id"] > 501  # the note's id written back
    notes = [n for n in gitlab.projects[PROJECT].notes if n["noteable_iid"] == 2]
    assert ["Said here" in n["body"] for n in notes] == [True]
    theirs = next(i for i, f in files(repo).items() if f["gitlab"]["iid"] == 1)
    assert [c["body"] for c in files(repo)[theirs]["comments"]] == ["A note there"]

    # Edited there: pulled; a note there: pulled.
    made.update(title="Renamed there", updated_at=_now())
    gitlab.projects[PROJECT].notes.append(make_note(2, 990, "Answered there", created=_now()))
    made["user_notes_count"] += 1
    proc = sync(run, gitlab)
    mine = files(repo)[local]
    assert mine["title"] == "Renamed there"
    assert [c["body"] for c in mine["comments"]] == ["Said here", "Answered there"]
    assert "updated 0" in proc.stderr.splitlines()[-1], proc.stderr  # nothing sent back

    # Closed, relabelled and milestoned here, a comment: one PUT, one note.
    asked = len(gitlab.requests)
    run("close", local, "-m", "Done here")
    run("edit", local, "-L", "bug", "-l", "ready")
    run("edit", local, "--milestone", "v1")
    proc = sync(run, gitlab)
    made = remote(gitlab)[2]
    assert made["state"] == "closed" and sorted(made["labels"]) == ["priority::high", "ready"]
    assert made["milestone"]["title"] == "v1"
    sent = [p for p, _ in gitlab.requests[asked:] if p.startswith(WRITES)]
    assert sum(p.startswith("PUT") for p in sent) == 1, sent
    assert [p for method, p in gitlab.sent if method.startswith("PUT")][-1] == {
        "state_event": "close", "labels": "priority::high,ready", "milestone_id": 700}
    assert "Done here" in [n["body"] for n in gitlab.projects[PROJECT].notes
                           if n["noteable_iid"] == 2][-1]


def test_a_conflict_is_held_and_prefer_settles_it(run, repo, gitlab):
    run("init")
    sync(run, gitlab)
    local = next(iter(files(repo)))
    run("edit", local, "--title", "Our title")
    remote(gitlab)[1].update(title="Their title", updated_at=_now())
    proc = sync(run, gitlab, check=False)
    assert proc.returncode == 1
    assert "conflict:" in proc.stderr and "changed here and on GitLab" in proc.stderr
    assert files(repo)[local]["title"] == "Our title"
    assert remote(gitlab)[1]["title"] == "Their title"
    proc = sync(run, gitlab, "--prefer", "local", "--issue", local)
    assert remote(gitlab)[1]["title"] == "Our title"
    assert files(repo)[local]["title"] == "Our title"
    assert sync(run, gitlab).returncode == 0


def test_dry_run_writes_and_sends_nothing(run, repo, gitlab):
    run("init")
    local = run("new", "Made here").stdout.strip()
    before = (repo / ".issues" / f"{local}.yml").read_bytes()
    proc = sync(run, gitlab, "--dry-run")
    assert "would create" in proc.stderr and "created 1" in proc.stderr, proc.stderr
    assert writes(gitlab) == []
    assert (repo / ".issues" / f"{local}.yml").read_bytes() == before
    assert sorted(files(repo)) == [local]  # GitLab's #1 not imported either
    assert not (repo / ".issues/sync").exists()


def test_a_read_only_token_is_one_line(run, repo, gitlab):
    run("init")
    run("new", "Made here")
    gitlab.read_only = True
    proc = sync(run, gitlab, "--push-only", check=False)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "GitLab refused to write" in lines[-1] and "'api' scope" in lines[-1]


def test_a_misspelt_project_is_one_line_and_writes_nothing(run, repo, gitlab):
    run("init")
    proc = run("sync", "gitlab", "acme/nope", env=env(gitlab), check=False)
    assert proc.returncode == 1 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert files(repo) == {}


def test_an_issue_linked_to_another_forge_is_not_created_here(run, repo, gitlab):
    run("init")
    local = run("new", "From GitHub").stdout.strip()
    path = repo / ".issues" / f"{local}.yml"
    data = yaml.safe_load(path.read_text())
    data["github"] = {"repo": "acme/rocket", "number": 7, "url": "https://github.com/x/7"}
    path.write_text(yaml.safe_dump(data))
    proc = sync(run, gitlab)
    assert "created 0" in proc.stderr, proc.stderr
    assert [i["title"] for i in gitlab.projects[PROJECT].issues] == ["From GitLab"]


def test_a_dropped_connection_after_the_post_is_adopted_not_created_twice(run, repo, gitlab):
    run("init")
    local = run("new", "Made here").stdout.strip()
    gitlab.drop_after_create = 1
    proc = sync(run, gitlab, check=False)
    assert proc.returncode == 1 and "run the same command again" in proc.stderr
    assert len(gitlab.projects[PROJECT].issues) == 2 and "gitlab" not in files(repo)[local]
    proc = sync(run, gitlab)
    assert "adopted 1" in proc.stderr, proc.stderr
    assert len(gitlab.projects[PROJECT].issues) == 2
    assert files(repo)[local]["gitlab"]["iid"] == 2 and len(files(repo)) == 2


def test_rate_limit_reset_is_waited_out_and_5xx_retried(run, repo, gitlab):
    run("init")
    run("new", "Made here")
    gitlab.fail(429, {"RateLimit-Remaining": "0", "RateLimit-Reset": str(int(time.time()))},
                when=lambda p: p.startswith("POST"))
    gitlab.fail(502, when=lambda p: p.startswith("PUT"))
    run("close", next(iter(files(repo))))
    proc = sync(run, gitlab)
    assert remote(gitlab)[2]["state"] == "closed", proc.stderr
    assert len(gitlab.projects[PROJECT].issues) == 2


def test_a_sync_with_nothing_to_do_makes_two_requests(run, repo, gitlab):
    run("init")
    sync(run, gitlab)
    asked = len(gitlab.requests)
    proc = sync(run, gitlab)
    assert "created 0, updated 0, comments 0" in proc.stderr
    assert len(gitlab.requests) - asked <= 2, gitlab.requests[asked:]


LOCAL = 6


@pytest.mark.parametrize("after", [1, 4, LOCAL + 2, LOCAL + 4],
                         ids=["first-post", "midway", "a-close", "during-notes"])
def test_a_killed_sync_is_finished_by_the_rerun_without_duplicates(run, repo, gitlab, after):
    run("init")
    made = [run("new", f"Local {n}").stdout.strip() for n in range(LOCAL)]
    for issue_id in made[:3]:
        run("close", issue_id, "-m", "A note from here")
    git(repo, "commit", "-q", "-m", "local issues")
    killed_sync(gitlab, ["gitlab", PROJECT], repo, env(gitlab), after)
    for _ in range(2):
        proc = sync(run, gitlab, check=False)
        assert proc.returncode == 0 and "conflict" not in proc.stderr, proc.stderr
    titles = sorted(i["title"] for i in gitlab.projects[PROJECT].issues if i["iid"] != 1)
    assert titles == sorted(f"Local {n}" for n in range(LOCAL))
    notes = [n for n in gitlab.projects[PROJECT].notes if "A note from here" in n["body"]]
    assert len(notes) == 3
    assert sum(i["state"] == "closed" for i in gitlab.projects[PROJECT].issues) == 3
    numbers = sorted(f["gitlab"]["iid"] for f in files(repo).values())
    assert numbers == list(range(1, LOCAL + 2))  # one file each here too
    git(repo, "commit", "-q", "-m", "sync")
    clone = repo.parent / "clone"
    git(repo.parent, "clone", "-q", str(repo), str(clone))
    proc = sync(run, gitlab, cwd=clone)
    assert "created 0" in proc.stderr and "comments 0" in proc.stderr, proc.stderr


def test_push_only_keeps_a_held_conflict_and_reads_no_list(run, repo, gitlab):
    run("init")
    sync(run, gitlab)
    local = next(iter(files(repo)))
    run("edit", local, "--title", "Our title")
    remote(gitlab)[1].update(title="Their title", updated_at=_now())
    assert sync(run, gitlab, check=False).returncode == 1  # held
    asked = len(gitlab.requests)
    sync(run, gitlab, "--push-only")
    assert not any("/issues?" in p for p, _ in gitlab.requests[asked:])
    assert remote(gitlab)[1]["title"] == "Their title"  # still held: not sent


def test_a_refused_token_is_one_line(run, repo, gitlab):
    run("init")
    proc = run("sync", "gitlab", PROJECT, env={**env(gitlab), "GITLAB_TOKEN": "wrong"},
               check=False)
    assert proc.returncode == 1 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "401" in proc.stderr and "GITLAB_TOKEN" in proc.stderr


def test_a_comment_edited_here_is_put_once_and_one_edited_there_is_pulled(run, repo, gitlab):
    run("init")
    local = run("new", "Made here").stdout.strip()
    run("comment", local, "-m", "First words")
    sync(run, gitlab)
    cid = files(repo)[local]["comments"][0]["id"]
    note = gitlab.projects[PROJECT].notes[-1]
    run("comment", local, "--edit", cid, "-m", "Better words")
    proc = sync(run, gitlab)
    assert "comments edited 1" in proc.stderr.splitlines()[-1], proc.stderr
    assert [m for m, _ in gitlab.sent][-1] == \
        f"PUT  acme%2Ftools%2Frocket/issues/2/notes/{note['id']}"
    assert note["body"].rstrip().endswith("Better words")
    before = len(writes(gitlab))
    sync(run, gitlab)
    assert len(writes(gitlab)) == before  # sent once, not on every sync
    head = note["body"].split("\n\n")[0]
    note.update(body=f"{head}\n\nFixed on GitLab")
    remote(gitlab)[2]["updated_at"] = _now()
    sync(run, gitlab)
    assert files(repo)[local]["comments"][0]["body"] == "Fixed on GitLab"
    assert len(writes(gitlab)) == before
