"""The issue and comment types, and the rules a valid issue follows.

The model is deliberately plain data: the file is the source of truth, so the
types only check and carry what the file says.  Keys this version does not
know travel along in ``extra`` so that rewriting never destroys them.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from typing import Any

from git_issues.core.ids import ID_RE  # noqa: E402,F401  (re-exported)
from git_issues.core.rules import (  # noqa: F401 - clean_text: the write path's name for it
    CANONICAL_TIME_RE,
    CONTROL_RE,
    STATUS_RE,
    clean_text,
)

PRIORITIES = range(0, 5)
LINK_KINDS = ("blocks", "blocked_by", "related")
# Kinds an import brings along (beads' dependency types, by their own names);
# ``parent`` is beads' parent-child.  Valid in files, but ``link`` does not make them.
IMPORTED_LINK_KINDS = ("parent", "discovered-from", "supersedes", "duplicates", "replies-to",
                       "tracks", "waits-for", "caused-by", "validates", "delegated-from",
                       "conditional-blocks", "authored-by", "assigned-to", "approved-by",
                       "attests", "until")
MAX_TITLE = 256  # a forge's limit: a longer title is cut off there and breaks pages here
MAX_ASSIGNEES = 10  # as GitHub: an import never meets more

# The fixed order of keys in a file; unknown keys follow in their own order.
ISSUE_KEYS = (
    "id", "title", "status", "priority", "labels", "assignees", "milestone", "author",
    "created", "closed", "links", "body", "comments",
)
# The first format's single ``assignee``: read as one assignee, never written.
LEGACY_KEYS = ("assignee",)
# Where an issue came from, written once on import and never rewritten (DESIGN §1);
# in the file they follow ``closed``.  A comment's forge id follows its ``date``.
ORIGIN_KEYS = ("github", "gitlab", "gitea", "beads")
COMMENT_KEYS = ("id", "author", "date", "github_id", "gitlab_id", "gitea_id", "body")
REMOTE_ID_KEYS = ("github_id", "gitlab_id", "gitea_id")  # a comment's id on its forge
REPO_RE = re.compile(r"[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}")
# A GitLab project's path: a group, any subgroups, the project.
PROJECT_RE = re.compile(r"[A-Za-z0-9_.-]{1,255}(/[A-Za-z0-9_.-]{1,255}){1,20}")


_EMPTY_LISTS = ("labels", "assignees", "comments")
_EMPTY_MAPS = ("links", "origin", "extra")


class ValidationError(ValueError):
    """A field that breaks the rules; the message names the field."""


@dataclass
class Comment:
    """One comment; keys this version does not know travel in ``extra``."""

    id: str
    date: str
    body: str = ""
    author: str | None = None
    github_id: int | None = field(default=None, kw_only=True)
    gitlab_id: int | None = field(default=None, kw_only=True)  # a GitLab note's id
    gitea_id: int | None = field(default=None, kw_only=True)  # Gitea's or Forgejo's
    extra: dict[str, Any] = field(default_factory=dict, kw_only=True)

    def __post_init__(self) -> None:
        if self.extra is None:  # what callers that build from optional data pass
            self.extra = {}

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id}
        if self.author:
            data["author"] = self.author
        data["date"] = self.date
        if self.github_id is not None:
            data["github_id"] = self.github_id
        if self.gitlab_id is not None:
            data["gitlab_id"] = self.gitlab_id
        if self.gitea_id is not None:
            data["gitea_id"] = self.gitea_id
        if self.body:
            data["body"] = self.body
        data.update(self.extra)
        return data


@dataclass
class Issue:
    """One issue as its file holds it.  An empty list or mapping may be given as None."""

    id: str
    title: str
    status: str
    created: str
    priority: int | None = None
    labels: list[str] = field(default_factory=list)
    assignees: list[str] = field(default_factory=list)
    milestone: str | None = None
    author: str | None = None
    closed: str | None = None
    links: dict[str, list[str]] = field(default_factory=dict)
    body: str = ""
    comments: list[Comment] = field(default_factory=list)
    # {"github": {"repo", "number", "url"}}, {"gitlab": {"project", "iid", "url"}}
    # or {"beads": "bd-6df0"}: never rewritten.
    origin: dict[str, Any] = field(default_factory=dict, kw_only=True)
    extra: dict[str, Any] = field(default_factory=dict, kw_only=True)

    def __post_init__(self) -> None:
        for name in _EMPTY_LISTS:
            if getattr(self, name) is None:
                setattr(self, name, [])
        for name in _EMPTY_MAPS:
            if getattr(self, name) is None:
                setattr(self, name, {})

    def to_dict(self) -> dict[str, Any]:
        """The file's mapping, in canonical key order, empty fields omitted."""
        data: dict[str, Any] = {"id": self.id, "title": self.title, "status": self.status}
        if self.priority is not None:
            data["priority"] = self.priority
        if self.labels:
            data["labels"] = list(self.labels)
        if self.assignees:
            data["assignees"] = list(self.assignees)
        if self.milestone:
            data["milestone"] = self.milestone
        if self.author:
            data["author"] = self.author
        data["created"] = self.created
        if self.closed:
            data["closed"] = self.closed
        for key in ORIGIN_KEYS:
            if key in self.origin:
                data[key] = self.origin[key]
        links = {kind: list(ids) for kind, ids in self.links.items() if ids}
        if links:
            data["links"] = links
        if self.body:
            data["body"] = self.body
        if self.comments:
            data["comments"] = [c.to_dict() for c in self.comments]
        data.update(self.extra)
        return data

    @property
    def last_activity(self) -> str:
        """Derived, never stored: a stored 'updated' would conflict on every merge."""
        stamps = [self.created]
        if self.closed:
            stamps.append(self.closed)
        stamps.extend(c.date for c in self.comments)
        return max(stamps)


