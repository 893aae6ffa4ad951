"""The forked rebuild pool: parsing many issue files on every core.

A rebuild of thousands of files is bound by YAML parsing; worker processes
forked before any database handle exists parse chunks of names and send back
records (tuples pickle cheaply, see ``records.Record``), while the parent
writes them.  Below ``_PARALLEL_MIN`` files starting workers costs more than
it saves, and the chunks are parsed in this process.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import TypeVar

from git_issues.fastpaths import can_fork
from git_issues.index.records import Record, read_many

_PARALLEL_MIN = 2000  # below this, starting worker processes costs more than it saves
_CHUNK = 500
T = TypeVar("T")
R = TypeVar("R")


def _exit_with_parent(parent: int) -> None:
    """Pool initializer: a worker outlives a ``kill -9`` of its parent otherwise.

    Each forked worker holds the write end of the pool's queue itself, so it
    never sees end-of-file and would wait on the queue forever.  A daemon
    thread notices the parent is gone and ends the worker.
    """
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


@contextmanager
def parsed(directory: Path, names: list[str], statuses: dict[str, str],
           jobs: int | None) -> Iterator[Iterable[list[Record]]]:
    """Parsed records in chunks, on every core when there are many files.

    The worker processes are forked here, before any database handle exists,
    and the pool is shut down when the block ends.  Without ``fork`` (Windows,
    or ``GIT_ISSUES_PORTABLE=1``) this process parses every chunk itself.
    """
    chunks = [names[i:i + _CHUNK] for i in range(0, len(names), _CHUNK)]
    with in_parallel(partial(read_many, str(directory), statuses=statuses), chunks,
                     len(names), jobs) as results:
        yield results


@contextmanager
def in_parallel(work: Callable[[T], R], chunks: list[T], size: int,
                jobs: int | None) -> Iterator[Iterable[R]]:
    """``work`` applied to each chunk, in forked workers when ``size`` items make it
    pay (``work`` and its chunks must pickle); the results in the chunks' order."""
    jobs = jobs if jobs is not None else (os.cpu_count() or 1)
    if jobs < 2 or size < _PARALLEL_MIN or not can_fork():
        yield (work(chunk) for chunk in chunks)
        return
    # Only a large rebuild pays these imports (docs/performance.md).
    import multiprocessing  # lazy: fork
    from concurrent.futures import ProcessPoolExecutor  # lazy: fork

    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_exit_with_parent,
                             initargs=(os.getpid(),)) as pool:
        yield pool.map(work, chunks)
