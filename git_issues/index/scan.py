"""Listing and stat-ing the issue folder: the one cost every read pays.

Freshness is checked the way git checks its index, with one ``stat`` per
file, and on these machines a ``stat`` is a couple of microseconds of kernel
time that Python cannot shorten.  Two things make it cheaper:

* names are stat-ed relative to a descriptor of the folder, so the kernel
  does not walk the whole path again for every file;
* a large folder is stat-ed on two cores: a forked child takes half of the
  names and sends back their stat data (marshalled, through a pipe) while
  this process does the other half.  Threads would not help: the GIL is
  taken back after every call.  The child is always reaped before ``scan``
  returns, and if it fails for any reason this process stats its half too.

Both are fast paths (``git_issues.fastpaths``): without a folder descriptor
(Windows, or ``GIT_ISSUES_PORTABLE=1``) the folder is listed and each file
``lstat``-ed by its path; without ``fork`` one process stats every name.
"""

from __future__ import annotations

import marshal
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path

from git_issues.errors import GitIssuesError
from git_issues.fastpaths import can_fork, can_use_dir_fd
from git_issues.index.records import StatSig, digest
from git_issues.repo.store import FAN_WIDTH, is_fan_folder, issue_names, list_issue_names

PARALLEL_MIN = 20_000  # measured: at 10k files the fork saves nothing visible, at 100k 20%

# Where names are listed and stat-ed from: a descriptor of the folder (the fast
# path) or the folder's path (the portable one).
Folder = int | str


def _refuse_link(directory: Path) -> None:
    raise GitIssuesError(f"{directory.name} is a symbolic link, not a directory of issues")


@contextmanager
def _opened(directory: Path) -> Iterator[Folder | None]:
    """The folder as a descriptor (or as a path, without ``dir_fd``), None if there is none."""
    if os.path.islink(directory):  # a checkout may point it anywhere: never follow
        _refuse_link(directory)
    if not can_use_dir_fd():
        yield _checked_path(directory)
        return
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except (FileNotFoundError, NotADirectoryError):
        yield None
        return
    try:
        yield fd
    finally:
        os.close(fd)


def _checked_path(directory: Path) -> str | None:
    """The portable ``O_DIRECTORY | O_NOFOLLOW``: the path if it is a directory, not a link."""
    try:
        mode = os.lstat(directory).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return None
    if stat.S_ISLNK(mode):  # made a link since the check above
        _refuse_link(directory)
    return str(directory) if stat.S_ISDIR(mode) else None


