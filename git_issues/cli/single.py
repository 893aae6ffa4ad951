"""Commands about one issue: ``new`` and ``show``."""

from __future__ import annotations

import sys

import click

from git_issues.cli.app import body_options, cli, json_option, read_text_option
from git_issues.cli.output import (
    STATE_COLOURS,
    emit_json,
    is_tty,
    priority_text,
    style,
)
from git_issues.errors import GitIssuesError
from git_issues.workspace import open_workspace

NEW_TEMPLATE = """\

# Write the title on the first line, then a blank line, then the body.
# Lines starting with '#' are ignored; an empty title aborts.
"""


def _title_from_editor(ws) -> tuple[str, str]:
    from git_issues.editor import edit_text, strip_comments

    text = strip_comments(edit_text(ws.root, NEW_TEMPLATE, "ISSUE.md"))
    title, _, body = text.partition("\n")
    if not title.strip():
        raise GitIssuesError("aborted: the title was empty")
    return title.strip(), body.strip("\n")


@cli.command()
@click.argument("title", required=False)
@body_options
@click.option("-l", "--label", "labels", multiple=True, help="Add LABEL (repeatable).")
@click.option("-a", "--assignee", help="Assign to WHO (@me for yourself).")
@click.option("-p", "--priority", help="0 (critical) to 4 (backlog), or P0..P4.")
def new(title: str | None, body: str | None, body_file: str | None, labels: tuple[str, ...],
        assignee: str | None, priority: str | None) -> None:
    """Open a new issue; prints its id."""
    from git_issues import lifecycle

    with open_workspace() as ws:
        text = read_text_option(body, body_file, "the body")
        if title is None:
            if not (is_tty(sys.stdin) and is_tty(sys.stdout)):
                raise GitIssuesError("a TITLE is needed (or run on a terminal to use the editor)")
            title, edited_body = _title_from_editor(ws)
            text = text if text is not None else edited_body
        issue = lifecycle.create(ws, title, body=text or "", labels=list(labels),
                                 assignee=assignee, priority=priority)
    click.echo(issue.id)
    click.echo(f"Created issue {issue.id}: {issue.title}", err=True)


@cli.command()
@click.argument("issue_id", metavar="ID")
@json_option
def show(issue_id: str, as_json: bool) -> None:
    """Show one issue with its comments."""
    from git_issues.index.query import open_index

    with open_workspace() as ws:
        issue = ws.store.read(ws.store.resolve(issue_id))
        if as_json:
            emit_json(issue.to_dict())
            return
        with open_index(ws.sources) as view:
            links = view.links_of(issue.id)
            titles = view.titles([other for _, other in links])
            state = view.statuses().get(issue.status, "open")
    click.echo(render(issue, state, links, titles), nl=False)


def render(issue, state: str, links: list[tuple[str, str]], titles: dict[str, str]) -> str:
    """The human view of an issue, like ``gh issue view``."""
    out = [f"{style(issue.title, bold=True)}  {style('#' + issue.id, 'cyan')}"]
    facts = [style(issue.status, STATE_COLOURS.get(state))]
    if issue.priority is not None:
        facts.append(priority_text(issue.priority))
    facts.append(f"opened by {issue.author or 'unknown'} on {issue.created[:10]}")
    if issue.closed:
        facts.append(f"closed {issue.closed[:10]}")
    count = len(issue.comments)
    if count:
        facts.append(f"{count} comment{'s' if count != 1 else ''}")
    out.append(" · ".join(facts))
    if issue.labels:
        out.append("labels: " + ", ".join(issue.labels))
    if issue.assignee:
        out.append("assignee: " + issue.assignee)
    for relation, other in links:
        out.append(f"{relation}: {other}  {titles.get(other, '(unknown issue)')}")
    out.append("")
    out.append(_indent(issue.body) if issue.body else style("No description provided.", dim=True))
    for comment in issue.comments:
        out.append("")
        out.append(style(f"— {comment.author or 'unknown'} · {comment.date}", bold=True))
        out.append(_indent(comment.body))
    return "\n".join(out) + "\n"


def _indent(text: str) -> str:
    return "\n".join("  " + line if line else "" for line in text.rstrip("\n").split("\n"))
