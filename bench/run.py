#!/usr/bin/env python3
"""Benchmark git-issues as a user meets it: whole cold processes, against floors.

    python bench/run.py [--n 1000,10000,100000] [--repeat 5] [--no-peer] [--json OUT]

Why it is built this way:

* Every command runs as a whole new process, because start-up (imports) is most
  of what a user waits for, and an in-process timer would hide it.
* The floors (``python -c pass`` and ``python -c "import click"``) are timed in
  the same run, interleaved with the measured runs, because the machines this
  runs on are shared and noisy: a ratio to a floor taken seconds apart is far
  steadier than a time in seconds.  Ratios are against ``import click``.
* The console script is run by its real path next to ``sys.executable``, not
  through a pyenv shim (which adds tens of milliseconds of shell).
* Repositories are generated with the package's own canonical writer, so the
  files are exactly what the tool writes, and cached under ``bench/out/``
  (gitignored); each run works on a fresh copy, so nothing drifts.
* The peer (microbeads, from PyPI) is installed into a throw-away venv under
  ``bench/out/`` and timed on a repository of the same size, in the same run.

See bench/README.md for what each measure does.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
GEN_VERSION = 1  # bump when the generated repositories change shape
SEED = 20261126
PEER = "microbeads"
PEER_VERSION = "0.3.0"
TIMEOUT = 900.0  # seconds; a hung command (an editor?) must not hang the bench
NEEDLE = "segfault"  # the full-text word; in about 1% of issues
CHECKOUT_FILES = 100  # issue files that differ between main and bench-issues100
FF_FILES = 10  # issue files a fast-forward merge changes
CODE_FILES = 1000  # code files that differ between main and bench-code1000

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

_ENV_DROP = ("ISSUES_DB_PATH", "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_EDITOR",
             "VISUAL", "EDITOR", "GIT_CONFIG_GLOBAL", "GIT_CONFIG", "PAGER", "GIT_PAGER",
             "PYTHONDONTWRITEBYTECODE", "PYTHONPROFILEIMPORTTIME")


class BenchError(RuntimeError):
    """A setup step or a measured command failed; the message says which."""


# --------------------------------------------------------------------------- processes

@dataclass
class Sample:
    seconds: float
    rss_kb: int


def run_timed(argv: Sequence[str], cwd: Path, env: dict[str, str]) -> Sample:
    """One whole process: wall time from spawn to reap, and its peak RSS.

    ``os.wait4`` gives the child's own rusage (ru_maxrss, in KiB on Linux),
    which ``subprocess`` does not expose.  A watchdog kills a hung child.
    """
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(list(argv), cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=err)
        watchdog = threading.Timer(TIMEOUT, proc.kill)
        watchdog.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            watchdog.cancel()
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # already reaped
        if proc.returncode != 0:
            err.seek(0)
            text = err.read().decode("utf-8", "replace").strip().splitlines()
            tail = text[-1] if text else "(no message)"
            raise BenchError(f"`{' '.join(argv)}` exited {proc.returncode}: {tail}")
    return Sample(seconds, usage.ru_maxrss)


def run(argv: Sequence[str], cwd: Path, env: dict[str, str], *,
        check: bool = True, input: str | None = None) -> subprocess.CompletedProcess:
    """An untimed helper process (setup, warm-ups)."""
    proc = subprocess.run(list(argv), cwd=cwd, env=env, input=input, capture_output=True,
                          text=True, timeout=TIMEOUT)
    if check and proc.returncode != 0:
        msg = (proc.stderr or proc.stdout).strip()
        raise BenchError(f"`{' '.join(argv)}` in {cwd} exited {proc.returncode}: {msg}")
    return proc


def git(cwd: Path, env: dict[str, str], *args: str) -> str:
    return run(["git", *args], cwd, env).stdout


def sealed_env(home: Path, scripts: Path) -> dict[str, str]:
    """The user's settings (hooks paths, editors, ISSUES_DB_PATH) must not leak in.

    The scripts directory goes first on PATH so that hooks calling ``git issues``
    reach the real script, not a pyenv shim.
    """
    env = {k: v for k, v in os.environ.items() if k not in _ENV_DROP}
    env.update({
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Bench Runner", "GIT_AUTHOR_EMAIL": "bench@example.com",
        "GIT_COMMITTER_NAME": "Bench Runner", "GIT_COMMITTER_EMAIL": "bench@example.com",
        "GIT_EDITOR": "false",  # a command that opens an editor fails instead of hanging
        "NO_COLOR": "1",
        "PATH": f"{scripts}{os.pathsep}{os.environ.get('PATH', '')}",
    })
    return env


# --------------------------------------------------------------------------- generation

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
    from git_issues.model import Comment, Issue

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
        assignee=rng.choice(PEOPLE).split("<")[1].rstrip(">") if rng.random() < 0.4 else None,
        author=rng.choice(PEOPLE), closed=closed, links=links,
        body="\n".join(lines) + "\n", comments=comments,
    )


def generate_issues(n: int, seed: int) -> list:
    from git_issues.ids import ALPHABET

    rng = random.Random(seed)
    taken: set[str] = set()
    ids = [new_id(rng, ALPHABET, taken) for _ in range(n)]
    return [make_issue(rng, issue_id, ids[:k], ALPHABET, taken) for k, issue_id in enumerate(ids)]


def write_issues(issues_dir: Path, issues: Iterable) -> None:
    from git_issues.fileformat import dump_issue

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
    from git_issues.config import DEFAULT_TEXT
    from git_issues.fileformat import dump_issue
    from git_issues.model import Comment

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


# --------------------------------------------------------------------------- results

@dataclass
class Row:
    """One line of the table (and of the JSON)."""

    measure: str
    n: int
    samples: list[float] = field(default_factory=list)
    rss_kb: list[int] = field(default_factory=list)
    floor_click: list[float] = field(default_factory=list)
    floor_pass: list[float] = field(default_factory=list)
    goal: str = ""
    shown: str = ""  # the figure compared with the goal, as text
    met: bool | None = None
    note: str = ""

    @property
    def median(self) -> float | None:
        return statistics.median(self.samples) if self.samples else None

    @property
    def click(self) -> float | None:
        return statistics.median(self.floor_click) if self.floor_click else None

    @property
    def ratio(self) -> float | None:
        if self.median is None or not self.click:
            return None
        return self.median / self.click

    def to_json(self) -> dict:
        data = asdict(self)
        data.update(median=self.median, floor_click_median=self.click, ratio=self.ratio,
                    floor_pass_median=statistics.median(self.floor_pass)
                    if self.floor_pass else None)
        return data


def judge_ratio(row: Row, limit: float) -> Row:
    row.goal = f"≤ {limit:g}× click"
    if row.ratio is not None:
        row.shown = f"{row.ratio:.2f}×"
        row.met = row.ratio <= limit
    return row


def judge_against(row: Row, base: float | None, limit: float, what: str) -> Row:
    row.goal = f"≤ {limit:g}× {what}"
    if row.median is not None and base:
        ratio = row.median / base
        row.shown = f"{ratio:.2f}× {what}"
        row.met = ratio <= limit
    return row


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- the runner

class Bench:
    """Times commands with the floors interleaved; collects rows."""

    def __init__(self, repeat: int, env: dict[str, str]) -> None:
        self.repeat = repeat
        self.env = env
        self.python = sys.executable
        self.script = str(Path(sys.executable).parent / "git-issues")
        self.rows: list[Row] = []

    def floors(self, row: Row, cwd: Path) -> None:
        """One run of each floor, in the same cwd and environment as the command."""
        click = run_timed([self.python, "-c", "import click"], cwd, self.env)
        bare = run_timed([self.python, "-c", "pass"], cwd, self.env)
        row.floor_click.append(click.seconds)
        row.floor_pass.append(bare.seconds)

    def measure(self, row: Row, cwd: Path, argv: Callable[[int], Sequence[str]],
                prepare: Callable[[int], None] | None = None) -> Row:
        """``repeat`` runs of ``argv(r)``, each next to a fresh pair of floor runs.

        The floors run before the command on even repetitions and after it on
        odd ones, so that a slow spell of the machine hits both alike.
        """
        self.rows.append(row)
        try:
            for r in range(self.repeat):
                if prepare:
                    prepare(r)
                if r % 2 == 0:
                    self.floors(row, cwd)
                sample = run_timed(argv(r), cwd, self.env)
                if r % 2 == 1:
                    self.floors(row, cwd)
                row.samples.append(sample.seconds)
                row.rss_kb.append(sample.rss_kb)
        except BenchError as exc:
            row.samples.clear()
            row.note = f"failed: {exc}"
            log(f"  {row.measure}: {row.note}")
        else:
            log(f"  {row.measure:<28} n={row.n:<7} median {row.median:.3f} s"
                + (f"  ({row.ratio:.2f}× click)" if row.ratio else ""))
        return row

    def measure_pair(self, first: Row, second: Row, cwd: Path, first_argv: Sequence[str],
                     second_argv: Sequence[str]) -> None:
        """Two commands timed in alternation, for the ratio of one to the other
        (``reindex`` against the bare parse): a slow spell hits both alike."""
        self.rows += [first, second]
        try:
            for r in range(self.repeat):
                order = [(first, first_argv), (second, second_argv)]
                for row, argv in (order if r % 2 == 0 else order[::-1]):
                    self.floors(row, cwd)
                    sample = run_timed(argv, cwd, self.env)
                    row.samples.append(sample.seconds)
                    row.rss_kb.append(sample.rss_kb)
        except BenchError as exc:
            for row in (first, second):
                row.samples.clear()
                row.note = f"failed: {exc}"
            log(f"  {first.measure} / {second.measure}: failed: {exc}")
            return
        for row in (first, second):
            log(f"  {row.measure:<28} n={row.n:<7} median {row.median:.3f} s"
                + (f"  ({row.ratio:.2f}× click)" if row.ratio else ""))

    def has(self, cwd: Path, *command: str) -> bool:
        """Whether the installed CLI knows ``command`` yet (other issues add them)."""
        return run([self.script, *command, "-h"], cwd, self.env, check=False).returncode == 0

    def na(self, measure: str, n: int, goal: str, why: str) -> Row:
        row = Row(measure, n, goal=goal, note=why)
        self.rows.append(row)
        log(f"  {measure}: n/a ({why})")
        return row

    def gi(self, *args: str) -> list[str]:
        return [self.script, *args]


# --------------------------------------------------------------------------- measures

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


# --------------------------------------------------------------------------- the peer

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


# --------------------------------------------------------------------------- report

def machine(b: Bench, env: dict[str, str]) -> dict[str, str]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    shebang = ""
    try:
        with open(b.script, encoding="utf-8") as fh:
            shebang = fh.readline().strip()
    except OSError:
        pass
    return {
        "nproc": str(os.cpu_count()), "cpu": model or platform.processor(),
        "python": platform.python_version(), "python_executable": sys.executable,
        "script": b.script, "script_shebang": shebang,
        "git": run(["git", "--version"], HERE, env).stdout.strip(),
        "platform": platform.platform(),
        "load_average_at_start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def fmt_rss(row: Row) -> str:
    return f"{max(row.rss_kb) / 1024:.0f}" if row.rss_kb and row.samples else ""


def table(rows: list[Row]) -> str:
    head = ("| measure | N | median s | × click floor | peak RSS MB | goal | measured | met? |\n"
            "| --- | ---: | ---: | ---: | ---: | --- | --- | --- |")
    lines = [head]
    for row in rows:
        median = f"{row.median:.3f}" if row.median is not None else "n/a"
        if row.measure.startswith("peak RSS"):
            median = ""
        ratio = f"{row.ratio:.2f}" if row.ratio is not None and row.floor_click else ""
        met = {True: "yes", False: "**no**", None: ""}[row.met]
        shown = row.shown or (row.note if row.note else "")
        rss = "" if row.measure.startswith("peak RSS") else fmt_rss(row)
        lines.append(f"| {row.measure} | {row.n} | {median} | {ratio} | {rss} | {row.goal} | "
                     f"{shown} | {met} |")
    return "\n".join(lines)


def floors_line(rows: list[Row], n: int) -> str:
    click = [s for r in rows if r.n == n for s in r.floor_click]
    bare = [s for r in rows if r.n == n for s in r.floor_pass]
    if not click:
        return ""
    return (f"floors at N={n} (all interleaved runs): `python -c pass` "
            f"{statistics.median(bare):.3f} s, `python -c \"import click\"` "
            f"{statistics.median(click):.3f} s ({len(click)} runs)")


def side_by_side(ours: dict[int, dict[str, Row]], peer: dict[int, dict[str, Row]]) -> str:
    """Each tool against its own interleaved floor: the two are timed minutes apart,
    so on a shared machine their seconds are not comparable, their ratios are."""
    lines = ["| N | git-issues | s | × click | microbeads | s | × click | git-issues faster by |",
             "| ---: | --- | ---: | ---: | --- | ---: | ---: | ---: |"]
    pairs = (("fresh", "ls -n 50", "list", "mb list"), ("show", "show ID", "show", "mb show ID"),
             ("new", "new TITLE", "create", "mb create TITLE"))
    for n in sorted(peer):
        for key, label, pkey, plabel in pairs:
            a, p = ours.get(n, {}).get(key), peer[n].get(pkey)
            if not a or not p or a.ratio is None or p.ratio is None:
                continue
            lines.append(f"| {n} | {label} | {a.median:.3f} | {a.ratio:.2f} | {plabel} | "
                         f"{p.median:.3f} | {p.ratio:.2f} | {p.ratio / a.ratio:.2f}× |")
    return "\n".join(lines) if len(lines) > 2 else ""


# --------------------------------------------------------------------------- main

def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
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
