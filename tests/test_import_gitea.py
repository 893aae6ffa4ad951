"""``import gitea``: against a stand-in of Gitea's API v1 on 127.0.0.1, never the network."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from gitea_standin import Repo, StandIn, gitea_serving, make_comment, make_issue
from helpers import git, last_line, staged

from git_issues.sync.gitea.mapping import remote_comment, remote_issue

pytestmark = pytest.mark.in_process  # run() in this process: see conftest.run

TOKEN = "gitea_standInToken0123456789"
REPO = "acme/rocket"


@pytest.fixture
def gitea() -> Iterator[StandIn]:
    stand_in = StandIn(token=TOKEN)
    with gitea_serving(stand_in) as served:
        yield served


def seed(gitea: StandIn, count: int = 60) -> Repo:
    """``count`` issues (two pages of 50), one pull request, a few comments."""
    issues = [make_issue(REPO, n, f"Issue number {n}", body=f"Body of {n}\r\nsecond line",
                         created=f"2024-01-01T00:{n // 60:02d}:{n % 60:02d}Z")
              for n in range(1, count + 1)]
    issues[1] = make_issue(REPO, 2, "Crash on start", login="carol", state="closed",
                           labels=["bug", "priority/high"], assignees=["bob", "dave"],
                           milestone="v1.0", created="2024-01-01T01:00:02+01:00",
                           closed="2024-02-01T02:00:00+02:00")
    issues.append(make_issue(REPO, count + 1, "A pull request", pull=True))
    comments = [make_comment(REPO, 2, 9001, "Seen it too.\r\n", login="erin",
                             created="2024-01-05T01:00:00+01:00"),
                make_comment(REPO, 2, 9002, "Fixed?", created="2024-01-06T00:00:00Z"),
                make_comment(REPO, count + 1, 9003, "On the pull request", pull=True)]
    data = Repo(issues, comments)
    gitea.repos[REPO] = data
    return data


def env(gitea: StandIn, token: str | None = TOKEN) -> dict[str, str]:
    return {"GITEA_URL": gitea.url, "GITEA_TOKEN": token or "", "FORGEJO_TOKEN": ""}


def files(repo: Path) -> dict[int, dict]:
    """Gitea number -> the issue file's mapping."""
    out = {}
    for path in (repo / ".issues").glob("*.yml"):
        if path.name != "config.yml":
            data = yaml.safe_load(path.read_text())
            out[data["gitea"]["number"]] = data
    return out


def state_path(gitea: StandIn) -> str:
    return f".issues/sync/gitea/127.0.0.1_{gitea.url.rpartition(':')[2]}/acme/rocket.json"


def test_first_import_maps_every_field_pages_and_skips_pull_requests(run, repo, gitea):
    seed(gitea)
    proc = run("import", "gitea", REPO, "--url", gitea.url, env=env(gitea))
    assert last_line(proc) == "imported 60, updated 0, unchanged 0"
    got = files(repo)
    assert sorted(got) == list(range(1, 61))  # not the pull request, #61
    host = gitea.url.removeprefix("http://")
    crash = got[2]
    assert crash["gitea"] == {"host": host, "repo": REPO, "number": 2,
                              "url": "https://gitea.example/acme/rocket/issues/2"}
    assert crash["status"] == "closed" and crash["closed"] == "2024-02-01T00:00:00Z"
    assert crash["created"] == "2024-01-01T00:00:02Z"  # the server's offset taken off
    assert crash["labels"] == ["bug", "priority/high"] and crash["milestone"] == "v1.0"
    assert crash["assignees"] == ["bob", "dave"]
    assert crash["author"] == "carol <carol@noreply.127.0.0.1>"
    assert [(c["gitea_id"], c["author"], c["date"], c["body"]) for c in crash["comments"]] == [
        (9001, "erin <erin@noreply.127.0.0.1>", "2024-01-05T00:00:00Z", "Seen it too."),
        (9002, "bob <bob@noreply.127.0.0.1>", "2024-01-06T00:00:00Z", "Fixed?")]
    assert "github" not in crash and "github_id" not in crash["comments"][0]
    assert got[1]["body"] == "Body of 1\nsecond line\n"
    config = repo / ".issues/config.yml"  # no close reasons: no statuses added
    assert not config.exists() or "not_planned" not in config.read_text()
    assert run("check").returncode == 0
    written = staged(repo)
    assert len([p for p in written if p.startswith(".issues/") and p.endswith(".yml")
                and not p.endswith("config.yml")]) == 60
    assert state_path(gitea) in written
    # API v1, pull requests left out by the server, pages of 50 followed through Link,
    # the token only ever in the Authorization header, as Gitea wants it.
    issue_requests = [p for p, _ in gitea.requests if "/issues?" in p]
    assert all(p.startswith("/api/v1/repos/acme/rocket/issues?") for p in issue_requests)
    assert len(issue_requests) == 2 and "page=2" in issue_requests[1]
    assert "type=issues" in issue_requests[0] and "limit=50" in issue_requests[0]
    assert all(auth == f"token {TOKEN}" and TOKEN not in path for path, auth in gitea.requests)


