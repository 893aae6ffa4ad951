"""``import github``: against a stand-in of GitHub's REST API on 127.0.0.1, never the network."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from github_standin import Repo, StandIn, make_comment, make_issue, serving

pytestmark = pytest.mark.in_process  # run() in this process: see conftest.run

TOKEN = "ghp_standInToken0123456789"
REPO = "acme/rocket"
LATER = "2025-06-01T00:00:00Z"


def git_lines(repo: Path, *args: str) -> list[str]:
    proc = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return proc.stdout.splitlines()


@pytest.fixture
def github() -> Iterator[StandIn]:
    stand_in = StandIn(token=TOKEN)
    with serving(stand_in) as served:
        yield served


def seed(github: StandIn, count: int = 150) -> Repo:
    """``count`` issues (two pages), one pull request, a few comments."""
    issues = [make_issue(REPO, n, f"Issue number {n}", body=f"Body of {n}\r\nsecond line",
                         created=f"2024-01-01T00:{n // 60:02d}:{n % 60:02d}Z")
              for n in range(1, count + 1)]
    issues[1] = make_issue(REPO, 2, "Crash on start", body=None, login="alice",
                           state="closed", state_reason="not_planned", labels=["bug", "p1"],
                           assignees=["bob", "carol"], milestone="v1.0",
                           created="2024-01-01T00:00:02Z", closed="2024-02-01T00:00:00Z")
    issues.append(make_issue(REPO, count + 1, "A pull request", pull=True))
    comments = [make_comment(REPO, 2, 9001, "Seen it too.\r\n", login="dave",
                             created="2024-01-05T00:00:00Z"),
                make_comment(REPO, 2, 9002, "Fixed?", created="2024-01-06T00:00:00Z"),
                make_comment(REPO, count + 1, 9003, "A comment on the pull request")]
    repo = Repo(issues, comments)
    github.repos[REPO] = repo
    return repo


def env(github: StandIn, token: str | None = TOKEN) -> dict[str, str]:
    values = {"GITHUB_API_URL": github.url, "GITHUB_TOKEN": token or "", "GH_TOKEN": ""}
    return values


def files(repo: Path) -> dict[int, dict]:
    """GitHub number -> the issue file's mapping."""
    out = {}
    for path in (repo / ".issues").glob("*.yml"):
        if path.name == "config.yml":
            continue
        data = yaml.safe_load(path.read_text())
        out[data["github"]["number"]] = data
    return out


def test_first_import_maps_every_field_pages_and_skips_pull_requests(run, repo, github):
    seed(github)
    proc = run("import", "github", REPO, env=env(github))
    assert proc.stderr.strip().splitlines()[-1] == \
        "imported 150, updated 0, unchanged 0, skipped 1 pull requests"
    got = files(repo)
    assert sorted(got) == list(range(1, 151))
    crash = got[2]
    assert crash["github"] == {"repo": REPO, "number": 2,
                               "url": "https://github.com/acme/rocket/issues/2"}
    assert crash["status"] == "not_planned" and crash["closed"] == "2024-02-01T00:00:00Z"
    assert crash["labels"] == ["bug", "p1"] and crash["milestone"] == "v1.0"
    assert crash["assignees"] == ["bob", "carol"]
    assert crash["author"] == "alice <alice@users.noreply.github.com>"
    assert "body" not in crash  # null on GitHub: empty here
    assert [(c["github_id"], c["author"], c["body"]) for c in crash["comments"]] == [
        (9001, "dave <dave@users.noreply.github.com>", "Seen it too."),
        (9002, "hubot <hubot@users.noreply.github.com>", "Fixed?")]
    assert got[1]["body"] == "Body of 1\nsecond line\n"  # GitHub's \r\n become \n
    assert "not_planned: closed" in (repo / ".issues/config.yml").read_text()
    assert run("check").returncode == 0
    staged = git_lines(repo, "diff", "--cached", "--name-only")
    assert len([p for p in staged if p.endswith(".yml")]) == 151  # 150 issues and the config
    assert ".issues/sync/github/acme/rocket.json" in staged
    # Pages followed through Link; the token only ever in the Authorization header.
    issue_requests = [p for p, _ in github.requests if "/issues?" in p]
    assert len(issue_requests) == 2 and "page=2" in issue_requests[1]
    assert all(auth == f"Bearer {TOKEN}" and TOKEN not in path for path, auth in github.requests)
    for path in repo.rglob("*"):
        if path.is_file() and ".git" not in path.parts:
            assert TOKEN not in path.read_text(errors="replace")