def now(*, millis: bool = False) -> str:
    """The current time as the file format writes it.

    ``millis``: with milliseconds (``2026-11-26T12:00:00.123Z``), for an issue's
    ``created``, so that issues made in the same second (a script's loop) still
    list in the order they were made.  Other stamps keep whole seconds.
    """
    moment = _dt.datetime.now(_dt.UTC)
    stamp = format_timestamp(moment)
    return f"{stamp[:-1]}.{moment.microsecond // 1000:03d}Z" if millis else stamp


def format_timestamp(moment: _dt.datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_dt.UTC)
    # isoformat, not strftime: strftime writes the year 999 as '999', which no parser reads.
    utc = moment.astimezone(_dt.UTC).replace(microsecond=0, tzinfo=None)
    return utc.isoformat() + "Z"


def parse_timestamp(value: Any, name: str) -> str:
    """Accept what a person may write by hand and return the canonical form."""
    if type(value) is str and CANONICAL_TIME_RE.fullmatch(value):
        try:  # every file holds a few: skip the time zone arithmetic that cannot change it
            _dt.datetime.fromisoformat(value[:-1])
            return value
        except ValueError:  # 2026-02-30: the general path below says what is wrong
            pass
    if isinstance(value, _dt.datetime):
        return format_timestamp(value)
    if isinstance(value, _dt.date):
        return format_timestamp(_dt.datetime(value.year, value.month, value.day))
    if isinstance(value, str):
        try:
            return format_timestamp(_dt.datetime.fromisoformat(value.strip()))
        except ValueError:
            pass
    raise ValidationError(f"{name} is not a timestamp like '2026-11-26T12:00:00Z': {value!r}")


def check_id(value: Any, name: str = "id") -> str:
    if type(value) is int and value >= 0:
        value = str(value)  # a hand-written `id: 1234` is YAML's integer 1234
    if not isinstance(value, str) or not ID_RE.fullmatch(value):
        raise ValidationError(f"{name} must be 4 to 16 characters of 0-9a-z, got {value!r}")
    return value


def parse_priority(value: Any) -> int:
    """Accept 0..4 or P0..P4; the message says the range."""
    text = str(value).strip()
    if text[:1] in ("P", "p"):
        text = text[1:]
    # isascii: '²' and '١' pass isdigit(), and int('²') raises instead of refusing.
    if isinstance(value, bool) or not (text.isascii() and text.isdigit()) \
            or int(text) not in PRIORITIES:
        raise ValidationError(f"priority must be 0 to 4 (P0 critical .. P4 backlog), got {value!r}")
    return int(text)


