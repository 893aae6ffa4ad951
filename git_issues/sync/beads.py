"""``git issues import beads FILE``: beads' classic ``.beads/issues.jsonl``.

beads ids (``bd-6df0``, ``bd-au0.7``) do not fit this project's id rule, so
every issue gets a new id and keeps its beads id as its origin (``beads:``),
which is how a re-run recognises it: nothing is imported twice.  Deleted
issues (``status: tombstone`` or ``deleted_at``) are left out, and so are the
links that pointed at them (counted).  ``design``, ``acceptance_criteria`` and
``notes`` become sections of the body; ``issue_type`` a label; ``close_reason``
a closing comment; dependencies become links (``blocks`` as ``blocked_by`` on
the dependent issue, ``parent-child`` as ``parent``, ``related``/``relates-to``
as ``related``, other known kinds by their own name).  Statuses this repository
does not know (``in_progress``, ``hooked``...) are added to the config as open.
"""

from __future__ import annotations

import datetime as _dt
import json
from typing import TYPE_CHECKING, Any

from git_issues.core.model import (
    IMPORTED_LINK_KINDS,
    STATUS_RE,
    Comment,
    Issue,
    ValidationError,
    format_timestamp,
    issue_from_dict,
    now,
)
from git_issues.errors import GitIssuesError
from git_issues.fileformat.issuefile import open_named_file
from git_issues.index.query import open_index
from git_issues.repo.store import CONFIG_PATH
from git_issues.sync.apply import Summary, Writer, ensure_statuses, mint_comment_id
from git_issues.sync.text import (
    body_text,
    fit,
    latest_time,
    not_future,
    one_line,
    short_title,
)

if TYPE_CHECKING:
    from git_issues.repo.workspace import Workspace

SECTIONS = (("design", "Design"), ("acceptance_criteria", "Acceptance criteria"),
            ("notes", "Notes"))
KIND_NAMES = {"blocks": "blocked_by", "parent-child": "parent", "related": "related",
              "relates-to": "related"}


def utc(value: Any, fallback: str) -> str:
    """beads writes local times with offsets ('...-08:00'); the file format wants UTC."""
    if not value:
        return fallback
    try:
        moment = _dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return fallback
    return format_timestamp(moment)


