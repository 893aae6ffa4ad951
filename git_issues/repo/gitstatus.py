"""``git status`` of the issue folder, run beside this process: what differs from HEAD.

The index asks it which issue files may have changed (``index.gitfeed``).  At
100,000 files the status takes ~0.2 s, as long as everything else a read does,
so the command line starts it first thing (``started_early``), while Python is
still importing the command, and the read picks it up (``take_early``) if it
is for the repository of the folder it was started in.  Nothing outlives the
command's block: the process is waited for when it ends, and it is ended with
SIGTERM, never SIGKILL.

A read writes nothing in the repository, so the status runs with
``--no-optional-locks``: unlike the user's own ``git status`` it never writes a
refreshed index back.  After a copy of the repository (``cp -a``) or a ``touch``
of every file, git hashes the files whose stat data it holds stale on every
read, until a ``git status`` or any command that writes git's index refreshes it
(docs/performance.md, "Asking git").
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import NamedTuple

from git_issues.errors import GitIssuesError
from git_issues.fastpaths import portable
from git_issues.repo.gitutil import current_time_limit, run
from git_issues.repo.store import ISSUES_DIR, is_fan_folder, issue_names

LIMIT = 5_000  # past this many entries git's answer is not worth parsing: compare all
_ARGS = ["status", "--porcelain=v2", "-z", "--branch", "--no-renames",
         "--ignore-submodules=all"]
# Without a change feed: the issue folder only, every untracked or ignored file named.
_FOLDER = ["--untracked-files=all", "--ignored=traditional", "--", f":/{ISSUES_DIR}"]
# With git's fsmonitor and untracked cache: the whole work tree in git's default mode,
# which is what lets git use both (a pathspec, -uall or --ignored turns the cache off,
# and git would list all 250,000 names again).
_WATCHED = ["--untracked-files=normal"]
_CONFIG = ["config", "--get-regexp", r"^core\.(fsmonitor|untrackedcache)$"]
_FIELDS = {b"1": 9, b"u": 11}  # a changed or unmerged entry: its path is the last field
# Read commands whose first step is the index's freshness check.
EARLY_COMMANDS = frozenset({"ls", "list", "ready", "show", "view"})


class Look(NamedTuple):
    """What git said: the commit HEAD names and the issue files that differ from it."""

    head: str
    dirty: frozenset[str]


class Probe:
    """One ``git status`` running; its answer can be taken once."""

    def __init__(self, proc: subprocess.Popen[bytes], cwd: str) -> None:
        self._proc = proc
        self.cwd = cwd
        self.taken = False

    def look(self) -> Look | None:
        """git's answer, or None when it cannot vouch for the folder."""
        self.taken = True
        try:
            out, _ = self._proc.communicate(timeout=current_time_limit())
        except (subprocess.TimeoutExpired, ValueError):
            return None
        return parse(out) if self._proc.returncode == 0 else None

    def close(self) -> None:
        if self._proc.poll() is None:  # nobody asked: no need to wait for its answer
            self._proc.terminate()
        if self._proc.stdout is not None:
            self._proc.stdout.close()
        self._proc.wait()


