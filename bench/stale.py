"""The first read after every file went stale, against ``reindex`` in the same run.

    python bench/stale.py REPO [--bin VENV/bin] [--rounds 5]

REPO is a repository of issues with a fresh index (``bench/out/repo-n10000-g1``
after a ``bench/run.py``).  Each round, in a random order: ``reindex`` of a copy
(the floor), the first ``ls`` of a fresh ``cp -a`` copy (every inode and ctime
new, the bytes the same), and the first ``ls`` after a ``touch`` of every issue
file.  Prints the medians and the ratios to ``reindex`` (issue 27's goal:
<= 1.1).  Copies are made outside the timing and removed at the end.
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


def copied(repo: Path, where: Path, name: str) -> Path:
    target = where / name
    shutil.rmtree(target, ignore_errors=True)
    subprocess.run(["cp", "-a", str(repo), str(target)], check=True)
    return target


def touched(repo: Path) -> None:
    now = time.time_ns()
    folder = repo / ".issues"
    for name in os.listdir(folder):
        os.utime(folder / name, ns=(now, now))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repo", type=Path)
    parser.add_argument("--bin", type=Path, default=None, help="a venv's bin folder")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    tool = str(args.bin / "git-issues") if args.bin else "git-issues"
    env = dict(os.environ)
    times: dict[str, list[float]] = {"reindex": [], "ls after cp -a": [], "ls after touch": []}
    with tempfile.TemporaryDirectory(prefix="stale-bench-") as tmp:
        base = copied(args.repo.resolve(), Path(tmp), "base")
        timed([tool, "ls", "-n", "1"], base, env)  # a fresh index to copy
        for _ in range(args.rounds):
            jobs = list(times)
            random.shuffle(jobs)
            for job in jobs:
                repo = copied(base, Path(tmp), "run")
                if job == "ls after touch":
                    touched(repo)
                command = ["reindex"] if job == "reindex" else ["ls", "-n", "50"]
                times[job].append(timed([tool, *command], repo, env))
    floor = statistics.median(times["reindex"])
    for job, values in times.items():
        median = statistics.median(values)
        print(f"{job:16} {median:7.3f} s  {median / floor:5.2f}x reindex")


if __name__ == "__main__":
    main()
