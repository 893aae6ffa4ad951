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

Per issue, a list in the file: ``[local_id, title, status, closed, labels,
assignees, milestone, body_digest, {comment_id: body_digest}]``; in memory an
``Entry`` (a dataclass with those names).  Bodies are kept as digests: telling
whether a side changed needs no more, and a body can be 65,536 characters.  In
memory an entry stays the JSON text of its line until someone asks for it (see
``Entries``): ~250 bytes an issue instead of ~1 KB of small Python objects.
``sync`` adds two keys to the first line: ``held`` (conflicts kept back:
number -> field names or ``comment:ID``) and ``posted`` (creations per UTC
minute over the last hour, for GitHub's hourly limit).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from git_issues.errors import GitIssuesError
from git_issues.fileformat.issuefile import read_bytes
from git_issues.repo.store import ISSUES_DIR, sweep_temporaries, write_atomic

SYNC_DIR = "sync"
VERSION = 1
# ~100 bytes an issue: room for millions, and no endless file.
MAX_STATE_BYTES = 256 * 1024 * 1024
FIELDS = ("title", "status", "closed", "labels", "assignees", "milestone", "body")


def digest(text: str) -> str:
    """A short fingerprint of a body: enough to tell whether it changed."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


def relative_path(kind: str, repo: str) -> str:
    owner, name = repo.lower().split("/")
    return f"{ISSUES_DIR}/{SYNC_DIR}/{kind}/{owner}/{name}.json"


@dataclass(slots=True)
class Values:
    """The fields a sync compares, in the order of ``FIELDS`` (one field each)."""

    title: str
    status: str
    closed: str | None
    labels: list[str]
    assignees: list[str]
    milestone: str | None
    body: str  # the text on a forge; its digest in a sync state's entry

    def values(self) -> dict[str, Any]:
        """The values by field name."""
        return {name: getattr(self, name) for name in FIELDS}


@dataclass(slots=True)
class Entry(Values):
    """One issue's last-synced values (the body as a digest), its local id and its
    comments (remote id as text -> body digest)."""

    local_id: str = ""
    comments: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: Any) -> Entry:
        """An entry from its line's list; ValueError for any other shape."""
        if not isinstance(row, list) or len(row) != len(FIELDS) + 2 \
                or not isinstance(row[-1], dict):
            raise ValueError("an issue's entry is not a list of its values")
        return cls(*row[1:-1], local_id=row[0], comments=row[-1])

    def row(self) -> list[Any]:
        """The list the file holds: the local id, the values in the order of ``FIELDS``,
        the comments."""
        return [self.local_id, *(getattr(self, name) for name in FIELDS), self.comments]

    def keep_from(self, old: Entry, name: str) -> None:
        """Keep ``old``'s value of a field (a held conflict keeps its base)."""
        setattr(self, name, getattr(old, name))


class Entries(dict):
    """GitHub number -> entry; each kept as its JSON text until it is asked for.

    ``entries[n]`` and ``entries.get(n)`` give the ``Entry`` (decoded once and kept:
    a caller may change it in place); ``peek`` reads one without keeping it;
    ``text`` gives the line's JSON as the file holds it.  ``items()`` and
    ``values()`` give what is stored (text or list): use ``local_ids()``.
    """

    def __getitem__(self, number: int) -> Entry:
        value = dict.__getitem__(self, number)
        if type(value) is str:
            value = Entry.from_row(json.loads(value))
            dict.__setitem__(self, number, value)
        return value

    def get(self, number: int, default: Any = None) -> Any:  # type: ignore[override]
        return self[number] if number in self else default

    def peek(self, number: int) -> Entry | None:
        value = dict.get(self, number)
        return Entry.from_row(json.loads(value)) if type(value) is str else value

    def text(self, number: int) -> str:
        value = dict.__getitem__(self, number)
        if type(value) is str:
            return value
        return _ENCODER.encode(value.row())

    def keep(self, number: int, entry: Entry) -> None:
        """Store an entry as text (it is not changed in place afterwards)."""
        self.keep_text(number, _ENCODER.encode(entry.row()))

    def keep_text(self, number: int, text: str) -> None:
        """Store an entry's JSON text as it is (encoded by the caller already)."""
        dict.__setitem__(self, number, text)

    def local_ids(self) -> dict[int, str]:
        """Number -> local id of every entry, without decoding them."""
        out: dict[int, str] = {}
        for number, value in dict.items(self):
            if type(value) is not str:
                out[number] = value.local_id
            elif value.startswith('["'):  # an id is [0-9a-z]: no escapes
                out[number] = value[2:value.index('"', 2)]
            else:
                out[number] = Entry.from_row(json.loads(value)).local_id
        return out


_ENCODER = json.JSONEncoder(ensure_ascii=False)
# A base in a write's journal line: state path, number, entry JSON.
JournalBase = tuple[str, int, str]


class SyncState:
    """What the last runs against one remote left behind."""

    def __init__(self, path: Path, shown: str) -> None:
        self.path = path
        self.shown = shown
        self.since: str | None = None  # start of the last complete run
        self.partial: dict[str, Any] = {}  # an unfinished run: {"started", "issues_through"}
        self.issues: Entries = Entries()
        self.held: dict[str, list[str]] = {}  # sync: number -> fields in conflict, kept back
        self.posted: dict[str, int] = {}  # sync: creations per UTC minute, the last hour only

    # --- the per-issue base --------------------------------------------------

    def local_id(self, number: int) -> str | None:
        entry = self.issues.peek(number)
        return entry.local_id if entry else None

    def base(self, number: int) -> dict[str, Any] | None:
        entry = self.issues.peek(number)
        return None if entry is None else entry.values()

    def comment_base(self, number: int, comment_id: int) -> str | None:
        entry = self.issues.peek(number)
        return entry.comments.get(str(comment_id)) if entry else None

    def comment_bases(self, number: int) -> dict[str, str]:
        """The comments' digests of an issue (remote id as text -> digest), a copy."""
        entry = self.issues.peek(number)
        return dict(entry.comments) if entry else {}

    def record(self, number: int, local_id: str, values: dict[str, Any],
               comments: dict[str, str] | None = None) -> None:
        """Remember an issue's remote values (``body`` as a digest) after importing it,
        and ``comments`` (GitHub id as text -> body digest) with those remembered before."""
        self.issues.keep(number, self.entry(number, local_id, values, comments))

    def entry(self, number: int, local_id: str, values: dict[str, Any],
              comments: dict[str, str] | None = None) -> Entry:
        """What ``record`` would keep, not kept yet (for the journal of a write)."""
        known = self.comment_bases(number)
        if comments:
            known.update(comments)
        return Entry(*(values[name] for name in FIELDS), local_id=local_id, comments=known)

    def journal_base(self, number: int, entry: Entry | None = None) -> JournalBase:
        """The journal's form of an entry (``apply.Writer.journal``): path, number, JSON."""
        text = _ENCODER.encode(entry.row()) if entry is not None else self.issues.text(number)
        return (self.shown, number, text)

    def record_comment(self, number: int, comment_id: int, body_digest: str) -> None:
        self.issues[number].comments[str(comment_id)] = body_digest

    def forget_comment(self, number: int, comment_id: int) -> None:
        self.issues[number].comments.pop(str(comment_id), None)

    # --- the file ------------------------------------------------------------

    def dump(self) -> str:
        return "".join(self._lines())

    def _lines(self) -> Iterator[str]:
        """The file, a line at a time (a state of 100,000 issues is never one string)."""
        head: dict[str, Any] = {"version": VERSION, "since": self.since,
                                "partial": self.partial or None}
        if self.held:
            head["held"] = {n: self.held[n] for n in sorted(self.held, key=int)}
        if self.posted:
            head["posted"] = dict(sorted(self.posted.items()))
        numbers = sorted(self.issues)
        yield json.dumps(head, ensure_ascii=False)[:-1] + ', "issues": {\n'
        last = len(numbers) - 1
        for position, number in enumerate(numbers):
            end = ",\n" if position < last else "\n"
            yield f'"{number}": {self.issues.text(number)}{end}'
        yield "}}\n"

    def save(self) -> Path:
        """Write atomically (the store's one atomic write), like an issue file."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(self.path, "".join(self._lines()).encode("utf-8"), sync=False)
        sweep_temporaries(self.path.parent)  # a killed save's, in a committed folder
        return self.path


def load(root: Path, kind: str, repo: str) -> SyncState:
    """The state for ``repo``, empty when there is none yet."""
    return load_file(root, relative_path(kind, repo))


def load_file(root: Path, shown: str) -> SyncState:
    """The state at ``shown`` (a ``relative_path``), empty when there is none yet."""
    state = SyncState(root / shown, shown)
    try:  # committed: the guarded reader, so a link to /dev/zero is one error line
        text = read_bytes(str(state.path), shown, MAX_STATE_BYTES)[0].decode("utf-8")
    except FileNotFoundError:
        return state
    except UnicodeDecodeError:
        raise GitIssuesError(f"{shown}: not valid UTF-8; delete it to fetch everything again") \
            from None
    try:
        data = _read_lines(text)
        if data is None:  # not in the layout this module writes (edited by hand): all at once
            data = json.loads(text)
            data["issues"] = Entries((int(n), Entry.from_row(e))
                                     for n, e in data.get("issues", {}).items())
        if not isinstance(data, dict) or data.get("version") != VERSION:
            raise ValueError("unknown version")
        state.since = data.get("since")
        state.partial = data.get("partial") or {}
        state.held = data.get("held") or {}
        state.posted = data.get("posted") or {}
        state.issues = data["issues"]
    except (ValueError, TypeError, AttributeError) as exc:
        raise GitIssuesError(f"{shown}: not a sync state this version reads ({exc}); "
                             "delete it to fetch everything again") from None
    return state


_ROW = re.compile(r'"([0-9]+)": (\[.*\]),?')


def _read_lines(text: str) -> dict[str, Any] | None:
    """The file as ``SyncState._lines`` writes it, each issue kept as its line's JSON
    (each checked, none kept decoded); None for any other layout."""
    lines = text.split("\n")
    head = lines[0]
    if not head.endswith(', "issues": {') or lines[-2:] != ["}}", ""]:
        return None
    data = json.loads(head[: -len(', "issues": {')] + "}")
    if not isinstance(data, dict):
        return None
    issues = Entries()
    for line in lines[1:-2]:
        row = _ROW.fullmatch(line)
        if row is None:
            return None
        Entry.from_row(json.loads(row[2]))  # a malformed entry: refused with the way out
        dict.__setitem__(issues, int(row[1]), row[2])
    data["issues"] = issues
    return data
