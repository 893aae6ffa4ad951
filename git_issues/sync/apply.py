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
removes the journal once everything is staged.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from git_issues.core.ids import mint
from git_issues.core.model import MAX_TITLE
from git_issues.errors import GitIssuesError
from git_issues.repo import gitutil, issues
from git_issues.repo.store import file_name

if TYPE_CHECKING:
    from git_issues.core.model import Comment, Issue
    from git_issues.repo.workspace import Workspace
    from git_issues.sync.state import Base

STAGE_EVERY = 1000  # files in the first batches; later ones grow with what was staged
STAGE_MAX = 25_000
JOURNAL = "import-journal"  # in the tool's folder of the git dir
SPILL = "import-spill-{pid}.sqlite"  # there too: import github's comments while it runs
TITLE_LIMIT = min(MAX_TITLE, 256)  # characters of an imported title; longer ones are cut
# As model._CONTROL_RE: control characters other than tab and line ends; and lone
# surrogates (JSON's "\\ud800"), which are not text UTF-8 can hold.
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


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


def clean_text(text: Any) -> str:
    """Text as the file format holds it: '\\n' line ends, no control characters.

    GitHub bodies come with '\\r\\n'; a stray escape character would be refused by
    the model (it could drive a terminal), and a lone surrogate cannot be
    written as UTF-8, so either becomes U+FFFD, visibly.
    """
    if text is None:
        return ""
    if type(text) is str and text.isprintable():
        return text  # no line end, control character or surrogate: most titles, names
    text = str(text).replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL_RE.sub("\ufffd", text)


def one_line(text: Any) -> str:
    if type(text) is str and text.isprintable() and "  " not in text \
            and text[:1] != " " and text[-1:] != " ":
        return text  # what split and join would give back (printable: no other space)
    return " ".join(clean_text(text).split())


def short_title(title: str) -> str:
    """A title the model takes: cut to ``TITLE_LIMIT`` characters, the cut shown by '…'
    (the same cut on every run, so a re-run sees no change)."""
    return title if len(title) <= TITLE_LIMIT else title[:TITLE_LIMIT - 1] + "\u2026"


def latest_time() -> str:
    """The latest time ``check`` accepts in a file, as the file format writes it.

    A forge or a file can hold a time in year 9999; written as it is, the
    pre-commit hook refuses the commit.  Timestamps of this form compare as text.
    """
    import datetime as dt

    from git_issues.core.model import format_timestamp
    from git_issues.ops.validation import FUTURE_SLACK

    return format_timestamp(dt.datetime.now(dt.UTC) + FUTURE_SLACK)


def not_future(value: str, latest: str, where: str, summary: Summary) -> str:
    """``value``, or the current time (and a note naming ``where``) if it is past ``latest``."""
    if value <= latest:
        return value
    from git_issues.core.model import now

    moment = now()
    summary.notes.append(f"{where} {value} is in the future: imported as {moment}")
    return moment


def fit(issue: Issue, droppable: list[Comment]) -> list[Comment] | None:
    """Leave out the fewest of ``droppable`` (the oldest first) for the issue's file to
    pass the reader's limits (``fileformat.check_writable``: 1 MiB, 100,000 values).

    Returns what was left out ([] when the issue fits as it is; ``issue.comments``
    is left without them), or None when even leaving them all out is not enough.
    A file under a quarter of the limit in characters fits whatever its
    characters: the exact check (a dump, slow for a big file) is paid only by
    issues near the limit, and the first guess of how many to leave out comes
    from the sizes of the comments, so that it is usually checked once.
    """
    from git_issues.fileformat.issuefile import MAX_FILE_BYTES

    chars = len(issue.title) + len(issue.body) + 1000
    chars += sum(len(c.body) + len(c.author or "") + 100 for c in issue.comments)
    if chars * 4 <= MAX_FILE_BYTES:
        return []
    text = canonical_text(issue)
    if _writable(text):
        return []
    size = len(text.encode("utf-8"))
    order = sorted(droppable, key=lambda c: (c.date, c.github_id or 0))
    guess, freed = 0, 0
    while guess < len(order) and size - freed > MAX_FILE_BYTES:
        body = order[guess].body
        freed += len(body.encode("utf-8")) + 8 * body.count("\n") + 100
        guess += 1
    # Leaving out `low` is too few, `high` is enough: the guess is checked, then the
    # one below it (the guess counts generously), and only a miss costs a search.
    if _fits(issue, order[:guess]):
        low, high = guess - 1, guess
        if guess and _fits(issue, order[:low]):
            low, high = -1, low
    elif _fits(issue, order):
        low, high = guess, len(order)
    else:
        return None
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if _fits(issue, order[:middle]) else (middle, high)
    left_out = {id(c) for c in order[:high]}
    issue.comments = [c for c in issue.comments if id(c) not in left_out]
    return order[:high]