def test_show_names_the_github_issue(run, repo, github):
    seed(github, count=3)
    run("import", "github", REPO, env=env(github))
    local = next(i for n, i in files(repo).items() if n == 2)["id"]
    assert "GitHub acme/rocket#2" in run("show", local).stdout


def test_show_gives_a_github_number_in_the_text_its_local_id(run, repo, github):
    data = seed(github, count=3)
    data.issues[0] = make_issue(REPO, 1, "Follow-up", body="Same as #2, not #99 or a#2.",
                                created="2024-01-01T00:00:01Z")
    run("import", "github", REPO, env=env(github))
    by_number = files(repo)
    shown = run("show", by_number[1]["id"]).stdout
    assert f"#2 ({by_number[2]['id']})" in shown  # #2 was imported: its local id beside it
    assert "#99 (" not in shown and "a#2 (" not in shown  # unknown, or not a reference


def test_a_rerun_asks_only_for_changes_and_duplicates_nothing(run, repo, github):
    data = seed(github, count=5)
    run("import", "github", REPO, env=env(github))
    before = {p.name: p.read_bytes() for p in (repo / ".issues").glob("*.yml")}
    proc = run("import", "github", REPO, env=env(github))
    assert proc.stderr.strip().splitlines()[-1] == "imported 0, updated 0, unchanged 0"
    assert any("since=" in p for p, _ in github.requests[-2:])
    after = {p.name: p.read_bytes() for p in (repo / ".issues").glob("*.yml")}
    assert after == before
    del data  # the same data again, without since: recognised by number, nothing new
    state = repo / ".issues/sync/github/acme/rocket.json"
    state.unlink()
    proc = run("import", "github", REPO, env=env(github))
    assert proc.stderr.strip().splitlines()[-1] == \
        "imported 0, updated 0, unchanged 5, skipped 1 pull requests"
    assert {p.name: p.read_bytes() for p in (repo / ".issues").glob("*.yml")} == before


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def test_remote_changes_apply_local_changes_stay_and_conflicts_are_reported(run, repo, github):
    data = seed(github, count=5)
    run("import", "github", REPO, env=env(github))
    local = {n: i["id"] for n, i in files(repo).items()}
    # Here: issue 1's title (GitHub changes it too), issue 3's labels.
    run("edit", local[1], "--title", "Our title")
    run("edit", local[3], "-l", "ours")
    # There: 1's title, 3's milestone, 4's body, a new comment on 5, a new issue 6.
    stamp = _now()
    issues = {i["number"]: i for i in data.issues}
    issues[1].update(title="Their title", updated_at=stamp)
    issues[3].update(milestone={"title": "v2"}, updated_at=stamp)
    issues[4].update(body="New body from GitHub", updated_at=stamp)
    issues[5].update(updated_at=stamp, comments=1)
    data.comments.append(make_comment(REPO, 5, 9100, "Late comment", created=stamp))
    data.issues.append(make_issue(REPO, 6, "Brand new", created=stamp))
    proc = run("import", "github", REPO, env=env(github))
    lines = proc.stderr.strip().splitlines()
    assert lines[-1] == "imported 1, updated 3, unchanged 1, 1 conflict (local values kept)"
    conflict = next(line for line in lines if line.startswith("conflict:"))
    assert "acme/rocket#1" in conflict and "'Our title'" in conflict
    assert "'Their title'" in conflict and f"git issues edit {local[1]} --title" in conflict
    got = files(repo)
    assert got[1]["title"] == "Our title"
    assert got[3]["labels"] == ["ours"] and got[3]["milestone"] == "v2"
    assert got[4]["body"] == "New body from GitHub"
    assert [c["body"] for c in got[5]["comments"]] == ["Late comment"]
    assert got[6]["title"] == "Brand new"
    assert run("check").returncode == 0
    # The conflict was reported once; GitHub's title is now the base: a quiet re-run.
    proc = run("import", "github", REPO, env=env(github))
    assert "conflict" not in proc.stderr and files(repo)[1]["title"] == "Our title"


