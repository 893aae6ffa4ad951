"""Errors a user can act on.

Every error the library raises for bad input is a ``GitIssuesError`` whose
message is one line that names the file or argument at fault; the CLI prints it
as ``error: ...`` and exits 1.  Anything else is a bug and keeps its traceback.
"""


class GitIssuesError(Exception):
    """A problem the user can fix: bad argument, broken file, missing repository."""


class IssueFileError(GitIssuesError):
    """An issue file that cannot be read or is not a valid issue."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem
