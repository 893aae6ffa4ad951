"""Text a user typed is never lost to a refused write; a refused edit opens again.

Minutes of typing in an editor must never be lost to a refused write (a title
too long, a broken YAML edit, a file changed meanwhile): ``keeping_typed_text``
saves the text and the error names where.  An ``edit`` of the whole file in
the editor goes further (``TextEdit``, ``RefusedEdit``): the next ``edit`` of
the issue opens the refused text again, with the reason, merged with what
changed since when someone else wrote the file.

Only what needs no terminal is here: what to open, and what to make of the
text that comes back.  Starting the editor is the CLI's business
(``cli/editor.py``).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from git_issues.core.model import now
from git_issues.errors import GitIssuesError
from git_issues.fileformat.issuefile import load_text
from git_issues.ops.write import Outcome, set_status
from git_issues.repo import issues
from git_issues.repo.store import StaleWriteError

if TYPE_CHECKING:
    from git_issues.core.model import Issue
    from git_issues.repo.workspace import Workspace

T = TypeVar("T")

REJECTED_DIR = "rejected"
EDIT_HEADER = """\
# Editing {shown}. Save and quit to apply; quit without changes to abort.
# The text must stay a valid issue file: if it is not, the file is left as it
# was and your text is kept in a file the error names. The id cannot change.
"""


def keeping_typed_text(ws: Workspace, issue_id: str, typed: str, write: Callable[[], T], *,
                       suffix: str = ".md",
                       kept: Callable[[Path, str], None] | None = None) -> T:
    """Run ``write``; if it is refused, save what the user ``typed`` and say where.

    Text of nothing but blanks is not worth a file; the error is raised as it
    was.  ``kept`` is told the file and the reason.  The error keeps its kind
    (a field's error still names its field).
    """
    try:
        return write()
    except GitIssuesError as exc:
        if not typed.strip():
            raise
        path = keep_text(ws, issue_id, typed, suffix)
        if kept is not None:
            kept(path, str(exc))
        raise exc.amended(f"; your text is in {path}") from None


def keep_text(ws: Workspace, issue_id: str, text: str, suffix: str = ".md") -> Path:
    """Save text the user wrote that could not be applied, under a name never reused."""
    folder = ws.state_dir / REJECTED_DIR
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f"{issue_id}-", suffix=suffix, dir=folder)
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
    return Path(name)


class TextEdit:
    """An edit of one issue's whole file as text: what to open, and applying the result.

    ``text`` is what the editor opens: a header of comment lines, then the file,
    or the last refused text of this issue opened again.  ``finish`` applies
    what came back, only if it is still a valid issue and only if nobody wrote
    the file meanwhile; otherwise the text is kept and the next ``TextEdit`` of
    the issue opens it again.
    """

    def __init__(self, ws: Workspace, prefix: str) -> None:
        self.ws = ws
        self.issue_id = ws.store.resolve(prefix)
        self.issue, self.data = issues.get(ws, self.issue_id)
        self.shown = ws.store.display(self.issue_id)
        self.refused = RefusedEdit.find(ws, self.issue_id)
        self.header, self.start, self.again = _editor_start(self.refused, self.data, self.shown)

    @property
    def text(self) -> str:
        return self.header + self.start

    def finish(self, text: str) -> Outcome:
        """Apply the edited ``text``; refused, it is kept and remembered for next time."""
        typed = text.removeprefix(self.header)
        again = self.again
        if again is not None and again.base == self.data and text == self.text:
            return Outcome(self.issue, [])  # the text refused as it was, unchanged: kept
        if again is not None and not typed.strip():  # emptied: the user drops it
            again.drop(kept_too=True)
            return Outcome(self.issue, [])

        def remember(kept: Path, reason: str) -> None:
            RefusedEdit.record(self.ws, self.issue_id, self.data, kept, reason)
            if again is not None:  # superseded by the text just kept
                again.kept.unlink(missing_ok=True)

        draft = keeping_typed_text(self.ws, self.issue_id, typed, lambda: self._write(text),
                                   suffix=".yml", kept=remember)
        if self.refused is not None:
            self.refused.drop(kept_too=again is not None)
        if draft.changed:  # written: a failure to stage now must not claim the file is unchanged
            issues.stage(self.ws, self.issue_id)
        return Outcome(draft.issue, draft.changed)

    def _write(self, text: str) -> issues.Draft:
        """The edited text over the version the editor opened on (not staged yet)."""
        try:
            after = parse_edited(self.ws, self.issue, text, self.shown)
            with issues.change(self.ws, self.issue_id, issues.digest(self.data),
                               stage_it=False) as draft:
                draft.issue = after
            return draft
        except StaleWriteError:
            raise  # says itself that the file changed meanwhile
        except GitIssuesError as exc:
            raise exc.amended("; the file is unchanged") from None


def _editor_start(refused: RefusedEdit | None, data: bytes, shown: str
                  ) -> tuple[str, str, RefusedEdit | None]:
    """The editor's header and text: the file, or a refused edit's text opened again
    (then returned too, as the third item)."""
    header, start = EDIT_HEADER.format(shown=shown), data.decode("utf-8")
    if refused is None:
        return header, start, None
    reopened, note = refused.reopened(data, shown)
    if reopened is None:
        return header + note, start, None
    return header + note, reopened, refused


class RefusedEdit:
    """The last refused ``edit`` of an issue in the editor: where its text is, and why.

    A note ``rejected/<id>.refused`` beside the kept text names that text, the
    reason, and holds the version of the file it was written against.  The
    next ``edit`` opens the text again, with the reason.  If the file changed
    since (someone else wrote it: the usual reason for a refusal), opening the
    old text as it was would undo their change: it is merged field by field
    with what changed, as the merge driver would (a field both changed is
    marked), or, when the text is not a valid issue to merge, the file is
    opened as it is and the note names the kept text.  A successful edit
    drops the note.
    """

    def __init__(self, note: Path, kept: Path, reason: str, base: bytes) -> None:
        self.note_path, self.kept, self.reason, self.base = note, kept, reason, base

    @staticmethod
    def _note_path(ws: Workspace, issue_id: str) -> Path:
        return ws.state_dir / REJECTED_DIR / f"{issue_id}.refused"

    @classmethod
    def find(cls, ws: Workspace, issue_id: str) -> RefusedEdit | None:
        """The note, if there is one and its text is still there."""
        path = cls._note_path(ws, issue_id)
        try:
            kept, reason, base = path.read_bytes().split(b"\n", 2)
            kept_path = path.parent / kept.decode("utf-8")
            if kept_path.is_file():
                return cls(path, kept_path, reason.decode("utf-8"), base)
        except (OSError, UnicodeError, ValueError):
            pass
        path.unlink(missing_ok=True)
        return None

    @classmethod
    def record(cls, ws: Workspace, issue_id: str, base: bytes, kept: Path, reason: str) -> None:
        line = " ".join(reason.split())
        cls._note_path(ws, issue_id).write_bytes(f"{kept.name}\n{line}\n".encode() + base)

    def reopened(self, current: bytes, shown: str) -> tuple[str | None, str]:
        """The text to open again over the file as it is now (None: the file), and
        the header lines that say what is shown and why."""
        refused = f"# Your last edit of this issue was refused:\n#   {self.reason}\n"
        drop = "# Delete everything to drop it and edit the file as it is.\n"
        text = self.kept.read_text(encoding="utf-8")
        if current == self.base:
            return text, refused + ("# Its text is below, to fix; quitting without changes\n"
                                    "# keeps it for later.\n") + drop
        merged = _merged(self.base, text, current, shown)
        if merged is not None:
            return merged, refused + (
                "# The file has changed since: below, your text is merged with what\n"
                "# changed (a field both changed is marked: resolve it). Save to apply.\n"
            ) + drop
        return None, refused + ("# The file has changed since, so it is shown as it is now;\n"
                                f"# your refused text is still in {self.kept}\n")

    def drop(self, *, kept_too: bool) -> None:
        self.note_path.unlink(missing_ok=True)
        if kept_too:
            self.kept.unlink(missing_ok=True)


def _merged(base: bytes, mine: str, current: bytes, shown: str) -> str | None:
    """``mine`` merged field by field with what changed from ``base`` to ``current``;
    None when one of them is not a valid issue."""
    from git_issues.fileformat.mergetext import merge_issues  # lazy: startup

    try:
        versions = [load_text(data, shown) for data in (base, mine.encode("utf-8"), current)]
    except GitIssuesError:
        return None
    return merge_issues(*versions).text.decode("utf-8")


def parse_edited(ws: Workspace, before: Issue, text: str, shown: str) -> Issue:
    """The issue an edited text holds; its id must stay, a new status must be known
    (and stamps or clears ``closed`` when the user left that alone)."""
    after = load_text(text.encode("utf-8"), f"{shown} (edited)")
    if after.id != before.id:
        raise GitIssuesError(
            f"{shown}: the id cannot be changed (it was '{before.id}', the edit says '{after.id}')")
    if after.status != before.status:
        config = ws.config()
        try:
            config.check_status(after.status)
        except GitIssuesError as exc:
            raise GitIssuesError(f"{shown} (edited): {exc}") from None
        if after.closed == before.closed:  # the user left 'closed' alone: keep it consistent
            status, after.status = after.status, before.status
            set_status(after, status, config, now())
    return after
