"""What an issue looks like on GitHub when it is sent from here, and the pacing.

An issue written here is sent with a hidden marker (``<!-- git-issues:ID -->``:
a crash between the POST and the write-back of the number must not give a
second issue) and, when its author is not the token's owner, a line that says
who wrote it; both are recognised again when GitHub's text is compared with
the file's.  GitHub's secondary limits on creating content are met by pacing
the POSTs and counting them per minute (``GIT_ISSUES_SYNC_PACE``,
``GIT_ISSUES_SYNC_HOURLY``, read per run).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from git_issues.errors import GitIssuesError
from git_issues.sync.engine import LocalComment, Outgoing
from git_issues.sync.origins import FORGE_KEYS, GITHUB, ForgeKind
from git_issues.sync.text import body_text

if TYPE_CHECKING:
    from git_issues.core.model import Comment, Issue
    from git_issues.repo.config import Config

MARKER = "<!-- git-issues:{} -->"
MARKER_RE = re.compile(r"<!-- git-issues:([0-9a-z]{4,16}) -->")
PACE_ENV = "GIT_ISSUES_SYNC_PACE"
DEFAULT_PACE = 0.8  # seconds between two POSTs: GitHub's ~80 creations a minute
NOREPLY = "@users.noreply.github.com"
# The no-reply addresses imports give authors on GitLab ("@users.noreply.<host>")
# and Gitea/Forgejo ("@noreply.<host>"): written there, no attribution line.
FORGE_NOREPLY = re.compile(r"@(users\.)?noreply\.[^@>]+$")
HOURLY_ENV = "GIT_ISSUES_SYNC_HOURLY"
DEFAULT_HOURLY = 500  # GitHub: "no more than 500 content-generating requests per hour"
Say = Callable[[str], None]



def hourly_from_env() -> int:
    """Creations allowed in any hour: ``GIT_ISSUES_SYNC_HOURLY``, read per run."""
    return max(_number_from_env(HOURLY_ENV, int, DEFAULT_HOURLY,
                                "a whole number of creations an hour"), 1)


def _number_from_env(name: str, kind: type, default: Any, what: str) -> Any:
    """``name`` from the environment as ``kind``, ``default`` when unset; anything
    else is one line naming the variable."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return kind(value)
    except ValueError:
        raise GitIssuesError(f"{name} must be {what}, got {value!r}") from None


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def minute(moment: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime(moment))


def posted_within_hour(posted: dict[str, int], now: float) -> dict[str, int]:
    """The per-minute creation counts of the last hour (older ones are forgotten)."""
    since = minute(now - 3600)
    return {k: v for k, v in posted.items() if k >= since}  # a minute late, never early


def pace_from_env() -> float:
    """Seconds between POSTs: ``GIT_ISSUES_SYNC_PACE`` (0 turns pacing off), read per run."""
    return max(_number_from_env(PACE_ENV, float, DEFAULT_PACE, "a number of seconds"), 0.0)


class Pushed:
    """What the push did (or, with ``--dry-run``, would do)."""

    def __init__(self) -> None:
        self.created = 0
        self.updated = 0
        self.comments = 0
        self.edited = 0  # comments already on GitHub, edited here
        self.adopted = 0
        self.conflicts: list[str] = []

    def line(self) -> str:
        text = f"pushed: created {self.created}, updated {self.updated}, comments {self.comments}"
        if self.edited:
            text += f", comments edited {self.edited}"
        if self.adopted:
            text += f", adopted {self.adopted}"
        if self.conflicts:
            count = len(self.conflicts)
            text += f", {count} conflict{'s' if count > 1 else ''} (neither side changed)"
        return text


# --- what an issue looks like on GitHub ----------------------------------------------


def is_imported(author: str | None) -> bool:
    """Written on a forge (imported): its author is already there, no attribution."""
    return bool(author) and FORGE_NOREPLY.search(author.rstrip(">").lower()) is not None


def is_owner(author: str | None, login: str) -> bool:
    """Whether a git identity is the token's owner.

    ``login`` is ``GET /user``'s login, name and public email joined by tabs:
    the owner is the author whose name or email is one of them, or whose email
    is the login's noreply address.
    """
    if not author:
        return True  # nobody to attribute it to
    name, _, email = author.partition("<")
    name, email = name.strip().lower(), email.rstrip(">").strip().lower()
    known = {part.strip().lower() for part in login.split("\t") if part.strip()}
    handle = login.split("\t")[0].strip().lower()
    noreply = email.endswith(NOREPLY) and email.split("@")[0].split("+")[-1] == handle
    return name in known or email in known or noreply