def test_a_502_is_retried_and_a_short_rate_limit_waited_out(run, repo, github):
    seed(github, count=3)
    github.fail(502)
    github.fail(403, {"X-RateLimit-Remaining": "0",
                      "X-RateLimit-Reset": str(int(time.time()) + 1)},
                {"message": "API rate limit exceeded"})
    github.fail(429, {"Retry-After": "1"}, {"message": "secondary rate limit"})
    proc = run("import", "github", REPO, env=env(github))
    assert "HTTP 502; retrying in 1 s" in proc.stderr
    assert proc.stderr.count("rate limit is used up: waiting until") == 2
    assert proc.stderr.strip().splitlines()[-1].startswith("imported 3,")


@pytest.mark.parametrize(("token", "repo_name", "message"), [
    ("wrong", REPO, "error: GitHub refused the token (401 Bad credentials): check "
                    "GITHUB_TOKEN, GH_TOKEN or `gh auth status`"),
    (TOKEN, "acme/nothing", "error: GitHub has no repository acme/nothing at http://127.0.0.1"),
])
def test_refusals_are_one_line_and_write_nothing(run, repo, github, token, repo_name, message):
    seed(github, count=3)
    proc = run("import", "github", repo_name, env=env(github, token), check=False)
    assert proc.returncode == 1
    assert proc.stderr.strip().startswith(message) and len(proc.stderr.strip().splitlines()) == 1
    assert "wrong" not in proc.stderr and TOKEN not in proc.stderr
    assert not (repo / ".issues").exists() or not list((repo / ".issues").glob("*.yml"))
    assert git_lines(repo, "status", "--porcelain", "--untracked-files=all") == []


def test_a_run_that_imports_nothing_writes_and_stages_nothing(run, repo, github):
    github.repos[REPO] = Repo([make_issue(REPO, 1, "Only a pull request", pull=True)])
    proc = run("import", "github", REPO, env=env(github))
    assert proc.stderr.strip().splitlines()[-1] == \
        "imported 0, updated 0, unchanged 0, skipped 1 pull requests"
    assert git_lines(repo, "status", "--porcelain", "--untracked-files=all") == []


def test_a_long_rate_limit_stops_cleanly_and_the_same_command_continues(run, repo, github):
    seed(github, count=250)  # three pages of issues
    github.fail(403, {"X-RateLimit-Remaining": "0",
                      "X-RateLimit-Reset": str(int(time.time()) + 7200)},
                {"message": "API rate limit exceeded"},
                when=lambda path: "/issues?" in path and "page=3" in path)
    proc = run("import", "github", REPO, env=env(github), check=False)
    assert proc.returncode == 1
    assert "rate limit is used up until" in proc.stderr and "run the same command" in proc.stderr
    done = files(repo)
    assert len(done) == 200  # the first two pages, whole
    staged = git_lines(repo, "diff", "--cached", "--name-only")
    assert len([p for p in staged if p.endswith(".yml") and "config" not in p]) == 200
    assert run("check").returncode == 0
    state = json.loads((repo / ".issues/sync/github/acme/rocket.json").read_text())
    assert state["since"] is None and state["partial"]["issues_through"]
    proc = run("import", "github", REPO, env=env(github))
    assert proc.stderr.strip().splitlines()[-1].startswith("imported 50,")
    assert sorted(files(repo)) == list(range(1, 251))


def test_the_library_gives_up_on_a_server_that_keeps_failing(repo, github):
    from git_issues.errors import GitIssuesError
    from git_issues.sync.github.client import Client

    github.fail(502, times=10)
    said: list[str] = []
    with Client(github.url, TOKEN, say=said.append, backoff=0.01) as client:
        with pytest.raises(GitIssuesError, match="not answering .* after 5 tries"):
            list(client.pages("/repos/acme/rocket/issues"))
    assert len(said) == 4 and TOKEN not in repr(client)


