"""``kill -9`` of ``import gitlab`` and ``import gitea`` at several points, then a rerun.

The import of every forge is GitHub's code path (``tests/test_import_kill.py``
kills that one at seven points); these prove the subclasses keep its promise:
a slow stand-in answers each read late, the import is killed before it wrote
anything and as it wrote the first, the middle and the last pages, and a rerun leaves every
issue there exactly once, whole, staged, and ``check`` clean.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import GIT_ISSUES
from gitea_standin import Repo, gitea_serving
from gitea_standin import StandIn as GiteaStandIn
from gitea_standin import make_issue as gitea_issue
from github_standin import serving
from gitlab_standin import GitLabHandler, GitLabStandIn, Project, make_issue, make_note

TOKEN = "killStandInToken0123456789"
COUNT = 130  # three pages of Gitea's 50, two of GitLab's 100


def _gitlab() -> tuple[Any, list[str], dict[str, str]]:
    stand_in = GitLabStandIn(token=TOKEN)
    issues = [make_issue("acme/rocket", n, f"Issue {n}", notes=1 if n % 10 == 0 else 0,
                         created=f"2024-01-01T0{n // 60}:{n % 60:02d}:00.000Z")
              for n in range(1, COUNT + 1)]
    notes = [make_note(n, 5000 + n, f"Note on {n}") for n in range(10, COUNT + 1, 10)]
    stand_in.projects["acme/rocket"] = Project(issues, notes)
    env = {"GITLAB_URL": "{url}", "GITLAB_TOKEN": TOKEN}
    return stand_in, ["import", "gitlab", "acme/rocket"], env


def _gitea() -> tuple[Any, list[str], dict[str, str]]:
    stand_in = GiteaStandIn(token=TOKEN)
    issues = [gitea_issue("acme/rocket", n, f"Issue {n}",
                          created=f"2024-01-01T0{n // 60}:{n % 60:02d}:00Z")
              for n in range(1, COUNT + 1)]
    stand_in.repos["acme/rocket"] = Repo(issues, [])
    env = {"GITEA_URL": "{url}", "GITEA_TOKEN": TOKEN, "FORGEJO_TOKEN": ""}
    return stand_in, ["import", "gitea", "acme/rocket", "--url", "{url}"], env


FORGES = {"gitlab": (_gitlab, GitLabHandler, "iid"), "gitea": (_gitea, None, "number")}


@pytest.fixture(params=sorted(FORGES))
def forge(request) -> Iterator[tuple[Any, list[str], dict[str, str], str]]:
    make, handler, number_key = FORGES[request.param]
    stand_in, args, env = make()
    served = gitea_serving(stand_in) if handler is None else serving(stand_in, handler)
    with served:
        url = stand_in.url
        yield (stand_in, [a.format(url=url) for a in args],
               {k: v.format(url=url) for k, v in env.items()}, request.param)


def _import_killed_at(stand_in: Any, args: list[str], env: dict[str, str], repo: Path,
                      when: str, count: int) -> None:
    """Run the import, kill it when the ``count``-th request reaches the stand-in
    (``when`` "read") or when ``count`` issue files are there ("files")."""
    stand_in.delay = 0.15
    asked = len(stand_in.requests)
    proc = subprocess.Popen([GIT_ISSUES, *args], cwd=repo, env={**os.environ, **env},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    killed = threading.Event()

    def watch() -> None:
        while proc.poll() is None:
            done = (len(stand_in.requests) - asked if when == "read"
                    else len(list((repo / ".issues").glob("*.yml"))))
            if done >= count:
                os.kill(proc.pid, signal.SIGKILL)
                killed.set()
                return
            time.sleep(0.002)

    watcher = threading.Thread(target=watch)
    watcher.start()
    proc.communicate(timeout=120)
    watcher.join()
    stand_in.delay = 0.0
    assert killed.is_set() and proc.returncode == -signal.SIGKILL


def _numbers(repo: Path, key: str, number_key: str) -> list[int]:
    found = []
    for path in (repo / ".issues").glob("*.yml"):
        if path.name != "config.yml":
            found.append(yaml.safe_load(path.read_text())[key][number_key])
    return sorted(found)


@pytest.mark.subprocess
@pytest.mark.parametrize(("when", "count"), [("read", 2), ("files", 1), ("files", 60),
                                             ("files", 110)])
def test_a_killed_import_is_finished_by_the_rerun_once_each(run, repo, forge, when, count):
    stand_in, args, env, name = forge
    number_key = FORGES[name][2]
    _import_killed_at(stand_in, args, env, repo, when, count)
    written = _numbers(repo, name, number_key)
    assert len(written) == len(set(written))  # what the killed run wrote: whole files
    proc = run(*args, env=env)
    assert proc.returncode == 0, proc.stderr
    assert _numbers(repo, name, number_key) == list(range(1, COUNT + 1))
    assert run("check").returncode == 0
    status = subprocess.run(["git", "status", "--porcelain", "--", ".issues"], cwd=repo,
                            capture_output=True, text=True, check=True).stdout
    assert all(line[1] == " " for line in status.splitlines()), status  # all staged
    assert not [p for p in (repo / ".issues").iterdir() if p.name.endswith(".tmp")]
