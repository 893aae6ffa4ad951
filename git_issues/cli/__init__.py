"""The ``git issues`` command line: a thin click layer over the library."""

from __future__ import annotations

import os
import sys

from git_issues.cli.app import cli  # commands load when named: see COMMAND_MODULES
from git_issues.repo.gitstatus import started_early

COMPLETE_VAR = "_GIT_ISSUES_COMPLETE"


def main() -> None:
    """Console-script entry point."""
    try:
        # Completion scripts name the executable (git-issues), never "git issues",
        # and click would derive "_GIT ISSUES_COMPLETE" from the prog name.
        completing = COMPLETE_VAR in os.environ
        with started_early(sys.argv[1:]):  # a read's git status runs while it starts
            cli.main(prog_name="git-issues" if completing else "git issues",
                     complete_var=COMPLETE_VAR)
    except BrokenPipeError:
        # `git issues ls | head`: the reader left; say nothing, like git.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(141)
