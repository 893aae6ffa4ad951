"""The ``.issues/`` folder: naming, listing, reading and atomic writing.

Writes go to a temporary file beside the target and are renamed over it, so a
reader (or a crash) never sees half an issue.  Temporary names start with a
dot, which every listing skips; stale ones are swept on the next write.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from git_issues.core import ids as ids_mod
from git_issues.core.ids import ID_RE
from git_issues.errors import GitIssuesError, IssueFileError, NoSuchIssue
from git_issues.fastpaths import can_open_nofollow
from git_issues.repo.locks import STALE_SECONDS, lock

if TYPE_CHECKING:
    from git_issues.core.model import Issue

ISSUES_DIR = ".issues"
SUFFIX = ".yml"
CONFIG_NAME = "config.yml"
CONFIG_PATH = f"{ISSUES_DIR}/{CONFIG_NAME}"


# --- naming: the one home of "is this an issue file?" --------------------------
#
# An issue lives in ``.issues/<id>.yml``, or, in a fanned-out tracker (``layout:
# fanned`` in config.yml, for very large ones), in ``.issues/<first two
# characters of the id>/<id>.yml``; every command reads both.  A *name* here is
# the path below ``.issues/`` (``abcdefgh.yml`` or ``ab/abcdefgh.yml``), which
# is what the index records.  Entries starting with a dot are a writer's
# temporaries; ``config.yml`` is the project's config; a name that is not
# printable (a newline, an escape, undecodable bytes) cannot hold an id.
# ``is_listed`` is the wider question a whole-folder check asks (config and odd
# names included, so that it can name them); everything else asks ``issue_names``
# or one of its one-name forms.

FAN_WIDTH = 2  # a fanned issue's folder: the first characters of its id
LAYOUTS = ("flat", "fanned")
_FAN_CHARACTERS = "0123456789abcdefghijklmnopqrstuvwxyz"  # those of core.ids.ID_RE

def is_listed(name: str) -> bool:
    """A ``*.yml`` entry that is not a writer's temporary: what ``check`` looks at."""
    return name.endswith(SUFFIX) and not name.startswith(".")


def issue_names(names: Iterable[str]) -> list[str]:
    """The names that could be issue files, in their order.

    Every read lists ``.issues/`` through this (``index.scan``), so the test is
    one comprehension with no Python call per name, as fast as the copy the
    scan used to inline (a name is never empty in a listing: ``name[0]`` is safe).
    """
    return [name for name in names
            if name.endswith(SUFFIX) and name[0] != "." and name != CONFIG_NAME
            and name.isprintable()]


def is_fan_folder(name: str) -> bool:
    """Whether an entry of ``.issues/`` is named as a fanned-out folder (``ab``); the
    project's own folders (``templates``, ``.sync``) are longer."""
    return len(name) == FAN_WIDTH and not name.strip(_FAN_CHARACTERS)


def issue_stem(name: str) -> str | None:
    """The id an entry of ``.issues/`` would hold (``abcdefgh.yml`` or ``ab/abcdefgh.yml``),
    or None for anything that is not an issue file."""
    folder, _, base = name.rpartition("/")
    if folder and not is_fan_folder(folder):
        return None
    return base[: -len(SUFFIX)] if base and issue_names((base,)) else None


def path_stem(path: str) -> str | None:
    """The same for a repository path (``.issues/<name>``, as git prints it)."""
    folder, _, name = path.partition("/")
    return issue_stem(name) if folder == ISSUES_DIR else None


def file_name(issue_id: str) -> str:
    """The name of the file that holds ``issue_id`` in a flat ``.issues/``."""
    return f"{issue_id}{SUFFIX}"


def fanned_name(issue_id: str) -> str:
    """The name of the file that holds ``issue_id`` in a fanned-out ``.issues/``."""
    return f"{issue_id[:FAN_WIDTH]}/{issue_id}{SUFFIX}"


def names_of(issue_id: str) -> tuple[str, str]:
    """Where ``issue_id`` may live, below ``.issues/``: flat first, then fanned."""
    return file_name(issue_id), fanned_name(issue_id)


def is_placed(name: str, issue_id: str) -> bool:
    """Whether a file named ``name`` may hold ``issue_id`` (its own name, either layout)."""
    return name in names_of(issue_id)


def placement_error(name: str, issue_id: str) -> str:
    """What ``check`` and every read say of a file that holds another id than its name."""
    if name.rpartition("/")[2] == file_name(issue_id):
        return f"id '{issue_id}' belongs in {ISSUES_DIR}/{fanned_name(issue_id)}"
    return f"id '{issue_id}' does not match the file name"


