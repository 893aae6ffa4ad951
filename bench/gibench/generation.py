"""Generating the repositories: seeded issues written by the package's own writer, committed with
the branches the measures check out and merge; cached under ``bench/out/``."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from gibench.common import (
    CHECKOUT_FILES,
    CODE_FILES,
    FF_FILES,
    GEN_VERSION,
    HERE,
    NEEDLE,
    OUT,
    SEED,
)
from gibench.processes import git
from gibench.results import log

WORDS = """
index cache engine file parser writer reader branch merge commit hook checkout rebase
label status priority title body comment author assignee query search filter sort
limit table column schema version migration database connection cursor transaction
lock timeout retry error warning crash leak memory descriptor process thread signal
terminal colour output input prompt editor template config option flag argument path
prefix id token unicode encoding yaml json sqlite stat mtime ctime inode racy stale
fresh rebuild refresh scan plan insert delete update select join view trigger fts
slow fast startup import module package install wheel setup test fixture coverage
docs readme tutorial example typo broken missing wrong duplicate empty huge nested
alias hostile safe unsafe quote block literal folded key order byte stable round
trip windows linux macos worktree submodule remote fetch push pull clone bare
shallow sparse hooks driver conflict resolve ours theirs base marker review diff
log history blame rename move copy link blocks blocked related ready close reopen
""".split()
TITLE_VERBS = "Fix Add Remove Support Handle Speed up Document Refactor Test Avoid".split()
LABELS = "bug feature docs perf index cli format git ux security refactor test".split()
PEOPLE = [
    "Ada Lovelace <ada@example.com>", "Bob Dev <bob@example.com>",
    "Carol Ops <carol@example.com>", "Dan Reviewer <dan@example.com>",
    "Eve Tester <eve@example.com>", "Frank Maintainer <frank@example.com>",
]
BASE_EPOCH = 1_704_067_200  # 2024-01-01T00:00:00Z
SPAN = 2 * 365 * 86_400


@dataclass
class Spec:
    """What the generator made, so that measures pick ids it did not touch."""

    n: int
    ids: list[str]
    open_ids: list[str]
    checkout_ids: list[str]
    ff_ids: list[str]

    def free(self, rng: random.Random, *, open_only: bool = False) -> list[str]:
        """Ids that no prepared branch touches, shuffled: one per repetition."""
        taken = set(self.checkout_ids) | set(self.ff_ids)
        pool = [i for i in (self.open_ids if open_only else self.ids) if i not in taken]
        rng.shuffle(pool)
        return pool


def stamp(seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def sentence(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high)))


def new_id(rng: random.Random, alphabet: str, taken: set[str]) -> str:
    while True:
        candidate = "".join(rng.choice(alphabet) for _ in range(8))
        if candidate not in taken:
            taken.add(candidate)
            return candidate


def make_issue(rng: random.Random, issue_id: str, earlier: list[str], alphabet: str,
               taken: set[str]):
    """A plausible issue: a few-line body, 0-3 labels and comments, some closed."""
    from git_issues.core.model import Comment, Issue

    created = BASE_EPOCH + rng.randrange(SPAN)
    title = f"{rng.choice(TITLE_VERBS)} {sentence(rng, 2, 8)}"
    lines = [sentence(rng, 4, 12) for _ in range(rng.randint(1, 5))]
    if rng.random() < 0.01:
        lines.append(f"Seen as a {NEEDLE} in production.")
    comments = []
    when = created
    for _ in range(rng.choices((0, 1, 2, 3), weights=(4, 3, 2, 1))[0]):
        when += rng.randrange(60, 30 * 86_400)
        body = "\n".join(sentence(rng, 3, 12) for _ in range(rng.randint(1, 3))) + "\n"
        comments.append(Comment(id=new_id(rng, alphabet, taken), date=stamp(when),
                                author=rng.choice(PEOPLE), body=body))
    closed = stamp(when + rng.randrange(60, 60 * 86_400)) if rng.random() < 0.3 else None
    links = {}
    if earlier and rng.random() < 0.05:
        links = {"blocks": [rng.choice(earlier)]}
    return Issue(
        id=issue_id, title=title, status="closed" if closed else "open", created=stamp(created),
        priority=None if rng.random() < 0.15 else rng.choices(range(5), (1, 3, 6, 4, 2))[0],
        labels=rng.sample(LABELS, rng.choices((0, 1, 2, 3), weights=(3, 4, 2, 1))[0]),
        assignees=[rng.choice(PEOPLE).split("<")[1].rstrip(">")] if rng.random() < 0.4 else [],
        author=rng.choice(PEOPLE), closed=closed, links=links,
        body="\n".join(lines) + "\n", comments=comments,
    )


def generate_issues(n: int, seed: int) -> list:
    from git_issues.core.ids import ALPHABET

    rng = random.Random(seed)
    taken: set[str] = set()
    ids = [new_id(rng, ALPHABET, taken) for _ in range(n)]
    return [make_issue(rng, issue_id, ids[:k], ALPHABET, taken) for k, issue_id in enumerate(ids)]


def write_issues(issues_dir: Path, issues: Iterable) -> None:
    from git_issues.fileformat.issuefile import dump_issue

    for issue in issues:
        (issues_dir / f"{issue.id}.yml").write_text(dump_issue(issue), encoding="utf-8")


def write_code(root: Path, revision: int) -> None:
    """CODE_FILES small modules; ``revision`` changes every one of them."""
    code = root / "src" / "gen"
    code.mkdir(parents=True, exist_ok=True)
    for k in range(CODE_FILES):
        (code / f"mod_{k:04d}.py").write_text(
            f'"""Module {k}."""\n\n\ndef f_{k}():\n    return {k * 7 + revision}\n',
            encoding="utf-8")


def commit_all(root: Path, env: dict[str, str], message: str) -> None:
    git(root, env, "add", "-A")
    git(root, env, "commit", "-q", "--no-verify", "-m", message)


def build_repo(n: int, target: Path, env: dict[str, str]) -> Spec:
    """A repository of ``n`` issues on main plus the branches the measures switch to.

    * ``bench-issues100``: CHECKOUT_FILES issue titles changed (a checkout that
      changes issue files, for the no-hooks freshness check);
    * ``bench-code1000``: CODE_FILES code files changed, no issue file (a
      checkout the hooks must let through almost for free);
    * ``bench-ff10``: FF_FILES issues get a comment (a fast-forward merge).
    """
    from git_issues.core.model import Comment
    from git_issues.fileformat.issuefile import dump_issue
    from git_issues.repo.config import DEFAULT_TEXT

    rng = random.Random(SEED + 1)
    issues = generate_issues(n, SEED)
    target.mkdir(parents=True)
    git(target, env, "init", "-q", "-b", "main")
    # No background `gc --auto` after the big commit: it would repack while the
    # repository is copied for a measure (and its load would skew the timings).
    git(target, env, "config", "gc.auto", "0")
    (target / "README.md").write_text("# A project with issues\n", encoding="utf-8")
    write_code(target, 0)
    issues_dir = target / ".issues"
    issues_dir.mkdir()
    (issues_dir / "config.yml").write_text(DEFAULT_TEXT, encoding="utf-8")
    write_issues(issues_dir, issues)
    commit_all(target, env, f"{n} issues")

    picked = rng.sample(range(n), min(n, CHECKOUT_FILES + FF_FILES))
    checkout = [issues[k] for k in picked[:CHECKOUT_FILES]]
    ff = [issues[k] for k in picked[CHECKOUT_FILES:]]

    git(target, env, "checkout", "-q", "-b", "bench-issues100")
    for issue in checkout:
        issue.title += " (revised)"
        (issues_dir / f"{issue.id}.yml").write_text(dump_issue(issue), encoding="utf-8")
    commit_all(target, env, "revise 100 titles")

    git(target, env, "checkout", "-q", "-B", "bench-code1000", "main")
    write_code(target, 1)
    commit_all(target, env, "change 1000 code files")

    git(target, env, "checkout", "-q", "-B", "bench-ff10", "main")
    for k, issue in enumerate(ff):
        issue.comments.append(Comment(id=f"ffcomm{k:02d}", date=stamp(BASE_EPOCH + SPAN + k),
                                      author=PEOPLE[0], body="Merged from a branch.\n"))
        (issues_dir / f"{issue.id}.yml").write_text(dump_issue(issue), encoding="utf-8")
    commit_all(target, env, "comment on 10 issues")
    git(target, env, "checkout", "-q", "main")
    return Spec(n=n, ids=[i.id for i in issues],
                open_ids=[i.id for i in issues if i.closed is None],
                checkout_ids=[i.id for i in checkout], ff_ids=[i.id for i in ff])


def in_fresh_process(func: Callable, *args: object) -> object:
    """Run ``func`` in a new interpreter and return its result.

    Generating 100k issues takes this process to a few hundred MB, and Linux
    hands a process's peak RSS on to every child it starts (``exec`` keeps the
    larger of the old and the new peak): every command measured afterwards
    would show the generator's memory instead of its own.
    """
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(func, args)


def cached_repo(n: int, env: dict[str, str], regen: bool) -> tuple[Path, Spec]:
    """The pristine repository for ``n`` (built once; never used in place)."""
    path = OUT / f"repo-n{n}-g{GEN_VERSION}"
    meta = path.with_suffix(".json")
    if regen or not meta.exists():
        shutil.rmtree(path, ignore_errors=True)
        building = path.with_name(path.name + ".building")
        shutil.rmtree(building, ignore_errors=True)
        log(f"generating {n} issues into {building.relative_to(HERE.parent)} ...")
        start = time.perf_counter()
        spec = in_fresh_process(build_repo, n, building, env)
        building.rename(path)
        meta.write_text(json.dumps(asdict(spec)), encoding="utf-8")
        log(f"  generated in {time.perf_counter() - start:.1f} s")
    return path, Spec(**json.loads(meta.read_text(encoding="utf-8")))


def working_copy(pristine: Path, scratch: Path) -> Path:
    """A fresh copy, so that the measures' edits never touch the cache."""
    target = scratch / "repo"
    subprocess.run(["cp", "-a", str(pristine), str(target)], check=True)
    return target


def settle_git(repo: Path, env: dict[str, str]) -> None:
    """After a copy every file's ctime changed: let git re-stat them once, untimed,
    so that the first timed git command does not pay for it."""
    git(repo, env, "update-index", "-q", "--refresh")
    git(repo, env, "status", "--porcelain")
