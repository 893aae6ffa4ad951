"""``git issues export``: every issue as one JSON object a line, the file's field names.

The objects come from the index, which holds each issue's fields as the
canonical mapping of its file (``Issue.to_dict``), so ``import jsonl`` can
write the very same files back.  The ``ls`` filters and sort orders apply.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from git_issues.core.filters import Filters
from git_issues.index.query import open_index
from git_issues.repo.people import resolve_who

if TYPE_CHECKING:
    from git_issues.repo.workspace import Workspace


def export_lines(ws: Workspace, *, status: str, write: Callable[[str], None],
                 labels: tuple[str, ...] = (), assignee: str | None = None,
                 author: str | None = None, **filters: Any) -> list[str]:
    """Write one line per issue through ``write``; returns the broken files' problems.

    ``filters`` are the rest of ``ls``'s (``Filters`` fields), passed on as they
    are, so a filter added to ``ls`` works here without a change.
    """
    assignee, author = resolve_who(ws, assignee), resolve_who(ws, author)
    chosen = Filters(status=status, labels=tuple(labels), assignee=assignee, author=author,
                     **filters)
    with open_index(ws.sources) as view:
        for doc in view.documents(chosen):
            write(doc)  # already compact JSON, in the file's key order
        return view.problems()
