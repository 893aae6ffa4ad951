"""Which platform-only fast paths this process may take, and the switch that turns them off.

git-issues runs on Linux, macOS and Windows.  A few hot spots use calls that
only some systems have (a descriptor of the issue folder for ``stat`` and
``listdir``, ``O_NOFOLLOW``, ``fork``); each is chosen here by a feature check
and has a portable fallback beside it, which the tests run on Linux too.

``GIT_ISSUES_PORTABLE=1`` turns every fast path off, so that the fallbacks run
where the fast paths would: that is how the suite proves them, and how a user
can rule a fast path out when hunting a bug.  Like every value from the
environment it is read at each call, never cached.  Each check is an attribute
test on ``os``: cheap enough for the freshness check that every read pays, and
nothing is imported for it.  Docs: docs/architecture.md, "Fast paths and their
portable fallbacks".
"""

from __future__ import annotations

import os

SWITCH = "GIT_ISSUES_PORTABLE"


def portable() -> bool:
    """True when the user (or a test) asked for the portable fallbacks only."""
    return os.environ.get(SWITCH, "") not in ("", "0")


def can_use_dir_fd() -> bool:
    """The issue folder opened once (``O_DIRECTORY | O_NOFOLLOW``), then listed with
    ``listdir(fd)`` and each name stat-ed with ``dir_fd=``: the kernel does not
    walk the folder's path again for every file.  Not on Windows."""
    return (not portable() and hasattr(os, "O_DIRECTORY") and hasattr(os, "O_NOFOLLOW")
            and os.stat in os.supports_dir_fd and os.listdir in os.supports_fd)


def can_open_nofollow() -> bool:
    """An issue file opened with ``O_NOFOLLOW | O_NONBLOCK``: the kernel itself refuses
    a symbolic link and a FIFO cannot block the open.  Not on Windows."""
    return not portable() and hasattr(os, "O_NOFOLLOW") and hasattr(os, "O_NONBLOCK")


def can_fork() -> bool:
    """A forked child (or a pool of them) to stat and parse on more cores, sharing
    what this process already imported.  Not on Windows; the fallback does the
    same work in this process, one after another."""
    return not portable() and hasattr(os, "fork")


def git_sh() -> str:
    """The POSIX shell that runs the editor and the pager, as git runs them.

    Elsewhere it is ``sh`` on PATH.  Windows has none of its own: git for
    Windows brings one (``<Git>/bin/sh.exe``, as git-revise finds it), found
    beside the ``git`` on PATH (``<Git>/cmd/git.exe``), else under
    ``%ProgramFiles%\\Git``; failing both, whatever ``sh`` is on PATH.
    """
    if os.name != "nt" and not portable():
        return "sh"
    import shutil  # lazy: startup (Windows only)

    roots = []
    git = shutil.which("git")
    if git:
        roots.append(os.path.dirname(os.path.dirname(os.path.abspath(git))))
    for variable in ("ProgramW6432", "ProgramFiles"):
        if os.environ.get(variable):
            roots.append(os.path.join(os.environ[variable], "Git"))
    for root in roots:
        for candidate in (os.path.join(root, "bin", "sh.exe"),
                          os.path.join(root, "usr", "bin", "sh.exe")):
            if os.path.isfile(candidate):
                return candidate
    return shutil.which("sh") or "sh"
