"""Errors a user can act on.

Every error the library raises for bad input is a ``GitIssuesError`` whose
message is one line that names the file or argument at fault; the CLI prints it
as ``error: ...`` and exits 1.  Anything else is a bug and keeps its traceback.

The library speaks in fields, never in command-line flags: a bad value given
for a field is a ``FieldError`` that names the field, and each front end says
it its own way (the CLI as the ``--flag`` it came from, the web view as the
form's field).
"""

from __future__ import annotations


class GitIssuesError(Exception):
    """A problem the user can fix: bad argument, broken file, missing repository."""

    def amended(self, more: str) -> GitIssuesError:
        """The same error, ``more`` added to its message (keeping its kind, where the
        kind is what a caller decides on)."""
        return GitIssuesError(f"{self}{more}")


class IssueFileError(GitIssuesError):
    """An issue file that cannot be read or is not a valid issue."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


class FieldError(GitIssuesError):
    """A value given for one field of an issue is refused: ``field`` says which.

    ``field`` is the name the library takes the value by: an issue field
    (``title``, ``labels``, ``assignees``, ``priority``...), ``remove_labels``
    or ``remove_assignees`` for what is to be taken away, ``links.<kind>`` for
    the other end of a link.
    """

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason

    def amended(self, more: str) -> FieldError:
        return FieldError(self.field, f"{self.reason}{more}")


class NoSuchIssue(GitIssuesError):
    """No issue has the id asked for (or a prefix matches none): a web page's 404."""

    def amended(self, more: str) -> NoSuchIssue:
        return NoSuchIssue(f"{self}{more}")
