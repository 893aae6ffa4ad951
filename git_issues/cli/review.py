"""Commands: diff, check and the merge driver (issue 5)."""

from __future__ import annotations

from git_issues.cli.app import cli  # noqa: F401
