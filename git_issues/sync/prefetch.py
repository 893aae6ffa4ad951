"""Pages fetched ahead by a thread while the one before is imported (any forge).

The server prepares the next page while this one is written: a list of
100,000 issues costs the network's time or the import's, not their sum.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Any

PREFETCH = 2  # pages fetched ahead of the one being imported


class Prefetch:
    """A thread that runs a page iterator ahead of its consumer; closed by ``with``.

    The thread hands pages (and the error that ended them, raised again in the
    consumer) over a queue of ``PREFETCH`` places, so at most that many pages
    wait in memory.  Leaving the ``with`` early (Ctrl-C, an error while
    importing a page) stops the thread at its next hand-over or wait; a request
    in progress is given a few seconds, then left to the daemon thread.
    """

    JOIN_TIMEOUT = 5.0

    def __init__(self, source: Iterator[list[Any]], interrupt: threading.Event) -> None:
        self._source = source
        self._interrupt = interrupt
        self._queue: queue.Queue[tuple[str, Any]] = queue.Queue(PREFETCH)
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fetch", daemon=True)

    def __enter__(self) -> Prefetch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closing.set()
        if self._thread.is_alive():
            self._interrupt.set()
            self._thread.join(self.JOIN_TIMEOUT)
            self._interrupt.clear()

    def __iter__(self) -> Iterator[list[Any]]:
        while True:
            kind, value = self._queue.get()
            if kind == "page":
                yield value
            elif kind == "end":
                return
            else:
                raise value

    def _run(self) -> None:
        try:
            for page in self._source:
                if not self._hand_over(("page", page)):
                    return
            self._hand_over(("end", None))
        except BaseException as exc:  # given to the consumer, raised in its thread
            self._hand_over(("error", exc))

    def _hand_over(self, entry: tuple[str, Any]) -> bool:
        while not self._closing.is_set():
            try:
                self._queue.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False
