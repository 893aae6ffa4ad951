"""Registering the merge driver with git, the way ``git lfs install`` does.

The committed ``.gitattributes`` names the driver, each clone's git config says
which command runs it, and the next ``git issues`` command, a read as much as a
write, heals a clone whose config lacks it (``heal``).  The command is
``git-issues`` looked up on PATH, not an absolute path: the config then
survives upgrades, reinstalls and moved virtual environments, exactly as
``git-lfs`` does.

Kept apart from the merge itself (``merge.py``): every command runs the heal,
and should not load the merge code to do it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from git_issues.errors import GitIssuesError
from git_issues.fileformat.guarded import read_bytes
from git_issues.repo import gitutil
from git_issues.repo.store import ISSUES_DIR, SUFFIX

if TYPE_CHECKING:
    from git_issues.repo.workspace import Workspace

DRIVER = "git-issues"
DRIVER_COMMAND = "git-issues merge-driver %O %A %B %P %L %S %X %Y"
# What earlier versions registered: upgraded in place, since it cannot name branches.
OLD_COMMANDS = ("git-issues merge-driver %O %A %B %P",)
DRIVER_DESCRIPTION = "git-issues: merge issue files field by field"
ATTRIBUTES_FILE = ".gitattributes"
ATTRIBUTE_PATTERN = f"{ISSUES_DIR}/*{SUFFIX}"
ATTRIBUTE_LINE = f"{ATTRIBUTE_PATTERN} merge={DRIVER}"
FANNED_PATTERN = f"{ISSUES_DIR}/*/*{SUFFIX}"  # a fanned-out tracker's folders (``layout``)
ATTRIBUTES_MAX_BYTES = 100 * 1024 * 1024  # git's own limit for the file
ATTRIBUTE_COMMENT = "# Issue files merge field by field (git issues init; docs/review.md)."
# In the state folder: this clone's config was found to name the driver (``heal``).
HEALED_MARK = "merge-driver-registered"
GLOBAL_HINT = ("to set the merge driver once for every clone of yours (as git lfs install "
               "does): git issues init --global")


def attributes_name_driver(root: Path) -> bool:
    """Whether the committed ``.gitattributes`` asks for this driver anywhere."""
    try:
        text = _read_attributes(root).decode("utf-8", errors="replace")
    except (OSError, GitIssuesError):
        return False
    token = f"merge={DRIVER}"
    return any(token in line.split() for line in text.splitlines()
               if not line.lstrip().startswith("#"))


def _read_attributes(root: Path) -> bytes:
    """``.gitattributes`` through the guarded reader: it is committed, so it can be a
    link to ``/dev/zero`` or a FIFO; git itself ignores one over 100 MB."""
    return read_bytes(str(root / ATTRIBUTES_FILE), ATTRIBUTES_FILE, ATTRIBUTES_MAX_BYTES)[0]


def _has_attribute_line(text: str, pattern: str = ATTRIBUTE_PATTERN) -> bool:
    for line in text.splitlines():
        words = line.split()
        if words and words[0] == pattern and f"merge={DRIVER}" in words[1:]:
            return True
    return False


def register_attributes(root: Path) -> bool:
    """Append the driver's line to ``.gitattributes`` and stage it; False if it was there."""
    if not _append_line(root, ATTRIBUTE_PATTERN, ATTRIBUTE_COMMENT):
        return False
    gitutil.add(root, [ATTRIBUTES_FILE])
    return True


def register_pattern(root: Path, pattern: str) -> list[str]:
    """The driver's line for ``pattern`` too (a fanned-out tracker's folders), unstaged;
    the path to stage, if it was written."""
    return [ATTRIBUTES_FILE] if _append_line(root, pattern, None) else []


