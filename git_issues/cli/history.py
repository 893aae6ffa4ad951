"""Commands: log: an issue's history from git (issue 3)."""

from __future__ import annotations

from git_issues.cli.app import cli  # noqa: F401
