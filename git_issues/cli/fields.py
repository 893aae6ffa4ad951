"""A field the library refuses, said as the command-line flag it was given by.

The library names fields (``errors.FieldError``); a user at the terminal typed
flags, so the error line names the flag: ``--label: ...``, ``TITLE: ...``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from git_issues.errors import FieldError, GitIssuesError

FLAGS = {
    "title": "--title", "status": "--status", "milestone": "--milestone",
    "priority": "--priority", "labels": "--label", "remove_labels": "--remove-label",
    "assignees": "--assignee", "remove_assignees": "--remove-assignee",
    "links.blocks": "--blocks", "links.blocked_by": "--blocked-by",
    "links.related": "--related",
}


@contextmanager
def as_flags(**names: str) -> Iterator[None]:
    """Inside the block a ``FieldError`` becomes the error line of its flag; ``names``
    says it for a command whose field came otherwise (``title="TITLE"`` for ``new``)."""
    try:
        yield
    except FieldError as exc:
        flag = names.get(exc.field) or FLAGS.get(exc.field, exc.field)
        raise GitIssuesError(f"{flag}: {exc.reason}") from None
