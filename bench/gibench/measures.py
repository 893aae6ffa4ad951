"""The measures: reads, writes, reindex and the hooks, on one working copy."""

from __future__ import annotations

import random
import shutil
from collections.abc import Callable
from pathlib import Path

from gibench.common import NEEDLE, BenchError
from gibench.generation import Spec, sentence
from gibench.processes import git, run, run_timed
from gibench.results import Row, judge_against, judge_ratio, log
from gibench.runner import Bench


def hand_edit(path: Path, title: str) -> None:
    """What a person does in an editor: change the title line, nothing else."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for k, line in enumerate(lines):
        if line.startswith("title: "):
            lines[k] = f"title: {title}\n"
            break
    path.write_text("".join(lines), encoding="utf-8")


BARE_PARSE = """
import os, yaml
d = '.issues'
for name in os.listdir(d):
    if name.endswith('.yml') and name != 'config.yml':
        with open(os.path.join(d, name), 'rb') as f:
            yaml.load(f.read(), Loader=yaml.CSafeLoader)
"""


def measure_reads(b: Bench, repo: Path, spec: Spec, rng: random.Random) -> dict[str, Row]:
    """Cases 1-3 and 5: ls fresh, after a hand edit, after a checkout, full text."""
    n, env = spec.n, b.env
    out: dict[str, Row] = {}
    def warm(_r: int = 0) -> None:
        run(b.gi("ls", "-n", "1"), repo, env)

    warm()
    fresh = b.measure(Row("ls -n 50 (fresh)", n), repo, lambda r: b.gi("ls", "-n", "50"))
    out["fresh"] = judge_ratio(fresh, 5.0 if n >= 100_000 else 2.5)

    branches = ["bench-issues100", "main"]
    checkout = b.measure(
        Row("ls -n 50 (after checkout, 100 files)", n), repo, lambda r: b.gi("ls", "-n", "50"),
        prepare=lambda r: git(repo, env, "checkout", "-q", branches[r % 2]))
    git(repo, env, "checkout", "-q", "main")
    warm()
    out["checkout"] = judge_ratio(checkout, 4.0)

    edits = spec.free(rng)
    edited = b.measure(
        Row("ls -n 50 (after hand edit)", n), repo, lambda r: b.gi("ls", "-n", "50"),
        prepare=lambda r: hand_edit(repo / ".issues" / f"{edits[r]}.yml",
                                    f"Edited by hand {r} {sentence(rng, 2, 5)}"))
    # The two measures run a minute apart and the machine's load may change in
    # between: compare with the fresh time scaled by how the click floor moved.
    scaled = None
    if fresh.median and fresh.click and edited.click:
        scaled = fresh.median * edited.click / fresh.click
    out["edit"] = judge_against(edited, scaled, 1.2, "fresh")

    warm()
    query = b.measure(Row(f"ls -q {NEEDLE}", n), repo, lambda r: b.gi("ls", "-q", NEEDLE),
                      prepare=warm)
    out["query"] = judge_ratio(query, 3.0)
    return out


def measure_writes(b: Bench, repo: Path, spec: Spec, rng: random.Random) -> dict[str, Row]:
    """Case 4: show/new/close/comment/edit, each on its own id, index warm before."""
    n, env = spec.n, b.env
    def warm(_r: int = 0) -> None:
        run(b.gi("ls", "-n", "1"), repo, env)

    open_pool = spec.free(rng, open_only=True)
    any_pool = spec.free(rng)
    commands: list[tuple[str, Callable[[int], list[str]]]] = [
        ("show", lambda r: b.gi("show", any_pool[r])),
        ("new", lambda r: b.gi("new", f"Bench {r} {sentence(rng, 3, 7)}")),
        ("close", lambda r: b.gi("close", open_pool[r])),
        ("comment", lambda r: b.gi("comment", any_pool[b.repeat + r], "-m", "bench note")),
        ("edit", lambda r: b.gi("edit", any_pool[2 * b.repeat + r], "--title",
                                f"Retitled {r} {sentence(rng, 2, 5)}")),
    ]
    out: dict[str, Row] = {}
    for name, argv in commands:
        label = {"show": "show ID", "new": "new TITLE", "close": "close ID",
                 "comment": "comment ID -m", "edit": "edit ID --title"}[name]
        if not b.has(repo, name):
            out[name] = b.na(label, n, "≤ 2.5× click", f"`{name}` not registered yet")
            continue
        out[name] = judge_ratio(b.measure(Row(label, n), repo, argv, prepare=warm), 2.5)
    return out


def measure_reindex(b: Bench, repo: Path, spec: Spec, fresh: Row) -> dict[str, Row]:
    """Case 6 and 7: reindex against the bare C-loader parse, and the peak RSS."""
    n = spec.n
    parse, reindex = Row("bare CSafeLoader parse", n), Row("reindex", n)
    b.measure_pair(parse, reindex, repo, [b.python, "-c", BARE_PARSE], b.gi("reindex"))
    parse.goal = "(reference)"
    judge_against(reindex, parse.median if parse.samples else None, 1.5, "parse")
    out = {"parse": parse, "reindex": reindex}
    for key, source, limit in (("rss_ls", fresh, 150), ("rss_reindex", reindex, 300)):
        row = Row(f"peak RSS {source.measure.split(' (')[0]}", n, goal=f"≤ {limit} MB")
        if source.rss_kb and source.samples:
            mb = max(source.rss_kb) / 1024
            row.rss_kb = list(source.rss_kb)
            row.shown = f"{mb:.0f} MB"
            row.met = mb <= limit
        else:
            row.note = "n/a (no run)"
        b.rows.append(row)
        out[key] = row
    return out


def set_hooks(b: Bench, repo: Path, on: bool) -> None:
    run(b.gi("hooks", "install" if on else "uninstall"), repo, b.env)


def hook_copies(b: Bench, repo: Path, where: Path) -> dict[str, Path]:
    """The installed post-checkout and post-merge scripts, copied aside.

    Running a copy by hand, with the arguments git would pass, times the hook
    alone: one process instead of the difference of two noisy git runs.
    """
    set_hooks(b, repo, True)
    hooks_dir = Path(git(repo, b.env, "rev-parse", "--git-path", "hooks").strip())
    hooks_dir = hooks_dir if hooks_dir.is_absolute() else repo / hooks_dir
    where.mkdir(parents=True, exist_ok=True)
    copies = {}
    for name in ("post-checkout", "post-merge"):
        copies[name] = where / name
        shutil.copy2(hooks_dir / name, copies[name])
    set_hooks(b, repo, False)
    return copies


class HookRows:
    """The rows of case 8, filled repetition by repetition."""

    def __init__(self, n: int) -> None:
        self.plain = Row("git checkout 1000 code files, no hooks", n)
        self.hooked = Row("git checkout 1000 code files, hooks", n)
        self.checkout_hook = Row("post-checkout hook alone (code only)", n, goal="≤ 10 ms")
        self.merge_plain = Row("git merge --ff-only 10 issues, no hooks", n)
        self.merge_hooked = Row("git merge --ff-only 10 issues, hooks", n)
        self.merge_hook = Row("post-merge hook alone (10 issues)", n)

    def all(self) -> list[Row]:
        return [self.plain, self.hooked, self.checkout_hook, self.merge_plain,
                self.merge_hooked, self.merge_hook]


def hooks_round(b: Bench, repo: Path, rows: HookRows, copies: dict[str, Path], on: bool,
                shas: dict[str, str]) -> None:
    """One repetition in one condition: two checkouts, then a fast-forward merge."""
    env = b.env
    set_hooks(b, repo, on)
    for source, target in (("main", "bench-code1000"), ("bench-code1000", "main")):
        sample = run_timed(["git", "checkout", "-q", target], repo, env)
        (rows.hooked if on else rows.plain).samples.append(sample.seconds)
        if not on:  # the same hook, run by hand where git would have run it
            sample = run_timed([str(copies["post-checkout"]), shas[source], shas[target], "1"],
                               repo, env)
            rows.checkout_hook.samples.append(sample.seconds)
    git(repo, env, "checkout", "-q", "-B", "bench-ffwork", "main")
    run(b.gi("ls", "-n", "1"), repo, env)  # the index is fresh before the merge
    sample = run_timed(["git", "merge", "-q", "--ff-only", "bench-ff10"], repo, env)
    (rows.merge_hooked if on else rows.merge_plain).samples.append(sample.seconds)
    if not on:  # ORIG_HEAD is main, HEAD the merged tip, the index is stale: the hook's case
        sample = run_timed([str(copies["post-merge"]), "0"], repo, env)
        rows.merge_hook.samples.append(sample.seconds)
    git(repo, env, "checkout", "-q", "main")


def measure_hooks(b: Bench, repo: Path, spec: Spec, fresh: Row) -> dict[str, Row]:
    """Case 8: what installed hooks add to a code-only checkout and to a merge.

    Hooks are switched on and off inside every repetition (order alternating),
    so both conditions see the same machine; the checkout is timed twice per
    repetition (there and back).  The goals are judged on the hooks run alone
    (same scripts, same arguments), since the difference of two git runs is
    mostly noise on a shared machine; the differences are shown beside them.
    """
    n, env = spec.n, b.env
    if not b.has(repo, "hooks", "install"):
        why = "`hooks install` not registered yet"
        return {"checkout": b.na("post-checkout hook alone (code only)", n, "≤ 10 ms", why),
                "merge": b.na("post-merge hook alone (10 issues)", n, "≤ 2× ls fresh", why)}
    git(repo, env, "reset", "-q", "--hard")
    git(repo, env, "clean", "-fdq", "--", ".issues")
    git(repo, env, "checkout", "-q", "main")
    shas = {name: git(repo, env, "rev-parse", name).strip()
            for name in ("main", "bench-code1000")}
    rows = HookRows(n)
    b.rows.extend(rows.all())
    try:
        copies = hook_copies(b, repo, repo.parent / "hook-copies")
        for target in ("bench-code1000", "main"):  # untimed: git settles its own index
            git(repo, env, "checkout", "-q", target)
        for r in range(b.repeat):
            for on in ((False, True) if r % 2 == 0 else (True, False)):
                hooks_round(b, repo, rows, copies, on, shas)
    except BenchError as exc:
        for row in rows.all():
            row.samples.clear()
            row.note = f"failed: {exc}"
        log(f"  hooks: failed: {exc}")
        return {}
    finally:
        run(b.gi("hooks", "uninstall"), repo, env, check=False)
    hook = rows.checkout_hook
    added = hook.median
    hook.shown = f"{added * 1000:.1f} ms (checkout diff: " \
                 f"{(rows.hooked.median - rows.plain.median) * 1000:+.0f} ms)"
    hook.met = added <= 0.010
    merge = rows.merge_hook
    judge_against(merge, fresh.median, 2.0, "ls fresh")
    merge.shown += f" (merge diff: {rows.merge_hooked.median - rows.merge_plain.median:.3f} s)"
    for row in rows.all():
        log(f"  {row.measure:<40} n={n:<7} median {row.median:.3f} s")
    return {"checkout": hook, "merge": merge}
