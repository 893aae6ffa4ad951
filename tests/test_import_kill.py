"""``import github`` killed hard (``kill -9``) at several points, then run again.

The rerun has to finish what the killed run began: every file the import
wrote is staged, every GitHub issue exists exactly once, and an edit made on
GitHub after the kill is applied, not reported as a conflict.  GitHub is the
stand-in, slowed down so that the kill lands at a chosen point of the run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from conftest import GIT_ISSUES, git
from github_standin import Repo, StandIn, make_comment, make_issue, serving

TOKEN = "ghp_standInToken0123456789"
REPO = "acme/rocket"
COUNT = 250  # three pages of issues
EDITED = 5  # the issue edited on GitHub after the kill


@pytest.fixture
def github() -> Iterator[StandIn]:
    stand_in = StandIn(token=TOKEN)
    with serving(stand_in) as served:
        yield served


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def seed(github: StandIn) -> None:
    """COUNT issues, some closed (the config gains statuses), comments on two pages."""
    issues = [make_issue(REPO, n, f"Issue {n}", body=f"Body of {n}",
                         state="closed" if n % 7 == 0 else "open",
                         state_reason="not_planned" if n % 7 == 0 else None,
                         closed="2024-03-01T00:00:00Z" if n % 7 == 0 else None,
                         created=f"2024-01-01T00:{n // 60:02d}:{n % 60:02d}Z")
              for n in range(1, COUNT + 1)]
    comments = [make_comment(REPO, n, 9000 + n, f"Comment on {n}",
                             created=f"2024-02-01T00:{n // 60:02d}:{n % 60:02d}Z")
                for n in range(1, 151)]
    github.repos[REPO] = Repo(issues, comments)


def env(github: StandIn) -> dict[str, str]:
    return {**os.environ, "GITHUB_API_URL": github.url, "GITHUB_TOKEN": TOKEN, "GH_TOKEN": ""}


def numbers(repo: Path) -> list[int]:
    """The GitHub number of every issue file, once per file (duplicates show)."""
    out = []
    for path in (repo / ".issues").glob("*.yml"):
        if path.name != "config.yml":
            out.append(yaml.safe_load(path.read_text())["github"]["number"])
    return sorted(out)


def title_of(repo: Path, number: int) -> str:
    for path in (repo / ".issues").glob("*.yml"):
        data = yaml.safe_load(path.read_text())
        if path.name != "config.yml" and data["github"]["number"] == number:
            return data["title"]
    raise AssertionError(f"no file for #{number}")


def count_files(repo: Path, text: str = "") -> int:
    return sum(1 for p in (repo / ".issues").glob("*.yml")
               if p.name != "config.yml" and text in p.read_text())


def killed_run(repo: Path, github: StandIn, page: Callable[[str], bool],
               ready: Callable[[], bool]) -> None:
    """Run the import and ``kill -9`` it when it asks for ``page`` and ``ready()`` holds."""
    killed = threading.Event()

    def kill_there(target: str) -> float:
        if killed.is_set() or not page(target):
            return 0.05
        deadline = time.monotonic() + 60
        while not ready() and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
        killed.set()
        return 0.2

    github.delay = kill_there
    proc = subprocess.Popen([GIT_ISSUES, "import", "github", REPO], cwd=repo, env=env(github),
                            stderr=subprocess.PIPE, text=True)
    proc.communicate(timeout=120)
    assert killed.is_set() and proc.returncode == -signal.SIGKILL
    github.delay = 0


def edit_after_the_kill(github: StandIn, title: str) -> None:
    issue = github.repos[REPO].issues[EDITED - 1]
    issue.update(title=title, updated_at=_now())


def assert_finished(run, repo: Path, github: StandIn, title: str) -> None:
    """The rerun's result, as a user checks it."""
    proc = run("import", "github", REPO, env=env(github))
    assert "conflict" not in proc.stderr, proc.stderr
    assert numbers(repo) == list(range(1, COUNT + 1))  # each exactly once
    assert title_of(repo, EDITED) == title
    status = git(repo, "status", "--porcelain", "--untracked-files=all", ".issues").splitlines()
    assert status and [line for line in status if line[0] not in "AM" or line[1] != " "] == []
    assert run("check").returncode == 0
    git(repo, "commit", "-q", "-m", "import")
    clone = repo.parent / "clone"
    git(repo.parent, "clone", "-q", str(repo), str(clone))
    proc = run("import", "github", REPO, env=env(github), cwd=clone)
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("imported 0, updated 0,") and "skipped" not in last, proc.stderr
    assert numbers(clone) == list(range(1, COUNT + 1))


