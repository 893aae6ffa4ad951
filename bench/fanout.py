#!/usr/bin/env python3
"""Would fan-out folders pay?  git's cost of a commit in a flat ``.issues/`` and in
two-character folders (``.issues/ab/abcdefgh.yml``), at the bench's sizes (issue 27).

    python bench/fanout.py [--n 250000] [--rounds 5] [--dir /dev/shm]

git's own commands only: the tool is not involved, so this settles whether the
layout is worth building before anything is built.  The flat repository is a
copy of the bench's cached one; the fanned one is another copy whose HEAD
holds the same blobs under two-character folders (made with ``git mktree``,
checked out with ``git reset --hard``).  Both are packed first (``git gc``,
untimed), as a clone is.  Each round, in each layout, alternating: one new
issue file, ``git add`` of it, ``git commit``, the loose bytes that commit
left in ``.git/objects`` (a commit writes every tree on the path to the file
it changed; a flat folder's tree names every issue), and ``git status``.
After the rounds, ``git gc`` of each.  Medians; the ratio is fanned / flat.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests")]

from gibench.generation import cached_repo, settle_git, working_copy  # noqa: E402
from gibench.processes import git, run, sealed_env  # noqa: E402

LAYOUTS = ("flat", "fanned")


def fan_out(repo: Path, env: dict[str, str]) -> None:
    """Make HEAD hold every ``.issues/<id>.yml`` as ``.issues/<id[:2]>/<id>.yml``."""
    groups: dict[str, list[str]] = defaultdict(list)
    top: list[str] = []
    for line in git(repo, env, "ls-tree", "HEAD:.issues").splitlines():
        info, name = line.split("\t", 1)
        if name.endswith(".yml") and name != "config.yml":
            groups[name[:2]].append(f"{info}\t{name}")
        else:
            top.append(line)
    batch = "\n\n".join("\n".join(entries) for entries in groups.values()) + "\n"
    shas = run(["git", "mktree", "--batch"], repo, env, input=batch).stdout.split()
    top += [f"040000 tree {sha}\t{folder}" for folder, sha in zip(groups, shas, strict=True)]
    issues = run(["git", "mktree"], repo, env, input="\n".join(top) + "\n").stdout.strip()
    root = [line for line in git(repo, env, "ls-tree", "HEAD").splitlines()
            if not line.endswith("\t.issues")] + [f"040000 tree {issues}\t.issues"]
    tree = run(["git", "mktree"], repo, env, input="\n".join(root) + "\n").stdout.strip()
    commit = git(repo, env, "commit-tree", tree, "-p", "HEAD", "-m", "fan out").strip()
    git(repo, env, "reset", "-q", "--hard", commit)


def loose_bytes(repo: Path) -> int:
    objects = repo / ".git" / "objects"
    return sum(f.stat().st_size for d in objects.glob("[0-9a-f][0-9a-f]") for f in d.iterdir())


def timed(repo: Path, env: dict[str, str], *args: str) -> float:
    start = time.perf_counter()
    git(repo, env, *args)
    return time.perf_counter() - start


def one_round(repo: Path, layout: str, env: dict[str, str], number: int,
              sample: str) -> dict[str, float]:
    issue_id = f"zz{number:06d}"
    folder = repo / ".issues" / (issue_id[:2] if layout == "fanned" else "")
    folder.mkdir(exist_ok=True)
    path = folder / f"{issue_id}.yml"
    path.write_text(sample.replace("id: ", f"id: {issue_id}\n# was: ", 1), encoding="utf-8")
    out = {"git add": timed(repo, env, "add", "--", str(path.relative_to(repo)))}
    before = loose_bytes(repo)
    out["git commit"] = timed(repo, env, "commit", "-q", "--no-verify", "-m", f"new {issue_id}")
    out["loose KB per commit"] = (loose_bytes(repo) - before) / 1e3
    out["git status"] = timed(repo, env, "status", "--porcelain")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=250_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--dir", default=None, help="where the two copies go")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fanout-bench-", dir=args.dir) as tmp:
        scratch = Path(tmp)
        (scratch / "home").mkdir()
        env = sealed_env(scratch / "home", Path(sys.executable).parent)
        pristine, _ = cached_repo(args.n, env, regen=False)
        repos = {}
        for layout in LAYOUTS:
            (scratch / layout).mkdir()
            repos[layout] = working_copy(pristine, scratch / layout)
            if layout == "fanned":
                fan_out(repos[layout], env)
            git(repos[layout], env, "gc", "-q")
            settle_git(repos[layout], env)
        sample = next((repos["flat"] / ".issues").glob("*.yml")).read_text(encoding="utf-8")
        samples: dict[str, dict[str, list[float]]] = {k: defaultdict(list) for k in LAYOUTS}
        for number in range(args.rounds):
            for layout in LAYOUTS if number % 2 == 0 else LAYOUTS[::-1]:
                for key, value in one_round(repos[layout], layout, env, number, sample).items():
                    samples[layout][key].append(value)
        for layout in LAYOUTS:
            samples[layout]["git gc"].append(timed(repos[layout], env, "gc", "-q"))
        print(f"\n{args.n:,} issues, {args.rounds} rounds (medians)")
        print("| | flat | fanned | fanned / flat |\n| --- | ---: | ---: | ---: |")
        for key in samples["flat"]:
            flat, fanned = (statistics.median(samples[k][key]) for k in LAYOUTS)
            unit = "" if "KB" in key else " s"
            print(f"| {key} | {flat:.3g}{unit} | {fanned:.3g}{unit} | {fanned / flat:.2f} |")


if __name__ == "__main__":
    main()
