"""Times as a forge shows them: "3 minutes ago", "on 4 Dec", the exact time on hover.

Pure functions of the time and of ``now`` (passed in, so a test is exact): the
page prints a ``<time datetime>`` element, which needs no JavaScript and which
a screen reader and a browser extension can read.
"""

from __future__ import annotations

from datetime import UTC, datetime

from markupsafe import Markup, escape

_UNITS = ((60, "minute"), (3600, "hour"))


def parse(value: str) -> datetime | None:
    """An issue file's time (``2026-12-04T13:05:00Z``, or a bare date), in UTC."""
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def ago(when: datetime, now: datetime) -> str:
    """How long before ``now``, in the words of a forge's pages."""
    seconds = (now - when).total_seconds()
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return _count(int(seconds // 60), "minute")
    if seconds < 86400:
        return _count(int(seconds // 3600), "hour")
    days = (now.date() - when.date()).days
    if days <= 1:
        return "yesterday"
    if days < 7:
        return f"{days} days ago"
    if when.year == now.year:
        return f"on {when.day} {when:%b}"
    return f"on {when.day} {when:%b} {when.year}"


def _count(n: int, unit: str) -> str:
    return f"{n} {unit}{'s' if n != 1 else ''} ago"


def time_element(value: str | None, now: datetime | None = None) -> Markup:
    """``value`` as ``<time>``; a value that is not a time is shown as it is."""
    when = parse(value or "")
    if when is None:
        return Markup(escape(value or ""))
    words = ago(when, now or datetime.now(UTC))  # digits, month names: nothing to escape
    return Markup(f'<time datetime="{when:%Y-%m-%dT%H:%M:%SZ}" '
                  f'title="{when:%Y-%m-%d %H:%M} UTC">{words}</time>')
