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
"""

from __future__ import annotations

import os
import random
import re
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from git_issues import gitutil
from git_issues.errors import GitIssuesError
from git_issues.ids import mint
from git_issues.store import file_name

if TYPE_CHECKING:
    from git_issues.model import Issue
    from git_issues.workspace import Workspace

STAGE_EVERY = 1000  # files in the first batches; later ones grow with what was staged
STAGE_MAX = 25_000
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

    def __enter__(self) -> Writer:
        self.ws.store.ensure_dir()
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._finish_staging()
        finally:
            self.ws.store.sweep_temporaries()
        if self.written:
            from git_issues.lifecycle import heal

            heal(self.ws)

    def mint_id(self) -> str:
        return mint(self._has_file, self.random)

    def mint_id_avoiding(self, taken: set[str]) -> str:
        """An id free in the folder and not yet handed out in this run (files come later)."""
        return mint(lambda c: c in taken or self._has_file(c), self.random)

    def _has_file(self, minted: str) -> bool:
        """``store.exists`` for an id ``mint`` made (valid by construction: no check, no
        ``Path``), which an import asks 100,000 times."""
        return os.path.lexists(f"{self._folder}{os.sep}{file_name(minted)}")

    def create(self, issue: Issue, data: dict[str, Any] | None = None) -> None:
        """Write a new issue's file (its id was minted against the folder).

        ``data``: the issue's ``to_dict()`` when the caller has it already.
        """
        self.write_new(issue.id, canonical_text(issue, data))

    def write_new(self, issue_id: str, text: str) -> None:
        """Write the file of an issue new here, and stage it with the next batch.

        The path is pending before the file is written: a Ctrl-C that lands just
        after the rename would otherwise leave a whole file unstaged.  A path
        whose write never finished is dropped when the rest is staged.
        """
        self.pending.append(self.ws.store.path(issue_id))
        self.ws.store.write_text(issue_id, text, bulk=True)
        self._written_one()

    def replace(self, issue: Issue, data: bytes) -> None:
        """Rewrite an existing file, only if nobody changed it since it was read
        (pending first, as for ``write_new``; not staged if the write is refused)."""
        from git_issues.lifecycle import lock_dir

        path = self.ws.store.path(issue.id)
        self.pending.append(path)
        try:
            self.ws.store.replace_if_unchanged(issue.id, data, canonical_text(issue),
                                               lock_dir(self.ws))
        except Exception:
            self.pending.remove(path)  # someone else's text: not this import's to stage
            raise
        self._written_one()

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


def stage_paths(root: Path, paths: Iterable[Path | str]) -> None:
    """``git update-index --add`` of these files: one process, paths on its stdin.

    Its own session: a Ctrl-C at the terminal interrupts the import, not the git
    that is writing the index (a git killed there would lose the whole batch).
    Another git holding ``index.lock`` is waited for briefly, as for ``gitutil.add``.
    """
    prefix = f"{root}{os.sep}"
    names = b"".join(os.fsencode(p[len(prefix):] if p.startswith(prefix) else
                                 os.path.relpath(p, root)) + b"\0"
                     for p in map(str, paths))
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
    from git_issues.fileformat import dump_document

    return dump_document(issue.to_dict() if data is None else data)


def mint_comment_id(taken: set[str], rng: random.Random | None = None) -> str:
    """A random comment id unique within its issue (the id rule of ``new_comment``)."""
    comment_id = mint(taken.__contains__, rng)
    taken.add(comment_id)
    return comment_id


def ensure_statuses(ws: Workspace, wanted: dict[str, str]) -> list[str]:
    """Add the statuses an import needs to ``.issues/config.yml`` (each open or closed).

    The file is edited, not regenerated: the new entries go after the last
    line of the ``statuses:`` block, so comments and order survive.  Returns
    what was added; the config is staged.
    """
    from git_issues import config as config_mod
    from git_issues.fileformat import read_bytes

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
    config_mod.parse(new_text.encode("utf-8"))  # refuse to write a config we cannot read
    ws.store.ensure_dir()
    path.write_text(new_text, encoding="utf-8")
    gitutil.add(ws.root, [path])
    return list(missing)
