"""Letting the user write text in their editor, chosen the way git chooses it."""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

from git_issues import gitutil
from git_issues.errors import GitIssuesError
from git_issues.fastpaths import git_sh


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


def strip_comments(text: str) -> str:
    """Drop '#' lines as git does for commit messages, and surrounding blank lines."""
    lines = [line.rstrip() for line in text.splitlines() if not line.startswith("#")]
    return "\n".join(lines).strip("\n")