def test_without_a_token_it_says_the_limit(run, repo, github):
    github.token = None
    seed(github, count=2)
    proc = run("import", "github", REPO, env=env(github, None))
    assert "60 requests an hour" in proc.stderr
    assert all(auth is None for _, auth in github.requests)


def test_ctrl_c_leaves_finished_issues_whole_and_staged_and_the_rerun_continues(run, repo,
                                                                                github):
    import signal

    from conftest import GIT_ISSUES

    seed(github, count=250)
    pressed = threading.Event()

    def ctrl_c_before_the_last_page(target: str) -> float:
        """Slow pages; the last page of issues is answered only after Ctrl-C, pressed
        once 100 files are written: however fast or starved either side, the
        import is interrupted half-way."""
        if "/issues?" not in target or "page=3" not in target:
            return 0.4
        deadline = time.monotonic() + 120
        while len(list((repo / ".issues").glob("*.yml"))) < 100 and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        pressed.set()
        return 1.0

    github.delay = ctrl_c_before_the_last_page
    # Started as a shell in a terminal starts it: a test run launched in the
    # background (`pytest &`) ignores SIGINT, and its children would inherit that.
    as_in_a_terminal = ("import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
                        "os.execv(sys.argv[1], sys.argv[1:])")
    proc = subprocess.Popen([sys.executable, "-c", as_in_a_terminal, GIT_ISSUES, "import",
                             "github", REPO], cwd=repo, env={**os.environ, **env(github)},
                            stderr=subprocess.PIPE, text=True)
    assert pressed.wait(120)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode != 0, err
    written = files(repo)  # parses every file: each is whole
    assert 100 <= len(written) < 250
    staged = git_lines(repo, "diff", "--cached", "--name-only")
    assert len([p for p in staged if p.endswith(".yml") and "config" not in p]) == len(written)
    assert run("check").returncode == 0
    github.delay = 0
    proc = run("import", "github", REPO, env=env(github))
    assert proc.stderr.strip().splitlines()[-1].startswith(f"imported {250 - len(written)},")
    assert sorted(files(repo)) == list(range(1, 251))


def test_a_terminal_shows_a_progress_bar_and_a_pipe_only_the_summary(run, repo, github):
    from conftest import on_terminal

    seed(github, count=250)  # three pages: the bar's total comes from Link rel="last"
    code, screen = on_terminal(repo, "import", "github", REPO, env=env(github))
    assert code == 0, screen
    assert "Importing acme/rocket [" in screen and "/~300 issues" in screen
    before, last = screen.rstrip("\n").rsplit("\n", 1)
    assert last == "imported 250, updated 0, unchanged 0, skipped 1 pull requests"
    assert before.endswith("\r\x1b[Knote: added the statuses not_planned, duplicate (closed) "
                           "to .issues/config.yml for GitHub's close reasons")  # bar wiped first
    github.repos[REPO].issues[0].update(title="Changed on GitHub", updated_at=_now())
    proc = run("import", "github", REPO, env=env(github))
    assert "\r" not in proc.stderr and "Importing" not in proc.stderr
    assert proc.stderr.splitlines() == ["imported 0, updated 1, unchanged 0"]


def test_pages_fetched_ahead_stop_with_the_block_that_reads_them(repo, github):
    import threading

    from git_issues.sync.github.client import Client

    seed(github, count=350)  # four pages
    with Client(github.url, TOKEN) as client:
        with client.prefetch(f"/repos/{REPO}/issues", {"state": "all", "per_page": 100}) as pages:
            first = next(iter(pages))
            assert client.last_page == 4  # from Link rel="last": the progress bar's total
        assert len(first) == 100
        assert not any(t.name == "fetch" and t.is_alive() for t in threading.enumerate())
        asked = len(github.requests)
        assert asked <= 1 + 2 + 1  # the page read, two waiting, one being handed over
    time.sleep(0.3)
    assert len(github.requests) == asked  # nothing fetched after the block was left
