"""What each page shows, read through the same factories as the CLI.

Free of Flask: a function here takes an open ``Workspace`` and returns plain
data for a template. Every index read goes through ``open_index`` (the CLI's
freshness check, its connection closed when the block ends), so a hand edit,
a checkout or a pull shows on the next page load and nothing stays open.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable
from typing import Any, NamedTuple

from git_issues.core.changes import phrase
from git_issues.core.filters import SORTS, Filters, priority_range
from git_issues.errors import GitIssuesError
from git_issues.index.query import indexed_values, open_index
from git_issues.ops import commits, write
from git_issues.ops import history as history_mod
from git_issues.ops import templates as templates_mod
from git_issues.repo.workspace import Workspace
from git_issues.web import references

PAGE_SIZE = 50
BOARD_CARDS = 50  # per column: a board of 10k issues stays a page, with counts


class Query(NamedTuple):
    """The list page's filters, as typed in its form (all optional)."""

    status: str = "open"
    labels: tuple[str, ...] = ()
    assignee: str = ""
    author: str = ""
    milestone: str = ""
    priority: str = ""
    text: str = ""
    sort: str = "created"
    page: int = 1

    def filters(self) -> Filters:
        """The same filters as ``ls``; a bad priority is one line naming the field."""
        priority = None
        if self.priority.strip():
            try:
                priority = priority_range(self.priority)
            except GitIssuesError as exc:
                raise GitIssuesError(f"priority: {exc}") from None
        return Filters(status=self.status or "open", labels=self.labels,
                       assignee=self.assignee or None, author=self.author or None,
                       milestone=self.milestone.strip() or None, priority=priority,
                       text=self.text if self.text.strip() else None,
                       sort=self.sort if self.sort in SORTS else "created")


def digest(data: bytes) -> str:
    """The version of a file a page was built from, carried by its forms."""
    return hashlib.sha256(data).hexdigest()


def branch(ws: Workspace) -> str:
    """The checked-out branch, read from HEAD without starting git (and without
    waiting forever on a HEAD that is not a file, as git would)."""
    path = ws.paths.git_dir / "HEAD"
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise GitIssuesError(f"{path} is not a file: git cannot read this repository")
        head = path.read_text(encoding="utf-8").strip()
    except OSError:
        return "?"
    if head.startswith("ref: "):
        return head[5:].removeprefix("refs/heads/")
    return f"detached at {head[:10]}"


def label_terms(chosen: list[str], typed: str) -> tuple[str, ...]:
    """The list's label filter: the menu's label plus the typed ones (commas or spaces
    between them; ``~label`` excludes, as ``ls -l`` takes it), each once, in order."""
    terms = [*chosen, *typed.replace(",", " ").split()]
    return tuple(dict.fromkeys(term for term in terms if term.strip("~")))


def pickers(ws: Workspace) -> dict[str, list[str]]:
    """The labels, assignees and milestones the repository uses, offered by the forms'
    datalists (free text stays allowed)."""
    with open_index(ws.sources) as view:
        menus = _menus(view)
    return {**menus, "assignees": indexed_values(ws.db_path, "assignees")}  # refreshed above


def split_labels(text: str | None) -> list[str]:
    return [label for label in (text or "").split(", ") if label]


Shared = Callable[[str, Callable[[], Any]], Any]


def made_now(_key: str, make: Callable[[], Any]) -> Any:
    """What every page shares (menus, problems), made for this page alone."""
    return make()


def listing(ws: Workspace, query: Query, shared: Shared = made_now) -> dict[str, Any]:
    """One page of the list, the total, and what the filter menus offer.

    ``shared(key, make)`` gives what is the same for every query of the list while
    no file changes (``web.pagecache`` keeps it for the watcher's epoch)."""
    filters = query.filters()
    with open_index(ws.sources) as view:
        page = view.page(filters, query.page, PAGE_SIZE)
        menus = shared("menus", lambda: {  # the index was refreshed just above
            **_menus(view), "assignees": indexed_values(ws.db_path, "assignees")})
        problems = shared("problems", view.problems)
    rows = page.rows
    for row in rows:
        row["label_list"] = split_labels(row["labels"])
    return {"rows": rows, "total": page.total, "page": page.number, "pages": page.pages,
            "menus": menus, "problems": problems}