def _issues_page(number: int) -> Callable[[str], bool]:
    return lambda target: "/issues?" in target and f"page={number}" in target


def _comments_page(target: str) -> bool:
    return "/issues/comments?" in target and "page=2" in target


FIRST_RUN_POINTS = {
    "during the comments": (_comments_page, lambda repo: True),
    "after the first page of issues": (_issues_page(2), lambda repo: count_files(repo) >= 100),
    "during the last page of issues": (_issues_page(3), lambda repo: count_files(repo) >= 200),
}


@pytest.mark.parametrize("point", sorted(FIRST_RUN_POINTS))
def test_a_first_import_killed_is_finished_by_the_rerun(run, repo, github, point):
    seed(github)
    page, ready = FIRST_RUN_POINTS[point]
    killed_run(repo, github, page, lambda: ready(repo))
    edit_after_the_kill(github, "Edited on GitHub after the kill")
    assert_finished(run, repo, github, "Edited on GitHub after the kill")


def test_an_update_killed_half_way_is_finished_by_the_rerun(run, repo, github):
    seed(github)
    run("import", "github", REPO, env=env(github))
    git(repo, "commit", "-q", "-m", "first import")
    for issue in github.repos[REPO].issues:
        issue.update(title=f"{issue['title']} (v2)", updated_at=_now())
    killed_run(repo, github, _issues_page(3), lambda: count_files(repo, "(v2)") >= 150)
    edit_after_the_kill(github, "Edited again after the kill")
    assert_finished(run, repo, github, "Edited again after the kill")
    assert count_files(repo, "(v2)") == COUNT - 1


def test_two_kills_in_a_row_then_a_rerun(run, repo, github):
    seed(github)
    killed_run(repo, github, _issues_page(2), lambda: count_files(repo) >= 50)
    killed_run(repo, github, _issues_page(3), lambda: count_files(repo) >= 200)
    edit_after_the_kill(github, "Edited after two kills")
    assert_finished(run, repo, github, "Edited after two kills")


def test_a_kill_while_the_last_files_are_staged_is_finished_by_the_rerun(run, repo, github):
    """The sync state is saved just before the last batch is staged: kill -9 then."""
    seed(github)
    state = repo / ".issues/sync/github/acme/rocket.json"
    proc = subprocess.Popen([GIT_ISSUES, "import", "github", REPO], cwd=repo, env=env(github),
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not state.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.001)
    proc.kill()
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    edit_after_the_kill(github, "Edited after a kill in the staging")
    assert_finished(run, repo, github, "Edited after a kill in the staging")


def test_a_beads_import_killed_is_finished_by_the_rerun(run, repo, tmp_path):
    """The journal is every importer's: beads, killed once 300 files are written."""
    import json

    source = tmp_path / "issues.jsonl"
    source.write_text("".join(json.dumps({"id": f"bd-{n}", "title": f"Task {n}", "status": "open",
                                          "created_at": "2025-01-01T00:00:00Z"}) + "\n"
                              for n in range(3000)))
    proc = subprocess.Popen([GIT_ISSUES, "import", "beads", str(source)], cwd=repo,
                            stderr=subprocess.PIPE, text=True)
    folder = repo / ".issues"
    while proc.poll() is None and (not folder.exists() or len(os.listdir(folder)) < 300):
        time.sleep(0.002)
    proc.kill()
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    run("import", "beads", str(source))
    beads = [yaml.safe_load(p.read_text())["beads"] for p in folder.glob("*.yml")
             if p.name != "config.yml"]
    assert sorted(beads) == sorted(f"bd-{n}" for n in range(3000))  # each exactly once
    status = git(repo, "status", "--porcelain", "--untracked-files=all", ".issues").splitlines()
    assert [line for line in status if line[:2] != "A "] == []
