"""Two installs of git-issues timed side by side, command by command, in one run.

    python bench/interleave.py BEFORE_BIN AFTER_BIN REPO [--rounds 21]

BEFORE_BIN and AFTER_BIN are the ``bin`` folders of two venvs (each with its
own ``git-issues``); REPO is a repository of issues (``bench/out/repo-n10000-g1``
after a ``bench/run.py``).  Each version gets its own copy of REPO, made here
and removed at the end: two versions must not share an index (a schema change
makes each rebuild the other's).  Every round runs each command once with
each version, in a random order, and prints the medians: the machine's noise
hits both alike.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path


def timed(args: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(args, cwd=cwd, capture_output=True, env=env)
    elapsed = time.perf_counter() - start
    if proc.returncode:
        raise SystemExit(f"{' '.join(args)}: {proc.stderr.decode()[-300:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("repo", type=Path)
    parser.add_argument("--rounds", type=int, default=21)
    args = parser.parse_args()
    env = {**os.environ, "NO_COLOR": "1", "GIT_EDITOR": "false"}
    bins = {"before": args.before.resolve(), "after": args.after.resolve()}
    with tempfile.TemporaryDirectory(prefix="interleave-") as scratch:
        repos = {}
        for name in bins:
            repos[name] = Path(scratch) / name
            shutil.copytree(args.repo, repos[name], symlinks=True)
            shutil.rmtree(repos[name] / ".git" / "git-issues", ignore_errors=True)
            subprocess.run([bins[name] / "git-issues", "ls"], cwd=repos[name],
                           capture_output=True, env=env)  # the index, built once
        listed = subprocess.run([bins["after"] / "git-issues", "ls", "-n", "1"],
                                cwd=repos["after"], capture_output=True, text=True, env=env)
        issue = listed.stdout.split("\t", 1)[0]
        commands = {"ls -n 50": ["ls", "-n", "50"], "show ID": ["show", issue],
                    "close ID": ["close", issue], "comment ID -m": ["comment", issue, "-m", "x"],
                    "new TITLE": ["new", "A benchmark's issue"]}
        times: dict[tuple[str, str], list[float]] = {}
        for _ in range(args.rounds):
            for label, words in commands.items():
                for name in random.sample(list(bins), 2):
                    got = timed([str(bins[name] / "git-issues"), *words], repos[name], env)
                    times.setdefault((label, name), []).append(got)
                    if words[0] == "close":
                        timed([str(bins[name] / "git-issues"), "reopen", issue],
                              repos[name], env)
            for name in bins:
                got = timed([str(bins[name] / "python"), "-c", "import click"], Path(scratch), env)
                times.setdefault(("import click", name), []).append(got)
        print("| command | before | after | after / before |\n| --- | ---: | ---: | ---: |")
        for label in [*commands, "import click"]:
            before = statistics.median(times[(label, "before")])
            after = statistics.median(times[(label, "after")])
            print(f"| `{label}` | {before * 1000:.0f} ms | {after * 1000:.0f} ms | "
                  f"{after / before:.2f} |")


if __name__ == "__main__":
    main()
