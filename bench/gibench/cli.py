"""The command line: parse the options, run every size, print the report."""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from gibench.common import OUT, PEER, PEER_VERSION, SEED, BenchError
from gibench.generation import cached_repo, settle_git, working_copy
from gibench.measures import measure_hooks, measure_reads, measure_reindex, measure_writes
from gibench.peer import measure_peer
from gibench.processes import sealed_env
from gibench.report import floors_line, machine, side_by_side, table
from gibench.results import Row, log
from gibench.runner import Bench

DESCRIPTION = "Benchmark git-issues as a user meets it: whole cold processes, against floors."


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", default="1000,10000",
                        help="issue counts, comma-separated (default 1000,10000; "
                             "100000 is opt-in)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per measure (median)")
    parser.add_argument("--no-peer", action="store_true", help=f"skip {PEER}")
    parser.add_argument("--no-hooks", action="store_true", help="skip the hooks measures")
    parser.add_argument("--json", metavar="OUT", help="write the raw numbers here")
    parser.add_argument("--regen", action="store_true", help="rebuild the cached repositories")
    parser.add_argument("--keep", action="store_true",
                        help="keep the working copies (printed) for inspection")
    args = parser.parse_args(argv)
    args.sizes = [int(x.replace("_", "")) for x in args.n.split(",") if x.strip()]
    if args.repeat < 1 or any(n < 50 for n in args.sizes):
        parser.error("--repeat must be ≥ 1 and every N ≥ 50")
    return args


def bench_size(b: Bench, n: int, args: argparse.Namespace, scratch: Path) -> dict[str, Row]:
    pristine, spec = cached_repo(n, b.env, args.regen)
    work = Path(tempfile.mkdtemp(prefix=f"n{n}-", dir=scratch))
    repo = working_copy(pristine, work)
    settle_git(repo, b.env)
    log(f"N={n}: measuring in {repo}")
    rng = random.Random(SEED + n)
    ours = measure_reads(b, repo, spec, rng)
    ours.update(measure_writes(b, repo, spec, rng))
    ours.update(measure_reindex(b, repo, spec, ours["fresh"]))
    if not args.no_hooks:
        ours.update({f"hooks_{k}": v for k, v in
                     measure_hooks(b, repo, spec, ours["fresh"]).items()})
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return ours


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    OUT.mkdir(exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="git-issues-bench-"))
    home = scratch / "home"
    home.mkdir()
    scripts = Path(sys.executable).parent
    env = sealed_env(home, scripts)
    b = Bench(args.repeat, env)
    if not Path(b.script).exists():
        log(f"error: {b.script} not found; install the package (pip install -e .)")
        return 1
    info = machine(b, env)
    started = time.perf_counter()
    ours: dict[int, dict[str, Row]] = {}
    peer: dict[int, dict[str, Row]] = {}
    try:
        for n in args.sizes:
            ours[n] = bench_size(b, n, args, scratch)
            if not args.no_peer:
                try:
                    peer[n] = measure_peer(b, n, env, args.regen, random.Random(SEED - n))
                except BenchError as exc:
                    b.na(f"{PEER}", n, "(peer)", f"failed: {exc}")
    finally:
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
    elapsed = time.perf_counter() - started

    print("## Machine\n")
    for key in ("nproc", "cpu", "python", "git", "platform", "load_average_at_start"):
        print(f"- {key}: {info[key]}")
    print(f"- console script: `{info['script']}` ({info['script_shebang']}); floors with "
          f"`{info['python_executable']}`")
    print(f"- command: `python bench/run.py --n {args.n} --repeat {args.repeat}"
          f"{' --no-peer' if args.no_peer else ''}` ({elapsed:.0f} s)\n")
    print("## Results (medians of whole cold processes; ratios against "
          "`python -c \"import click\"` timed interleaved)\n")
    print(table(b.rows), flush=True)
    print()
    for n in args.sizes:
        line = floors_line(b.rows, n)
        if line:
            print(f"- {line}")
    comparison = side_by_side(ours, peer)
    if comparison:
        print(f"\n## Side by side with {PEER} {PEER_VERSION}\n")
        print(comparison)
    if args.json:
        Path(args.json).write_text(json.dumps(
            {"machine": info, "args": {"n": args.sizes, "repeat": args.repeat,
                                       "peer": not args.no_peer},
             "elapsed_s": elapsed, "rows": [r.to_json() for r in b.rows]}, indent=2),
            encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
