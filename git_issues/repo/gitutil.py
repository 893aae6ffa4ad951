"""The git plumbing the tool needs, through the real ``git`` binary.

Each call is one short-lived ``git`` process that has exited when the call
returns: nothing here keeps a process, a handle or a discovered path alive
between calls, so a long-running program can open any number of workspaces.
"""

from __future__ import annotations

import os
import random
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import NamedTuple

from git_issues.errors import GitIssuesError


class GitError(GitIssuesError):
    """git refused; the message is git's own first line."""


# Seconds a git process may take, or None: the command line waits as long as git
# works, a server (``serve``) gives each request's git calls a limit, so that a
# FIFO at .git/HEAD cannot hold a worker forever.  A context variable: set for
# the block of one request in its own thread, never for the process.
_TIME_LIMIT: ContextVar[float | None] = ContextVar("git_time_limit", default=None)


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Every git call inside the block is killed after ``seconds``, with a clear error."""
    token = _TIME_LIMIT.set(seconds)
    try:
        yield
    finally:
        _TIME_LIMIT.reset(token)


def current_time_limit() -> float | None:
    return _TIME_LIMIT.get()


def run(args: list[str], cwd: Path | str | None = None, *, input: bytes | None = None,
        check: bool = True, env: dict[str, str] | None = None,
        new_session: bool = False) -> subprocess.CompletedProcess:
    limit = _TIME_LIMIT.get()
    try:
        proc = subprocess.run(
            ["git", *args], cwd=cwd, input=input, capture_output=True, env=env, check=False,
            start_new_session=new_session, timeout=limit,
        )
    except (FileNotFoundError, NotADirectoryError):
        raise not_started(cwd) from None
    except subprocess.TimeoutExpired:
        raise too_slow(args[0], limit, cwd) from None
    if check and proc.returncode != 0:
        raise git_error(proc, args)
    return proc


def too_slow(command: str, limit: float | None, cwd: Path | str | None) -> GitIssuesError:
    """A git call killed at a server's time limit, named with its folder."""
    return GitIssuesError(f"git {command} did not answer within {limit:g} s in {cwd} "
                          "(is something in its .git a FIFO or on a hung disk?)")


def not_started(cwd: Path | str | None) -> GitIssuesError:
    """Why git could not start: its folder is gone (a repository moved away), or git is."""
    if cwd is not None and not Path(cwd).is_dir():
        what = "is not a folder" if Path(cwd).exists() else "does not exist (any more)"
        return GitIssuesError(f"{cwd} {what}")
    return GitIssuesError("git is not installed or not on PATH")


def git_error(proc: subprocess.CompletedProcess, args: list[str]) -> GitError:
    """git's own first line, without its ``fatal:``/``error:`` prefix: one line for the user."""
    message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
    first = message[0] if message else f"git {args[0]} failed"
    return GitError(first.removeprefix("fatal: ").removeprefix("error: "))


def empty_tree(root: Path) -> str:
    """The id of the empty tree, what a repository without commits is compared with
    (asked of git: it differs between SHA-1 and SHA-256 repositories)."""
    return output(["hash-object", "-t", "tree", "--stdin"], root, input=b"")


def output(args: list[str], cwd: Path | str | None = None, **kwargs) -> str:
    return run(args, cwd, **kwargs).stdout.decode("utf-8", "replace").rstrip("\n")


class RepoPaths(NamedTuple):
    root: Path  # the work tree
    git_dir: Path  # this worktree's own git directory
    common_dir: Path  # shared by all worktrees (hooks, config)


def discover(cwd: Path | str | None = None) -> RepoPaths:
    """The repository around ``cwd``, or a clear error outside one."""
    where = Path(cwd) if cwd is not None else Path.cwd()
    proc = run(
        ["rev-parse", "--show-toplevel", "--absolute-git-dir", "--git-common-dir"],
        where, check=False,
    )
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace")
        if "work tree" in err:
            raise GitIssuesError(f"{where}: not inside a git work tree (a bare repository?)")
        raise GitIssuesError(f"{where}: not a git repository (or any of its parents)")
    lines = proc.stdout.decode("utf-8", "surrogateescape").splitlines()
    if len(lines) != 3 or not lines[0]:
        raise GitIssuesError(f"{where}: not inside a git work tree")
    root, git_dir, common = (Path(line) for line in lines)
    if not common.is_absolute():
        common = (where / common).resolve()
    return RepoPaths(root=root, git_dir=git_dir, common_dir=common)


