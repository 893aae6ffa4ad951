"""Commands: edit, close, reopen, comment, link, unlink (issue 3)."""

from __future__ import annotations

from git_issues.cli.app import cli  # noqa: F401
