"""git's status as the index's change feed (issue 27): as exact as a stat of every file.

A read asks ``git status`` which issue files differ from HEAD and checks only
those, with the files the last read saw differ and those two HEADs changed
(``index.gitfeed``).  Here a seeded random walk does what people do to an
issue folder in git: same-size edits inside the timestamp's granularity,
staging, commits, amends, checkouts of another branch, hard resets, stashes,
removals, ``rm --cached``, untracked files, touches.  After every step a read
through the workspace (so through git) must hold exactly what the files hold,
and most reads must have taken the git path, or the walk proves nothing.  The
walk runs again with git's untracked cache, and with watchman as git's
fsmonitor where watchman is installed (``.ci/run`` installs it where apt can).
"""

from __future__ import annotations

import os
import random
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import git
from test_index import write_issue

from git_issues.fastpaths import portable
from git_issues.index import gitfeed
from git_issues.index.refresh import ensure_fresh, read_meta
from git_issues.ops.layout import set_layout
from git_issues.repo.gitstatus import parse, started, watched
from git_issues.repo.workspace import open_workspace

pytestmark = pytest.mark.in_process

IDS = [f"gfee{n:04d}" for n in range(24)]


def _truth(repo: Path) -> dict[str, tuple[str, str]]:
    """What the files say: id -> (title, status)."""
    found = {}
    for path in [*(repo / ".issues").glob("*.yml"), *(repo / ".issues").glob("??/*.yml")]:
        if path.name == "config.yml":
            continue
        doc = yaml.safe_load(path.read_text())
        found[doc["id"]] = (doc["title"], doc["status"])
    return found


def _read(repo: Path) -> tuple[dict[str, tuple[str, str]], bool]:
    """What a read through the workspace holds, and whether it recorded git's look."""
    with open_workspace(repo) as ws:
        ensure_fresh(ws.sources)
        db = ws.sources.db_path
    with sqlite3.connect(db) as conn:
        rows = {i: (t, s) for i, t, s in conn.execute("SELECT id, title, status FROM issues")}
        meta = read_meta(conn)
    conn.close()
    seal = gitfeed.read_seal(meta)
    return rows, seal is not None and seal.stamp == gitfeed.stamp_of(meta)


class Walk:
    """One step at a time of what a user does to the folder, chosen by a seeded random."""

    def __init__(self, repo: Path, rng: random.Random, fanned: bool = False) -> None:
        self.repo, self.rng, self.fanned = repo, rng, fanned
        self.stashed = False

    def _path(self, issue_id: str) -> Path:
        """Where the issue is, in either layout; where a new one goes if nowhere."""
        flat = self.repo / ".issues" / f"{issue_id}.yml"
        fanned = self.repo / ".issues" / issue_id[:2] / f"{issue_id}.yml"
        if fanned.exists() or (self.fanned and not flat.exists()):
            return fanned
        return flat

    def _existing(self) -> list[str]:
        folder = self.repo / ".issues"
        return sorted({p.stem for p in [*folder.glob("gfee*.yml"), *folder.glob("gf/gfee*.yml")]})

    def edit_same_size(self) -> None:
        """A new title of the same length, in place: stat size unchanged, mtime racy."""
        ids = self._existing()
        if ids:
            path = self._path(self.rng.choice(ids))
            text = path.read_text()
            old = yaml.safe_load(text)["title"]
            path.write_text(text.replace(f"title: {old}\n",
                                         f"title: Title {self.rng.randint(1000, 9999)}\n"))

    def close(self) -> None:
        ids = self._existing()
        if ids:
            path = self._path(self.rng.choice(ids))
            text = path.read_text()
            path.write_text(text.replace("status: open\n", "status: closed\n")
                            if "status: open" in text else
                            text.replace("status: closed\n", "status: open\n"))

    def new_file(self) -> None:
        missing = [i for i in IDS if not self._path(i).exists()]
        if missing:
            issue_id = self.rng.choice(missing)
            target = self._path(issue_id)
            written = write_issue(self.repo, issue_id, f"Title {self.rng.randint(1000, 9999)}")
            target.parent.mkdir(exist_ok=True)
            written.rename(target)

    def remove(self) -> None:
        ids = self._existing()
        if ids:
            self._path(self.rng.choice(ids)).unlink()

    def touch(self) -> None:
        ids = self._existing()
        if ids:
            when = self.rng.randint(1_600_000_000, 1_700_000_000) * 10**9
            os.utime(self._path(self.rng.choice(ids)), ns=(when, when))

    def stage(self) -> None:
        git(self.repo, "add", "-A", ".issues")

    def commit(self) -> None:
        git(self.repo, "add", "-A", ".issues")
        git(self.repo, "commit", "-q", "--allow-empty", "-m", "step")

    def amend(self) -> None:
        self.edit_same_size()
        git(self.repo, "commit", "-q", "-a", "--amend", "--no-edit", "--allow-empty")

    def switch(self) -> None:
        current = git(self.repo, "branch", "--show-current").strip()
        git(self.repo, "checkout", "-q", "-f", "other" if current == "main" else "main")

    def reset_hard(self) -> None:
        if int(git(self.repo, "rev-list", "--count", "HEAD")) > 3:
            git(self.repo, "reset", "-q", "--hard", "HEAD~1")

    def restore(self) -> None:
        tracked = git(self.repo, "ls-files", "--", ".issues").split()
        if tracked:
            git(self.repo, "checkout", "-q", "--", self.rng.choice(tracked))

    def unstage_all(self) -> None:
        git(self.repo, "reset", "-q")

    def rm_cached(self) -> None:
        tracked = git(self.repo, "ls-files", "--", ".issues").split()
        if tracked:
            git(self.repo, "rm", "-q", "--cached", self.rng.choice(tracked))

    def stash(self) -> None:
        if not self.stashed:
            git(self.repo, "stash", "-q", "-u")
            self.stashed = bool(git(self.repo, "stash", "list").strip())
            return
        git(self.repo, "stash", "pop", "-q", check=False)
        if git(self.repo, "diff", "--name-only", "--diff-filter=U").strip():
            git(self.repo, "reset", "-q", "--hard")  # a conflicted pop: start clean
            git(self.repo, "stash", "drop", "-q", check=False)
        self.stashed = bool(git(self.repo, "stash", "list").strip())

    STEPS = ("edit_same_size", "edit_same_size", "close", "new_file", "remove", "touch",
             "stage", "commit", "commit", "amend", "switch", "reset_hard", "restore",
             "unstage_all", "rm_cached", "stash")

    def step(self) -> str:
        name = self.rng.choice(self.STEPS)
        getattr(self, name)()
        return name


