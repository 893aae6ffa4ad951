"""Per-issue lock files, as git holds ``index.lock``, and taking over those of dead writers.

Split from ``store`` (the folder and its atomic writes), which holds a lock around
each compare-and-swap write.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from git_issues.errors import GitIssuesError

# How long a writer waits for another writer of the same issue, whose whole
# turn (write a temporary file, fsync, compare, rename) takes milliseconds; a
# lock still there after this was left by a writer that died holding it.
LOCK_TIMEOUT = 10.0
# A lock (or temporary) older than this outlived any write: its writer is gone,
# wherever it ran.  One of this host whose process is dead is stale at once.
STALE_SECONDS = 60.0
# A writer creates its lock, then writes its process id into it: a lock still
# empty after this was left by a writer killed in between.
EMPTY_LOCK_SECONDS = 2.0


@contextmanager
def lock(path: Path, timeout: float | None = None) -> Iterator[None]:
    """Hold ``path`` (``<name>.lock``) as a lock file, the way git holds ``index.lock``.

    Creating it with ``O_CREAT | O_EXCL`` succeeds for exactly one process on
    every system (``fcntl.flock`` has no Windows equivalent), and leaving the
    block removes it.  A writer that finds it waits, then gives up with an
    error that names the file, as git does when a crash left one behind.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + (LOCK_TIMEOUT if timeout is None else timeout)
    pause = 0.001
    while True:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            break
        except FileExistsError:
            if take_over_stale_lock(path):
                continue
            if time.monotonic() >= deadline:
                raise LockTimeout(path) from None
            time.sleep(pause)
            pause = min(pause * 2, 0.05)
    try:
        os.write(fd, f"{os.getpid()} {_host()}\n".encode())
        os.close(fd)
        yield
    finally:
        try:
            os.unlink(path)
        except FileNotFoundError:  # removed by hand meanwhile: nothing left to release
            pass


def sweep_dead_spills(folder: Path) -> None:
    """Remove the spill databases (``import-spill-<pid>.sqlite``) of imports killed
    before they could: an import runs for minutes, so its process decides, not age."""
    try:
        names = [n for n in os.listdir(folder) if n.startswith("import-spill-")]
    except OSError:
        return
    for name in names:
        pid = name.removeprefix("import-spill-").partition(".")[0]
        if pid.isdigit() and int(pid) != os.getpid() and not process_alive(int(pid)):
            with suppress(OSError):
                os.unlink(os.path.join(folder, name))


def _host() -> str:
    """This machine's name, as a lock records it (``socket`` only when a write locks)."""
    import socket  # lazy: startup (~2 ms; only a write that locks)

    return socket.gethostname()


def take_over_stale_lock(path: Path) -> bool:
    """Remove ``path`` if the writer that holds it is gone, saying so; True if removed.

    Gone: a process of this host that no longer runs, or a lock older than any
    write takes (``STALE_SECONDS``; an empty one after ``EMPTY_LOCK_SECONDS``).
    A ``kill -9`` at the wrong moment would otherwise block every write to the
    issue until someone removed the file by hand.  The lock is renamed aside
    first, so of two writers that judged it stale only one removes it; if the
    one renamed aside is not the one judged (replaced in between), it is put back.
    """
    judged = _stale_lock(path)
    if judged is None:
        return False
    aside = path.with_name(f"{path.name}.{os.getpid()}.stale")
    try:
        os.rename(path, aside)
    except OSError:  # taken over by another writer already, or released
        return False
    if os.lstat(aside).st_ino != judged[0]:
        with suppress(OSError):
            os.link(aside, path)  # never over a lock taken since
        os.unlink(aside)
        return False
    os.unlink(aside)
    sys.stderr.write(f"note: {path} was left by {judged[1]}; taken over\n")
    return True


def _stale_lock(path: Path) -> tuple[int, str] | None:
    """The lock's inode and who left it, if its writer is gone; else None."""
    try:
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        fd = os.open(path, flags)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        words = os.read(fd, 256).decode("utf-8", "replace").split()
    finally:
        os.close(fd)
    age = time.time() - st.st_mtime
    if not words:
        return (st.st_ino, "a writer killed while taking it") \
            if age > EMPTY_LOCK_SECONDS else None
    pid = int(words[0]) if words[0].isdigit() else 0
    host = words[1] if len(words) > 1 else _host()  # older versions wrote the pid alone
    if host == _host() and pid and not process_alive(pid):
        return st.st_ino, f"process {pid}, which is no longer running"
    if age > STALE_SECONDS:
        return st.st_ino, f"process {words[0]} on {host}, {int(age)} s ago"
    return None


def process_alive(pid: int) -> bool:
    """Whether a process of this host runs (or may: Windows has no signal 0 to ask)."""
    if os.name == "nt":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: it runs, as another user
        return True
    return True


class LockTimeout(GitIssuesError):
    """Another writer's lock file stayed in place past the wait."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"{path} exists: another git issues is writing this issue; if none "
                         "is running, one that crashed left it: remove it and try again. "
                         "Nothing was written")
        self.path = path
