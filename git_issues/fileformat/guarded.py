"""The one guarded way to read a file the tool did not write itself.

Every file of the repository (issues, config, templates, sync state,
``.gitattributes``) can arrive in a commit, and a file a user names can be
anything: the reads here refuse links (in the repository), FIFOs, devices and
anything over a size cap before reading.  Kept apart from ``fileformat`` so
that a read of ``.gitattributes`` on every command's start (the merge driver's
heal) costs neither the model nor the YAML readers.
"""

from __future__ import annotations

import os
import stat
from typing import IO

from git_issues.errors import GitIssuesError, IssueFileError
from git_issues.fastpaths import can_open_nofollow

# GitHub caps a body at 65,536 characters; 1 MiB leaves room for long threads.
MAX_FILE_BYTES = 1024 * 1024
# A file named to ``import`` is streamed: a beads export of 100,000 issues is
# ~200 MB; the cap only stops an endless or absurd one.
MAX_IMPORT_BYTES = 1024 * 1024 * 1024


def read_bytes(path: str, display: str | None = None, limit: int = MAX_FILE_BYTES,
               ) -> tuple[bytes, os.stat_result]:
    """Read a regular file in the repository with the size cap applied before reading.

    Every file of the repository the tool reads comes through here (issues,
    config, templates, sync state, ``.gitattributes``): any of them can arrive
    in a commit.  Returns the bytes and the ``fstat`` of the very descriptor
    they came from, so the index records stat data that matches the content it
    parsed.  Symbolic links are refused: a link to ``/etc/passwd`` or
    ``/dev/zero`` is no issue.  So is anything but a regular file: a FIFO
    posing as an issue would hang a read.
    """
    shown = display or path
    fd = _open_nofollow(path, shown) if can_open_nofollow() else _open_checked(path, shown)
    try:
        return _read_regular(fd, shown, limit)
    finally:
        os.close(fd)


def read_named_file(path: str, limit: int = MAX_FILE_BYTES) -> bytes:
    """Read a file the user named (``-F FILE``): links are followed, as the user
    chose the path, but only to a regular file of at most ``limit`` bytes:
    ``/dev/zero`` would never end, and a FIFO nobody writes would hang.  Errors
    are one line that names the path.
    """
    fd = _open_named(path)
    try:
        return _read_regular(fd, path, limit)[0]
    except OSError as exc:
        raise GitIssuesError(f"{path}: {exc.strerror or 'cannot be read'}") from None
    finally:
        os.close(fd)


def open_named_file(path: str, limit: int = MAX_IMPORT_BYTES) -> IO[str]:
    """A file the user named to import, opened as UTF-8 text to stream, with the
    refusals of ``read_named_file`` applied first (its size from ``fstat``)."""
    fd = _open_named(path)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise IssueFileError(path, "is not a regular file")
        if st.st_size > limit:
            raise IssueFileError(path, f"file is larger than {_size(limit)}")
        return os.fdopen(fd, encoding="utf-8")
    except BaseException:
        os.close(fd)
        raise


def _open_named(path: str) -> int:
    """``O_NONBLOCK``: a FIFO opens at once, to be refused, instead of waiting for a writer."""
    try:
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
        return os.open(path, flags)
    except OSError as exc:
        raise GitIssuesError(f"{path}: {exc.strerror or 'cannot be read'}") from None


def _read_regular(fd: int, shown: str, limit: int) -> tuple[bytes, os.stat_result]:
    """The bytes of an open descriptor, if it is a regular file within ``limit``."""
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        raise IssueFileError(shown, "is not a regular file")
    if st.st_size > limit:
        raise IssueFileError(shown, f"file is larger than {_size(limit)}")
    chunks = []
    remaining = limit + 1  # a file that grows while it is read stops here
    while remaining > 0:
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    data = b"".join(chunks)
    if len(data) > limit:
        raise IssueFileError(shown, f"file is larger than {_size(limit)}")
    return data, st


def _size(limit: int) -> str:
    return f"{limit >> 20} MiB" if limit > MAX_FILE_BYTES else f"{limit // 1024} KiB"


def _open_nofollow(path: str, shown: str) -> int:
    """The fast path: the kernel refuses a link, and a FIFO cannot block the open."""
    try:
        return os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        raise
    except OSError as exc:
        if os.path.islink(path):
            raise IssueFileError(shown, "is a symbolic link, not an issue file") from None
        raise IssueFileError(shown, exc.strerror or "cannot be read") from None


def _open_checked(path: str, shown: str) -> int:
    """The portable open (no ``O_NOFOLLOW``/``O_NONBLOCK``, as on Windows), same refusals.

    ``lstat`` first, so that a link or a FIFO is refused before it is opened;
    after the open, the descriptor must be the very file ``lstat`` saw, or it
    was swapped for something else in between (a link, say) and is refused.
    """
    try:
        before = os.lstat(path)
    except FileNotFoundError:  # gone, as for the fast path
        raise
    except OSError as exc:  # a parent that is no folder, say: the fast path's words
        raise IssueFileError(shown, exc.strerror or "cannot be read") from None
    if stat.S_ISLNK(before.st_mode):
        raise IssueFileError(shown, "is a symbolic link, not an issue file")
    if not stat.S_ISREG(before.st_mode):
        raise IssueFileError(shown, "is not a regular file")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise IssueFileError(shown, exc.strerror or "cannot be read") from None
    after = os.fstat(fd)
    if (after.st_ino, after.st_dev) != (before.st_ino, before.st_dev):
        os.close(fd)
        raise IssueFileError(shown, "was replaced while being read; read it again")
    return fd