def test_show_names_the_gitea_issue_and_its_url(run, repo, gitea):
    seed(gitea, count=3)
    run("import", "gitea", REPO, "--url", gitea.url, env=env(gitea))
    shown = run("show", files(repo)[2]["id"]).stdout
    assert "Gitea acme/rocket#2  https://gitea.example/acme/rocket/issues/2" in shown


def test_a_rerun_asks_only_for_changes_applies_them_and_duplicates_nothing(run, repo, gitea):
    data = seed(gitea, count=5)
    run("import", "gitea", REPO, env=env(gitea))  # GITEA_URL, no --url
    before = {p.name: p.read_bytes() for p in (repo / ".issues").glob("*.yml")}
    proc = run("import", "gitea", REPO, env=env(gitea))
    assert last_line(proc) == "imported 0, updated 0, unchanged 0"
    assert all("since=" in p for p, _ in gitea.requests[-2:])
    assert {p.name: p.read_bytes() for p in (repo / ".issues").glob("*.yml")} == before
    later = dt.datetime.now(dt.timezone(dt.timedelta(hours=1))).isoformat(timespec="seconds")
    data.issues[2] = make_issue(REPO, 3, "Renamed there", state="closed", labels=["docs"],
                                created=data.issues[2]["created_at"], updated=later,
                                closed=later)
    data.comments.append(make_comment(REPO, 1, 9100, "New there", created=later))
    data.issues.append(make_issue(REPO, 7, "New issue", created=later))
    proc = run("import", "gitea", REPO, env=env(gitea))
    assert last_line(proc) == "imported 1, updated 2, unchanged 0"
    got = files(repo)
    assert sorted(got) == [1, 2, 3, 4, 5, 7]
    assert got[3]["title"] == "Renamed there" and got[3]["labels"] == ["docs"]
    assert got[3]["status"] == "closed"
    assert [c["gitea_id"] for c in got[1]["comments"]] == [9100]
    proc = run("import", "gitea", REPO, env=env(gitea))  # nothing twice
    assert last_line(proc).startswith("imported 0,")
    assert len(files(repo)[1]["comments"]) == 1
    assert run("check").returncode == 0


def test_a_502_is_retried_and_a_429_waited_out(run, repo, gitea):
    seed(gitea, count=3)
    gitea.fail(502)
    gitea.fail(429, {"Retry-After": "1"}, {"message": "rate limited"})
    proc = run("import", "gitea", REPO, "--url", gitea.url, env=env(gitea))
    assert "HTTP 502; retrying in 1 s" in proc.stderr
    assert "Gitea's rate limit is used up: waiting until" in proc.stderr
    assert last_line(proc).startswith("imported 3,")


