"""The ``.issues/`` folder: naming, listing, reading and atomic writing.

Writes go to a temporary file beside the target and are renamed over it, so a
reader (or a crash) never sees half an issue.  Temporary names start with a
dot, which every listing skips; stale ones are swept on the next write.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

from git_issues import ids as ids_mod
from git_issues.errors import GitIssuesError, IssueFileError
from git_issues.model import ID_RE, Issue

ISSUES_DIR = ".issues"
SUFFIX = ".yml"
CONFIG_NAME = "config.yml"
_STALE_TMP_SECONDS = 3600


def issue_stem(name: str) -> str | None:
    """The id a directory entry would hold, or None for anything that is not an issue file."""
    if not name.endswith(SUFFIX) or name.startswith(".") or name == CONFIG_NAME:
        return None
    return name[: -len(SUFFIX)]


class Store:
    """One repository's issue folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.dir = root / ISSUES_DIR

    def path(self, issue_id: str) -> Path:
        if not ID_RE.fullmatch(issue_id):
            raise GitIssuesError(f"'{issue_id}' is not an issue id")
        return self.dir / f"{issue_id}{SUFFIX}"

    def display(self, issue_id: str) -> str:
        """The path as the user sees it, relative to the repository root."""
        return f"{ISSUES_DIR}/{issue_id}{SUFFIX}"

    def ids(self) -> list[str]:
        """Every id that has a file, valid or not, from one directory listing."""
        try:
            names = os.listdir(self.dir)
        except FileNotFoundError:
            return []
        return [stem for name in names if (stem := issue_stem(name)) is not None]

    def exists(self, issue_id: str) -> bool:
        return os.path.lexists(self.path(issue_id))

    def resolve(self, prefix: str) -> str:
        return ids_mod.resolve(prefix, self.ids())

    def read(self, issue_id: str) -> Issue:
        from git_issues.fileformat import read_issue  # PyYAML only when a file is read

        try:
            issue = read_issue(str(self.path(issue_id)), self.display(issue_id))
        except FileNotFoundError:
            shown = self.display(issue_id)
            raise GitIssuesError(f"no issue '{issue_id}' ({shown} is gone)") from None
        if issue.id != issue_id:
            raise IssueFileError(
                self.display(issue_id), f"id '{issue.id}' does not match the file name"
            )
        return issue

    def read_all(self) -> Iterator[Issue | IssueFileError]:
        """Every issue, with broken files yielded as errors instead of stopping the rest."""
        for issue_id in sorted(self.ids()):
            try:
                yield self.read(issue_id)
            except IssueFileError as exc:
                yield exc

    def mint_id(self) -> str:
        return ids_mod.mint(lambda candidate: os.path.lexists(self.path(candidate)))

    def write(self, issue: Issue) -> Path:
        from git_issues.fileformat import dump_issue

        return self.write_text(issue.id, dump_issue(issue))

    def write_text(self, issue_id: str, text: str) -> Path:
        """Atomically replace the issue's file with ``text``."""
        target = self.path(issue_id)
        self.dir.mkdir(exist_ok=True)
        tmp = self.dir / f".{issue_id}{SUFFIX}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
        self.sweep_temporaries()
        return target

    def sweep_temporaries(self) -> None:
        """Remove temporary files left by a crashed writer long ago."""
        cutoff = time.time() - _STALE_TMP_SECONDS
        try:
            entries = list(os.scandir(self.dir))
        except FileNotFoundError:
            return
        for entry in entries:
            if entry.name.startswith(".") and entry.name.endswith(".tmp"):
                try:
                    if entry.stat(follow_symlinks=False).st_mtime < cutoff:
                        os.unlink(entry.path)
                except OSError:
                    pass
