"""Commands: hooks install / uninstall / status (issue 4)."""

from __future__ import annotations

from git_issues.cli.app import cli  # noqa: F401