def attribution(author: str | None, date: str, login: str) -> str:
    if is_imported(author) or is_owner(author, login):
        return ""
    return f"*From {author} on {date[:10]} in the repository:*"


def outgoing_body(issue: Issue, login: str, *, marked: bool | None = None) -> str:
    """The body as sent: attribution and marker for issues written here, idempotently."""
    text = issue.body
    if marked is None:
        marked = not is_imported(issue.author)
    if not marked:
        return body_text(text)
    line = attribution(issue.author, issue.created, login)
    if line and not text.startswith(line):
        text = f"{line}\n\n{text}"
    marker = MARKER.format(issue.id)
    if marker not in text:
        text = f"{text.rstrip()}\n\n{marker}"
    return body_text(text)


def outgoing_comment(comment: Comment, login: str) -> str:
    line = attribution(comment.author, comment.date, login)
    text = comment.body
    if line and not text.startswith(line):
        text = f"{line}\n\n{text}"
    return body_text(text)


def comment_texts(comment: Comment) -> set[str]:
    """What GitHub holds of a comment sent from here: with or without attribution."""
    line = f"*From {comment.author} on {comment.date[:10]} in the repository:*"
    return {body_text(comment.body), body_text(f"{line}\n\n{comment.body}")}


def without_attribution(comment: Comment, theirs: str) -> str:
    """GitHub's text of a comment sent from here, less the attribution line we added."""
    line = f"*From {comment.author} on {comment.date[:10]} in the repository:*\n\n"
    return body_text(theirs[len(line):]) if theirs.startswith(line) else theirs


def remote_status(status: str, config: Config, kind: ForgeKind = GITHUB) -> str:
    """The status as the pull would read the forge's state back (open, closed or,
    on GitHub, a close reason)."""
    if config.state_of(status) != "closed":
        return "open"
    reasons = ("not_planned", "duplicate") if kind.close_reasons else ()
    return status if status in reasons else "closed"


def outgoing(issue: Issue, config: Config, login: str,
             kind: ForgeKind = GITHUB) -> dict[str, Any]:
    return {"title": issue.title, "status": remote_status(issue.status, config, kind),
            "labels": list(issue.labels), "assignees": list(issue.assignees),
            "milestone": issue.milestone, "body": outgoing_body(issue, login)}


def body_forms(issue: Issue) -> tuple[str, ...]:
    """The texts GitHub may hold of this body as sent from here: with or without our
    marker and the attribution line (whoever the token's owner is: no need to ask
    ``GET /user`` to know that nothing changed, and an author with a noreply
    address, who looks imported, must not cost a PATCH a sync)."""
    line = f"*From {issue.author} on {issue.created[:10]} in the repository:*"
    texts = [issue.body, f"{line}\n\n{issue.body}"]
    marker = MARKER.format(issue.id)
    texts += [f"{t.rstrip()}\n\n{marker}" for t in texts]
    return tuple(body_text(t) for t in texts)


def outgoing_view(issue: Issue, config: Config, repo: str, kind: ForgeKind = GITHUB,
                  host: str | None = None) -> Outgoing | None:
    """The engine's view of a local issue for a push to ``repo`` (on ``host``); None
    when it is linked to another repository or another forge (not ours to send)."""
    origin = issue.origin.get(kind.key)
    number = None
    if origin is not None:
        if not kind.is_of(origin, repo, host):
            return None
        number = int(origin[kind.number_key])
    elif any(key in issue.origin for key in FORGE_KEYS):
        return None  # linked to another forge: never sent to this one
    comments = tuple(LocalComment(c.id, kind.comment_id(c), tuple(sorted(comment_texts(c))))
                     for c in issue.comments)
    return Outgoing(issue.id, issue.title, number, outgoing(issue, config, "", kind),
                    body_forms(issue), comments)


def shorten(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(value) + "]" if value else "(none)"
    if not value:
        return "(none)"
    text = " ".join(str(value).split())
    return repr(text if len(text) <= 60 else text[:57] + "...")
