"""Letting the user write text in their editor, chosen the way git chooses it.

The editor is the CLI's business: the library says what to open and what to
make of the text that comes back (``ops/refused.py``), this module starts
``$EDITOR`` and waits for it.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from git_issues.errors import GitIssuesError
from git_issues.fastpaths import git_sh
from git_issues.ops.refused import TextEdit
from git_issues.repo import gitutil

if TYPE_CHECKING:
    from git_issues.ops.write import Outcome
    from git_issues.repo.workspace import Workspace


def run_editor(root: Path, path: Path) -> None:
    """Open ``path`` in the user's editor and wait for it, like ``git commit`` does."""
    command = gitutil.editor(root)
    # git runs the editor through the shell so that 'code --wait' and quoting work
    # (on Windows, git for Windows' own sh.exe).
    proc = subprocess.run([git_sh(), "-c", f'{command} "$@"', command, str(path)], cwd=root)
    if proc.returncode != 0:
        raise GitIssuesError(f"the editor '{command}' exited with code {proc.returncode}")


def edit_text(root: Path, initial: str, name: str) -> str:
    """Edit ``initial`` in a temporary file named like ``name`` and return the result."""
    fd, tmp = tempfile.mkstemp(prefix="git-issues-", suffix=f"-{name}")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(initial)
        run_editor(root, Path(tmp))
        with open(tmp, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    finally:
        os.unlink(tmp)


def edit_in_editor(ws: Workspace, prefix: str) -> Outcome:
    """Open the issue's YAML in the user's editor and apply it if it is still a valid issue.

    The file changes only after the edited text has passed every check, and
    only if nobody wrote the file in the meantime; otherwise the user's text is
    kept in a file the error names, so minutes of typing are never lost, and
    the next ``edit`` of the issue opens that text again (``RefusedEdit``).
    """
    edit = TextEdit(ws, prefix)
    return edit.finish(edit_text(ws.root, edit.text, f"{edit.issue_id}.yml"))


# git's scissors line (``git commit --cleanup=scissors``): everything from it down
# is instructions.  Bodies are Markdown, where '#' starts a heading, so no line
# the user wrote is ever dropped for how it starts.
SCISSORS = "# ------------------------ >8 ------------------------"
SCISSORS_NOTE = "# Do not modify or remove the line above; everything below it is ignored."


def with_instructions(text: str, instructions: str) -> str:
    """``text`` for the user to edit, then the scissors line and the instructions."""
    notes = "".join(f"# {line}".rstrip() + "\n" for line in instructions.splitlines())
    return f"{text}\n{SCISSORS}\n{SCISSORS_NOTE}\n{notes}"


def cut_at_scissors(text: str) -> str:
    """What the user wrote: the text above the scissors line, blank lines around it dropped.

    Without the line (the user deleted it) the whole text is theirs.
    """
    lines = [line.rstrip() for line in text.splitlines()]
    if SCISSORS in lines:
        lines = lines[: lines.index(SCISSORS)]
    return "\n".join(lines).strip("\n")
