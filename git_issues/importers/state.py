"""The sync state of one remote: ``.issues/sync/github/OWNER/REPO.json``.

What changes on every run lives here and nowhere else (DESIGN §1): the start
time of the last complete run, the progress of an unfinished one, and, per
imported issue, the values it had on GitHub when it was last imported (the
base of the three-way comparison a re-run and ``sync`` make).  The issue files
only hold what is written once: the GitHub number, URL and comment ids.

The file is committed with the issues, so any clone continues where another
left off.  One issue per line, sorted by number: two clones that imported
different issues merge line by line, and a diff shows what a run changed.
Deleting it is safe: the next run fetches everything again, recognises every
issue by the number in its file, and, having no base, keeps every local value
that differs from GitHub and reports it.

Per issue, a list (not a mapping: 100,000 of them are held in memory at once):
``[local_id, title, status, closed, labels, assignees, milestone, body_digest,
{comment_id: body_digest}]``.  Bodies are kept as digests: telling whether a
side changed needs no more, and a body can be 65,536 characters.  ``sync``
adds two keys to the first line: ``held`` (conflicts kept back: number ->
field names or ``comment:ID``) and ``posted`` (creations per UTC minute over
the last hour, for GitHub's hourly limit).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from git_issues.errors import GitIssuesError
from git_issues.store import ISSUES_DIR

SYNC_DIR = "sync"
VERSION = 1
FIELDS = ("title", "status", "closed", "labels", "assignees", "milestone", "body")
_ID, _COMMENTS = 0, len(FIELDS) + 1


def digest(text: str) -> str:
    """A short fingerprint of a body: enough to tell whether it changed."""
    import hashlib

    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


def relative_path(kind: str, repo: str) -> str:
    owner, name = repo.lower().split("/")
    return f"{ISSUES_DIR}/{SYNC_DIR}/{kind}/{owner}/{name}.json"


class SyncState:
    """What the last runs against one remote left behind."""

    def __init__(self, path: Path, shown: str) -> None:
        self.path = path
        self.shown = shown
        self.since: str | None = None  # start of the last complete run
        self.partial: dict[str, Any] = {}  # an unfinished run: {"started", "issues_through"}
        self.issues: dict[int, list[Any]] = {}
        self.held: dict[str, list[str]] = {}  # sync: number -> fields in conflict, kept back
        self.posted: dict[str, int] = {}  # sync: creations per UTC minute, the last hour only

    # --- the per-issue base --------------------------------------------------

    def local_id(self, number: int) -> str | None:
        entry = self.issues.get(number)
        return entry[_ID] if entry else None

    def base(self, number: int) -> dict[str, Any] | None:
        entry = self.issues.get(number)
        if entry is None:
            return None
        return dict(zip(FIELDS, entry[1:_COMMENTS], strict=True))

    def comment_base(self, number: int, comment_id: int) -> str | None:
        entry = self.issues.get(number)
        return entry[_COMMENTS].get(str(comment_id)) if entry else None

    def record(self, number: int, local_id: str, values: dict[str, Any]) -> None:
        """Remember an issue's remote values (``body`` as a digest) after importing it."""
        old = self.issues.get(number)
        comments = old[_COMMENTS] if old else {}
        self.issues[number] = [local_id, *(values[f] for f in FIELDS), comments]

    def record_comment(self, number: int, comment_id: int, body_digest: str) -> None:
        self.issues[number][_COMMENTS][str(comment_id)] = body_digest

    # --- the file ------------------------------------------------------------

    def dump(self) -> str:
        head: dict[str, Any] = {"version": VERSION, "since": self.since,
                                "partial": self.partial or None}
        if self.held:
            head["held"] = {n: self.held[n] for n in sorted(self.held, key=int)}
        if self.posted:
            head["posted"] = dict(sorted(self.posted.items()))
        lines = [json.dumps(head, ensure_ascii=False)[:-1] + ', "issues": {']
        rows = [f"{json.dumps(str(n))}: {json.dumps(self.issues[n], ensure_ascii=False)}"
                for n in sorted(self.issues)]
        lines.append(",\n".join(rows))
        lines.append("}}")
        return "\n".join(line for line in lines if line) + "\n"

    def save(self) -> Path:
        """Write atomically (temp file + rename), like an issue file."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        with open(tmp, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(self.dump())
        os.replace(tmp, self.path)
        return self.path


def load(root: Path, kind: str, repo: str) -> SyncState:
    """The state for ``repo``, empty when there is none yet."""
    shown = relative_path(kind, repo)
    state = SyncState(root / shown, shown)
    try:
        text = state.path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return state
    try:
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("version") != VERSION:
            raise ValueError("unknown version")
        state.since = data.get("since")
        state.partial = data.get("partial") or {}
        state.held = data.get("held") or {}
        state.posted = data.get("posted") or {}
        state.issues = {int(n): entry for n, entry in data.get("issues", {}).items()}
    except (ValueError, TypeError, AttributeError) as exc:
        raise GitIssuesError(f"{shown}: not a sync state this version reads ({exc}); "
                             "delete it to fetch everything again") from None
    return state
