#!/usr/bin/env python3
"""Benchmark ``git issues sync github`` against the stand-in GitHub API.

    python bench/sync_bench.py [--issues 1000]

Two figures (issue 15):

* **push**: ``sync`` of a repository holding ``--issues`` new local issues
  (each with one comment) into an empty stand-in repository, pacing off
  (``GIT_ISSUES_SYNC_PACE=0``, and an hourly budget of creations,
  ``GIT_ISSUES_SYNC_HOURLY``, large enough not to stop it): whole cold process,
  wall time, requests;
* **nothing to do**: the requests a sync makes when nothing changed on either
  side (the run after the push, and the one after that).

The stand-in (tests/github_standin.py) runs in this process, in threads.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from github_standin import Repo, StandIn, serving  # noqa: E402

REPO = "bench/rocket"
TOKEN = "ghp_bench"


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def make_local(path: Path, count: int) -> None:
    """A repository with ``count`` issues written by the package's own writer."""
    from git_issues.core import ids
    from git_issues.core.model import Comment, Issue
    from git_issues.sync.text import canonical_text

    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    subprocess.run([script(), "init"], cwd=path, check=True, capture_output=True)
    folder = path / ".issues"
    taken: set[str] = set()
    for n in range(count):
        issue_id = ids.mint(taken.__contains__)
        taken.add(issue_id)
        issue = Issue(id=issue_id, title=f"Local issue {n}", status="open",
                      created="2026-11-20T10:00:00Z", author="Ann <ann@example.com>",
                      labels=["bug"] if n % 3 == 0 else [], body=f"Body of {n}\nline two\n",
                      comments=[Comment(id="c" + issue_id[:7], date="2026-11-21T10:00:00Z",
                                        author="Bob <bob@example.com>", body=f"Note {n}")])
        (folder / f"{issue_id}.yml").write_text(canonical_text(issue), encoding="utf-8")
    git(path, "add", "-A")
    git(path, "commit", "-qm", "issues")


def script() -> str:
    return str(Path(sys.executable).with_name("git-issues"))


def sync(path: Path, env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run([script(), "sync", "github", REPO], cwd=path, env=env,
                          capture_output=True, text=True)
    took = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    return took, proc.stderr.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--issues", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        env = {**os.environ, "HOME": str(home), "GIT_AUTHOR_NAME": "Ann",
               "GIT_AUTHOR_EMAIL": "ann@example.com", "GIT_COMMITTER_NAME": "Ann",
               "GIT_COMMITTER_EMAIL": "ann@example.com", "GIT_CONFIG_NOSYSTEM": "1",
               "GITHUB_TOKEN": TOKEN, "GH_TOKEN": "", "GIT_ISSUES_SYNC_PACE": "0",
               "GIT_ISSUES_SYNC_HOURLY": str(10 * args.issues + 10)}  # no hourly stop
        os.environ.update({k: env[k] for k in ("HOME", "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL",
                                                "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL")})
        path = Path(tmp) / "repo"
        make_local(path, args.issues)
        stand_in = StandIn(token=TOKEN)
        stand_in.repos[REPO] = Repo()
        with serving(stand_in) as served:
            env["GITHUB_API_URL"] = served.url
            took, line = sync(path, env)
            pushed = len(served.requests)
            print(f"push of {args.issues} new issues (+{args.issues} comments), pacing off: "
                  f"{took:.1f} s, {pushed} requests; {line}")
            for label in ("next sync (re-reads what the push changed)",
                          "sync with nothing to do, within the 10-minute margin"):
                before = len(served.requests)
                took, line = sync(path, env)
                asked = [p for p, _ in served.requests[before:]]
                print(f"{label}: {len(asked)} requests, {took:.2f} s; {line}")
                for request in asked:
                    print(f"    {request.split('?')[0]}")
            # An hour later: nothing changed on GitHub since an hour before the last sync.
            for item in [*served.repos[REPO].issues, *served.repos[REPO].comments]:
                item["updated_at"] = "2026-01-01T00:00:00Z"
            before = len(served.requests)
            took, line = sync(path, env)
            asked = [p.split("?")[0] for p, _ in served.requests[before:]]
            print(f"sync with nothing to do, nothing changed within the 10-minute margin: "
                  f"{len(asked)} requests, {took:.2f} s; {line}: {', '.join(asked)}")


if __name__ == "__main__":
    main()
