"""What a filter argument means: the listing's filters, and the user's text for them.

``ls``, ``ready``, ``export`` and the web view's list page build the same
``Filters``; the index answers them.  The parsers here turn what a person
types (``-p 0-1``, ``--since 2026-11-01``) into the values the index compares.
Pure and light: this module is on ``ls``'s start-up path, so the model (which
a plain ``ls`` does not load) is imported only by the parser that needs it.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from git_issues.errors import GitIssuesError

# The orders a listing can be sorted in; the index holds the SQL of each.
SORTS = ("created", "activity", "priority", "title")


class Filters(NamedTuple):
    status: str = "open"  # a state (open/closed), a configured status, or "all"
    labels: tuple[str, ...] = ()  # '~label' excludes that label
    assignee: str | None = None  # any of the assignees contains it (case-insensitive)
    author: str | None = None
    milestone: str | None = None  # exactly this milestone; '' means none
    text: str | None = None
    sort: str = "created"
    limit: int | None = None
    priority: tuple[int, int] | None = None  # lowest and highest, inclusive
    since: str | None = None  # created at or after (a canonical timestamp)
    until: str | None = None  # created before
    no_label: bool = False


def priority_range(text: str) -> tuple[int, int]:
    """``2``, ``P2``, ``0-1`` or ``P0-P1``: the lowest and highest priority, inclusive."""
    from git_issues.core.model import ValidationError, parse_priority  # lazy: startup

    low, dash, high = text.strip().partition("-")
    try:
        bounds = (parse_priority(low), parse_priority(high if dash else low))
    except ValidationError:
        raise GitIssuesError(f"'{text}' is not a priority or a range like 0-1 "
                             "(0 critical .. 4 backlog)") from None
    if bounds[0] > bounds[1]:
        raise GitIssuesError(f"'{text}': the range runs backwards (write {bounds[1]}-{bounds[0]})")
    return bounds


def moment(text: str, *, end_of_day: bool = False) -> str:
    """A date (``2026-11-01``) or timestamp as the canonical stamp the index compares.

    A bare date as an upper bound means the end of that day, as people mean it.
    """
    from git_issues.core.model import format_timestamp  # lazy: startup

    value = text.strip()
    try:
        if len(value) == 10:
            day = dt.date.fromisoformat(value)
            start = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
            return format_timestamp(start + dt.timedelta(days=1) if end_of_day else start)
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise GitIssuesError(f"'{text}' is not a date like 2026-11-01 "
                             "or a timestamp like 2026-11-01T12:00:00Z") from None
    return format_timestamp(parsed)


def until_moment(text: str) -> str:
    """``--until DATE``: the end of that day (a timestamp stays as it is)."""
    return moment(text, end_of_day=True)