@pytest.mark.parametrize(("token", "repo_name", "fault", "message"), [
    ("wrong", REPO, None, "refused the token (401): check GITEA_TOKEN or FORGEJO_TOKEN"),
    (TOKEN, REPO, 403, "refused to show repository acme/rocket (403): the token needs the "
                       "'read:issue' and 'read:repository' scopes"),
    (TOKEN, "acme/nothing", None, "has no repository acme/nothing"),
])
def test_refusals_are_one_line_and_write_nothing(run, repo, gitea, token, repo_name, fault,
                                                 message):
    seed(gitea, count=3)
    if fault:
        gitea.fail(fault, body={"message": "token does not have the required scope"})
    proc = run("import", "gitea", repo_name, "--url", gitea.url, env=env(gitea, token),
               check=False)
    assert proc.returncode == 1
    host = gitea.url.removeprefix("http://")
    assert proc.stderr.strip().startswith(f"error: {host} {message}")
    assert len(proc.stderr.strip().splitlines()) == 1
    assert TOKEN not in proc.stderr
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""


def test_the_server_is_needed_and_named_by_its_option(run, repo):
    proc = run("import", "gitea", REPO, env={"GITEA_URL": ""}, check=False)
    assert proc.returncode == 1
    assert proc.stderr.strip() == ("error: --url: the Gitea or Forgejo server is needed, e.g. "
                                   "https://codeberg.org (or set GITEA_URL)")
    proc = run("import", "gitea", REPO, "--url", "codeberg.org", check=False)
    assert proc.stderr.strip() == "error: --url: must be http(s)://host[/path], got 'codeberg.org'"


def test_the_mapping_reads_gitea_shapes():
    issue = remote_issue(make_issue(REPO, 4, "T", created="2024-03-01T10:00:00+02:00",
                                    updated="2024-03-02T10:00:00-01:00"), "code.example")
    assert issue is not None and not issue.is_pull  # pull_request: null is an issue
    assert (issue.created, issue.updated) == ("2024-03-01T08:00:00Z", "2024-03-02T11:00:00Z")
    assert issue.assignees == [] and issue.status == "open"
    pull = remote_issue(make_issue(REPO, 5, "P", pull=True), "code.example")
    assert pull is not None and pull.is_pull
    ghost = remote_issue({**make_issue(REPO, 6, "G"), "user": None}, "code.example:3000")
    assert ghost is not None and ghost.author == "Ghost <Ghost@noreply.code.example>"
    comment = remote_comment(make_comment(REPO, 4, 77, "hi"), "code.example")
    assert comment is not None and (comment.id, comment.number) == (77, 4)
    assert remote_comment(make_comment(REPO, 5, 78, "on a pull", pull=True), "x") is None


def test_two_servers_with_the_same_repository_name_never_collide(run, repo, gitea):
    seed(gitea, count=2)
    other = StandIn(token=TOKEN)
    other.repos[REPO] = Repo([make_issue(REPO, 1, "Elsewhere", created="2024-05-01T00:00:00Z")])
    with gitea_serving(other):
        run("import", "gitea", REPO, "--url", gitea.url, env=env(gitea))
        proc = run("import", "gitea", REPO, "--url", other.url, env=env(other))
        assert last_line(proc) == "imported 1, updated 0, unchanged 0"  # not gitea's #1
        proc = run("import", "gitea", REPO, "--url", gitea.url, env=env(gitea))
        assert last_line(proc).startswith("imported 0,")
    hosts = sorted((i["gitea"]["host"], i["gitea"]["number"], i["title"])
                   for i in (yaml.safe_load(p.read_text()) for p in
                             (repo / ".issues").glob("*.yml") if p.name != "config.yml"))
    assert sorted((h == other.url.removeprefix("http://"), n, t) for h, n, t in hosts) == sorted(
        [(False, 1, "Issue number 1"), (False, 2, "Crash on start"), (True, 1, "Elsewhere")])
    assert (repo / state_path(gitea)).exists() and (repo / state_path(other)).exists()