@pytest.fixture
def walked(repo: Path) -> Path:
    for n, issue_id in enumerate(IDS[:16]):
        write_issue(repo, issue_id, f"Title {1000 + n}")
    git(repo, "add", "-A", ".issues")
    git(repo, "commit", "-q", "-m", "issues")
    git(repo, "branch", "other")
    git(repo, "checkout", "-q", "other")
    for n, issue_id in enumerate(IDS[10:20]):
        write_issue(repo, issue_id, f"Other {2000 + n}", status="closed")
    git(repo, "add", "-A", ".issues")
    git(repo, "commit", "-q", "-m", "other issues")
    git(repo, "checkout", "-q", "main")
    return repo


def _walk(repo: Path, seed: int, steps: int, fanned: bool = False) -> None:
    walk = Walk(repo, random.Random(seed), fanned)
    by_git = 0
    for n in range(steps):
        done = walk.step()
        rows, sealed = _read(repo)
        assert rows == _truth(repo), f"seed {seed}, step {n} ({done}): the index is stale"
        by_git += sealed
    if portable():  # the fast paths off: every read compares every file, as exactly
        assert by_git == 0
    else:
        assert by_git >= steps * 0.8, f"only {by_git} of {steps} reads were checked by git"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_read_through_git_holds_what_the_files_hold(walked: Path, seed: int):
    _walk(walked, seed, 60)


def test_the_same_with_gits_untracked_cache(walked: Path):
    git(walked, "config", "core.untrackedCache", "true")
    git(walked, "update-index", "--untracked-cache")
    assert not watched(walked)  # no fsmonitor: the folder's status, every file named
    _walk(walked, 4, 60)


@pytest.fixture
def fanned(walked: Path) -> Path:
    """The walk's repository with main's issues moved to fanned-out folders (``layout
    fanned``, committed) and the branch ``other`` still flat: a checkout between them
    moves every file from one layout to the other."""
    with open_workspace(walked) as ws:
        set_layout(ws, "fanned")
    git(walked, "commit", "-q", "-m", "fan out")
    assert (walked / ".issues" / "gf" / f"{IDS[0]}.yml").is_file()
    return walked


def test_the_same_across_both_layouts(fanned: Path):
    _walk(fanned, 6, 60, fanned=True)


