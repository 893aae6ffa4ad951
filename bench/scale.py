#!/usr/bin/env python3
"""The scale bench of issue 27: the tool at 10k, 100k and 250k issues, beside git's own check.

    python bench/scale.py [--n 10000,100000,250000] [--rounds 7] [--bin VENV/bin]

For each size, on a fresh copy of the cached repository (``bench/run.py``'s
generator, cached under ``bench/out/``), every round runs each command once in
a random order, as a whole cold process:

* ``ls -n 50``, ``show ID``, ``new TITLE`` and ``comment ID -m``: what a user waits for;
* ``git status --porcelain -- .issues`` and ``git diff-files --quiet -- .issues``:
  git's C loop over the same files, the floor a stat-based check can reach.

It prints the medians, the ratios of ``ls`` and ``show`` to ``git status`` (goal
<= 1.5), the write times (goal <= 0.2 s at 250k), the peak RSS of ``ls`` (goal
<= 100 MB at 250k) and the index on disk against the issue files (goal <= 2x).
Generating 250k issues takes minutes and about 1 GB of disk, once.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests")]

from gibench.generation import cached_repo, settle_git, working_copy  # noqa: E402
from gibench.processes import Sample, run, run_timed, sealed_env  # noqa: E402


def folder_bytes(folder: Path) -> int:
    return sum(entry.stat().st_size for entry in os.scandir(folder) if entry.is_file())


def measure(n: int, tool: str, rounds: int, env: dict[str, str], scratch: Path) -> None:
    pristine, spec = cached_repo(n, env, regen=False)
    repo = working_copy(pristine, scratch)
    settle_git(repo, env)
    run([tool, "ls", "-n", "1"], repo, env)  # the index, built once, untimed
    issue = spec.open_ids[0]
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
    medians = {name: statistics.median(s.seconds for s in got)
               for name, got in samples.items() if got}
    floor = medians["git status"]
    index = repo / ".git" / "git-issues" / "index.sqlite"
    files = folder_bytes(repo / ".issues")
    print(f"\n{n:,} issues")
    print("| command | median | / git status |\n| --- | ---: | ---: |")
    for name, value in medians.items():
        print(f"| `{name}` | {value * 1000:.0f} ms | {value / floor:.2f} |")
    rss = max(s.rss_kb for s in samples["ls -n 50"]) / 1024
    print(f"peak RSS of ls: {rss:.0f} MB; index {index.stat().st_size / 1e6:.1f} MB, "
          f"issue files {files / 1e6:.1f} MB ({index.stat().st_size / files:.2f}x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", default="10000,100000,250000")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--bin", type=Path, default=None, help="a venv's bin folder")
    args = parser.parse_args()
    tool = str((args.bin or Path(sys.executable).parent) / "git-issues")
    with tempfile.TemporaryDirectory(prefix="scale-bench-") as tmp:
        scratch = Path(tmp)
        env = sealed_env(scratch / "home", Path(tool).parent)
        (scratch / "home").mkdir()
        for n in (int(x) for x in args.n.split(",")):
            measure(n, tool, args.rounds, env, scratch)
            run(["rm", "-rf", str(scratch / "repo")], scratch, env)


if __name__ == "__main__":
    main()