def _candidates(fd: Folder) -> list[str]:
    """The names in the folder that could be issue files, fanned-out ones too
    (``ab/abcdefgh.yml``: store's naming)."""
    if isinstance(fd, str):
        return list_issue_names(fd)
    listed = os.listdir(fd)
    names = issue_names(listed)
    for fan in (n for n in listed if len(n) == FAN_WIDTH and is_fan_folder(n)):
        try:
            inner = os.open(fan, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
        except OSError:  # a file, a link, or gone since the listing
            continue
        try:
            names += [f"{fan}/{name}" for name in issue_names(os.listdir(inner))]
        finally:
            os.close(inner)
    return names


def list_names(directory: Path) -> list[str]:
    """The candidate names, without their stat data (a rebuild stats what it reads)."""
    with _opened(directory) as fd:
        return [] if fd is None else _candidates(fd)


def _canonical(stats: dict[str, StatSig]) -> bytes:
    """The same bytes for the same data: marshal's version 0 shares no objects (later
    versions mark objects referenced twice, so the bytes depend on reference counts)."""
    return marshal.dumps(stats, 0)


class Scanned:
    """A folder's stat data as a scan found it, in one part or two (``_stat_in_two``).

    Its ``seal`` is a digest of that data: when it is the seal the index recorded,
    nothing changed, and the other process's part is never unmarshalled.
    """

    def __init__(self, mine: dict[str, StatSig], theirs: bytes | None = None) -> None:
        self.mine = mine
        self._theirs = theirs
        self._theirs_stats: dict[str, StatSig] | None = None if theirs is not None else {}

    @cached_property
    def seal(self) -> str:
        parts = [digest(_canonical(self.mine))]
        if self._theirs is not None:
            parts.append(digest(self._theirs))
        return ":".join(parts)

    def theirs(self) -> dict[str, StatSig]:
        if self._theirs_stats is None:
            self._theirs_stats = marshal.loads(self._theirs or marshal.dumps({}))
        return self._theirs_stats

    def stats(self) -> dict[str, StatSig]:
        """Every name with its stat data, in the listing's order."""
        return {**self.mine, **self.theirs()}

    def stat(self, name: str) -> StatSig | None:
        """One name's stat data as scanned."""
        return self.mine.get(name) or self.theirs().get(name)


def scan(directory: Path, parallel_min: int | None = None) -> dict[str, StatSig]:
    """The stat data of every entry that could be an issue file."""
    return scan_sealed(directory, parallel_min).stats()


def scan_sealed(directory: Path, parallel_min: int | None = None) -> Scanned:
    """``scan``, kept in its parts with its seal."""
    with _opened(directory) as fd:
        if fd is None:
            return Scanned({})
        names = _candidates(fd)
        least = PARALLEL_MIN if parallel_min is None else parallel_min
        if len(names) < max(least, 2) or (os.cpu_count() or 1) < 2 or not can_fork():
            return Scanned(stat_names(fd, names))
        return _stat_in_two(fd, names)


def stat_some(directory: Path, names: set[str]) -> dict[str, StatSig]:
    """The stat data of those of ``names`` that could be issue files and exist."""
    with _opened(directory) as fd:
        return {} if fd is None else stat_names(fd, issue_names(sorted(names)))


def stat_names(fd: Folder, names: list[str]) -> dict[str, StatSig]:
    """(mtime_ns, ctime_ns, size, inode) of each name that still exists."""
    if isinstance(fd, str):
        return _lstat_paths(fd, names)
    found: dict[str, StatSig] = {}
    stat_at = os.stat
    for name in names:
        try:
            st = stat_at(name, dir_fd=fd, follow_symlinks=False)
        except FileNotFoundError:  # removed since the listing: gone, as far as we know
            continue
        found[name] = (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino)
    return found


def _lstat_paths(directory: str, names: list[str]) -> dict[str, StatSig]:
    """``stat_names`` without a folder descriptor: the same data, one path per name."""
    found: dict[str, StatSig] = {}
    lstat, prefix = os.lstat, directory + os.sep
    for name in names:
        try:
            st = lstat(prefix + name)
        except FileNotFoundError:
            continue
        found[name] = (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino)
    return found


def _stat_in_two(fd: Folder, names: list[str]) -> Scanned:
    half = len(names) // 2
    mine, theirs = names[:half], names[half:]
    read_end, write_end = os.pipe()
    try:
        pid = os.fork()
    except OSError:  # no process to spare: do it all here
        os.close(read_end)
        os.close(write_end)
        return Scanned(stat_names(fd, names))
    if pid == 0:  # the child: stat, send, and leave without running any cleanup
        try:
            os.close(read_end)
            data = _canonical(stat_names(fd, theirs))
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(len(data).to_bytes(8, "little") + data)  # its length: whole or not
        finally:
            os._exit(0)
    os.close(write_end)
    pipe = os.fdopen(read_end, "rb")
    try:
        found = stat_names(fd, mine)
        data = pipe.read()
    finally:
        pipe.close()  # first: a child still writing gets EPIPE and leaves instead of blocking
        os.waitpid(pid, 0)
    size, data = int.from_bytes(data[:8], "little"), data[8:]
    if len(data) != size or size == 0:  # the child failed: do its half here
        data = _canonical(stat_names(fd, theirs))
    return Scanned(found, data)
