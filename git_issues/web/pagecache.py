"""Pages kept while nothing they are made of changed: the watcher's epoch says when.

A list, board or issue page is made from the issue files (through the index),
the checked-out branch and the request's URL.  The watcher (``web.watcher``)
counts an *epoch* each time a page learns that some file changed, or that it
cannot tell; while the epoch stays the same, the same URL on the same branch
gives the same page, so the page made last time is sent again.  Every request
still waits for the watcher's fence first, so a change made before it is
always seen.  Only this run's pages are kept, a bounded number, and all of them
are dropped when the epoch moves.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

KEPT = 64  # pages of one repository: the URLs a team is looking at


class PageCache:
    """The pages of one repository made in the current epoch."""

    def __init__(self, size: int = KEPT) -> None:
        self.size = size
        self._epoch = -1
        self._pages: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, epoch: int, key: Any) -> Any:
        with self._lock:
            self._move_to(epoch)
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
            return page

    def put(self, epoch: int, key: Any, page: Any) -> None:
        """Keep ``page``, unless it was made in an epoch that has ended since."""
        with self._lock:
            self._move_to(epoch)
            if epoch != self._epoch:
                return
            self._pages[key] = page
            self._pages.move_to_end(key)
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)

    def kept(self, epoch: int, key: Any, make: Any) -> Any:
        """What ``make()`` gives, made once in ``epoch``."""
        found = self.get(epoch, key)
        if found is None:
            found = make()
            self.put(epoch, key, found)
        return found

    def _move_to(self, epoch: int) -> None:
        if epoch > self._epoch:
            self._epoch = epoch
            self._pages.clear()


class Settled:
    """The change feed of one request after its first, fenced, refresh: nothing more
    to look for, so the page's other index reads do not wait for another fence."""

    @contextmanager
    def changes(self) -> Iterator[set[str] | None]:
        yield set()
