"""``import gitlab``: against a stand-in of GitLab's REST API v4 on 127.0.0.1, never the network."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from github_standin import serving
from gitlab_standin import GitLabHandler, GitLabStandIn, Project, make_issue, make_note

pytestmark = pytest.mark.in_process  # run() in this process: see conftest.run

TOKEN = "glpat-standInToken0123456789"
PROJECT = "acme/tools/rocket"  # a nested group: one URL-encoded path segment
ENCODED = "acme%2Ftools%2Frocket"


@pytest.fixture
def gitlab() -> Iterator[GitLabStandIn]:
    with serving(GitLabStandIn(token=TOKEN), GitLabHandler) as served:
        yield served  # type: ignore[misc]


def env(gitlab: GitLabStandIn, token: str = TOKEN) -> dict[str, str]:
    return {"GITLAB_URL": gitlab.url, "GITLAB_TOKEN": token,
            "GIT_ISSUES_FORGE_MIN_WAIT": "0.05"}


def seed(gitlab: GitLabStandIn, count: int = 3) -> Project:
    """``count`` issues; #2 has every field set, two user notes and two system notes."""
    issues = [make_issue(PROJECT, n, f"Issue {n}", description=f"About {n}\r\nmore",
                         created=f"2024-01-01T00:{n // 60:02d}:{n % 60:02d}.000Z")
              for n in range(1, count + 1)]
    issues[1] = make_issue(PROJECT, 2, "Crash on start", description=None, author="carol",
                           state="closed", labels=["bug", "priority::high"],
                           assignees=["bob", "dave"], milestone="v1.0",
                           created="2024-01-01T00:00:02.000Z",
                           closed="2024-02-01T10:11:12.345Z", confidential=True, notes=2)
    notes = [make_note(2, 501, "Seen it too.\r\n", author="dave",
                       created="2024-01-05T00:00:00.000Z"),
             make_note(2, 502, "added ~bug label", system=True,
                       created="2024-01-05T00:01:00.000Z"),
             make_note(2, 503, "Fixed?", created="2024-01-06T00:00:00.000Z"),
             make_note(2, 504, "closed", system=True, created="2024-02-01T10:11:12.345Z")]
    project = Project(issues, notes)
    gitlab.projects[PROJECT] = project
    return project


def files(repo: Path) -> dict[int, dict]:
    """GitLab iid -> the issue file's mapping."""
    out = {}
    for path in (repo / ".issues").glob("*.yml"):
        if path.name != "config.yml":
            data = yaml.safe_load(path.read_text())
            out[data["gitlab"]["iid"]] = data
    return out


def git_lines(repo: Path, *args: str) -> list[str]:
    proc = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return proc.stdout.splitlines()


def test_first_import_maps_every_field_and_leaves_system_notes_out(run, repo, gitlab):
    seed(gitlab)
    proc = run("import", "gitlab", PROJECT, env=env(gitlab))
    lines = proc.stderr.strip().splitlines()
    assert lines[-1] == "imported 3, updated 0, unchanged 0"
    assert any("1 confidential issue imported (marked" in line for line in lines)
    got = files(repo)
    crash = got[2]
    assert crash["gitlab"] == {"project": PROJECT, "iid": 2, "confidential": True,
                               "url": f"https://gitlab.example/{PROJECT}/-/issues/2"}
    assert crash["status"] == "closed" and crash["closed"] == "2024-02-01T10:11:12Z"
    assert crash["created"] == "2024-01-01T00:00:02Z"
    assert crash["labels"] == ["bug", "priority::high"]  # a scoped label kept whole
    assert crash["assignees"] == ["bob", "dave"] and crash["milestone"] == "v1.0"
    assert crash["author"] == "Carol <529-carol@users.noreply.127.0.0.1>"
    assert "body" not in crash  # no description: empty here
    assert [(c["gitlab_id"], c["body"]) for c in crash["comments"]] == [
        (501, "Seen it too."), (503, "Fixed?")]  # the system notes 502 and 504 left out
    assert got[1]["body"] == "About 1\nmore\n" and "gitlab_id" not in str(got[1])
    assert "confidential" not in got[1]["gitlab"]
    assert run("check").returncode == 0
    port = gitlab.url.rpartition(":")[2]
    state = f".issues/sync/gitlab/127.0.0.1_{port}/{PROJECT}.json"
    staged = git_lines(repo, "diff", "--cached", "--name-only")
    assert state in staged and len([p for p in staged if p.endswith(".yml")]) == 3
    # The project is one encoded segment; the token only in PRIVATE-TOKEN; notes are
    # asked only for the issue that has user notes.
    assert all(path.startswith(f"/api/v4/projects/{ENCODED}/issues") for path, _ in
               gitlab.requests)
    assert all(token == TOKEN and TOKEN not in path for path, token in gitlab.requests)
    assert [p for p, _ in gitlab.requests if "/notes" in p] == [
        f"/api/v4/projects/{ENCODED}/issues/2/notes?sort=asc&order_by=created_at&per_page=100"]
    shown = run("show", crash["id"]).stdout
    assert f"GitLab {PROJECT}#2 (confidential on GitLab)  " \
           f"https://gitlab.example/{PROJECT}/-/issues/2" in shown


@pytest.mark.parametrize("link", [True, False], ids=["link-header", "x-next-page"])
def test_every_page_is_read_by_link_or_by_x_next_page(run, repo, gitlab, link):
    seed(gitlab, count=130)
    gitlab.link = link
    proc = run("import", "gitlab", PROJECT, env=env(gitlab))
    assert proc.stderr.strip().splitlines()[-1] == "imported 130, updated 0, unchanged 0"
    assert sorted(files(repo)) == list(range(1, 131))
    listed = [p for p, _ in gitlab.requests if p.split("?")[0].endswith("/issues")]
    assert len(listed) == 4 and sum("page=2" in p for p in listed) == 2  # twice two pages


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())