@contextmanager
def started(cwd: Path | str) -> Iterator[Probe | None]:
    """``git status`` of the issue folder of the repository around ``cwd``; None when
    it cannot be asked (the portable switch, or git missing)."""
    if portable():
        yield None
        return
    try:
        scope = _WATCHED if watched(cwd) else _FOLDER
        proc = subprocess.Popen(["git", "--no-optional-locks", *_ARGS, *scope], cwd=cwd,
                                stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    except OSError:
        yield None
        return
    probe = Probe(proc, os.path.realpath(cwd))
    try:
        yield probe
    finally:
        probe.close()


def watched(cwd: Path | str) -> bool:
    """Whether git has a change feed here: ``core.fsmonitor`` (watchman's hook, or git's
    own daemon) with ``core.untrackedCache``.  git is asked (one ``git config``) only
    when a config file git reads mentions fsmonitor or includes another: a read
    otherwise starts no ``git config`` (tests/test_resolve.py counts them)."""
    if not _may_be_watched(Path(cwd).resolve()):
        return False
    try:
        proc = run(_CONFIG, cwd, check=False)
    except GitIssuesError:
        return False
    found = dict(line.split(" ", 1) for line in
                 proc.stdout.decode("utf-8", "replace").lower().splitlines() if " " in line)
    return found.get("core.fsmonitor", "false") not in ("false", "no", "off", "0", "") \
        and found.get("core.untrackedcache") in ("true", "yes", "on", "1")


def _may_be_watched(cwd: Path) -> bool:
    """Whether a config file git reads could set core.fsmonitor: one that names it or
    includes another, or one this check does not find (a linked worktree's, a
    submodule's, the environment's).  Its own files are found as git finds them,
    upwards to the first ``.git``; then the user's and the system's."""
    if os.environ.get("GIT_CONFIG_COUNT") or os.environ.get("GIT_DIR"):
        return True
    dot = next((folder / ".git" for folder in (cwd, *cwd.parents)
                if (folder / ".git").exists()), None)
    if dot is None or not dot.is_dir() or (dot / "commondir").exists():
        return True  # "gitdir: PATH" (a worktree, a submodule): let git say
    home = Path(os.environ.get("HOME", "~")).expanduser()
    xdg = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config")
    files = (dot / "config", dot / "config.worktree",
             Path(os.environ.get("GIT_CONFIG_GLOBAL") or home / ".gitconfig"),
             xdg / "git" / "config", Path(os.environ.get("GIT_CONFIG_SYSTEM") or "/etc/gitconfig"))
    return any(_names_fsmonitor(path) for path in files)


def _names_fsmonitor(path: Path) -> bool:
    try:
        text = path.read_bytes().lower()
    except OSError:
        return False
    return b"fsmonitor" in text or b"include" in text


_EARLY: ContextVar[Probe | None] = ContextVar("early_git_status", default=None)


@contextmanager
def started_early(args: list[str]) -> Iterator[None]:
    """For the block of one command line: start the status now if the command is a
    read (``args``: its arguments), for ``take_early``."""
    command = next((arg for arg in args if not arg.startswith("-")), None)
    try:
        cwd = os.getcwd()
    except OSError:  # the folder was removed under the shell: the command says so itself
        command = None
    if command not in EARLY_COMMANDS:
        yield
        return
    with started(cwd) as probe:
        token = _EARLY.set(probe)
        try:
            yield
        finally:
            _EARLY.reset(token)


def take_early(where: Path) -> Probe | None:
    """The early status, if it was started in ``where`` (so in its repository) and
    nobody used it yet: the first read to use it marks it ``taken``."""
    probe = _EARLY.get()
    if probe is None or probe.taken or probe.cwd != os.path.realpath(where):
        return None
    return probe


def parse(out: bytes) -> Look | None:
    """A ``status --porcelain=v2 -z --branch`` record list as a ``Look``."""
    records = out.split(b"\0")
    if len(records) > LIMIT + 8:
        return None
    head = None
    dirty = []
    prefix = ISSUES_DIR.encode() + b"/"
    for record in records:
        kind = record[:1]
        if kind == b"#":
            if record.startswith(b"# branch.oid "):
                head = record[13:].decode("ascii", "replace")
            continue
        if kind in (b"?", b"!"):
            path = record[2:]
        elif kind in _FIELDS:
            path = record.split(b" ", _FIELDS[kind] - 1)[-1]
        else:
            continue
        if not path.startswith(prefix):
            continue
        name = path[len(prefix):].decode("utf-8", "surrogateescape")
        folder, slash, base = name.partition("/")
        if not name or (slash and not base and is_fan_folder(folder)):
            return None  # a folder wholly untracked (git's default mode): no names
        if not slash or ("/" not in base and is_fan_folder(folder)):
            dirty.append(name)
    if head is None or not head.isalnum():  # "(initial)": no commit to compare with
        return None
    return Look(head, frozenset(issue_names(dirty)))