def _text(value: Any, name: str, *, required: bool = False, one_line: bool = False) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise ValidationError(f"{name} must be text, got {type(value).__name__} {value!r}")
    if required and not value.strip():
        raise ValidationError(f"{name} must not be empty")
    if one_line and ("\n" in value or "\r" in value):
        raise ValidationError(f"{name} must be a single line")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(f"{name} is not valid Unicode text") from None
    control = CONTROL_RE.search(value)
    if control:  # "\e]0;..." in a title would drive the terminal of whoever lists it
        raise ValidationError(f"{name} holds the control character {control.group()!r}")
    return value


def check_title(value: Any) -> str:
    title = _text(value, "title", required=True, one_line=True)
    if len(title) > MAX_TITLE:
        raise ValidationError(f"title is longer than {MAX_TITLE} characters")
    return title


def check_status(value: Any) -> str:
    if not isinstance(value, str) or not STATUS_RE.fullmatch(value):
        raise ValidationError(f"status must be a word like 'open' or 'closed', got {value!r}")
    return value


def check_label(value: Any) -> str:
    label = _text(value, "label", required=True, one_line=True)
    if label != label.strip():
        raise ValidationError(f"label must not start or end with spaces: {label!r}")
    return label


def _labels(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValidationError("labels must be a list")
    labels: list[str] = []
    for item in value:
        label = check_label(item)
        if label not in labels:
            labels.append(label)
    return labels


def check_assignee(value: Any) -> str:
    who = _text(value, "assignee", required=True, one_line=True)
    if who != who.strip():
        raise ValidationError(f"assignee must not start or end with spaces: {who!r}")
    return who


def check_milestone(value: Any) -> str:
    """One line of text; a bare ``1.0`` in YAML is a number, so the message says to quote it."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise ValidationError(f"milestone must be text: quote it, as in milestone: '{value}'")
    name = _text(value, "milestone", required=True, one_line=True)
    if name != name.strip():
        raise ValidationError(f"milestone must not start or end with spaces: {name!r}")
    return name


def check_assignees(value: Any, legacy: Any) -> list[str]:
    """The list, plus a first-format ``assignee: x`` (kept in order, duplicates dropped)."""
    if value is not None and not isinstance(value, list):
        raise ValidationError("assignees must be a list")
    found = [check_assignee(item) for item in value or []]
    if legacy is not None:
        if not isinstance(legacy, str):
            raise ValidationError(f"assignee must be text, got {type(legacy).__name__} "
                                  f"{legacy!r} (several people go under 'assignees')")
        if legacy.strip():
            found.append(check_assignee(legacy.strip()))
    assignees = list(dict.fromkeys(found))
    if len(assignees) > MAX_ASSIGNEES:
        raise ValidationError(f"assignees has {len(assignees)} people; at most "
                              f"{MAX_ASSIGNEES} are allowed")
    return assignees


def _links(value: Any) -> dict[str, list[str]]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValidationError("links must be a mapping like 'blocks: [id, ...]'")
    links: dict[str, list[str]] = {}
    for kind, ids in value.items():
        if not isinstance(kind, str) or not STATUS_RE.fullmatch(kind):
            raise ValidationError(f"links has an invalid kind {kind!r}")
        if not isinstance(ids, list):
            raise ValidationError(f"links.{kind} must be a list of ids")
        links[kind] = [check_id(i, f"links.{kind}") for i in ids]
    return links


def _comment(value: Any, index: int) -> Comment:
    where = f"comments[{index}]"
    if not isinstance(value, dict):
        raise ValidationError(f"{where} must be a mapping")
    extra = {k: v for k, v in value.items() if k not in COMMENT_KEYS}
    if any(not isinstance(k, str) for k in extra):
        raise ValidationError(f"{where} has a key that is not text")
    if "date" not in value:
        raise ValidationError(f"{where}.date is missing")
    for key in REMOTE_ID_KEYS:
        remote_id = value.get(key)
        if remote_id is not None and (type(remote_id) is not int or remote_id <= 0):
            raise ValidationError(f"{where}.{key} must be a positive number, got {remote_id!r}")
    return Comment(
        id=check_id(value.get("id"), f"{where}.id"),
        author=_text(value.get("author"), f"{where}.author", one_line=True) or None,
        date=parse_timestamp(value["date"], f"{where}.date"),
        body=_text(value.get("body"), f"{where}.body"),
        extra=extra,
        github_id=value.get("github_id"),
        gitlab_id=value.get("gitlab_id"),
        gitea_id=value.get("gitea_id"),
    )


def _comments(value: Any) -> list[Comment]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValidationError("comments must be a list")
    return [_comment(item, i) for i, item in enumerate(value)]


def issue_from_dict(data: Any) -> Issue:
    """Build an Issue from a loaded document, or say which field is wrong."""
    if not isinstance(data, dict):
        raise ValidationError("an issue file must be a mapping of fields")
    for key in ("id", "title", "status", "created"):
        if key not in data:
            raise ValidationError(f"required field '{key}' is missing")
    extra = {k: v for k, v in data.items()
             if k not in ISSUE_KEYS and k not in LEGACY_KEYS and k not in ORIGIN_KEYS}
    if any(not isinstance(k, str) for k in extra):
        raise ValidationError("a key is not text")
    priority = data.get("priority")
    return Issue(
        id=check_id(data["id"]),
        title=check_title(data["title"]),
        status=check_status(data["status"]),
        created=parse_timestamp(data["created"], "created"),
        priority=None if priority is None else parse_priority(priority),
        labels=_labels(data.get("labels")),
        assignees=check_assignees(data.get("assignees"), data.get("assignee")),
        milestone=None if data.get("milestone") in (None, "") else check_milestone(
            data["milestone"]),
        author=_text(data.get("author"), "author", one_line=True) or None,
        closed=None if data.get("closed") is None else parse_timestamp(data["closed"], "closed"),
        links=_links(data.get("links")),
        body=_text(data.get("body"), "body"),
        comments=_comments(data.get("comments")),
        extra=extra,
        origin=_origin(data),
    )


def _forge_origin(key: str, forge: Any) -> dict[str, Any]:
    """A forge's origin mapping, checked: a repository, a positive number, text keys."""
    if not isinstance(forge, dict) or not isinstance(forge.get("repo"), str) \
            or not REPO_RE.fullmatch(forge["repo"]) or type(forge.get("number")) is not int \
            or forge["number"] <= 0:
        raise ValidationError(f"{key} must be a mapping with repo (owner/name) and number")
    if any(not isinstance(k, str) for k in forge):
        raise ValidationError(f"{key} has a key that is not text")
    _text(forge.get("url"), f"{key}.url", one_line=True)
    if key == "gitea":
        _text(forge.get("host"), "gitea.host", required=True, one_line=True)
    return forge


def _origin(data: dict[str, Any]) -> dict[str, Any]:
    """The origin keys as written; checked so that a re-import can trust them."""
    origin: dict[str, Any] = {}
    for key in ("github", "gitea"):  # a forge's: {repo, number, url} (Gitea's: and host)
        forge = data.get(key)
        if forge is not None:
            origin[key] = _forge_origin(key, forge)
    gitlab = data.get("gitlab")
    if gitlab is not None:
        if not isinstance(gitlab, dict) or not isinstance(gitlab.get("project"), str) \
                or not PROJECT_RE.fullmatch(gitlab["project"]) \
                or type(gitlab.get("iid")) is not int or gitlab["iid"] <= 0:
            raise ValidationError("gitlab must be a mapping with project (group/name) and iid")
        if any(not isinstance(k, str) for k in gitlab):
            raise ValidationError("gitlab has a key that is not text")
        _text(gitlab.get("url"), "gitlab.url", one_line=True)
        origin["gitlab"] = gitlab
    beads = data.get("beads")
    if beads is not None:
        origin["beads"] = _text(beads, "beads", required=True, one_line=True)
    return origin
