"""The ``git issues`` command line: a thin click layer over the library."""

from __future__ import annotations

import os
import sys

from git_issues.cli.app import cli

# The commands register themselves on ``cli`` when imported.
from git_issues.cli import (  # noqa: F401,E402  isort: skip
    admin,
    changes,
    history,
    hookscmd,
    listing,
    review,
    single,
)


def main() -> None:
    """Console-script entry point."""
    try:
        cli.main(prog_name="git issues")
    except BrokenPipeError:
        # `git issues ls | head`: the reader left; say nothing, like git.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(141)
