#!/usr/bin/env python3
"""The scale bench of issue 27: the tool at 10k, 100k and 250k issues, beside git's own check.

    python bench/scale.py [--n 10000,100000,250000] [--rounds 7] [--bin VENV/bin]

For each size, on a fresh copy of the cached repository (``bench/run.py``'s
generator, cached under ``bench/out/``), every round runs each command once in
a random order, as a whole cold process:

* ``ls -n 50``, ``show ID``, ``new TITLE`` and ``comment ID -m``: what a user waits for;
* ``git status --porcelain -- .issues`` and ``git diff-files --quiet -- .issues``:
  git's C loop over the same files, the floor a stat-based check can reach.

With ``--fsmonitor`` the same table again with watchman as git's fsmonitor
(its sample hook and untracked cache); ``--split-index`` turns on git's split
index in the copy first; ``--fanned`` moves the copy's issues to fanned-out
folders first (``git issues layout fanned``, committed).  Each table ends with
reads that have no write between them, what a change feed speeds up.  Last,
the first read after a ``touch`` of every file, against ``reindex``.

It prints the medians, the ratios of ``ls`` and ``show`` to ``git status`` (goal
<= 1.5), the write times (goal <= 0.2 s at 250k), the peak RSS of ``ls`` (goal
<= 100 MB at 250k) and the index on disk against the issue files (goal <= 2x).
Generating 250k issues takes minutes and about 1 GB of disk, once.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests")]

from gibench.generation import cached_repo, settle_git, working_copy  # noqa: E402
from gibench.processes import Sample, git, run, run_timed, sealed_env  # noqa: E402


def folder_bytes(folder: Path) -> int:
    """The issue files' bytes, fanned-out folders (``.issues/ab/``) included."""
    total = 0
    for entry in os.scandir(folder):
        if entry.is_file():
            total += entry.stat().st_size
        elif entry.is_dir() and len(entry.name) == 2:
            total += folder_bytes(Path(entry.path))
    return total


def measure(n: int, tool: str, rounds: int, env: dict[str, str], scratch: Path,
            fsmonitor: bool, split_index: bool = False, fanned: bool = False) -> None:
    pristine, spec = cached_repo(n, env, regen=False)
    repo = working_copy(pristine, scratch)
    settle_git(repo, env)
    if fanned:
        run([tool, "layout", "fanned"], repo, env)
        git(repo, env, "commit", "-q", "--no-verify", "-m", "fan out")
    if split_index:
        git(repo, env, "update-index", "--split-index")
    run([tool, "ls", "-n", "1"], repo, env)  # the index, built once, untimed
    run([tool, "ls", "-n", "1"], repo, env)  # and git's look recorded
    table(n, "", timed(repo, tool, spec.open_ids[0], rounds, env), repo)
    if fsmonitor:
        with watched(repo, env):
            table(n, ", watchman as git's fsmonitor",
                  timed(repo, tool, spec.open_ids[0], rounds, env), repo)
    stale(repo, tool, env)


def timed(repo: Path, tool: str, issue: str, rounds: int,
          env: dict[str, str]) -> dict[str, list[Sample]]:
    """Each command once a round, in a random order, as whole cold processes."""
    commands = {
        "ls -n 50": [tool, "ls", "-n", "50"],
        "show ID": [tool, "show", issue],
        "new TITLE": [tool, "new", "A scale bench issue"],
        "comment ID -m": [tool, "comment", issue, "-m", "measured"],
        "git status": ["git", "status", "--porcelain", "--", ".issues"],
        "git diff-files": ["git", "diff-files", "--quiet", "--", ".issues"],
    }
    samples: dict[str, list[Sample]] = {name: [] for name in commands}
    for _ in range(rounds):
        for name in random.sample(list(commands), len(commands)):
            try:
                samples[name].append(run_timed(commands[name], repo, env))
            except Exception:  # diff-files exits 1 when files changed: still timed below
                if name != "git diff-files":
                    raise
    # Reads with no write between them: what a change feed is for (a write adds a
    # file to the flat folder, and git lists it all again).
    quiet = {"ls -n 50, no write between": commands["ls -n 50"],
             "show ID, no write between": commands["show ID"]}
    run(["git", "status", "--porcelain"], repo, env)  # as a user would: git writes its
    # index with fsmonitor's token and the untracked cache (reads never write it)
    for _ in range(rounds):
        for name in random.sample(list(quiet), len(quiet)):
            samples.setdefault(name, []).append(run_timed(quiet[name], repo, env))
    return samples