def list_issue_names(folder: str | Path) -> list[str]:
    """The names of the files in ``folder`` (``.issues/``) that could be issue files, in
    either layout: its own entries, then those of each fanned-out folder in it."""
    try:
        listed = os.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return []
    names = issue_names(listed)
    for fan in (n for n in listed if len(n) == FAN_WIDTH and is_fan_folder(n)):
        inner = os.path.join(folder, fan)
        if os.path.islink(inner):  # a checkout may point it anywhere: never follow
            continue
        try:
            names += [f"{fan}/{name}" for name in issue_names(os.listdir(inner))]
        except (FileNotFoundError, NotADirectoryError):
            pass
    return names


class Store:
    """One repository's issue folder."""

    def __init__(self, root: Path, state_dir: Path | None = None,
                 layout: str | Callable[[], str] = "flat") -> None:
        self.root = root
        self.dir = root / ISSUES_DIR
        # Where a new issue goes: config.yml's ``layout``, read when first needed
        # (the workspace passes the reader; the store does not parse the config).
        self._layout = layout
        # When the last sweep of temporaries ran (its mtime), in the tool's folder of the
        # git dir; None: every write sweeps.
        self.sweep_mark = state_dir / SWEEP_MARK if state_dir is not None else None

    def path(self, issue_id: str) -> Path:
        """The file of ``issue_id``: where it is, in either layout, or where a new one goes."""
        return self.dir / self.name(issue_id)

    def name(self, issue_id: str) -> str:
        """``path`` below ``.issues/``."""
        if not ID_RE.fullmatch(issue_id):
            raise GitIssuesError(f"'{issue_id}' is not an issue id")
        found = self._found(issue_id)
        if found is not None:
            return found
        return fanned_name(issue_id) if self.layout == "fanned" else file_name(issue_id)

    def _found(self, issue_id: str) -> str | None:
        for name in names_of(issue_id):
            if os.path.lexists(os.path.join(self.dir, name)):
                return name
        return None

    @property
    def layout(self) -> str:
        """``flat`` or ``fanned``, as config.yml says (``layout:``)."""
        if not isinstance(self._layout, str):
            self._layout = self._layout()
        return self._layout

    def display(self, issue_id: str) -> str:
        """The path as the user sees it, relative to the repository root."""
        return f"{ISSUES_DIR}/{self.name(issue_id)}"

    def ids(self) -> list[str]:
        """Every id that has a file, valid or not, in either layout."""
        # One comprehension: a prefix is resolved against 250,000 names.
        return [name[: -len(SUFFIX)].rpartition("/")[2] for name in list_issue_names(self.dir)]

    def exists(self, issue_id: str) -> bool:
        return os.path.lexists(self.path(issue_id))

    def resolve(self, prefix: str) -> str:
        """The id a typed prefix names; a whole id that has a file needs no listing."""
        whole = ids_mod.check_prefix(prefix)
        if ID_RE.fullmatch(whole) and self._found(whole) is not None:
            return whole  # an exact id wins over longer ids it begins, as in ids.resolve
        # Only names that are ids: a stray 'abcd-old.yml' must not make 'abcd' ambiguous.
        return ids_mod.resolve(prefix, (i for i in self.ids() if ID_RE.fullmatch(i)))

    def read(self, issue_id: str) -> Issue:
        return self.read_with_bytes(issue_id)[0]

    def read_with_bytes(self, issue_id: str) -> tuple[Issue, bytes]:
        """The issue and the exact bytes it came from (the base of a compare-and-swap write)."""
        shown = self.display(issue_id)
        try:
            data, _ = _reader().read_bytes(str(self.path(issue_id)), shown)
        except FileNotFoundError:
            raise NoSuchIssue(f"no issue '{issue_id}' ({shown} is gone)") from None
        issue = _reader().load_text(data, shown)
        if issue.id != issue_id:
            raise IssueFileError(shown, placement_error(self.name(issue_id), issue.id))
        return issue, data

    def read_all(self) -> Iterator[Issue | IssueFileError]:
        """Every issue, with broken files yielded as errors instead of stopping the rest."""
        for issue_id in sorted(self.ids()):
            if not ID_RE.fullmatch(issue_id):
                yield IssueFileError(self.display(issue_id), "the file name is not an issue id")
                continue
            try:
                yield self.read(issue_id)
            except IssueFileError as exc:
                yield exc

    def mint_id(self) -> str:
        return ids_mod.mint(lambda candidate: self._found(candidate) is not None)

    def write(self, issue: Issue) -> Path:
        return self.write_text(issue.id, _reader().dump_issue(issue))

    def write_text(self, issue_id: str, text: str, *, bulk: bool = False) -> Path:
        """Atomically replace the issue's file with ``text``.

        ``bulk`` (an import writing thousands): no fsync per file and no sweep of
        the folder per file, which would make 100,000 writes quadratic.  The
        rename still makes each file whole; the importer sweeps once at the end.
        """
        target = self.path(issue_id)
        data = text.encode("utf-8")
        _check_writable(text, data, self.display(issue_id), thorough=not bulk)
        with _writing(self.display(issue_id), _temporary(target)):
            if not bulk or target.parent != self.dir:
                self.ensure_dir(target.parent)
            write_atomic(target, data, sync=not bulk)
        if not bulk:
            self.sweep_temporaries(now=False)
        return target

    def ensure_dir(self, folder: Path | None = None) -> None:
        """Create ``.issues/`` (and ``folder`` in it, a fanned-out issue's) if needed and
        refuse to write through anything but a directory.

        A checkout can hold ``.issues`` as a symbolic link (to ``~/.ssh``, say):
        following it would write issue files wherever a stranger chose.
        """
        for path in (self.dir, *([folder] if folder not in (None, self.dir) else [])):
            try:
                os.mkdir(path)
            except FileExistsError:
                pass
            if not stat.S_ISDIR(os.lstat(path).st_mode):
                shown = path.relative_to(self.root).as_posix()
                raise GitIssuesError(f"{shown} is not a directory (a symbolic link or a file); "
                                     "nothing was written")

    def sweep_temporaries(self, *, now: bool = True) -> None:
        """Remove temporary files left by a crashed writer.

        A write (``now=False``) sweeps only when the last sweep is ``STALE_SECONDS``
        old: listing 250,000 names was half of a write's time, and a temporary only
        becomes sweepable at that age anyway, so a leftover waits at most twice as long.
        """
        mark = self.sweep_mark
        if mark is not None and not now:
            try:
                if time.time() - os.stat(mark).st_mtime < STALE_SECONDS:
                    return
            except OSError:
                pass
        sweep_temporaries(self.dir)
        if mark is not None:
            with suppress(OSError):  # a read-only git dir: sweep every time
                mark.parent.mkdir(exist_ok=True)
                mark.touch()

    def replace_if_unchanged(self, issue_id: str, expected: bytes, text: str,
                             lock_dir: Path) -> Path:
        """Write ``text`` only if the file still holds ``expected``: compare-and-swap.

        Two commands (or a command and an editor session) that read the same
        version must not both win: the second would silently undo the first.
        Writers of one issue queue on a lock file in the git dir (``lock``), and
        under it the file is compared with what the caller read right before the
        rename; a mismatch refuses the write instead of losing someone's edit.
        """
        target = self.path(issue_id)
        data = text.encode("utf-8")
        _check_writable(text, data, self.display(issue_id))
        tmp = _temporary(target)
        # '<file>.lock' as git names its locks ('<id>.lock' was the flock of old versions).
        with _writing(self.display(issue_id), tmp), \
                lock(lock_dir / f"{file_name(issue_id)}.lock"):
            self.ensure_dir(target.parent)
            _write_bytes(tmp, data, sync=True)
            try:
                if _current_bytes(target) != expected:
                    raise StaleWriteError(
                        f"{self.display(issue_id)}: changed by someone else since it was "
                        "read; nothing was written"
                    )
                replace(tmp, target)
            finally:
                if os.path.lexists(tmp):
                    os.unlink(tmp)
        self.sweep_temporaries(now=False)
        return target


