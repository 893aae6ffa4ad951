"""The git hooks that keep the index warm and guard commits: install, inspect, run.

Hooks are an optimisation, never a requirement: every read checks freshness
itself.  So the scripts (in the top-level ``hooks/`` folder, shipped inside
the package) decide in sh, with git plumbing on the revisions git passes in,
whether a checkout, merge or rewrite touched ``.issues/`` at all, and only
then start Python to re-read what changed.

Installing follows pre-commit's installer: a hook that was already there (the
user's own, husky's, pre-commit's) is renamed to ``<name>.git-issues-orig``
and our script runs it first, with the same arguments and stdin; uninstalling
renames it back, which restores its bytes and its mode exactly.  Our scripts
are recognised by a marker line, so installing twice changes nothing.  The
hooks directory is the one git itself uses (``git rev-parse --git-path
hooks``), which honours ``core.hooksPath`` and is shared by linked worktrees;
each worktree keeps its own index in its own git dir.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from git_issues.errors import GitIssuesError
from git_issues.index.refresh import ensure_fresh
from git_issues.ops import validation
from git_issues.repo import gitutil
from git_issues.repo.registration import ensure_merge_driver
from git_issues.repo.store import CONFIG_PATH, ISSUES_DIR, path_stem, write_atomic
from git_issues.repo.workspace import Workspace

HOOK_NAMES = ("post-checkout", "post-merge", "post-rewrite", "pre-commit")
ORIG_SUFFIX = ".git-issues-orig"
MARKER = b"# git-issues hook, format "

OURS = "ours"
CHAINED = "chained"  # ours, running the hook that was there before first
FOREIGN = "foreign"
MISSING = "missing"

# The two template lines that install replaces with the command that installs.
_EXE_LINE = "git_issues_exe=git-issues\n"
_RUN_LINE = 'git_issues() { git-issues "$@"; }\n'
_MODE = 0o755


@dataclass(frozen=True)
class HookStatus:
    """One hook as ``hooks status`` reports it."""

    name: str
    path: Path
    state: str  # OURS, CHAINED, FOREIGN or MISSING
    current: bool  # ours, and exactly what ``install`` would write now

    @property
    def orig(self) -> Path:
        return self.path.with_name(self.path.name + ORIG_SUFFIX)


# -- the scripts ------------------------------------------------------------

def scripts_dir() -> Path:
    """The folder holding the hook templates.

    Installed, they sit beside this module as the data-only package
    ``git_issues/hook_scripts/`` (setup.cfg maps the top-level ``hooks/`` folder
    there); in a source checkout or an editable install they are that
    top-level folder itself.
    """
    here = Path(__file__).resolve().parents[1]  # the git_issues package
    for candidate in (here / "hook_scripts", here.parent / "hooks"):
        if (candidate / HOOK_NAMES[0]).is_file():
            return candidate
    raise FileNotFoundError("the git-issues hook scripts are not installed with the package")


def template(name: str) -> str:
    return (scripts_dir() / name).read_text(encoding="utf-8")


def command() -> list[str]:
    """The command the hooks run: the git-issues that is installing them, by absolute path.

    Hooks run with whatever PATH the program that runs git has (a GUI client,
    an IDE), so the path is baked into the script.  The console script that
    is running now comes first, then the one installed beside this Python,
    then this Python itself with ``-m git_issues``.
    """
    argv0 = Path(sys.argv[0])
    if argv0.name == "git-issues" and argv0.is_file() and os.access(argv0, os.X_OK):
        return [str(argv0.absolute())]
    beside = Path(sys.executable).parent / "git-issues"
    if beside.is_file() and os.access(beside, os.X_OK):
        return [str(beside)]
    return [sys.executable, "-m", "git_issues"]


def hook_script(name: str, cmd: list[str] | None = None) -> str:
    """The text of hook ``name`` with ``cmd`` (default: ``command()``) baked in."""
    cmd = cmd if cmd is not None else command()
    text = template(name)
    call = " ".join(shlex.quote(part) for part in cmd)
    for old, new in ((_EXE_LINE, f"git_issues_exe={shlex.quote(cmd[0])}\n"),
                     (_RUN_LINE, f'git_issues() {{ {call} "$@"; }}\n')):
        if text.count(old) != 1:
            raise RuntimeError(f"hook template {name}: expected one line {old.strip()!r}")
        text = text.replace(old, new)
    return text


# -- where they go ----------------------------------------------------------

def hooks_dir(ws: Workspace) -> Path:
    """The folder git runs hooks from: core.hooksPath or the common git dir's hooks."""
    found = Path(gitutil.output(["rev-parse", "--git-path", "hooks"], ws.root))
    return found if found.is_absolute() else ws.root / found


