"""The peer: microbeads from PyPI, in a throw-away venv, on a repository of the same size."""

from __future__ import annotations

import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

from gibench.common import GEN_VERSION, HERE, OUT, PEER, PEER_VERSION, SEED
from gibench.generation import commit_all, generate_issues, in_fresh_process, sentence
from gibench.processes import git, run
from gibench.results import Row, log
from gibench.runner import Bench

PEER_POPULATE = r"""
import json, sys
from datetime import datetime, timedelta
from pathlib import Path
from microbeads import issues, repo

spec = json.loads(Path(sys.argv[1]).read_text())
worktree = repo.get_worktree_path(Path(spec["root"]))
prefix = repo.get_prefix(worktree)
seen, made = set(), []
for item in spec["issues"]:
    issue = issues.create_issue(title=item["title"], worktree=worktree,
                                description=item["body"], priority=item["priority"],
                                labels=item["labels"], notes=item["notes"])
    when = datetime.fromisoformat(item["created"].replace("Z", "+00:00"))
    issue_id = issues.generate_id(item["title"], prefix, when)
    while issue_id in seen:  # 8 hex digits collide at 100k; nudge the stamp
        when += timedelta(seconds=1)
        issue_id = issues.generate_id(item["title"], prefix, when)
    seen.add(issue_id)
    issue.update(id=issue_id, created_at=item["created"], updated_at=item["created"])
    if item["closed"]:
        issue.update(status="closed", closed_at=item["closed"], closed_reason="done",
                     updated_at=item["closed"])
    issues.save_issue(worktree, issue)
    made.append(issue_id)
print(json.dumps(made))
"""


def peer_venv(env: dict[str, str]) -> Path:
    """microbeads from PyPI in a venv of its own (reused across runs)."""
    venv = OUT / f"peer-venv-{PEER}-{PEER_VERSION}"
    marker = venv / ".installed"
    if not marker.exists():
        shutil.rmtree(venv, ignore_errors=True)
        log(f"installing {PEER}=={PEER_VERSION} into {venv.relative_to(HERE.parent)} ...")
        run([sys.executable, "-m", "venv", str(venv)], OUT, env)
        run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q",
             "--disable-pip-version-check", f"{PEER}=={PEER_VERSION}"], OUT, env)
        marker.write_text(PEER_VERSION, encoding="utf-8")
    return venv


def peer_items(n: int) -> list[dict]:
    """The same generated issues, as the peer's API takes them."""
    return [{"title": i.title, "body": i.body, "priority": 2 if i.priority is None else i.priority,
             "labels": i.labels, "created": i.created, "closed": i.closed,
             "notes": "".join(c.body for c in i.comments)} for i in generate_issues(n, SEED)]


def peer_repo(n: int, venv: Path, env: dict[str, str], regen: bool) -> tuple[Path, list[str]]:
    """A microbeads repository of ``n`` issues, populated through its Python API.

    It is used in place (its worktree records absolute paths, so it cannot be
    copied) and restored with ``git reset --hard`` + ``git clean`` around use.
    """
    path = OUT / f"peer-n{n}-g{GEN_VERSION}"
    meta = path.with_suffix(".json")
    if not regen and meta.exists():
        return path, json.loads(meta.read_text(encoding="utf-8"))
    shutil.rmtree(path, ignore_errors=True)
    log(f"populating {PEER} with {n} issues ...")
    start = time.perf_counter()
    path.mkdir(parents=True)
    git(path, env, "init", "-q", "-b", "main")
    (path / "README.md").write_text("# A project with issues\n", encoding="utf-8")
    commit_all(path, env, "initial")
    run([str(venv / "bin" / "mb"), "init", "--stealth"], path, env)
    items = in_fresh_process(peer_items, n)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump({"root": str(path), "issues": items}, fh)
    try:
        made = json.loads(run([str(venv / "bin" / "python"), "-c", PEER_POPULATE, fh.name],
                              path, env).stdout)
    finally:
        os.unlink(fh.name)
    worktree = path / ".git" / "microbeads-worktree"
    commit_all(worktree, env, f"{n} issues")
    meta.write_text(json.dumps(made), encoding="utf-8")
    log(f"  populated in {time.perf_counter() - start:.1f} s")
    return path, made


def peer_restore(path: Path, env: dict[str, str]) -> None:
    worktree = path / ".git" / "microbeads-worktree"
    git(worktree, env, "reset", "-q", "--hard")
    git(worktree, env, "clean", "-fdq")


def measure_peer(b: Bench, n: int, env: dict[str, str], regen: bool,
                 rng: random.Random) -> dict[str, Row]:
    venv = peer_venv(env)
    path, ids = peer_repo(n, venv, env, regen)
    mb = str(venv / "bin" / "mb")
    peer_restore(path, env)
    pool = list(ids)
    rng.shuffle(pool)
    out: dict[str, Row] = {}
    try:
        run([mb, "list"], path, env)  # writes its disk cache, like our warm index
        out["list"] = b.measure(Row(f"{PEER}: mb list", n, goal="(peer)"), path,
                                lambda r: [mb, "list"])
        out["show"] = b.measure(Row(f"{PEER}: mb show ID", n, goal="(peer)"), path,
                                lambda r: [mb, "show", pool[r]])
        out["create"] = b.measure(Row(f"{PEER}: mb create TITLE", n, goal="(peer)"), path,
                                  lambda r: [mb, "create", f"Bench {r} {sentence(rng, 3, 7)}"])
    finally:
        peer_restore(path, env)
    return out