def table(n: int, mode: str, samples: dict[str, list[Sample]], repo: Path) -> None:
    """The medians, each beside git status and the issue's goal."""
    medians = {name: statistics.median(s.seconds for s in got)
               for name, got in samples.items() if got}
    floor = medians["git status"]
    index = repo / ".git" / "git-issues" / "index.sqlite"
    files = folder_bytes(repo / ".issues")
    print(f"\n{n:,} issues{mode}")
    print("| command | median | / git status | goal |\n| --- | ---: | ---: | --- |")
    for name, value in medians.items():
        print(f"| `{name}` | {value * 1000:.0f} ms | {value / floor:.2f} | {GOALS.get(name, '')} |")
    rss = max(s.rss_kb for s in samples["ls -n 50"]) / 1024
    print(f"peak RSS of ls (git's status included): {rss:.0f} MB (goal <= 100 MB at 250k); "
          f"index {index.stat().st_size / 1e6:.1f} MB, issue files {files / 1e6:.1f} MB "
          f"({index.stat().st_size / files:.2f}x, goal <= 2x)")


GOALS = {"ls -n 50": "<= 1.5x git status", "show ID": "<= 1.5x git status",
         "ls -n 50, no write between": "<= 0.3 s at 250k with a change feed",
         "show ID, no write between": "<= 0.3 s at 250k with a change feed",
         "new TITLE": "<= 0.2 s at 250k", "comment ID -m": "<= 0.2 s at 250k"}


@contextmanager
def watched(repo: Path, env: dict[str, str]) -> Iterator[None]:
    """watchman as git's fsmonitor (git's own sample hook), with its untracked cache."""
    sample = Path(git(repo, env, "--exec-path").strip()).parents[1] / \
        "share/git-core/templates/hooks/fsmonitor-watchman.sample"
    if not sample.is_file():
        sample = Path("/usr/share/git-core/templates/hooks/fsmonitor-watchman.sample")
    hook = repo / ".git" / "hooks" / "fsmonitor-watchman"
    shutil.copy(sample, hook)
    hook.chmod(0o755)
    git(repo, env, "config", "core.fsmonitor", str(hook))
    git(repo, env, "config", "core.untrackedCache", "true")
    git(repo, env, "update-index", "--untracked-cache", "--fsmonitor")
    for _ in range(3):  # watchman crawls the tree once; git records its token
        git(repo, env, "status", "--porcelain")
    try:
        yield
    finally:
        run(["watchman", "watch-del", str(repo)], repo, env, check=False)
        git(repo, env, "config", "--unset", "core.fsmonitor")


def stale(repo: Path, tool: str, env: dict[str, str]) -> None:
    """The first read after every file's stat data changed (``touch``), against a
    rebuild (goal <= 1.1x reindex)."""
    now = time.time_ns()
    for entry in os.scandir(repo / ".issues"):
        os.utime(entry.path, ns=(now, now))
    first = run_timed([tool, "ls", "-n", "50"], repo, env)
    rebuild = run_timed([tool, "reindex"], repo, env)
    print(f"first ls after touching every file: {first.seconds:.2f} s, {first.rss_kb // 1024} MB;"
          f" reindex {rebuild.seconds:.2f} s ({first.seconds / rebuild.seconds:.2f}x, "
          "goal <= 1.1x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", default="10000,100000,250000")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--bin", type=Path, default=None, help="a venv's bin folder")
    parser.add_argument("--fsmonitor", action="store_true",
                        help="measure again with watchman as git's fsmonitor")
    parser.add_argument("--split-index", action="store_true",
                        help="git's split index in the copy (writes rewrite a small index)")
    parser.add_argument("--fanned", action="store_true",
                        help="the copy's issues in fanned-out folders (layout: fanned)")
    args = parser.parse_args()
    tool = str((args.bin or Path(sys.executable).parent) / "git-issues")
    with tempfile.TemporaryDirectory(prefix="scale-bench-") as tmp:
        scratch = Path(tmp)
        env = sealed_env(scratch / "home", Path(tool).parent)
        (scratch / "home").mkdir()
        for n in (int(x) for x in args.n.split(",")):
            measure(n, tool, args.rounds, env, scratch, args.fsmonitor, args.split_index,
                    args.fanned)
            run(["rm", "-rf", str(scratch / "repo")], scratch, env)


if __name__ == "__main__":
    main()