_LOCK_TRIES = 100  # about 10 s in all: far longer than any git add holds the lock


def add(root: Path, paths: list[Path | str]) -> None:
    """Stage files (new, changed or removed), as ``git add`` would.

    ``git update-index --add --remove`` names the paths to git's index and no
    more: ``git add`` reads the whole folder of each path first (its ignore
    rules), 28 ms against 5 ms a write at 10,000 issues, and more with every issue.

    Two commands run at once (``git issues new`` twice, an editor's git plugin)
    both take ``.git/index.lock``; git fails the second at once.  Waiting for the
    lock is what the user would do by hand, so this does it, briefly.
    """
    if not paths:
        return
    run_waiting_for_index(["update-index", "--add", "--remove", "--",
                           *[str(p) for p in paths]], root)


def run_waiting_for_index(args: list[str], root: Path, *, input: bytes | None = None,
                          new_session: bool = False,
                          env: dict[str, str] | None = None) -> None:
    """Run a git command that writes git's index, waiting briefly while another holds
    ``index.lock``; any other failure is git's own first line."""
    for attempt in range(_LOCK_TRIES):
        proc = run(args, root, input=input, check=False, new_session=new_session, env=env)
        if proc.returncode == 0:
            return
        if b"index.lock" not in proc.stderr or attempt == _LOCK_TRIES - 1:
            break
        time.sleep(0.02 + random.random() * 0.08)
    raise git_error(proc, args)


def ident(root: Path) -> str:
    """``Name <email>`` as git would record the author of a commit."""
    proc = run(["var", "GIT_AUTHOR_IDENT"], root, check=False)
    if proc.returncode != 0:
        raise GitIssuesError(
            "git does not know who you are: set user.name and user.email "
            "(git config --global user.email you@example.com)"
        )
    text = proc.stdout.decode("utf-8", "replace").strip()
    return text.rsplit(" ", 2)[0]


def email(root: Path) -> str | None:
    return config_get(root, "user.email") or None


def editor(root: Path) -> str:
    """The editor git would open: GIT_EDITOR, core.editor, VISUAL, EDITOR, then vi."""
    return output(["var", "GIT_EDITOR"], root, check=False) or os.environ.get("EDITOR", "vi")


def config_get(root: Path, key: str) -> str | None:
    proc = run(["config", "--get", key], root, check=False)
    return proc.stdout.decode("utf-8", "replace").strip() if proc.returncode == 0 else None


class BlobReader:
    """One ``git cat-file --batch`` process answering any number of object reads.

    Use it only as a context manager: leaving the block closes the pipe and
    waits for git, so no child process outlives the command.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> BlobReader:
        try:
            self.proc = subprocess.Popen(
                ["git", "cat-file", "--batch"], cwd=self.root,
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        except (FileNotFoundError, NotADirectoryError):
            raise not_started(self.root) from None
        self.limit = _TIME_LIMIT.get()
        self.watchdog: threading.Timer | None = None
        self.killed = threading.Event()
        if self.limit is not None:  # a server's request: a blocked object read must end
            self.watchdog = threading.Timer(self.limit, self._kill)
            self.watchdog.daemon = True
            self.watchdog.start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.proc is not None
        if self.watchdog is not None:
            self.watchdog.cancel()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                stream.close()
        self.proc.wait()
        self.proc = None

    def read(self, name: str) -> bytes | None:
        """The content of a blob (by id or ``rev:path``), or None if there is no such blob."""
        assert self.proc is not None and self.proc.stdin and self.proc.stdout, "use `with`"
        try:
            self.proc.stdin.write(name.encode("utf-8", "surrogateescape") + b"\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            pass  # git is gone: the empty answer below says why
        line = self.proc.stdout.readline()
        if not line and self.killed.is_set():
            raise too_slow("cat-file", self.limit, self.root)
        header = line.rstrip(b"\n").split(b" ")
        if len(header) != 3:  # "<name> missing" / "ambiguous"
            return None
        size = int(header[2])
        data = self.proc.stdout.read(size)
        self.proc.stdout.read(1)  # the newline after each object
        return data if header[1] == b"blob" else None

    def _kill(self) -> None:
        """The watchdog's act at the time limit: noted first, so a read sees why git ended."""
        self.killed.set()
        if self.proc is not None:
            self.proc.kill()