def _reader() -> ModuleType:
    """The file reader and writer (``fileformat.issuefile``), imported on first need:
    ``ls`` lists ``.issues/`` through the store but reads the index, not the files."""
    from git_issues.fileformat import issuefile  # lazy: startup

    return issuefile


@contextmanager
def _writing(shown: str, tmp: str) -> Iterator[None]:
    """A write the system refuses (a full disk, a read-only checkout, no permission)
    is one line that names the file, and leaves no temporary behind."""
    try:
        yield
    except OSError as exc:
        with suppress(OSError):
            os.unlink(tmp)
        raise GitIssuesError(f"{shown}: cannot be written ({exc.strerror or exc}); "
                             "nothing was written") from None


def _check_writable(text: str, data: bytes, shown: str, *, thorough: bool = True) -> None:
    """What the reader would refuse is never written: it would vanish from ``ls`` and
    fail ``show``, ``edit`` and ``close`` until someone mended the file by hand.

    The final bytes go through the reader itself (~0.1 ms).  An import writing
    100,000 files (``thorough`` False) has checked each issue with the model's
    rules already; only a text with an escape (how YAML writes a control
    character) is read back there.  A text with conflict markers at the start
    of a line is ``resolve`` leaving a field conflict for the user, on purpose:
    no value can put one there (text is indented in a block, a title is one line).
    """
    fileformat = _reader()
    fileformat.check_writable(text, shown, len(data))
    conflicted = b"<<<<<<<" in data and fileformat.CONFLICT_RE.search(data)
    if (thorough or "\\" in text) and not conflicted:
        try:
            fileformat.load_text(data, shown)
        except IssueFileError as exc:
            raise GitIssuesError(f"{shown} would not be readable ({exc.problem}); "
                                 "nothing was written") from None


