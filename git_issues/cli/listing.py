"""Commands that list: ``ls`` and ``ready``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from git_issues.cli.app import cli, json_option, report_problems
from git_issues.cli.output import emit_json, print_rows
from git_issues.index.query import SORTS, Filters, IndexView, open_index
from git_issues.workspace import open_workspace


def filter_options(func: Callable) -> Callable:
    """The filters ``ls`` and ``ready`` share, in one place (as sqlite-utils does)."""
    options = [
        click.option("-l", "--label", "labels", multiple=True,
                     help="Only issues with LABEL (repeatable: all of them)."),
        click.option("-a", "--assignee", metavar="WHO",
                     help="Only issues with WHO among the assignees (@me for yourself)."),
        click.option("-M", "--milestone", metavar="NAME",
                     help="Only issues in milestone NAME ('' for none)."),
        click.option("--author", help="Only issues written by WHO."),
        click.option("-q", "--query", "text",
                     help="Full text over titles, bodies and comments."),
        click.option("--sort", type=click.Choice(list(SORTS)), default="created",
                     show_default=True),
        click.option("-n", "--limit", type=click.IntRange(min=0), help="Show at most N issues."),
        json_option,
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _list(query: Callable[..., list[Any]], status: str, labels: tuple[str, ...],
          assignee: str | None, milestone: str | None, author: str | None, text: str | None,
          sort: str,
          limit: int | None, as_json: bool) -> None:
    """Run one of the index's listing queries (``IndexView.list`` or ``.ready``), print it."""
    with open_workspace() as ws:
        if assignee == "@me" or author == "@me":
            from git_issues.lifecycle import resolve_who

            assignee, author = resolve_who(ws, assignee), resolve_who(ws, author)
        filters = Filters(status=status, labels=tuple(labels), assignee=assignee,
                          milestone=milestone, author=author, text=text, sort=sort, limit=limit)
        with open_index(ws.sources) as view:
            rows = query(view, filters, with_doc=as_json)
            problems = view.problems()
    if as_json:
        import json  # not at module level: ~3 ms that a table does not need

        emit_json([json.loads(row["doc"]) for row in rows])
    else:
        print_rows(rows)
    report_problems(problems)


@cli.command("ls")
@click.option("-s", "--status", default="open", show_default=True,
              help="open, closed, a configured status, or all.")
@filter_options
def ls(status: str, **filters: Any) -> None:
    """List issues (open ones by default)."""
    _list(IndexView.list, status, **filters)


@cli.command()
@filter_options
def ready(**filters: Any) -> None:
    """List open issues that no open issue blocks: what can be worked on now."""
    _list(IndexView.ready, "open", **filters)