def _fits(issue: Issue, left_out: Iterable[Comment]) -> bool:
    skip = {id(c) for c in left_out}
    kept = [c for c in issue.comments if id(c) not in skip]
    data = {**issue.to_dict(), "comments": [c.to_dict() for c in kept]}
    if not kept:
        del data["comments"]
    return _writable(canonical_text(issue, data))


def _writable(text: str) -> bool:
    from git_issues.fileformat.issuefile import check_writable

    try:
        check_writable(text, "")
    except GitIssuesError:
        return False
    return True


def body_text(text: Any) -> str:
    """A body or comment the way ``lifecycle.normalize_body`` writes typed text."""
    text = clean_text(text).rstrip()
    return text + "\n" if "\n" in text else text


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
        # A killed run's bases, kept by finish_killed_run: sync state path -> number -> entry.
        self.recovered: dict[str, dict[int, Any]] = {}

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
        return os.path.lexists(f"{self._folder}{os.sep}{file_name(minted)}")

    def create(self, issue: Issue, data: dict[str, Any] | None = None,
               base: Base | None = None) -> None:
        """Write a new issue's file (its id was minted against the folder).

        ``data``: the issue's ``to_dict()`` when the caller has it already;
        ``base``: what the sync state will remember of it (see ``journal``).
        """
        self.write_new(issue.id, canonical_text(issue, data), base)

    def write_new(self, issue_id: str, text: str, base: Base | None = None) -> None:
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

    def replace(self, issue: Issue, data: bytes, base: Base | None = None) -> None:
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

    def journal(self, path: Path, digest: str | None = None, base: Base | None = None) -> None:
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
        head = json.dumps([_relative(self.ws.root, path), digest,
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


def file_digest(data: bytes) -> str:
    import hashlib

    return hashlib.blake2b(data, digest_size=16).hexdigest()


def finish_killed_run(ws: Workspace) -> dict[str, dict[int, Any]]:
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
    bases: dict[str, dict[int, Any]] = {}
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
            bases.setdefault(row[2], {})[int(row[3])] = row[4]
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
    holds that pid (``store.lock``): the rerun would wait for it, then stop."""
    with contextlib.suppress(OSError):
        os.unlink(path.with_name(f".{path.name}.{pid}.tmp"))
    if not locked:
        return
    lock = issues.lock_dir(ws) / f"{path.name}.lock"
    with contextlib.suppress(OSError, UnicodeDecodeError):
        if lock.read_text(encoding="utf-8").split()[:1] == [str(pid)]:  # "<pid> <host>"
            lock.unlink()


def _remember(ws: Workspace, shown: str, entries: dict[int, Any]) -> Path:
    """Add a killed run's bases to its sync state (kept only for files it wrote)."""
    from git_issues.sync import state as state_mod

    state = state_mod.load_file(ws.root, shown)
    for number, entry in entries.items():
        state.issues.keep(number, entry)
    return state.save()


def _relative(root: Path, path: Path | str) -> str:
    """``path`` relative to ``root`` (a prefix cut for the paths an import makes)."""
    prefix, text = f"{root}{os.sep}", str(path)
    return text[len(prefix):] if text.startswith(prefix) else os.path.relpath(text, root)


def stage_paths(root: Path, paths: Iterable[Path | str]) -> None:
    """``git update-index --add`` of these files: one process, paths on its stdin.

    Its own session: a Ctrl-C at the terminal interrupts the import, not the git
    that is writing the index (a git killed there would lose the whole batch).
    Another git holding ``index.lock`` is waited for briefly, as for ``gitutil.add``.
    """
    names = b"".join(os.fsencode(_relative(root, p)) + b"\0" for p in paths)
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


def canonical_text(issue: Issue, data: dict[str, Any] | None = None) -> str:
    """``dump_issue``'s bytes, from ``data`` when the caller already has the fields."""
    from git_issues.fileformat.issuefile import dump_document

    return dump_document(issue.to_dict() if data is None else data)


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
    from git_issues.fileformat.issuefile import read_bytes
    from git_issues.repo import config as config_mod

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
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    gitutil.add(ws.root, [path])
    return list(missing)