def _menus(view: Any) -> dict[str, list[str]]:
    """Statuses, labels and milestones in use, for the filter form's choices."""
    return {"statuses": list(view.statuses()), "labels": view.label_names(),
            "milestones": [name for name, _, _ in view.milestones()]}


class IssuePage(NamedTuple):
    issue: Any  # model.Issue, as its file says now
    digest: str
    state: str
    statuses: list[str]
    links: list[tuple[str, str]]
    titles: dict[str, str]
    refs: references.References  # what the words of its texts point at


def issue_page(ws: Workspace, prefix: str, issue_url: str = "{id}") -> IssuePage:
    """The issue read from its file (so its digest is the version shown), its links, and
    the issues and commits its texts name (``issue_url``: their page, with ``{id}``)."""
    issue_id = ws.store.resolve(prefix)
    issue, data = ws.store.read_with_bytes(issue_id)
    words = references.candidates([issue.body, *(c.body for c in issue.comments)])
    with open_index(ws.sources) as view:
        links = view.links_of(issue_id)
        titles = view.titles([other for _, other in links])
        statuses = view.statuses()
        refs = references.resolve(ws, view, words - {issue_id}, issue_url, issue.origin)
    return IssuePage(issue, digest(data), statuses.get(issue.status, "open"), list(statuses),
                     links, titles, refs)


def preview_refs(ws: Workspace, text: str, issue_url: str) -> references.References:
    """What the words of a text being written point at (the preview's links)."""
    with open_index(ws.sources) as view:
        return references.resolve(ws, view, references.candidates([text]), issue_url, {})


def comment_of(issue: Any, comment_id: str) -> Any:
    """The issue's comment ``comment_id`` (a prefix, as ``comment --edit`` takes it)."""
    return write.resolve_comment(issue, comment_id)


def history(ws: Workspace, prefix: str) -> list[dict[str, Any]]:
    """``git issues log`` as data: each entry with its changes described in words."""
    return [{"entry": entry, "lines": [phrase(c) for c in entry.changes]}
            for entry in history_mod.history(ws, prefix)]


def mentions(ws: Workspace, issue_id: str) -> tuple[list[Any], int]:
    """The newest commits on any ref whose message names the issue, and how many there are
    (``git_issues.ops.commits``, as ``show`` gives them)."""
    try:
        issue = ws.store.read(ws.store.resolve(issue_id))
    except GitIssuesError:  # gone or broken: its history still shows
        return [], 0
    return commits.references(ws.root, issue.id, issue.created)


def board(ws: Workspace, query: Query, prefix: str) -> dict[str, Any]:
    """Columns by status, or by the labels that start with ``prefix``: each column is
    the list's own query with one more filter."""
    filters = query.filters()._replace(status=query.status if prefix else "all")
    with open_index(ws.sources) as view:
        if prefix:
            columns = [_column(view, filters._replace(labels=(*filters.labels, name)), name)
                       for name in view.label_names(prefix)]
        else:
            columns = [_column(view, filters._replace(status=name), name)
                       for name in view.statuses()]
        menus = _menus(view)
    return {"columns": columns, "menus": menus}


def _column(view: Any, filters: Filters, name: str) -> dict[str, Any]:
    """One board column: its count and its first cards."""
    cards = view.list(filters._replace(limit=BOARD_CARDS))
    for card in cards:
        card["label_list"] = split_labels(card["labels"])
    return {"name": name, "count": view.count(filters), "cards": cards}


def templates(ws: Workspace) -> dict[str, Any]:
    """``.issues/templates/NAME.yml`` by name, as ``new --template`` reads them; a broken
    template is left out (``check`` names it)."""
    found = {}
    for name in templates_mod.names(ws.store.dir):
        try:
            found[name] = templates_mod.load(ws.store.dir, name)
        except GitIssuesError:
            continue
    return found


def template_form(template: Any) -> dict[str, str]:
    """The new-issue form as a template fills it in."""
    if template is None:
        return {}
    return {"title": template.title, "body": template.body, "labels": ", ".join(template.labels),
            "priority": "" if template.priority is None else str(template.priority),
            "assignees": ", ".join(template.assignees)}
