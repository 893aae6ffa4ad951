"""``sync gitea``: pull then push, against the Gitea/Forgejo stand-in on 127.0.0.1."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from conftest import git
from forge_kill import killed_sync
from gitea_standin import Repo, StandIn, gitea_serving, make_comment, make_issue

pytestmark = pytest.mark.in_process  # run() in this process: see conftest.run

TOKEN = "forgejoStandInToken0123456789"
REPO = "acme/rocket"
WRITES = ("POST", "PATCH", "PUT")


@pytest.fixture
def gitea() -> Iterator[StandIn]:
    stand_in = StandIn(token=TOKEN)
    stand_in.repos[REPO] = Repo([make_issue(REPO, 1, "From Gitea", body="There first")],
                                [make_comment(REPO, 1, 20001, "A comment there")])
    with gitea_serving(stand_in) as served:
        yield served


def env(gitea: StandIn) -> dict[str, str]:
    return {"GITEA_URL": gitea.url, "GITEA_TOKEN": "", "FORGEJO_TOKEN": TOKEN,
            "GIT_ISSUES_SYNC_PACE": "0", "GIT_ISSUES_FORGE_MIN_WAIT": "0.05"}


def sync(run, gitea: StandIn, *args: str, check: bool = True, cwd: Path | None = None):
    return run("sync", "gitea", REPO, *args, env=env(gitea), check=check, cwd=cwd)


def files(repo: Path) -> dict[str, dict]:
    return {p.stem: yaml.safe_load(p.read_text()) for p in (repo / ".issues").glob("*.yml")
            if p.name != "config.yml"}


def remote(gitea: StandIn) -> dict[int, dict]:
    return {i["number"]: i for i in gitea.repos[REPO].issues}


def writes(gitea: StandIn) -> list[str]:
    return [p for p, _ in gitea.requests if p.startswith(WRITES)]


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def test_round_trip_new_here_edited_there_comments_both_ways(run, repo, gitea):
    run("init")
    local = run("new", "Made here", "-m", "Our body", "-l", "bug", "-a", "bob").stdout.strip()
    run("comment", local, "-m", "Said here")
    proc = sync(run, gitea)
    assert "created 1" in proc.stderr and "comments 1" in proc.stderr, proc.stderr
    made = remote(gitea)[2]
    assert made["title"] == "Made here" and [x["name"] for x in made["labels"]] == ["bug"]
    assert [a["login"] for a in made["assignees"]] == ["bob"]
    assert "Our body" in made["body"] and f"<!-- git-issues:{local} -->" in made["body"]
    assert [x["name"] for x in gitea.repos[REPO].labels] == ["bug"]  # created, sent by id
    mine = files(repo)[local]
    host = gitea.url.removeprefix("http://")
    assert mine["gitea"]["host"] == host and mine["gitea"]["number"] == 2
    assert mine["comments"][0]["gitea_id"] > 20001
    theirs = next(i for i, f in files(repo).items() if f["gitea"]["number"] == 1)
    assert [c["body"] for c in files(repo)[theirs]["comments"]] == ["A comment there"]

    made.update(title="Renamed there", updated_at=_now())
    gitea.repos[REPO].comments.append(make_comment(REPO, 2, 30000, "Answered there",
                                                   created=_now()))
    proc = sync(run, gitea)
    mine = files(repo)[local]
    assert mine["title"] == "Renamed there"
    assert [c["body"] for c in mine["comments"]] == ["Said here", "Answered there"]
    assert "updated 0" in proc.stderr.splitlines()[-1], proc.stderr

    run("close", local, "-m", "Done here")
    run("edit", local, "-L", "bug", "-l", "ready", "--milestone", "v1")
    gitea.sent.clear()
    sync(run, gitea)
    made = remote(gitea)[2]
    assert made["state"] == "closed" and [x["name"] for x in made["labels"]] == ["ready"]
    assert made["milestone"]["title"] == "v1"
    ready = next(x["id"] for x in gitea.repos[REPO].labels if x["name"] == "ready")
    sent = [(m.split()[0], p) for m, p in gitea.sent]
    assert ("PUT", {"labels": [ready]}) in sent
    assert ("PATCH", {"state": "closed", "milestone": 4}) in sent
    assert "Done here" in gitea.repos[REPO].comments[-1]["body"]


def test_a_conflict_is_held_and_prefer_settles_it(run, repo, gitea):
    run("init")
    sync(run, gitea)
    local = next(iter(files(repo)))
    run("edit", local, "--title", "Our title")
    remote(gitea)[1].update(title="Their title", updated_at=_now())
    proc = sync(run, gitea, check=False)
    assert proc.returncode == 1 and "changed here and on Gitea" in proc.stderr
    assert files(repo)[local]["title"] == "Our title"
    assert remote(gitea)[1]["title"] == "Their title"
    sync(run, gitea, "--prefer", "remote")
    assert files(repo)[local]["title"] == "Their title"
    assert remote(gitea)[1]["title"] == "Their title"
    assert sync(run, gitea).returncode == 0


def test_dry_run_writes_and_sends_nothing(run, repo, gitea):
    run("init")
    local = run("new", "Made here").stdout.strip()
    before = (repo / ".issues" / f"{local}.yml").read_bytes()
    proc = sync(run, gitea, "--dry-run")
    assert "would create" in proc.stderr and "created 1" in proc.stderr, proc.stderr
    assert writes(gitea) == []
    assert (repo / ".issues" / f"{local}.yml").read_bytes() == before
    assert sorted(files(repo)) == [local] and not (repo / ".issues/sync").exists()


def test_an_issue_linked_to_github_is_not_created_on_gitea(run, repo, gitea):
    run("init")
    local = run("new", "From GitHub").stdout.strip()
    path = repo / ".issues" / f"{local}.yml"
    data = yaml.safe_load(path.read_text())
    data["github"] = {"repo": REPO, "number": 7, "url": "https://github.com/acme/rocket/7"}
    path.write_text(yaml.safe_dump(data))
    proc = sync(run, gitea)
    assert "created 0" in proc.stderr, proc.stderr
    assert [i["title"] for i in gitea.repos[REPO].issues] == ["From Gitea"]


def test_an_issue_of_another_gitea_server_is_not_pushed_here(run, repo, gitea):
    run("init")
    local = run("new", "Elsewhere").stdout.strip()
    path = repo / ".issues" / f"{local}.yml"
    data = yaml.safe_load(path.read_text())
    data["gitea"] = {"host": "codeberg.org", "repo": REPO, "number": 1,
                     "url": "https://codeberg.org/acme/rocket/issues/1"}
    path.write_text(yaml.safe_dump(data))
    run("edit", local, "--title", "Changed here")
    sync(run, gitea)
    assert remote(gitea)[1]["title"] == "From Gitea" and writes(gitea) == []


def test_a_read_only_token_is_one_line(run, repo, gitea):
    run("init")
    run("new", "Made here")
    gitea.read_only = True
    proc = sync(run, gitea, "--push-only", check=False)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "Gitea refused to write" in lines[-1] and "write:issue" in lines[-1]


def test_a_missing_url_names_the_flag(run, repo, gitea):
    run("init")
    proc = run("sync", "gitea", REPO, env={**env(gitea), "GITEA_URL": ""}, check=False)
    assert proc.returncode == 1 and proc.stderr.startswith("error: --url"), proc.stderr


def test_a_dropped_connection_after_the_post_is_adopted_not_created_twice(run, repo, gitea):
    run("init")
    local = run("new", "Made here").stdout.strip()
    gitea.drop_after_create = 1
    proc = sync(run, gitea, check=False)
    assert proc.returncode == 1 and "run the same command again" in proc.stderr
    assert len(gitea.repos[REPO].issues) == 2 and "gitea" not in files(repo)[local]
    proc = sync(run, gitea)
    assert "adopted 1" in proc.stderr, proc.stderr
    assert len(gitea.repos[REPO].issues) == 2
    assert files(repo)[local]["gitea"]["number"] == 2 and len(files(repo)) == 2


def test_429_is_waited_out_and_5xx_retried(run, repo, gitea):
    run("init")
    local = run("new", "Made here").stdout.strip()
    run("close", local)
    gitea.fail(429, {"Retry-After": "0"}, when=lambda p: p.startswith("POST"))
    gitea.fail(503, when=lambda p: p.startswith("PATCH"))
    sync(run, gitea)
    assert remote(gitea)[2]["state"] == "closed" and len(gitea.repos[REPO].issues) == 2


def test_a_sync_with_nothing_to_do_makes_two_requests(run, repo, gitea):
    run("init")
    sync(run, gitea)
    asked = len(gitea.requests)
    proc = sync(run, gitea)
    assert "created 0, updated 0, comments 0" in proc.stderr
    assert len(gitea.requests) - asked <= 2, gitea.requests[asked:]


LOCAL = 6


@pytest.mark.parametrize("after", [1, 4, LOCAL + 2, LOCAL + 4],
                         ids=["first-post", "midway", "a-close", "during-comments"])
def test_a_killed_sync_is_finished_by_the_rerun_without_duplicates(run, repo, gitea, after):
    run("init")
    made = [run("new", f"Local {n}", "-l", "bug").stdout.strip() for n in range(LOCAL)]
    for issue_id in made[:3]:
        run("close", issue_id, "-m", "A note from here")
    git(repo, "commit", "-q", "-m", "local issues")
    killed_sync(gitea, ["gitea", REPO], repo, env(gitea), after)
    for _ in range(2):
        proc = sync(run, gitea, check=False)
        assert proc.returncode == 0 and "conflict" not in proc.stderr, proc.stderr
    titles = sorted(i["title"] for i in gitea.repos[REPO].issues if i["number"] != 1)
    assert titles == sorted(f"Local {n}" for n in range(LOCAL))
    assert len([c for c in gitea.repos[REPO].comments if "A note from here" in c["body"]]) == 3
    assert sum(i["state"] == "closed" for i in gitea.repos[REPO].issues) == 3
    assert [x["name"] for x in gitea.repos[REPO].labels] == ["bug"]  # created once
    numbers = sorted(f["gitea"]["number"] for f in files(repo).values())
    assert numbers == list(range(1, LOCAL + 2))  # one file each here too
    git(repo, "commit", "-q", "-m", "sync")
    clone = repo.parent / "clone"
    git(repo.parent, "clone", "-q", str(repo), str(clone))
    proc = sync(run, gitea, cwd=clone)
    assert "created 0" in proc.stderr and "comments 0" in proc.stderr, proc.stderr


def test_pull_only_sends_nothing_and_push_only_reads_no_list(run, repo, gitea):
    run("init")
    local = run("new", "Made here").stdout.strip()
    proc = sync(run, gitea, "--pull-only")
    assert writes(gitea) == [] and "imported 1" in proc.stderr, proc.stderr
    asked = len(gitea.requests)
    sync(run, gitea, "--push-only")
    assert not any("/issues?" in p or "/comments?" in p for p, _ in gitea.requests[asked:])
    assert files(repo)[local]["gitea"]["number"] == 2 and len(gitea.repos[REPO].issues) == 2


def test_a_refused_token_or_a_misspelt_repository_is_one_line(run, repo, gitea):
    run("init")
    proc = run("sync", "gitea", REPO, env={**env(gitea), "FORGEJO_TOKEN": "wrong"}, check=False)
    assert proc.returncode == 1 and "refused the token (401)" in proc.stderr, proc.stderr
    proc = run("sync", "gitea", "acme/nope", env=env(gitea), check=False)
    assert proc.returncode == 1 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert files(repo) == {}


def test_a_comment_edited_here_is_patched_once_and_one_edited_there_is_pulled(
        run, repo, gitea):
    run("init")
    local = run("new", "Made here").stdout.strip()
    run("comment", local, "-m", "First words")
    sync(run, gitea)
    cid = files(repo)[local]["comments"][0]["id"]
    there = gitea.repos[REPO].comments[-1]
    run("comment", local, "--edit", cid, "-m", "Better words")
    proc = sync(run, gitea)
    assert "comments edited 1" in proc.stderr.splitlines()[-1], proc.stderr
    assert writes(gitea)[-1] == f"PATCH /api/v1/repos/{REPO}/issues/comments/{there['id']}"
    assert there["body"].rstrip().endswith("Better words")
    before = len(writes(gitea))
    sync(run, gitea)
    assert len(writes(gitea)) == before
    head = there["body"].split("\n\n")[0]
    there.update(body=f"{head}\n\nFixed on Gitea", updated_at=_now())
    sync(run, gitea)
    assert files(repo)[local]["comments"][0]["body"] == "Fixed on Gitea"
    assert len(writes(gitea)) == before
