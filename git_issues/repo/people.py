"""Who a user means by a name they type: ``@me`` is git's ``user.email``.

Reads use it (``ls -a @me``, ``export -a @me``) as much as writes, so it lives
here, beside git's config, and loads nothing of the write library.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from git_issues.errors import GitIssuesError
from git_issues.repo import gitutil

if TYPE_CHECKING:
    from git_issues.repo.workspace import Workspace


def resolve_who(ws: Workspace, who: str | None) -> str | None:
    """``@me`` means the user's own email, as in ``gh issue``."""
    if who == "@me":
        email = gitutil.email(ws.root)
        if not email:
            raise GitIssuesError("@me needs git's user.email to be set")
        return email
    return who
