"""Commits that mention issues, found in ``git log`` when asked: no stored state.

A commit refers to an issue by a trailer (``Fixes: 4k7xq2m9``, ``Refs: 4k7x``;
any unique-looking prefix of at least four characters, as ids are typed
everywhere else) or by the whole id anywhere in its message.  Storing the
references would put a line in the issue file that every commit touches, or a
cache that goes stale on every rebase; reading them from git at display time
costs one bounded ``git log``: only commits newer than the issue (less a day of
clock skew) are walked, and at most ``MAX_SCANNED`` matching ones are read.

Free of click: ``show`` uses it, and so will the web view.
"""

from __future__ import annotations

import datetime as _dt
import re
import subprocess
from pathlib import Path
from typing import NamedTuple

from git_issues.core.rules import CONTROL_RE
from git_issues.errors import GitIssuesError
from git_issues.fileformat.issuefile import load_document, read_bytes
from git_issues.repo import gitutil

TRAILERS = ("fixes", "fixed", "closes", "closed", "resolves", "resolved", "refs", "ref",
            "references", "see", "issue", "issues", "related")
MIN_PREFIX = 4
MAX_SCANNED = 200  # matching commits git prints at most; the walk stops at the issue's birth
SKEW = _dt.timedelta(days=1)
_TRAILER_RE = re.compile(r"^\s*([A-Za-z-]+)\s*:\s*(.+)$", re.M)
_WORD_RE = re.compile(r"[0-9a-z]+")


class Commit(NamedTuple):
    sha: str
    short: str
    subject: str


class Reference(NamedTuple):
    short: str
    subject: str
    ref: str  # the branch (or tag) it was reached from, as git log --source says


def mentions(message: str, issue_id: str) -> bool:
    """Whether a commit message names the issue: a trailer with a prefix, or the whole id."""
    lowered = message.lower()
    if re.search(rf"(?<![0-9a-z]){re.escape(issue_id)}(?![0-9a-z])", lowered):
        return True
    for key, value in _TRAILER_RE.findall(lowered):
        if key in TRAILERS:
            words = _WORD_RE.findall(value)
            if any(len(w) >= MIN_PREFIX and issue_id.startswith(w) for w in words):
                return True
    return False


class MentionSearch:
    """The ``git log`` behind ``references``, started before its answer is needed.

    ``show`` starts it first and then checks the index's freshness (a ``stat``
    of every issue file): git walks the history on the other core meanwhile.
    Use it only as a context manager: leaving the block waits for git (killing
    it if the answer was never asked for), so no process outlives the command.
    """

    def __init__(self, root: Path, issue_id: str, created: str | None) -> None:
        self.root, self.issue_id, self.created = root, issue_id, created
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> MentionSearch:
        since = _since(self.created or "")
        args = ["git", "log", "--all", "--source", "--no-merges", "-i", "-F",
                f"--grep={self.issue_id[:MIN_PREFIX]}", f"--since={since}", f"-n{MAX_SCANNED}",
                "--format=%h%x00%S%x00%s%x00%B%x1e"]
        try:
            self.proc = subprocess.Popen(args, cwd=self.root, stdout=subprocess.PIPE,
                                         stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        except (FileNotFoundError, NotADirectoryError):
            raise gitutil.not_started(self.root) from None
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and not self.proc.stdout.closed:  # answer never asked for
            self.proc.kill()
            self.proc.communicate()

    def result(self, limit: int = 10) -> tuple[list[Reference], int]:
        """The newest ``limit`` commits that mention the issue, and how many there are."""
        assert self.proc is not None, "use MentionSearch in a with block"
        seconds = gitutil.current_time_limit()
        try:
            out, _ = self.proc.communicate(timeout=seconds)
        except subprocess.TimeoutExpired:  # a server's limit: no mentions rather than a hang
            self.proc.kill()
            self.proc.communicate()
            return [], 0
        if self.proc.returncode != 0:  # no commit yet, a shallow clone's hole: no references
            return [], 0
        return _parse(out, self.issue_id, limit)


def references(root: Path, issue_id: str, created: str,
               limit: int = 10) -> tuple[list[Reference], int]:
    """The newest ``limit`` commits on any ref that mention the issue, and how many there are.

    One ``git log`` process: git's own ``--grep`` keeps only messages holding
    the id's first four characters; Python then checks each really names it.
    """
    with MentionSearch(root, issue_id, created) as search:
        return search.result(limit)


def _parse(out: bytes, issue_id: str, limit: int) -> tuple[list[Reference], int]:
    found = []
    for record in out.decode("utf-8", "replace").split("\x1e"):
        parts = record.strip("\n").split("\x00")
        if len(parts) == 4 and mentions(parts[3], issue_id):
            subject = CONTROL_RE.sub("?", parts[2])  # a subject must not drive the terminal
            found.append(Reference(parts[0], subject, _short_ref(parts[1])))
    return found[:limit], len(found)


def created_in(path: Path) -> str | None:
    """The ``created`` time written in an issue file, read by the file reader.

    Only bounds the search (an issue is not mentioned before it exists); None,
    for a file the reader refuses, makes the search walk all of history.  A
    canonical file is read by ``plainyaml`` (no PyYAML), about as fast as the
    regular expression that scraped the line before.
    """
    try:  # the guarded read: a link or a FIFO posing as an issue is refused, not opened
        data, _ = read_bytes(str(path))
        document = load_document(data, str(path))
    except (OSError, GitIssuesError):
        return None
    created = document.get("created") if isinstance(document, dict) else None
    return created if isinstance(created, str) else None


def _since(created: str) -> str:
    try:
        moment = _dt.datetime.fromisoformat(created.replace("Z", "+00:00"))
    except ValueError:
        return "1970-01-01"
    return (moment - SKEW).strftime("%Y-%m-%dT%H:%M:%SZ")


def _short_ref(ref: str) -> str:
    for prefix in ("refs/heads/", "refs/remotes/", "refs/tags/", "refs/"):
        if ref.startswith(prefix):
            return ref[len(prefix):]
    return ref


def resolve(root: Path, rev: str) -> Commit:
    """The commit ``rev`` names (``close --commit``); anything else is an error naming it."""
    if not rev or rev.startswith("-"):
        raise GitIssuesError(f"--commit: '{rev}' is not a commit")
    proc = gitutil.run(["log", "-1", "--format=%H%x00%h%x00%s", f"{rev}^{{commit}}", "--"],
                       root, check=False)
    parts = proc.stdout.decode("utf-8", "replace").rstrip("\n").split("\x00")
    if proc.returncode != 0 or len(parts) != 3:
        raise GitIssuesError(f"--commit: '{rev}' is not a commit in this repository")
    return Commit(*parts)


def closing_text(commit: Commit, text: str | None) -> str:
    """The comment ``close --commit`` adds: the commit, then the user's words if any."""
    line = f'Closed by commit {commit.short} "{commit.subject}"'
    return f"{line}\n\n{text.strip()}" if text and text.strip() else line
