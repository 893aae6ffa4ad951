"""The journal of an import's writes, and finishing a run killed before it staged.

A run killed hard (``kill -9``, a power cut of the process) leaves no time to
stage what it wrote, so every write is announced first, one line in a journal
in the git dir (``import-journal``), with what the sync state should remember
of the issue (``apply.Writer.journal`` writes it).  The next import (of any
source) finishes the killed run before it starts: each announced file that was
written is staged, and its remembered base goes into the sync state, so an
edit made on the forge meanwhile is applied rather than mistaken for a
conflict.  Staging itself is here too: one ``git update-index`` for a batch.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from git_issues.repo import gitutil
from git_issues.repo.issues import lock_dir
from git_issues.sync import state as state_mod

if TYPE_CHECKING:
    from git_issues.repo.workspace import Workspace

JOURNAL = "import-journal"  # in the tool's folder of the git dir
SPILL = "import-spill-{pid}.sqlite"  # there too: import github's comments while it runs
# A killed run's bases: sync state path -> number -> entry.
Recovered = dict[str, dict[int, state_mod.Entry]]


def file_digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def finish_killed_run(ws: Workspace) -> Recovered:
    """Stage what a killed import wrote and keep the bases it meant to remember.

    Read from the journal the killed run left (see the module docstring): a
    line names a file written by it if the file exists and, for a file that
    existed before, holds the announced digest.  A line cut short by the kill
    is skipped (its write never began).  The killed run's temporary files and
    its locks are removed (see ``_drop_leftovers``).  Nothing to do when there is
    no journal.
    Returns the bases kept (sync state path -> number -> entry), for a caller
    that loaded its state before.
    """
    journal = ws.state_dir / JOURNAL
    try:
        lines = journal.read_bytes().decode("utf-8", "replace").splitlines()
    except FileNotFoundError:
        return {}
    paths: list[Path] = []
    bases: Recovered = {}
    pid = None
    for line in lines:
        try:
            row = json.loads(line)
            if isinstance(row, dict):
                pid = row["pid"]
                continue
            path, digest = ws.root / row[0], row[1]
        except (ValueError, TypeError, IndexError, KeyError):
            continue
        _drop_leftovers(ws, path, pid, digest is not None)
        if not _written(path, digest):
            continue
        paths.append(path)
        if len(row) == 5:
            with contextlib.suppress(ValueError, TypeError):
                bases.setdefault(row[2], {})[int(row[3])] = state_mod.Entry.from_row(row[4])
    with contextlib.suppress(OSError):
        os.unlink(ws.state_dir / SPILL.format(pid=pid))
    for shown, entries in bases.items():
        paths.append(_remember(ws, shown, entries))
    if paths:
        stage_paths(ws.root, dict.fromkeys(paths))
    journal.unlink()
    return bases


def _written(path: Path, digest: str | None) -> bool:
    try:
        return digest is None and os.path.lexists(path) or \
            digest is not None and file_digest(path.read_bytes()) == digest
    except OSError:
        return False


def _drop_leftovers(ws: Workspace, path: Path, pid: Any, locked: bool) -> None:
    """What the killed run (``pid``) left beside ``path``: its temporary file
    (``.<name>.<pid>.tmp``, the writers' name), shown by ``git status`` until the
    next write's sweep; and, for a rewrite (``locked``), the issue's lock if it
    holds that pid (``locks.lock``): the rerun would wait for it, then stop."""
    with contextlib.suppress(OSError):
        os.unlink(path.with_name(f".{path.name}.{pid}.tmp"))
    if not locked:
        return
    lock = lock_dir(ws) / f"{path.name}.lock"
    with contextlib.suppress(OSError, UnicodeDecodeError):
        if lock.read_text(encoding="utf-8").split()[:1] == [str(pid)]:  # "<pid> <host>"
            lock.unlink()


def _remember(ws: Workspace, shown: str, entries: dict[int, state_mod.Entry]) -> Path:
    """Add a killed run's bases to its sync state (kept only for files it wrote)."""
    state = state_mod.load_file(ws.root, shown)
    for number, entry in entries.items():
        state.issues.keep(number, entry)
    return state.save()


def relative(root: Path, path: Path | str) -> str:
    """``path`` relative to ``root`` (a prefix cut for the paths an import makes)."""
    prefix, text = f"{root}{os.sep}", str(path)
    return text[len(prefix):] if text.startswith(prefix) else os.path.relpath(text, root)


def stage_paths(root: Path, paths: Iterable[Path | str]) -> None:
    """``git update-index --add`` of these files: one process, paths on its stdin.

    Its own session: a Ctrl-C at the terminal interrupts the import, not the git
    that is writing the index (a git killed there would lose the whole batch).
    Another git holding ``index.lock`` is waited for briefly, as for ``gitutil.add``.
    """
    names = b"".join(os.fsencode(relative(root, p)) + b"\0" for p in paths)
    # core.bigFileThreshold=1: every blob goes into one pack per batch (git's bulk
    # check-in, as for big files) instead of a file of its own under .git/objects:
    # 10,000 loose objects cost 7.8 s of system time here, the pack 1.1 s.
    gitutil.run_waiting_for_index(
        ["-c", "core.bigFileThreshold=1", "update-index", "--add", "-z", "--stdin"],
        root, input=names, new_session=True, env=_staging_env())


def _staging_env() -> dict[str, str]:
    """The environment for git's bulk check-in: glibc told to keep the memory it frees.

    git allocates and frees its buffers for each blob it streams into the pack;
    above 128 KiB free, glibc gives the memory back (``brk``) and the next blob
    faults it in again: four ``brk`` calls a file and 1.3-1.9 s of system time
    per 10,000 files here, 0.4 s with the threshold raised (bench notes in
    docs/performance.md).  Other C libraries ignore the variable, and a value
    the user set is kept.  Read per batch: nothing from the environment is kept.
    """
    env = dict(os.environ)
    env.setdefault("MALLOC_TRIM_THRESHOLD_", str(8 << 20))
    return env