def _append_line(root: Path, pattern: str, comment: str | None) -> bool:
    path = root / ATTRIBUTES_FILE
    try:
        text = _read_attributes(root).decode("utf-8")
    except FileNotFoundError:
        text = ""
    except UnicodeDecodeError:
        raise GitIssuesError(f"{ATTRIBUTES_FILE}: not valid UTF-8; nothing was written") from None
    if _has_attribute_line(text, pattern):
        return False
    if text and not text.endswith("\n"):
        text += "\n"
    lead = f"{comment}\n" if comment else ""
    path.write_text(f"{text}{lead}{pattern} merge={DRIVER}\n", encoding="utf-8")
    return True


def register_config(root: Path | None, *, scope: str = "--local") -> bool:
    """Tell git (this clone's config, or ``--global``) which command runs the driver.

    A driver already configured in that scope is left alone: someone may have
    pointed it at an absolute path on purpose (a GUI whose PATH lacks it).
    """
    key = f"merge.{DRIVER}.driver"
    if gitutil.output(["config", scope, "--get", key], root, check=False) \
            not in ("", *OLD_COMMANDS):
        return False
    gitutil.run(["config", scope, f"merge.{DRIVER}.name", DRIVER_DESCRIPTION], root)
    gitutil.run(["config", scope, key, DRIVER_COMMAND], root)
    return True


def register(ws: Workspace) -> list[str]:
    """``init``'s step: the committed attribute and this clone's config; idempotent.

    The first time it sets this clone's config it also says, once, that
    ``init --global`` would have done it for every clone (unless it has).
    """
    done = []
    if register_attributes(ws.root):
        done.append(f"registered the merge driver in {ATTRIBUTES_FILE} (staged)")
    if register_config(ws.root):
        done.append(f"set merge.{DRIVER}.driver in this clone's git config")
        if not gitutil.output(["config", "--global", "--get", f"merge.{DRIVER}.driver"],
                              ws.root, check=False):
            done.append(GLOBAL_HINT)
    _remember(ws)
    return done


def register_global() -> list[str]:
    """``init --global``: once per user, like ``git lfs install``."""
    if register_config(None, scope="--global"):
        return [f"set merge.{DRIVER}.driver in your global git config"]
    return []


def ensure_merge_driver(ws: Workspace) -> bool:
    """Heal a clone whose config lacks the driver that ``.gitattributes`` names.

    What a write command runs: a file read, and one ``git config`` only when
    the attributes ask for the driver, so a config someone removed since the
    last heal is put back.  Returns True if it healed.  Any scope counts (a
    ``--global`` registration is enough); a driver the user configured
    differently is theirs and left alone.
    """
    if not attributes_name_driver(ws.root):
        return False
    configured, healed = _configure(ws)
    if configured:
        _remember(ws)
    return healed


def heal(ws: Workspace) -> None:
    """What every command runs when it opens a repository, reads included.

    A read must stay as cheap as it was: once ``HEALED_MARK`` is in the state
    folder, the heal is that one stat.  Before, it reads ``.gitattributes``
    and starts ``git config`` only if they name the driver (once: the mark is
    then written).  A clone whose config was removed afterwards is healed
    again by the next write (``ensure_merge_driver``).
    """
    if (ws.state_dir / HEALED_MARK).exists() or not attributes_name_driver(ws.root):
        return
    if _configure(ws)[0]:
        _remember(ws)


def _configure(ws: Workspace) -> tuple[bool, bool]:
    """(git now knows the driver in some scope, this call registered it)."""
    if gitutil.config_get(ws.root, f"merge.{DRIVER}.driver") not in (None, "", *OLD_COMMANDS):
        return True, False
    try:
        healed = register_config(ws.root)
    except GitIssuesError:  # a read-only config must not stop the command that healed
        return False, False
    return True, healed


def _remember(ws: Workspace) -> None:
    """Write ``HEALED_MARK``; a git dir we may not write only costs a ``git config`` per read."""
    try:
        ws.state_dir.mkdir(exist_ok=True)
        (ws.state_dir / HEALED_MARK).touch()
    except OSError:
        pass