def write_atomic(path: Path, data: bytes, *, sync: bool = True, mode: int | None = None) -> None:
    """Replace ``path`` with ``data`` whole: the one atomic write of the package.

    A temporary beside the file (dot-named, so no listing takes it for an issue,
    and ``sweep_temporaries`` finds a killed writer's), written, fsynced unless
    ``sync`` is False (a bulk import), given ``mode`` if asked (a hook script's
    0o755, whatever the umask), then renamed over the file with the retrying
    ``replace``.  A reader sees the old bytes or the new, never a part; a
    failure leaves no temporary and raises the ``OSError``.
    """
    tmp = _temporary(path)
    try:
        _write_bytes(tmp, data, sync=sync)
        if mode is not None:
            os.chmod(tmp, mode)
        replace(tmp, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(tmp)
        raise


def _temporary(path: Path) -> str:
    """The temporary a writer of ``path`` uses: beside it, dot-named, this process's."""
    return f"{path.parent}{os.sep}.{path.name}.{os.getpid()}.tmp"


def _write_bytes(path: str, data: bytes, *, sync: bool) -> None:
    """The writers' temporary file holding ``data``: through ``os`` itself, as an
    import writes 100,000 (a text-mode ``open`` asks whether the file is a terminal
    and wraps two buffers); binary, so Windows writes the same bytes."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0), 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        if sync:
            os.fsync(fd)
    finally:
        os.close(fd)


class StaleWriteError(GitIssuesError):
    """The file changed between reading and writing; the write was refused."""


def _current_bytes(path: Path) -> bytes | None:
    """The file's bytes now, None when it is gone; a symlink never equals what was read."""
    try:
        if can_open_nofollow():
            # O_NONBLOCK: a FIFO put there is opened at once, reads empty, and differs.
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        else:  # the portable way: lstat first, and only a regular file is opened
            if not stat.S_ISREG(os.lstat(path).st_mode):
                return None
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        return handle.read()


SWEEP_MARK = "swept"  # ``Store.sweep_mark``: the file whose mtime says when the last sweep ran
# Windows refuses to rename over a file that another process has open (an
# editor, a virus scanner, a reader of this very file), briefly: try again.
REPLACE_TIMEOUT = 1.0


def sweep_temporaries(folder: str | Path) -> None:
    """Remove the ``.<name>.<pid>.tmp`` files of writers killed before their rename:
    one older than any write takes (a writer renames its own within milliseconds)."""
    cutoff = time.time() - STALE_SECONDS
    try:  # names only: a DirEntry for each of 10,000 issues costs a write ~5 ms
        listed = os.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return
    names = [n for n in listed if n[0] == "." and n.endswith(".tmp")]
    for fan in (n for n in listed if len(n) == FAN_WIDTH and is_fan_folder(n)):
        if not os.path.islink(os.path.join(folder, fan)):  # never delete through a link
            sweep_temporaries(os.path.join(folder, fan))
    for name in names:
        path = os.path.join(folder, name)
        try:
            if os.lstat(path).st_mtime < cutoff:
                os.unlink(path)
        except OSError:
            pass


def replace(source: str | Path, target: str | Path, timeout: float | None = None) -> None:
    """``os.replace``, retried briefly while the system refuses it (Windows, file open)."""
    deadline = time.monotonic() + (REPLACE_TIMEOUT if timeout is None else timeout)
    pause = 0.005
    while True:
        try:
            os.replace(source, target)
            return
        except PermissionError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 0.1)
