"""Commands about one issue: ``new`` and ``show``."""

from __future__ import annotations

import sys
from typing import Any

import click

from git_issues.cli.app import body_options, cli, id_argument, json_option, read_text_option
from git_issues.cli.output import (
    STATE_COLOURS,
    echo_paged,
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


def parse_new_text(text: str) -> tuple[str, str]:
    """Title and body from the edited template: the first line, then the rest.

    '#' lines are dropped as git drops them from a commit message; an empty
    title is returned as '' for the caller to refuse.
    """
    from git_issues.editor import strip_comments

    title, _, body = strip_comments(text).partition("\n")
    return title.strip(), body.strip("\n")


def _create_from_editor(ws, create) -> Any:
    """Run ``create(title, body)`` on what the user typed; if it is refused, keep the text.

    Minutes of typing must never be lost to a title that is too long or a
    forgotten first line: the error names the file that holds the text.
    """
    from git_issues.editor import edit_text
    from git_issues.lifecycle import keeping_typed_text

    typed = edit_text(ws.root, NEW_TEMPLATE, "ISSUE.md")
    title, body = parse_new_text(typed)

    def create_typed() -> Any:
        if not title:
            raise GitIssuesError("aborted: the title was empty")
        return create(title, body)

    # The template's own lines alone are nothing to keep.
    return keeping_typed_text(ws, "new", typed if title or body else "", create_typed)


@cli.command()
@click.argument("title", required=False)
@body_options
@click.option("-l", "--label", "labels", multiple=True, help="Add LABEL (repeatable).")
@click.option("-a", "--assignee", "assignees", multiple=True, metavar="WHO",
              help="Assign to WHO (@me for yourself; repeatable, up to 10).")
@click.option("-M", "--milestone", metavar="NAME", help="Put the issue in milestone NAME.")
@click.option("-p", "--priority", help="0 (critical) to 4 (backlog), or P0..P4.")
def new(title: str | None, body: str | None, body_file: str | None, labels: tuple[str, ...],
        assignees: tuple[str, ...], milestone: str | None, priority: str | None) -> None:
    """Open a new issue; prints its id."""
    from git_issues import lifecycle

    with open_workspace() as ws:
        text = read_text_option(body, body_file, "the body")

        def create(title: str, edited_body: str = "") -> Any:
            return lifecycle.create(ws, title, body=text if text is not None else edited_body,
                                    labels=list(labels), assignees=list(assignees),
                                    milestone=milestone, priority=priority)

        if title is not None:
            issue = create(title)
        elif is_tty(sys.stdin) and is_tty(sys.stdout):
            issue = _create_from_editor(ws, create)
        else:
            raise GitIssuesError("a TITLE is needed (or run on a terminal to use the editor)")
    click.echo(issue.id)
    click.echo(f"Created issue {issue.id}: {issue.title}", err=True)


@cli.command()
@id_argument
@json_option
def show(issue_id: str, as_json: bool) -> None:
    """Show one issue with its comments."""
    from git_issues.index.query import open_index
    from git_issues.model import issue_from_dict

    with open_workspace() as ws:
        issue_id = ws.store.resolve(issue_id)
        if as_json:
            emit_json(ws.store.read(issue_id).to_dict())
            return
        with open_index(ws.sources) as view:
            # The index is fresh and holds the file's fields as JSON: cheaper than
            # importing PyYAML to parse the file again.  A broken file has no row:
            # reading it gives the user the file's own error.
            doc = view.doc(issue_id)
            issue = issue_from_dict(doc) if doc is not None else ws.store.read(issue_id)
            links = view.links_of(issue.id)
            titles = view.titles([other for _, other in links])
            state = view.statuses().get(issue.status, "open")
    echo_paged(issue_text(issue, state, links, titles))


def issue_text(issue, state: str, links: list[tuple[str, str]], titles: dict[str, str]) -> str:
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
    if issue.assignees:
        out.append("assignees: " + ", ".join(issue.assignees))
    if issue.milestone:
        out.append("milestone: " + issue.milestone)
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
