"""Which issue files changed, told by the operating system, for a long-running ``serve``.

Without it every page stats every file under ``.issues/`` (the CLI's freshness
check): ~50x a static file at 10,000 issues.  With it a page refreshes only the
files an event named.  The events come from watchdog, a kept library that uses
inotify on Linux, FSEvents on macOS and ReadDirectoryChangesW on Windows, with
no compiler needed.

Correctness comes first, so the feed says "I cannot tell" (None: check every
file) whenever it could miss something:

* before its first page, and after it was restarted;
* when the operating system dropped events (``EventsLostEvent``, a kernel
  queue overflow) or more files changed than it keeps names for (a checkout);
* when ``.issues/`` itself was removed or moved (the watch died with it).

Events reach this process a little after the change (the library reads them
in its own threads), and a page must see an edit made just before it was asked
for.  So before answering, a page writes a *fence*: it creates and removes a
temporary file in ``.issues/`` and waits for that file's event.  Events of one
watch arrive in order, so once the fence is seen, every change made before it
has been seen too.  A fence that does not come back in time counts as "cannot
tell".  The fence is named like a writer's temporary (``.NAME.PID.tmp``), so a
``serve`` killed between its two calls leaves a file the next write sweeps.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    EventsLostEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer

from git_issues.repo.store import is_fan_folder

# What can change an issue file's bytes or existence (attribute-only changes
# cannot): the fewer kinds, the less the library wakes up.
_KINDS: list[type[FileSystemEvent]] = [
    FileCreatedEvent, FileDeletedEvent, FileModifiedEvent, FileMovedEvent, FileClosedEvent,
    DirCreatedEvent, DirDeletedEvent, DirMovedEvent, EventsLostEvent]
FENCE = ".serve-fence"
FENCE_WAIT = 2.0  # s: a fence slower than this means "cannot tell", never a stale page
# Names kept between two pages; past this many (a checkout, a pull) checking
# every file is as cheap, and a rebuild may be cheaper still.
LIMIT = 1_000


class Watcher:
    """The change feed of one ``.issues/`` folder (``repo.workspace.ChangeFeed``).

    Made by ``serve`` for each repository and closed with it; its threads and
    descriptor are the library's, started lazily by the first page (the folder
    may not exist before the first issue) and restarted if the watch died.
    """

    def __init__(self, issues_dir: Path, *, limit: int = LIMIT) -> None:
        self.dir = issues_dir
        self.limit = limit
        self._cond = threading.Condition()  # guards everything below
        self._names: set[str] | None = None  # None: cannot tell
        self.epoch = 0  # counts the pages that found a change (or could not tell)
        self._mine = threading.local()
        self._fenced = 0  # the newest fence seen
        self._sent = 0  # the newest fence made
        self._observer: Any = None
        self._dead = False
        self._one_reader = threading.Lock()  # one page at a time takes the names

    @contextmanager
    def changes(self) -> Iterator[set[str] | None]:
        """The files changed since the last page, or None; kept if the block fails."""
        with self._one_reader:
            names = self._take() if self._running() and self._fence() else self._forget()
            try:
                yield names
            except BaseException:
                self._forget()
                raise
            if names is None or names:  # counted once the index holds them
                self.epoch += 1
            self._mine.epoch = self.epoch

    def settled_epoch(self) -> int:
        """The epoch this thread's last ``changes`` block ended in (``web.pagecache``)."""
        return self._mine.epoch

    def close(self) -> None:
        """Stop the library's threads and close its descriptor."""
        with self._cond:
            observer, self._observer = self._observer, None
        if observer is not None:
            observer.stop()
            observer.join()

    def _running(self) -> bool:
        """Whether events are being watched now; (re)starts the watch if it can."""
        if self._observer is not None and not self._dead and self._observer.is_alive():
            return True
        self.close()
        if not self.dir.is_dir():
            return False
        observer = Observer()
        try:
            observer.schedule(_Handler(self), str(self.dir), recursive=True, event_filter=_KINDS)
            observer.start()
        except OSError:  # no watch to spare (inotify's limits), or the folder just went
            observer.stop()
            return False
        with self._cond:
            self._observer, self._dead, self._names = observer, False, None
        return True

    def _fence(self) -> bool:
        """Wait until every change made before now has been seen."""
        with self._cond:
            self._sent += 1
            number = self._sent
        path = self.dir / f"{FENCE}.{os.getpid()}.{number}.tmp"
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDONLY, 0o600))
            os.unlink(path)
        except OSError:  # a read-only checkout: no fence, so no trust
            return False
        with self._cond:
            return self._cond.wait_for(lambda: self._fenced >= number, FENCE_WAIT)

    def _take(self) -> set[str] | None:
        with self._cond:
            names, self._names = self._names, set()
        return names

    def _forget(self) -> None:
        with self._cond:
            self._names = None

    def seen(self, event: FileSystemEvent) -> None:
        """One event from the library's thread."""
        with self._cond:
            if isinstance(event, EventsLostEvent):
                self._names = None
                return
            for path in (event.src_path, getattr(event, "dest_path", "")):
                if path:
                    self._note(os.fsdecode(path), event)

    def _note(self, path: str, event: FileSystemEvent) -> None:
        parent, name = os.path.split(path)
        if os.path.normpath(path) == os.path.normpath(self.dir):
            if isinstance(event, (DirDeletedEvent, DirMovedEvent)):  # the watch dies with it
                self._dead, self._names = True, None
            return
        parent, top = os.path.normpath(parent), os.path.normpath(self.dir)
        if parent != top:  # a fanned-out issue's (``ab/abcdefgh.yml``), or not the index's
            fan = os.path.basename(parent)
            if os.path.dirname(parent) != top or not is_fan_folder(fan) or event.is_directory:
                return  # templates/ and other folders are not in the index
            name = f"{fan}/{name}"
        elif event.is_directory:
            if is_fan_folder(name) and self._names is not None:
                self._names = None  # a folder of issues came or went whole: check them all
            return
        if name.startswith(FENCE + "."):
            _, _, pid, number, _ = name.split(".", 4)
            if isinstance(event, FileCreatedEvent) and pid == str(os.getpid()):
                self._fenced = max(self._fenced, int(number))
                self._cond.notify_all()
            return  # another serve's fence
        if self._names is not None:
            self._names.add(name)
            if len(self._names) > self.limit:
                self._names = None


class _Handler(FileSystemEventHandler):
    def __init__(self, watcher: Watcher) -> None:
        self.watcher = watcher

    def dispatch(self, event: FileSystemEvent) -> None:
        self.watcher.seen(event)
