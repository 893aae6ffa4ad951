"""Command: ``new``, on the command line or in the editor, from a template or not.

``show`` is in ``cli/show.py``: the read path loads nothing of the write library.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from git_issues.cli.app import (
    body_options,
    cli,
    complete_assignees,
    complete_labels,
    complete_milestones,
    read_text_option,
    split_commas,
)
from git_issues.cli.editor import cut_at_scissors, edit_text, with_instructions
from git_issues.cli.fields import as_flags
from git_issues.cli.output import is_tty, visible
from git_issues.errors import GitIssuesError
from git_issues.ops import templates, write
from git_issues.ops.refused import keeping_typed_text
from git_issues.repo.workspace import open_workspace

NEW_INSTRUCTIONS = """\
Write the title on the first line, then a blank line, then the body (Markdown:
'#' headings are kept). An empty title aborts.{templates}"""


def parse_new_text(text: str) -> tuple[str, str]:
    """Title and body from the edited text: the first line, then the rest.

    Everything from git's scissors line down is the instructions; no line is
    dropped for starting with '#', since bodies are Markdown.
    """
    title, _, body = cut_at_scissors(text).partition("\n")
    return title.strip(), body.strip("\n")


def _create_from_editor(ws, create, template) -> Any:
    """Run ``create(title, body)`` on what the user typed; if it is refused, keep the text.

    Minutes of typing must never be lost to a title that is too long or a
    forgotten first line: the error names the file that holds the text.
    """
    prefix = template.title if template else ""
    start = f"{prefix}\n\n{template.body}" if template and template.body else f"{prefix}\n"
    typed = edit_text(ws.root, with_instructions(start, _instructions(ws, template)), "ISSUE.md")
    title, body = parse_new_text(typed)

    def create_typed() -> Any:
        if not title or title == prefix.strip():
            raise GitIssuesError("aborted: the title was empty")
        return create(title, body)

    # The template's own lines alone are nothing to keep.
    return keeping_typed_text(ws, "new", typed if title or body else "", create_typed)


def _instructions(ws, template) -> str:
    if template is not None:
        return NEW_INSTRUCTIONS.format(templates=f"\nFrom the template '{template.name}'.")
    return NEW_INSTRUCTIONS.format(templates="")


def _choose_template(ws) -> Any:
    """On a terminal, offer the project's templates before the editor opens, as ``gh`` does."""
    names = templates.names(ws.store.dir)
    if not names:
        return None
    for number, name in enumerate(names, 1):
        about = templates.load(ws.store.dir, name).about
        click.echo(f"  {number}. {name}" + (f" - {about}" if about else ""), err=True)
    click.echo(f"  {len(names) + 1}. blank issue", err=True)
    choice = click.prompt("Template", type=click.IntRange(1, len(names) + 1),
                          default=len(names) + 1, err=True)
    return None if choice == len(names) + 1 else templates.load(ws.store.dir, names[choice - 1])


class TitleCommand(click.Command):
    """``new "- x"``: say that a title starting with '-' goes after '--'."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.NoSuchOption as exc:
            exc.message += (" (a TITLE that starts with '-' goes after '--': "
                            f"git issues {ctx.info_name} -- '{exc.option_name.strip()} ...')")
            raise


@cli.command(cls=TitleCommand)
@click.argument("title", required=False)
@body_options
@click.option("-l", "--label", "labels", multiple=True, metavar="LABEL",
              shell_complete=complete_labels, help="Add LABEL (repeatable, or a,b).")
@click.option("-a", "--assignee", "assignees", multiple=True, metavar="WHO",
              shell_complete=complete_assignees,
              help="Assign to WHO (@me for yourself; repeatable, up to 10).")
@click.option("-M", "--milestone", metavar="NAME", shell_complete=complete_milestones,
              help="Put the issue in milestone NAME.")
@click.option("-p", "--priority", help="0 (critical) to 4 (backlog), or P0..P4.")
@click.option("-T", "--template", metavar="NAME",
              help="Start from .issues/templates/NAME.yml (title prefix, labels, body).")
def new(title: str | None, body: str | None, body_file: str | None, labels: tuple[str, ...],
        assignees: tuple[str, ...], milestone: str | None, priority: str | None,
        template: str | None) -> None:
    """Open a new issue; prints its id."""
    with open_workspace() as ws, as_flags(title="TITLE"):
        text = read_text_option(body, body_file, "the body")
        chosen = None
        if template is not None:
            chosen = templates.load(ws.store.dir, template)
        on_terminal = is_tty(sys.stdin) and is_tty(sys.stdout)
        if title is None and not on_terminal:
            raise GitIssuesError("a TITLE is needed (or run on a terminal to use the editor)")

        def create(title: str, edited_body: str | None = None) -> Any:
            fill = chosen or templates.Template("")  # no template: nothing to fill in
            given = text if text is not None else edited_body
            return write.create(
                ws, title, body=given if given is not None else fill.body,
                labels=[*fill.labels, *split_commas(labels)],
                assignees=list(assignees) or list(fill.assignees),
                milestone=milestone,
                priority=priority if priority is not None else fill.priority)

        if title is not None:
            issue = create((chosen.title if chosen else "") + title)
        else:
            if chosen is None and template is None:
                chosen = _choose_template(ws)
            issue = _create_from_editor(ws, create, chosen)
    click.echo(issue.id)
    click.echo(f"Created issue {issue.id}: {visible(issue.title)}", err=True)
