"""The one way an imported issue reaches the store, shared by every source.

Files are written canonically and atomically, then staged in batches: one
``git update-index`` per batch (one per file would rewrite git's index
100,000 times; ``git add`` with 1,000 paths matches each against the folder),
run in the background while the import goes on, one batch at a time, its
blobs written into one pack per batch.  The git process runs in its own
session, so a Ctrl-C meant for the import does not kill it half-way.  Leaving
the ``with`` waits for it and stages whatever was written since, also when the
import stops half-way (Ctrl-C, the network gone): every finished issue is then
written, staged and whole, and running the same command continues.

A run killed hard (``kill -9``, a power cut of the process) leaves no time
for that, so every write is announced first, one line in a journal in the
git dir (``import-journal``), with what the sync state should remember of the
issue.  The next import (of any source) finishes the killed run before it
starts: each announced file that was written is staged, and its remembered
base goes into the sync state, so an edit made on GitHub meanwhile is applied
rather than mistaken for a conflict.  A run that ends, however it ends,
removes the journal once everything is staged (journal.py: the journal's
recovery and the staging itself).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from git_issues.core.ids import mint
from git_issues.errors import GitIssuesError
from git_issues.fileformat.issuefile import read_bytes
from git_issues.repo import config as config_mod
from git_issues.repo import gitutil, issues
from git_issues.repo.store import fanned_name, file_name, write_atomic
from git_issues.sync.journal import (
    JOURNAL,
    Recovered,
    file_digest,
    finish_killed_run,
    relative,
    stage_paths,
)
from git_issues.sync.text import canonical_text

if TYPE_CHECKING:
    from git_issues.core.model import Issue
    from git_issues.repo.workspace import Workspace
    from git_issues.sync.state import JournalBase

STAGE_EVERY = 1000  # files in the first batches; later ones grow with what was staged
STAGE_MAX = 25_000


class Summary:
    """What an import did, for the closing line and the tests."""

    def __init__(self) -> None:
        self.imported = 0
        self.updated = 0
        self.unchanged = 0
        self.skipped: dict[str, int] = {}  # reason -> count
        self.notes: list[str] = []  # things the user should know, one line each
        self.conflicts: list[str] = []

    def skip(self, reason: str, count: int = 1) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + count

    def line(self) -> str:
        parts = [f"imported {self.imported}", f"updated {self.updated}",
                 f"unchanged {self.unchanged}"]
        parts += [f"skipped {count} {reason}" for reason, count in self.skipped.items() if count]
        if self.conflicts:
            parts.append(f"{len(self.conflicts)} conflict{'s' if len(self.conflicts) > 1 else ''}"
                         " (local values kept)")
        return ", ".join(parts)

class Writer:
    """Writes issue files for one import and stages them; use it in a ``with``."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.pending: list[Path] = []  # written, not staged yet
        self.written = 0
        self.staged = 0
        self._stager: ThreadPoolExecutor | None = None
        self._staging: Future[None] | None = None
        # Seeded from the system's randomness once per run: reading it per id
        # would cost a system call per character of 400,000 ids.
        self.random = random.Random(os.urandom(32))
        self._folder = str(ws.store.dir)
        self._journal: int | None = None  # the journal's descriptor, while a run writes
        self.recovered: Recovered = {}  # a killed run's bases, kept by finish_killed_run

    def __enter__(self) -> Writer:
        self.ws.store.ensure_dir()
        self.recovered = finish_killed_run(self.ws)
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._finish_staging()
            self._end_journal(done=True)
        finally:
            self._end_journal(done=False)
            self.ws.store.sweep_temporaries()
        if self.written:
            issues.heal(self.ws)

    def mint_id(self) -> str:
        return mint(self._has_file, self.random)

    def mint_id_avoiding(self, taken: set[str]) -> str:
        """An id free in the folder and not yet handed out in this run (files come later)."""
        return mint(lambda c: c in taken or self._has_file(c), self.random)

    def _has_file(self, minted: str) -> bool:
        """``store.exists`` for an id ``mint`` made (valid by construction: no check, no
        ``Path``), which an import asks 100,000 times."""
        return os.path.lexists(f"{self._folder}{os.sep}{file_name(minted)}") \
            or os.path.lexists(f"{self._folder}{os.sep}{fanned_name(minted)}")

    def create(self, issue: Issue, data: dict[str, Any] | None = None,
               base: JournalBase | None = None) -> None:
        """Write a new issue's file (its id was minted against the folder).

        ``data``: the issue's ``to_dict()`` when the caller has it already;
        ``base``: what the sync state will remember of it (see ``journal``).
        """
        self.write_new(issue.id, canonical_text(issue, data), base)

    def write_new(self, issue_id: str, text: str, base: JournalBase | None = None) -> None:
        """Write the file of an issue new here, and stage it with the next batch.

        The path is pending (and journaled) before the file is written: a Ctrl-C
        that lands just after the rename would otherwise leave a whole file
        unstaged.  A path whose write never finished is dropped when the rest is
        staged (the file of a new id exists only once it is whole).
        """
        path = self.ws.store.path(issue_id)
        self.journal(path, None, base)
        self.pending.append(path)
        self.ws.store.write_text(issue_id, text, bulk=True)
        self._written_one()

    def replace(self, issue: Issue, data: bytes, base: JournalBase | None = None) -> None:
        """Rewrite an existing file, only if nobody changed it since it was read
        (pending first, as for ``write_new``; not staged if the write is refused).
        The journal holds the new text's digest: after a kill, only a file that
        holds it was written by this run."""
        path = self.ws.store.path(issue.id)
        text = canonical_text(issue)
        self.journal(path, file_digest(text.encode("utf-8")), base)
        self.pending.append(path)
        try:
            issues.replace_text(self.ws, issue.id, data, text)
        except Exception:
            self.pending.remove(path)  # someone else's text: not this import's to stage
            raise
        self._written_one()

    def journal(self, path: Path, digest: str | None = None,
                base: JournalBase | None = None) -> None:
        """Announce a write before it happens: one line, in the file before the write.

        ``digest``: of the bytes about to be written, when the file exists already;
        ``base``: (the sync state's path, the forge's number, the entry's JSON), kept
        by ``finish_killed_run`` only if the write happened.  One ``write`` call a
        line, unbuffered: a kill loses no line but the one being written.
        """
        if self._journal is None:
            self.ws.state_dir.mkdir(parents=True, exist_ok=True)
            self._journal = os.open(self.ws.state_dir / JOURNAL,
                                    os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o666)
            os.write(self._journal, f'{{"pid": {os.getpid()}}}\n'.encode())
        head = json.dumps([relative(self.ws.root, path), digest,
                           *(base[:2] if base else ())], ensure_ascii=False)
        line = f"{head[:-1]}, {base[2]}]\n" if base else f"{head}\n"
        os.write(self._journal, line.encode("utf-8"))

    def _end_journal(self, *, done: bool) -> None:
        """Close the journal; ``done``: everything it announced is staged, so remove it."""
        if self._journal is None:
            return
        os.close(self._journal)
        self._journal = None
        if done:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.ws.state_dir / JOURNAL)

    def _written_one(self) -> None:
        self.written += 1
        self._stage_when_full()

    def stage_later(self, path: Path) -> None:
        """A file to stage with the next batch (the sync state, say), not counted as written."""
        self.pending.append(path)
        self._stage_when_full()

    def _stage_when_full(self) -> None:
        if len(self.pending) >= min(max(STAGE_EVERY, self.staged // 4), STAGE_MAX):
            self.stage()

    def stage(self) -> None:
        """Stage what is pending: in the background, after the batch before it.

        The batch leaves ``pending`` only once it is handed over: a Ctrl-C in
        between stages it twice (harmless), never not at all.
        """
        if not self.pending:
            return
        self._wait_staging()
        paths = self.pending
        if self._stager is None:
            self._stager = ThreadPoolExecutor(1, thread_name_prefix="stage")
        self._staging = self._stager.submit(stage_paths, self.ws.root, paths)
        self.pending = []
        self.staged += len(paths)

    def _wait_staging(self) -> None:
        """The batch before, done (kept until then: a Ctrl-C here waits for it again)."""
        if self._staging is not None:
            self._staging.result()
            self._staging = None

    def _finish_staging(self) -> None:
        try:
            self._wait_staging()
            # A write cut short by Ctrl-C left its path pending and no file (not
            # always the last path: the sync state is saved after the interruption).
            paths = [p for p in self.pending if os.path.lexists(p)]
            self.pending = []
            if paths:
                stage_paths(self.ws.root, paths)
        finally:
            if self._stager is not None:
                self._stager.shutdown(wait=True)
                self._stager = None


def mint_comment_id(taken: set[str], rng: random.Random | None = None) -> str:
    """A random comment id unique within its issue (the id rule of ``new_comment``)."""
    comment_id = mint(taken.__contains__, rng)
    taken.add(comment_id)
    return comment_id


def ensure_statuses(ws: Workspace, wanted: dict[str, str],
                    writer: Writer | None = None) -> list[str]:
    """Add the statuses an import needs to ``.issues/config.yml`` (each open or closed).

    The file is edited, not regenerated: the new entries go after the last
    line of the ``statuses:`` block, so comments and order survive.  Returns
    what was added; the config is staged (announced to ``writer``'s journal
    first, and replaced whole: a kill leaves the old file or the new one, staged
    by the next run).
    """
    path = ws.sources.config_path
    current = config_mod.load(path)
    missing = {name: state for name, state in wanted.items() if name not in current.statuses}
    if not missing:
        return []
    try:  # the guarded reader, as config.load used: the file is committed
        text = read_bytes(str(path), config_mod.SHOWN)[0].decode("utf-8")
    except FileNotFoundError:
        text = config_mod.DEFAULT_TEXT
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.rstrip() == "statuses:"), None)
    if start is None:
        raise GitIssuesError(f"{config_mod.SHOWN}: no block 'statuses:' to add "
                             f"{', '.join(missing)} to; add them by hand")
    end = start + 1
    while end < len(lines) and (lines[end].startswith((" ", "\t")) or not lines[end].strip()):
        end += 1
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    lines[end:end] = [f"  {name}: {state}" for name, state in missing.items()]
    new_text = "\n".join(lines) + "\n"
    data = new_text.encode("utf-8")
    config_mod.parse(data)  # refuse to write a config we cannot read
    ws.store.ensure_dir()
    if writer is not None:
        writer.journal(path, file_digest(data))
    write_atomic(path, data, sync=False)
    gitutil.add(ws.root, [path])
    return list(missing)
