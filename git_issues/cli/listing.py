"""Commands that list: ``ls`` and ``ready``.

On a terminal a listing is for a person: a header, at most ``SCREENFUL`` rows
unless ``-n`` says otherwise, a count line, and git's pager when it is longer
than the screen.  Piped, it is for a program: tab-separated rows, every one of
them, and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click

from git_issues.cli.app import (
    cli,
    complete_assignees,
    complete_label_filters,
    complete_milestones,
    complete_statuses,
    json_option,
    report_problems,
    split_commas,
)
from git_issues.cli.fields import as_flags
from git_issues.cli.output import echo_paged, emit_json, is_tty, print_rows, table_text
from git_issues.core.filters import SORTS, Filters, moment, priority_range, until_moment
from git_issues.core.ids import abbreviations
from git_issues.errors import GitIssuesError
from git_issues.index.query import UnknownStatusError, open_index
from git_issues.repo.people import resolve_who
from git_issues.repo.workspace import Workspace, open_workspace

SCREENFUL = 30  # gh's default: what a terminal shows without -n


def _converted(convert: Callable[[str], Any]) -> Callable:
    """A click callback turning the library's refusal into a usage error (exit 2)."""
    def callback(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
        if value is None:
            return None
        try:
            return convert(value)
        except GitIssuesError as exc:
            raise click.BadParameter(str(exc), ctx, param) from None
    return callback


def filter_options(func: Callable) -> Callable:
    """The filters ``ls`` and ``ready`` share, in one place (as sqlite-utils does)."""
    options = [
        click.option("-l", "--label", "labels", multiple=True, metavar="LABEL",
                     shell_complete=complete_label_filters,
                     help="Only issues with LABEL; ~LABEL: without it (repeatable, or a,b: "
                          "all of them)."),
        click.option("--no-label", is_flag=True, help="Only issues without any label."),
        click.option("-a", "--assignee", metavar="WHO", shell_complete=complete_assignees,
                     help="Only issues with WHO among the assignees (@me for yourself)."),
        click.option("-M", "--milestone", metavar="NAME", shell_complete=complete_milestones,
                     help="Only issues in milestone NAME ('' for none)."),
        click.option("--author", help="Only issues written by WHO."),
        click.option("-p", "--priority", metavar="N|A-B", callback=_converted(priority_range),
                     help="Only priority N, or from A to B (0-1: P0 and P1)."),
        click.option("--since", metavar="DATE", callback=_converted(moment),
                     help="Only issues created on or after DATE (2026-11-01 or a timestamp)."),
        click.option("--until", metavar="DATE",
                     callback=_converted(until_moment),
                     help="Only issues created on or before DATE."),
        click.option("-q", "--query", "text",
                     help="Full text over titles, bodies and comments."),
        click.option("--sort", type=click.Choice(list(SORTS)), default="created",
                     show_default=True),
        click.option("-n", "--limit", type=click.IntRange(min=0),
                     help=f"Show at most N issues; 0: all (a terminal shows {SCREENFUL})."),
        json_option,
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _list(ready: bool, status: str, labels: tuple[str, ...],
          assignee: str | None, milestone: str | None, author: str | None, text: str | None,
          sort: str, limit: int | None,
          as_json: bool, no_label: bool, priority: tuple[int, int] | None,
          since: str | None, until: str | None, at: str | None = None) -> None:
    """List issues (``ready``: only those no open issue blocks) and print them;
    ``at``: as they were at that revision."""
    for_person = is_tty() and not as_json
    if limit == 0:
        limit = None
    elif limit is None and for_person:
        limit = SCREENFUL
    with open_workspace() as ws:
        if assignee == "@me" or author == "@me":
            assignee, author = resolve_who(ws, assignee), resolve_who(ws, author)
        filters = Filters(status=status, labels=tuple(split_commas(labels)), assignee=assignee,
                          milestone=milestone, author=author, text=text, sort=sort,
                          limit=limit, priority=priority, since=since, until=until,
                          no_label=no_label)
        with _view(ws, at) as (view, every), as_flags(text="-q"):
            try:
                rows, total = _rows(view, ready, filters, as_json, counted=for_person)
            except UnknownStatusError as exc:
                raise click.BadParameter(str(exc), param_hint="'-s' / '--status'") from None
            problems = view.problems()
            shown_ids = abbreviations((r["id"] for r in rows), every()) if for_person else {}
    if as_json:
        emit_json([row["doc"] for row in rows])
    elif for_person:
        _show_table(rows, total, "ready" if ready else status, shown_ids)
    else:
        print_rows(rows)
    report_problems(problems)


@contextmanager
def _view(ws: Workspace, at: str | None) -> Iterator[tuple[Any, Callable[[], list[str]]]]:
    """The index to list from (the work tree's, or the one of revision ``at``) and
    how to get every id it holds (for the short ids a terminal shows)."""
    if at is None:
        with open_index(ws.sources) as view:
            yield view, ws.store.ids
        return
    from git_issues.ops import revisions  # lazy: startup (a plain ls reads no git objects)

    with revisions.open_at(ws.root, ws.state_dir, at, worktree=ws.sources) as found:
        yield found.view, lambda: found.ids


def _rows(view: Any, ready: bool, filters: Filters, as_json: bool, *,
          counted: bool) -> tuple[list[dict[str, Any]], int]:
    """The rows to print and, for a person, how many there are without the limit."""
    if ready:
        every = view.ready(filters._replace(limit=None), with_doc=as_json)
        limited = every if filters.limit is None else every[: filters.limit]
        return limited, len(every)
    rows = view.list(filters, with_doc=as_json)
    total = view.count(filters) if counted and filters.limit is not None else len(rows)
    return rows, total


def _show_table(rows: list[dict[str, Any]], total: int, status: str,
                shown_ids: dict[str, str]) -> None:
    """Header, rows and count line, paged like git when longer than the screen;
    ``shown_ids``: each id as short as it can be and still name one issue."""
    what = {"all": "issues", "ready": "ready issues"}.get(status, f"{status} issues")
    if not rows:
        click.echo(f"No {what}")
        return
    line = f"Showing {len(rows):,} of {total:,} {what}"
    if len(rows) < total:
        line += " (-n 0 shows all)"
    echo_paged(f"{line}\n\n{table_text(rows, shown_ids)}")


@cli.command("ls")
@click.option("-s", "--status", default="open", show_default=True,
              shell_complete=complete_statuses,
              help="open, closed, a configured status, or all.")
@click.option("--at", metavar="REV",
              help="The issues as they were at REV (a tag, branch or commit), read from "
                   "git's objects: nothing is checked out.")
@filter_options
def ls(status: str, at: str | None, **filters: Any) -> None:
    """List issues (open ones by default)."""
    _list(False, status, at=at, **filters)


@cli.command()
@filter_options
def ready(**filters: Any) -> None:
    """List open issues that no open issue blocks: what can be worked on now."""
    _list(True, "open", **filters)