def test_a_rerun_asks_for_changes_only_and_merges_them(run, repo, gitlab):
    project = seed(gitlab, count=4)
    run("import", "gitlab", PROJECT, env=env(gitlab))
    before = {p.name: p.read_bytes() for p in (repo / ".issues").glob("*.yml")}
    proc = run("import", "gitlab", PROJECT, env=env(gitlab))
    assert proc.stderr.strip().splitlines()[-1] == "imported 0, updated 0, unchanged 0"
    assert {p.name: p.read_bytes() for p in (repo / ".issues").glob("*.yml")} == before
    assert "updated_after=" in gitlab.requests[-1][0]
    local = {iid: data["id"] for iid, data in files(repo).items()}
    run("edit", local[3], "-l", "ours")  # here: 3's labels
    stamp = _now()  # there: 1's title, a note on 3 and a system note, a new issue 5
    issues = {i["iid"]: i for i in project.issues}
    issues[1].update(title="Renamed on GitLab", updated_at=stamp)
    issues[3].update(updated_at=stamp, user_notes_count=1, milestone={"title": "v2"})
    project.notes += [make_note(3, 600, "Late note", created=stamp),
                      make_note(3, 601, "changed milestone to %v2", system=True,
                                created=stamp)]
    project.issues.append(make_issue(PROJECT, 5, "Brand new", created=stamp))
    gitlab.requests.clear()
    proc = run("import", "gitlab", PROJECT, env=env(gitlab))
    assert proc.stderr.strip().splitlines()[-1] == "imported 1, updated 2, unchanged 0"
    assert all("updated_after=" in p for p, _ in gitlab.requests if "/notes" not in p)
    assert [p.split("?")[0] for p, _ in gitlab.requests if "/notes" in p] == [
        f"/api/v4/projects/{ENCODED}/issues/3/notes"]
    got = files(repo)
    assert got[1]["title"] == "Renamed on GitLab"
    assert got[3]["labels"] == ["ours"] and got[3]["milestone"] == "v2"
    assert [(c["gitlab_id"], c["body"]) for c in got[3]["comments"]] == [(600, "Late note")]
    assert got[5]["title"] == "Brand new" and len(got) == 5
    assert run("check").returncode == 0


def test_a_5xx_is_retried_and_rate_limits_are_waited_out(run, repo, gitlab):
    seed(gitlab)
    gitlab.fail(502)
    gitlab.fail(429, {"Retry-After": "0"}, {"message": "Retry later"})
    gitlab.fail(429, {"RateLimit-Remaining": "0", "RateLimit-Reset": str(int(time.time()))},
                {"message": "Retry later"})
    proc = run("import", "gitlab", PROJECT, env=env(gitlab))
    assert "HTTP 502; retrying in 1 s" in proc.stderr
    assert proc.stderr.count("GitLab's rate limit is used up: waiting until") == 2
    assert proc.stderr.strip().splitlines()[-1] == "imported 3, updated 0, unchanged 0"


@pytest.mark.parametrize(("token", "project", "fault", "message"), [
    ("wrong", PROJECT, None,
     "error: GitLab refused the token (401 Unauthorized): check GITLAB_TOKEN"),
    (TOKEN, "acme/nothing", None,
     "error: GitLab has no project acme/nothing at http://127.0.0.1"),
    (TOKEN, PROJECT, 403, f"error: GitLab refused /api/v4/projects/{ENCODED}/issues: "
                          "HTTP 403: 403 Forbidden"),
    (TOKEN, "acme", None, "error: 'acme' is not a GitLab project path like GROUP/PROJECT"),
])
def test_refusals_are_one_line_and_write_nothing(run, repo, gitlab, token, project, fault,
                                                 message):
    seed(gitlab)
    if fault:
        gitlab.fail(fault, body={"message": "403 Forbidden"})
    proc = run("import", "gitlab", project, env=env(gitlab, token), check=False)
    assert proc.returncode == 1
    assert proc.stderr.strip().startswith(message) and len(proc.stderr.strip().splitlines()) == 1
    assert TOKEN not in proc.stderr
    assert git_lines(repo, "status", "--porcelain", "--untracked-files=all") == []


def test_a_bad_url_is_one_line(run, repo, gitlab):
    proc = run("import", "gitlab", PROJECT, "--url", "ftp://example.org", env=env(gitlab),
               check=False)
    assert proc.returncode == 1
    assert proc.stderr.strip() == ("error: the GitLab URL must be http(s)://host[/path], "
                                   "got 'ftp://example.org'")


def test_a_killed_list_leaves_whole_issues_and_the_rerun_continues(run, repo, gitlab):
    seed(gitlab, count=150)
    gitlab.fail(429, {"Retry-After": "7200"}, {"message": "Retry later"},
                when=lambda path: path.split("?")[0].endswith("/issues") and "page=2" in path
                and "order_by=updated_at" in path and len(gitlab.requests) > 3)
    proc = run("import", "gitlab", PROJECT, env=env(gitlab), check=False)
    assert proc.returncode == 1 and "run the same command again then" in proc.stderr
    assert len(files(repo)) == 100  # the first page, whole
    port = gitlab.url.rpartition(":")[2]
    state = repo / f".issues/sync/gitlab/127.0.0.1_{port}/{PROJECT}.json"
    assert json.loads(state.read_text().splitlines()[0] + "}}")["partial"]
    proc = run("import", "gitlab", PROJECT, env=env(gitlab))
    assert proc.stderr.strip().splitlines()[-1].startswith("imported 50,")
    assert sorted(files(repo)) == list(range(1, 151))
    assert run("check").returncode == 0