def _watchman_hook() -> Path | None:
    """git's sample fsmonitor hook for watchman, from git's templates."""
    for folder in ("/usr/share/git-core/templates/hooks",
                   "/usr/local/share/git-core/templates/hooks"):
        sample = Path(folder) / "fsmonitor-watchman.sample"
        if sample.is_file():
            return sample
    return None


@pytest.fixture
def watched_repo(walked: Path) -> Path:
    if shutil.which("watchman") is None or _watchman_hook() is None:
        pytest.skip("watchman or git's fsmonitor-watchman hook is not installed")
    hook = walked / ".git" / "hooks" / "fsmonitor-watchman"
    shutil.copy(_watchman_hook(), hook)
    hook.chmod(0o755)
    git(walked, "config", "core.fsmonitor", str(hook))
    git(walked, "config", "core.untrackedCache", "true")
    git(walked, "update-index", "--untracked-cache", "--fsmonitor")
    git(walked, "status", "--porcelain")  # watchman starts watching here
    yield walked
    subprocess.run(["watchman", "watch-del", str(walked)], capture_output=True, check=False)


def test_the_same_with_watchman_as_gits_fsmonitor(watched_repo: Path):
    assert watched(watched_repo)  # so the status is the whole tree's, in git's default mode
    _walk(watched_repo, 5, 60)


def test_no_commit_yet_is_checked_file_by_file(tmp_path: Path, monkeypatch):
    """Without a HEAD git has nothing to compare with: every file is stat-ed instead."""
    repo = tmp_path / "fresh"
    repo.mkdir()
    git(repo, "init", "-q")
    monkeypatch.chdir(repo)
    write_issue(repo, IDS[0], "Before any commit")
    rows, sealed = _read(repo)
    assert rows == _truth(repo) and not sealed


def test_porcelain_records_name_the_issue_files_only():
    out = b"\0".join([
        b"# branch.oid " + b"a" * 40, b"# branch.head main",
        b"1 .M N... 100644 100644 100644 " + b"b" * 40 + b" " + b"c" * 40 + b" .issues/ab 12.yml",
        b"u UU N... 100644 100644 100644 100644 " + b"d" * 40 + b" " + b"e" * 40 + b" "
        + b"f" * 40 + b" .issues/cd.yml",
        b"? .issues/new.yml", b"! .issues/ignored.yml", b"? .issues/.tmp.1.yml.tmp",
        b"? .issues/templates/bug.yml", b"? .issues/config.yml", b"",
    ])
    look = parse(out)
    assert look is not None and look.head == "a" * 40
    assert look.dirty == {"ab 12.yml", "cd.yml", "new.yml", "ignored.yml"}
    assert parse(b"# branch.oid (initial)\0# branch.head main\0? .issues/a.yml\0") is None
    # git's default mode names a wholly untracked folder once: no names to go by
    assert parse(b"# branch.oid " + b"a" * 40 + b"\0? .issues/\0") is None


@pytest.mark.skipif(portable(), reason="GIT_ISSUES_PORTABLE=1: git is not asked")
def test_a_file_edited_while_git_answered_is_checked_again(walked: Path):
    """git's answer comes before the files are read: a file the read found changed
    since stays on the list for the next read, even if git then calls it clean."""
    path = walked / ".issues" / f"{IDS[3]}.yml"
    committed = path.read_text()
    _read(walked)  # the index built
    path.write_text(committed.replace("title: Title 1003", "title: Dirty 1003"))
    assert _read(walked)[1]  # the seal lists the file as differing from HEAD
    git(walked, "checkout", "-q", "--", str(path))  # clean again
    with open_workspace(walked) as ws, started(walked) as probe:
        assert probe is not None
        probe._proc.wait()  # git has answered "clean" ...
        path.write_text(committed.replace("title: Title 1003", "title: Later 1003"))
        ensure_fresh(ws.sources._replace(early=probe))  # ... before this edit was read
    git(walked, "checkout", "-q", "--", str(path))  # and clean once more: git names nothing
    rows, sealed = _read(walked)
    assert rows == _truth(walked) and sealed


def test_porcelain_names_fanned_out_files_and_gives_up_on_a_wholly_untracked_folder():
    head = b"# branch.oid " + b"a" * 40
    look = parse(b"\0".join([head, b"? .issues/gf/gfee0001.yml", b"? .issues/xyz/a.yml",
                             b"? .issues/templates/", b"? .issues/gf/deeper/b.yml", b""]))
    assert look is not None and look.dirty == {"gf/gfee0001.yml"}
    assert parse(b"\0".join([head, b"? .issues/gf/", b""])) is None  # git's default mode