def _read(path: Path) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return handle.read(1 << 16)
    except OSError:
        return None


def is_ours(path: Path) -> bool:
    data = _read(path)
    return data is not None and MARKER in data


def _state(path: Path) -> str:
    if not os.path.lexists(path):
        return MISSING
    if not is_ours(path):
        return FOREIGN
    return CHAINED if os.path.lexists(f"{path}{ORIG_SUFFIX}") else OURS


def status(ws: Workspace, cmd: list[str] | None = None) -> list[HookStatus]:
    """Each hook's state; ``current`` says whether ``install`` would leave it as it is."""
    directory = hooks_dir(ws)
    result = []
    for name in HOOK_NAMES:
        path = directory / name
        state = _state(path)
        current = state in (OURS, CHAINED) and _read(path) == hook_script(name, cmd).encode()
        result.append(HookStatus(name, path, state, current))
    return result


def _shown(ws: Workspace, path: Path) -> str:
    """A path as the user would type it: relative to the work tree when inside it."""
    try:
        return str(path.relative_to(ws.root))
    except ValueError:
        return str(path)


def _tracked(ws: Workspace, paths: list[Path]) -> set[Path]:
    """Those of ``paths`` that are committed in the repository (a shared hooks folder)."""
    inside = {}
    for path in paths:
        try:
            inside[str(path.resolve().relative_to(ws.root.resolve()))] = path
        except ValueError:
            continue
    if not inside or paths[0].parent.resolve().is_relative_to(ws.paths.common_dir.resolve()):
        return set()
    proc = gitutil.run(["ls-files", "-z", "--", *inside], ws.root, check=False)
    listed = proc.stdout.decode("utf-8", "surrogateescape").split("\0")
    return {inside[name] for name in listed if name in inside}


def _write(path: Path, text: str) -> None:
    """Replace ``path`` atomically with an executable script (the rename is retried
    while Windows refuses it: a hook running holds it open)."""
    write_atomic(path, text.encode("utf-8"), mode=_MODE)


# -- install / uninstall ----------------------------------------------------

def install(ws: Workspace, cmd: list[str] | None = None) -> list[str]:
    """Put our hooks in place beside any that exist; returns what was done, for the user.

    A hook that was there is renamed to ``<name>.git-issues-orig`` and keeps
    running first.  A hook committed in the repository (a shared
    ``core.hooksPath`` folder) is left alone: changing it would change the
    project for everybody.  Running it again changes nothing.
    """
    directory = hooks_dir(ws)
    paths = [directory / name for name in HOOK_NAMES]
    tracked = _tracked(ws, paths)
    done: list[str] = []
    with _os_errors(ws, directory):
        directory.mkdir(parents=True, exist_ok=True)
        for name, path in zip(HOOK_NAMES, paths, strict=True):
            if path in tracked:
                done.append(f"left {_shown(ws, path)} alone: it is committed in the repository "
                            f"(call `git issues hooks run {name} \"$@\"` from it yourself)")
                continue
            done.extend(_install_one(ws, path, hook_script(name, cmd)))
    return done