def read_records(path: str) -> list[dict[str, Any]]:
    try:
        with open_named_file(path) as handle:  # no /dev/zero, no FIFO, a size cap
            lines = handle.readlines()
    except OSError as exc:
        raise GitIssuesError(f"{path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise GitIssuesError(f"{path}: not valid UTF-8") from None
    records = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            raise GitIssuesError(f"{path}:{number}: not JSON ({exc})") from None
        if not isinstance(record, dict) or not isinstance(record.get("id"), str):
            raise GitIssuesError(f"{path}:{number}: not a beads issue (no 'id')")
        records.append(record)
    return records


def deleted(record: dict[str, Any]) -> bool:
    return record.get("status") == "tombstone" or bool(record.get("deleted_at"))


def body_of(record: dict[str, Any]) -> str:
    parts = [str(record.get("description") or "").strip()]
    for key, heading in SECTIONS:
        text = str(record.get(key) or "").strip()
        if text:
            parts.append(f"## {heading}\n\n{text}")
    return body_text("\n\n".join(p for p in parts if p))


def status_of(record: dict[str, Any]) -> str:
    status = str(record.get("status") or "open").strip().lower()
    return status if STATUS_RE.fullmatch(status) else "open"


def _existing(ws: Workspace) -> dict[str, str]:
    """beads id -> local id of what an earlier run imported (through the index)."""
    with open_index(ws.sources) as view:
        return view.ids_by_beads_id()


def import_file(ws: Workspace, path: str) -> Summary:
    summary = Summary()
    records = read_records(path)
    live = [r for r in records if not deleted(r)]
    summary.skip("deleted issues", len(records) - len(live))
    existing = _existing(ws)
    ids = dict(existing)
    with Writer(ws) as writer:
        new = [r for r in live if r["id"] not in existing]
        summary.unchanged += len(live) - len(new)
        taken = set(ids.values())
        for record in new:
            ids[record["id"]] = writer.mint_id_avoiding(taken)
            taken.add(ids[record["id"]])
        _add_statuses(ws, new, summary, writer)
        latest = latest_time()
        for record in new:
            issue = to_issue(record, ids, summary, latest)
            if not _fit(issue, record["id"], summary):
                continue
            try:
                issue_from_dict(issue.to_dict())
            except ValidationError as exc:
                summary.skip("invalid issues")
                summary.notes.append(f"not imported: {record['id']}: {exc}")
                continue
            writer.create(issue)
            summary.imported += 1
    return summary


def _fit(issue: Issue, beads_id: str, summary: Summary) -> bool:
    """Leave out the oldest comments a file cannot hold (``apply.fit``), said in a first
    comment and a note naming the beads id; False (and a note) if it cannot be stored."""
    left = fit(issue, list(issue.comments))
    if left is None:
        summary.skip("too big to store")
        summary.notes.append(f"not imported: {beads_id}: its file would be over 1 MiB")
        return False
    if left:
        first = Comment(id=mint_comment_id({c.id for c in issue.comments}),
                        date=left[-1].date, body="")
        issue.comments.insert(0, first)
        left += fit(issue, issue.comments[1:]) or []  # the line may need one more's room
        first.body = (f"{len(left)} older comments are left out: with them the file would "
                      f"be over 1 MiB (beads {beads_id})")
        summary.notes.append(f"{beads_id}: {len(left)} older comments left out, the file "
                             "would be over 1 MiB")
    return True


def _add_statuses(ws: Workspace, records: list[dict[str, Any]], summary: Summary,
                  writer: Writer) -> None:
    wanted = {status_of(r): "open" for r in records if status_of(r) != "closed"}
    added = ensure_statuses(ws, wanted, writer)
    if added:
        summary.notes.append(f"added the statuses {', '.join(added)} (open) to {CONFIG_PATH}")


def to_issue(record: dict[str, Any], ids: dict[str, str], summary: Summary,
             latest: str) -> Issue:
    """The issue for a beads record; times past ``latest`` (``check``'s limit) clamped."""
    where = record["id"]
    created = not_future(utc(record.get("created_at"), now()), latest, f"{where}: created",
                         summary)
    status = status_of(record)
    closed = None
    if status == "closed":
        closed = max(not_future(utc(record.get("closed_at") or record.get("updated_at"), created),
                                latest, f"{where}: closed", summary), created)
    labels = [one_line(label) for label in record.get("labels") or [] if one_line(label)]
    kind = one_line(record.get("issue_type"))
    if kind and kind not in labels:
        labels.append(kind)
    priority = record.get("priority")
    assignee = one_line(record.get("assignee"))
    author = one_line(record.get("created_by") or record.get("owner")) or None
    title = one_line(record.get("title")) or f"(untitled {record['id']})"
    if len(title) > len(short_title(title)):
        summary.notes.append(f"{where}: the title is cut to {len(short_title(title))} characters")
    issue = Issue(id=ids[record["id"]], title=short_title(title), status=status, created=created,
                  priority=priority if priority in range(5) and type(priority) is int else None,
                  labels=list(dict.fromkeys(labels)), assignees=[assignee] if assignee else [],
                  author=author, closed=closed, body=body_of(record),
                  origin={"beads": record["id"]})
    issue.links = _links(record, ids, summary)
    issue.comments = _comments(record, created, closed)
    for comment in issue.comments:
        comment.date = not_future(comment.date, latest, f"{where}: comment {comment.id}",
                                  summary)
    return issue


def _links(record: dict[str, Any], ids: dict[str, str], summary: Summary) -> dict[str, list]:
    links: dict[str, list[str]] = {}
    for dep in record.get("dependencies") or []:
        if not isinstance(dep, dict):
            continue
        kind = str(dep.get("type") or "blocks")
        name = KIND_NAMES.get(kind, kind if kind in IMPORTED_LINK_KINDS else "related")
        target = ids.get(str(dep.get("depends_on_id")))
        if target is None:
            summary.skip("links to deleted or missing issues")
            continue
        if target == ids[record["id"]]:
            continue
        bucket = links.setdefault(name, [])
        if target not in bucket:
            bucket.append(target)
    return links


def _comments(record: dict[str, Any], created: str, closed: str | None) -> list[Comment]:
    taken: set[str] = set()
    comments = []
    for item in record.get("comments") or []:
        if not isinstance(item, dict) or not str(item.get("text") or "").strip():
            continue
        comments.append(Comment(id=mint_comment_id(taken), author=one_line(item.get("author"))
                                or None, date=max(utc(item.get("created_at"), created), created),
                                body=body_text(item.get("text"))))
    reason = str(record.get("close_reason") or "").strip()
    if closed and reason:
        comments.append(Comment(id=mint_comment_id(taken), date=closed,
                                body=body_text(f"Closed: {reason}")))
    comments.sort(key=lambda c: c.date)
    return comments
