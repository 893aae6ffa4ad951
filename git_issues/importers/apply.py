"""The one way an imported issue reaches the store, shared by every source.

Files are written canonically and atomically, then staged in batches (one
``git add`` per few hundred files: one per file would rewrite git's index
100,000 times).  Leaving the ``with`` stages whatever was written, also when
the import stops half-way (Ctrl-C, the network gone): every finished issue is
then written, staged and whole, and running the same command continues.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from git_issues import gitutil
from git_issues import ids as ids_mod
from git_issues.errors import GitIssuesError

if TYPE_CHECKING:
    from git_issues.model import Issue
    from git_issues.workspace import Workspace

STAGE_EVERY = 1000
# As model._CONTROL_RE: control characters other than tab and line ends.
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


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
    the model (it could drive a terminal), so it becomes U+FFFD, visibly.
    """
    if text is None:
        return ""
    text = str(text).replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL_RE.sub("\ufffd", text)


def one_line(text: Any) -> str:
    return " ".join(clean_text(text).split())


def body_text(text: Any) -> str:
    """A body or comment the way ``lifecycle.normalize_body`` writes typed text."""
    text = clean_text(text).rstrip()
    return text + "\n" if "\n" in text else text


class Writer:
    """Writes issue files for one import and stages them; use it in a ``with``."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.pending: list[Path] = []
        self.written = 0

    def __enter__(self) -> Writer:
        self.ws.store.ensure_dir()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stage()
        self.ws.store.sweep_temporaries()
        if self.written:
            from git_issues.lifecycle import heal

            heal(self.ws)

    def mint_id(self) -> str:
        return self.ws.store.mint_id()

    def mint_id_avoiding(self, taken: set[str]) -> str:
        """An id free in the folder and not yet handed out in this run (files come later)."""
        return ids_mod.mint(lambda c: c in taken or self.ws.store.exists(c))

    def create(self, issue: Issue) -> None:
        """Write a new issue's file (its id was minted against the folder)."""
        self.add(self.ws.store.write_text(issue.id, canonical_text(issue), bulk=True))

    def replace(self, issue: Issue, data: bytes) -> None:
        """Rewrite an existing file, only if nobody changed it since it was read."""
        from git_issues.lifecycle import lock_dir

        path = self.ws.store.replace_if_unchanged(issue.id, data, canonical_text(issue),
                                                  lock_dir(self.ws))
        self.add(path)

    def add(self, path: Path) -> None:
        self.pending.append(path)
        self.written += 1
        if len(self.pending) >= STAGE_EVERY:
            self.stage()

    def stage(self) -> None:
        if self.pending:
            paths, self.pending = self.pending, []
            gitutil.add(self.ws.root, paths)


def canonical_text(issue: Issue) -> str:
    """``dump_issue``'s bytes; through the fast writer when the issue is plain enough."""
    from git_issues.importers.fastyaml import dump

    text = dump(issue.to_dict())
    if text is None:
        from git_issues.fileformat import dump_issue

        text = dump_issue(issue)
    return text


def mint_comment_id(taken: set[str]) -> str:
    """A random comment id unique within its issue (the id rule of ``new_comment``)."""
    comment_id = ids_mod.mint(taken.__contains__)
    taken.add(comment_id)
    return comment_id


def ensure_statuses(ws: Workspace, wanted: dict[str, str]) -> list[str]:
    """Add the statuses an import needs to ``.issues/config.yml`` (each open or closed).

    The file is edited, not regenerated: the new entries go after the last
    line of the ``statuses:`` block, so comments and order survive.  Returns
    what was added; the config is staged.
    """
    from git_issues import config as config_mod

    path = ws.sources.config_path
    current = config_mod.load(path)
    missing = {name: state for name, state in wanted.items() if name not in current.statuses}
    if not missing:
        return []
    try:
        text = path.read_text(encoding="utf-8")
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
