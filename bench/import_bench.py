#!/usr/bin/env python3
"""Benchmark ``git issues import github`` against the stand-in GitHub API, on its own.

    python bench/import_bench.py [--issues 100000] [--comments 300000]
    python bench/import_bench.py --issues 10000 --latency 0.05   # a server that takes 50 ms
    python bench/import_bench.py --issues 10000 --dir /dev/shm   # the repository in memory
    python bench/import_bench.py --issues 5000 --profile /tmp/import.prof    # cProfile
    python bench/import_bench.py --issues 10000 \
        --wrap "py-spy record -f raw -o /tmp/import.txt --threads --"         # any wrapper

What it measures, in one run:

* **bare**: a loop that fetches every page the import fetches (the comments
  list, then the issues list, 100 a page, following ``Link``) through the same
  HTTP client and parses each page's JSON, and does nothing else: the floor
  that the network and the server set;
* **import**: ``git-issues import github bench/rocket`` into an empty
  repository: whole cold process, its peak RSS and CPU seconds (its own and
  its git children's) from ``os.wait4``.

The stand-in (``tests/github_standin.py``) runs in this process, in threads,
and generates each issue and comment from its number when asked, so the data
never sits in memory; both measured processes are children of this small one
(Linux carries a parent's peak RSS across ``exec``: see bench/README.md).
The bare loop runs before and after the import; the ratio uses their mean.
Targets (issue 14): peak RSS <= 300 MB, import <= 1.5 x bare.

By default the stand-in answers at once (a page in ~6 ms, all of it the
stand-in's own Python), so the ratio is the import's own cost against the
cheapest possible fetch.  ``--latency`` makes it wait before each answer, as
any remote server does (GitHub takes 0.3-1 s for a page of 100), which is
what the import's page prefetching hides.  ``--dir`` chooses the file system:
on ext4, creating files within a while of deleting many (the previous run's
repository) costs several times the system time (the kernel's inode
allocator checks each recently deleted inode), so disk figures swing with
what ran before; ``/dev/shm`` measures the import without that.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from github_standin import Repo, StandIn, make_comment, make_issue, serving  # noqa: E402

REPO = "bench/rocket"
WORDS = ("parser", "index", "crash", "slow", "merge", "hook", "cache", "leak", "render",
         "config", "timeout", "unicode", "windows", "docs", "flaky")


class Generated(Sequence):
    """A read-only list whose items are made from their position when asked for."""

    def __init__(self, length: int, make) -> None:
        self.length = length
        self.make = make

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self.make(i) for i in range(*index.indices(self.length))]
        if index < 0:
            index += self.length
        if not 0 <= index < self.length:
            raise IndexError(index)
        return self.make(index)


def _stamp(seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(1_600_000_000 + seconds))


def issue_at(index: int) -> dict:
    number = index + 1
    words = " ".join(WORDS[(number * k) % len(WORDS)] for k in (1, 3, 7, 11))
    closed = number % 3 == 0
    return make_issue(
        REPO, number, f"{words.capitalize()} #{number}",
        body=f"Steps to reproduce {number}:\r\n\r\n1. run it\r\n2. see the {words}\r\n"
             + "More detail about the problem. " * (1 + number % 5),
        login=f"user{number % 97}", state="closed" if closed else "open",
        state_reason="completed" if closed else None,
        labels=[WORDS[number % 15], WORDS[(number // 15) % 15]][: number % 3],
        assignees=[f"dev{number % 7}"] if number % 4 == 0 else [],
        milestone="v1.0" if number % 10 == 0 else None,
        created=_stamp(number * 60), updated=_stamp(number * 60 + 30),
        closed=_stamp(number * 60 + 20) if closed else None)


def comment_at(issues: int):
    def make(index: int) -> dict:
        number = (index * 7919) % issues + 1  # spread over the issues, as real threads are
        return make_comment(REPO, number, 10_000_000 + index,
                            f"Comment {index}: I see this too on my machine.\r\nMore text here.",
                            login=f"user{index % 89}", created=_stamp(number * 60 + 40))
    return make


def run_child(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, Any, str]:
    """Wall seconds, resource usage (peak RSS in KiB, CPU seconds of the process and its
    waited-for children, git's included) and stderr tail of one whole process."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - start
        err.seek(0)
        tail = err.read().decode("utf-8", "replace").strip().splitlines()[-3:]
    if proc.returncode != 0:
        raise SystemExit(f"{argv[0]} failed: {tail}")
    return wall, usage, "\n".join(tail)


BARE = """\
import json, sys
from git_issues.sync.github.client import Client
url, repo = sys.argv[1], sys.argv[2]
pages = 0
with Client(url, "bench-token") as gh:
    for path, params in ((f"/repos/{repo}/issues/comments",
                          {"sort": "updated", "direction": "asc", "per_page": 100}),
                         (f"/repos/{repo}/issues",
                          {"state": "all", "sort": "updated", "direction": "asc",
                           "per_page": 100})):
        for page in gh.pages(path, params):
            pages += 1
print(pages, "pages", file=sys.stderr)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--issues", type=int, default=100_000)
    parser.add_argument("--comments", type=int, default=None, help="default: 3 per issue")
    parser.add_argument("--latency", type=float, default=0.0, metavar="SECONDS",
                        help="the stand-in waits this long before each answer, as a "
                             "remote server does (default 0: the import's own cost, bare)")
    parser.add_argument("--dir", default=None,
                        help="where the repository is made (default: the system's temporary "
                             "folder); see this script's docstring on file systems")
    parser.add_argument("--profile", metavar="FILE",
                        help="run the import under cProfile, its stats into FILE")
    parser.add_argument("--wrap", metavar="COMMAND", default="",
                        help="a command the import runs under, e.g. "
                             "'py-spy record -f raw -o /tmp/import.txt --threads --'")
    args = parser.parse_args()
    comments = 3 * args.issues if args.comments is None else args.comments
    script = Path(sys.executable).parent / "git-issues"
    stand_in = StandIn(token="bench-token")
    stand_in.repos[REPO] = Repo()
    stand_in.repos[REPO].issues = Generated(args.issues, issue_at)
    stand_in.repos[REPO].comments = Generated(comments, comment_at(args.issues))
    stand_in.remaining = 10**9
    stand_in.delay = args.latency
    with serving(stand_in), tempfile.TemporaryDirectory(prefix="import-bench-",
                                                         dir=args.dir) as tmp:
        repo = Path(tmp) / "repo"
        repo.mkdir()
        for cmd in (["init", "-q", "-b", "main"], ["config", "user.name", "Bench"],
                    ["config", "user.email", "bench@example.com"]):
            subprocess.run(["git", *cmd], cwd=repo, check=True)
        env = {**os.environ, "GITHUB_API_URL": stand_in.url, "GITHUB_TOKEN": "bench-token"}
        bare = [sys.executable, "-c", BARE, stand_in.url, REPO]
        print(f"{args.issues:,} issues, {comments:,} comments "
              f"({-(-args.issues // 100) + -(-comments // 100):,} pages)", flush=True)
        before, bare_usage, note = run_child(bare, repo, env)
        print(f"bare loop:   {before:8.1f} s   ({note}; CPU {bare_usage.ru_utime:.1f} s user "
              f"+ {bare_usage.ru_stime:.1f} s system)", flush=True)
        command = [str(script)]
        if args.profile:
            command = [sys.executable, "-m", "cProfile", "-o",
                       str(Path(args.profile).resolve()), "-m", "git_issues"]
        command = [*shlex.split(args.wrap), *command]
        wall, usage, tail = run_child([*command, "import", "github", REPO], repo, env)
        rss = usage.ru_maxrss
        print(f"import:      {wall:8.1f} s   peak RSS {rss / 1024:.0f} MB   CPU "
              f"{usage.ru_utime:.1f} s user + {usage.ru_stime:.1f} s system", flush=True)
        print(f"             {tail}", flush=True)
        after, _, _ = run_child(bare, repo, env)
        print(f"bare loop:   {after:8.1f} s (again)", flush=True)
        floor = (before + after) / 2
        written = len(list((repo / ".issues").glob("*.yml"))) - 1
        print(f"issue files: {written:,}; import / bare = {wall / floor:.2f} "
              f"(target <= 1.5); peak RSS {rss / 1024:.0f} MB (target <= 300)")


if __name__ == "__main__":
    main()