def _install_one(ws: Workspace, path: Path, text: str) -> list[str]:
    orig = path.with_name(path.name + ORIG_SUFFIX)
    shown = _shown(ws, path)
    if os.path.lexists(path) and not is_ours(path):
        if os.path.lexists(orig):
            return [f"left {shown} alone: {orig.name} is there too; "
                    f"move one of them away and install again"]
        os.rename(path, orig)
        _write(path, text)
        return [f"installed {shown} (the hook that was there runs first, kept as {orig.name})"]
    if _read(path) == text.encode() and os.access(path, os.X_OK):
        return []
    existed = os.path.lexists(path)
    _write(path, text)
    return [f"{'updated' if existed else 'installed'} {shown}"]


def uninstall(ws: Workspace) -> list[str]:
    """Remove our hooks and put back the ones they replaced, byte for byte."""
    directory = hooks_dir(ws)
    done: list[str] = []
    with _os_errors(ws, directory):
        for name in HOOK_NAMES:
            done.extend(_uninstall_one(ws, directory / name))
    return done


def _uninstall_one(ws: Workspace, path: Path) -> list[str]:
    orig = path.with_name(path.name + ORIG_SUFFIX)
    shown = _shown(ws, path)
    if os.path.lexists(path) and not is_ours(path):
        return [f"left {shown} alone: it is not ours ({orig.name} kept)"] \
            if os.path.lexists(orig) else []
    done = []
    if os.path.lexists(path):
        os.unlink(path)
        done.append(f"removed {shown}")
    if os.path.lexists(orig):
        os.rename(orig, path)
        done.append(f"restored the previous {shown}")
    return done


@contextmanager
def _os_errors(ws: Workspace, directory: Path) -> Iterator[None]:
    """A hooks folder we may not write is the user's to fix: one line, no traceback."""
    try:
        yield
    except OSError as exc:
        where = _shown(ws, Path(exc.filename)) if exc.filename else _shown(ws, directory)
        raise GitIssuesError(f"{where}: {exc.strerror or exc}") from None


# -- what the hooks run -----------------------------------------------------

def refresh_index(ws: Workspace) -> None:
    """Bring the index up to date, re-reading only the files whose stat changed.

    A refresh runs after a merge or checkout, which is also when a clone that
    lacks the merge driver (a fresh clone) is best healed.
    """
    ensure_fresh(ws.sources)
    ensure_merge_driver(ws)


def validate_staged(ws: Workspace) -> list[str]:
    """One line per problem in the issue files the next commit adds or changes.

    It is ``git issues check --staged`` (the one home of validation) limited
    to those files, so that committing one issue does not re-read ten
    thousand; a changed config can invalidate any issue (a status it no longer
    lists), and then every staged file is checked.  What is checked is the
    staged content (git's index, or the temporary index of ``git commit -a``
    through GIT_INDEX_FILE), not the work tree: that is what the commit holds.
    """
    paths = staged_paths(ws)
    if not paths:
        return []
    if CONFIG_PATH in paths:
        return validation.check_staged(ws)
    return validation.check_staged(ws, [str(ws.root / path) for path in paths])


def staged_paths(ws: Workspace) -> list[str]:
    """Repository paths of the issue files (and config) the next commit adds or changes."""
    head = gitutil.run(["rev-parse", "-q", "--verify", "HEAD^{tree}"], ws.root, check=False)
    if head.returncode == 0:
        base = head.stdout.decode().strip()
    else:  # the first commit: compare with the empty tree
        base = gitutil.empty_tree(ws.root)
    raw = gitutil.run(["diff-index", "--cached", "--name-only", "-z", "--no-renames",
                       "--diff-filter=d", base, "--", f"{ISSUES_DIR}/"], ws.root).stdout
    paths = []
    for path in raw.decode("utf-8", "surrogateescape").split("\0"):
        if path_stem(path) is not None or path == CONFIG_PATH:
            paths.append(path)
    return paths
