"""Text as the issue files hold it, from whatever a forge or a file gave.

Shared by every source: titles on one line and cut to a forge's limit, bodies
with '\\n' line ends and no control characters, times that ``check`` accepts,
and an issue's comments trimmed (the oldest first) to fit the reader's limits.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from git_issues.core.model import MAX_TITLE, format_timestamp, now
from git_issues.core.rules import block_text
from git_issues.errors import GitIssuesError
from git_issues.fileformat.issuefile import MAX_FILE_BYTES, check_writable, dump_document
from git_issues.ops.validation import FUTURE_SLACK

if TYPE_CHECKING:
    from git_issues.core.model import Comment, Issue
    from git_issues.sync.apply import Summary

TITLE_LIMIT = min(MAX_TITLE, 256)  # characters of an imported title; longer ones are cut
# As model._CONTROL_RE: control characters other than tab and line ends; and lone
# surrogates (JSON's "\\ud800"), which are not text UTF-8 can hold.
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def clean_text(text: Any) -> str:
    """Text as the file format holds it: '\\n' line ends, no control characters.

    GitHub bodies come with '\\r\\n'; a stray escape character would be refused by
    the model (it could drive a terminal), and a lone surrogate cannot be
    written as UTF-8, so either becomes U+FFFD, visibly.
    """
    if text is None:
        return ""
    if type(text) is str and text.isprintable():
        return text  # no line end, control character or surrogate: most titles, names
    text = str(text).replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL_RE.sub("\ufffd", text)


def one_line(text: Any) -> str:
    if type(text) is str and text.isprintable() and "  " not in text \
            and text[:1] != " " and text[-1:] != " ":
        return text  # what split and join would give back (printable: no other space)
    return " ".join(clean_text(text).split())


def short_title(title: str) -> str:
    """A title the model takes: cut to ``TITLE_LIMIT`` characters, the cut shown by '…'
    (the same cut on every run, so a re-run sees no change)."""
    return title if len(title) <= TITLE_LIMIT else title[:TITLE_LIMIT - 1] + "\u2026"


def latest_time() -> str:
    """The latest time ``check`` accepts in a file, as the file format writes it.

    A forge or a file can hold a time in year 9999; written as it is, the
    pre-commit hook refuses the commit.  Timestamps of this form compare as text.
    """
    return format_timestamp(dt.datetime.now(dt.UTC) + FUTURE_SLACK)


def not_future(value: str, latest: str, where: str, summary: Summary) -> str:
    """``value``, or the current time (and a note naming ``where``) if it is past ``latest``."""
    if value <= latest:
        return value
    moment = now()
    summary.notes.append(f"{where} {value} is in the future: imported as {moment}")
    return moment


def fit(issue: Issue, droppable: list[Comment]) -> list[Comment] | None:
    """Leave out the fewest of ``droppable`` (the oldest first) for the issue's file to
    pass the reader's limits (``fileformat.check_writable``: 1 MiB, 100,000 values).

    Returns what was left out ([] when the issue fits as it is; ``issue.comments``
    is left without them), or None when even leaving them all out is not enough.
    A file under a quarter of the limit in characters fits whatever its
    characters: the exact check (a dump, slow for a big file) is paid only by
    issues near the limit, and the first guess of how many to leave out comes
    from the sizes of the comments, so that it is usually checked once.
    """
    chars = len(issue.title) + len(issue.body) + 1000
    chars += sum(len(c.body) + len(c.author or "") + 100 for c in issue.comments)
    if chars * 4 <= MAX_FILE_BYTES:
        return []
    text = canonical_text(issue)
    if _writable(text):
        return []
    size = len(text.encode("utf-8"))
    order = sorted(droppable, key=lambda c: (c.date, c.github_id or 0))
    guess, freed = 0, 0
    while guess < len(order) and size - freed > MAX_FILE_BYTES:
        body = order[guess].body
        freed += len(body.encode("utf-8")) + 8 * body.count("\n") + 100
        guess += 1
    # Leaving out `low` is too few, `high` is enough: the guess is checked, then the
    # one below it (the guess counts generously), and only a miss costs a search.
    if _fits(issue, order[:guess]):
        low, high = guess - 1, guess
        if guess and _fits(issue, order[:low]):
            low, high = -1, low
    elif _fits(issue, order):
        low, high = guess, len(order)
    else:
        return None
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if _fits(issue, order[:middle]) else (middle, high)
    left_out = {id(c) for c in order[:high]}
    issue.comments = [c for c in issue.comments if id(c) not in left_out]
    return order[:high]


def _fits(issue: Issue, left_out: Iterable[Comment]) -> bool:
    skip = {id(c) for c in left_out}
    kept = [c for c in issue.comments if id(c) not in skip]
    data = {**issue.to_dict(), "comments": [c.to_dict() for c in kept]}
    if not kept:
        del data["comments"]
    return _writable(canonical_text(issue, data))


def _writable(text: str) -> bool:
    try:
        check_writable(text, "")
    except GitIssuesError:
        return False
    return True


def body_text(text: Any) -> str:
    """A body or comment the way ``ops.write.normalize_body`` writes typed text."""
    return block_text(clean_text(text))



def canonical_text(issue: Issue, data: dict[str, Any] | None = None) -> str:
    """``dump_issue``'s bytes, from ``data`` when the caller already has the fields."""
    return dump_document(issue.to_dict() if data is None else data)
