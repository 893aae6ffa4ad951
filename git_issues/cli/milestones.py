"""Command: ``milestones``, each milestone with its open and closed counts."""

from __future__ import annotations

import click

from git_issues.cli.app import cli, json_option, report_problems
from git_issues.cli.output import emit_json, is_tty, style
from git_issues.index.query import open_index
from git_issues.repo.workspace import open_workspace


@cli.command()
@json_option
def milestones(as_json: bool) -> None:
    """List milestones with their open and closed issue counts."""
    with open_workspace() as ws, open_index(ws.sources) as view:
        rows = view.milestones()
        problems = view.problems()
    if as_json:
        emit_json([{"milestone": name, "open": opened, "closed": closed}
                   for name, opened, closed in rows])
    elif not is_tty():
        for name, opened, closed in rows:  # a tab inside a name would shift the columns
            click.echo(f"{name.replace(chr(9), ' ')}\t{opened}\t{closed}")
    else:
        _print_table(rows)
    report_problems(problems)


def _print_table(rows: list[tuple[str, int, int]]) -> None:
    if not rows:
        click.echo("No milestones: set one with 'git issues edit ID -M NAME'.", err=True)
        return
    name_w = max(len("MILESTONE"), *(len(name) for name, _, _ in rows))
    open_w = max(len("OPEN"), *(len(str(o)) for _, o, _ in rows))
    click.echo(style(f"{'MILESTONE'.ljust(name_w)}  {'OPEN'.rjust(open_w)}  CLOSED", bold=True))
    for name, opened, closed in rows:
        click.echo(f"{name.ljust(name_w)}  {str(opened).rjust(open_w)}  {str(closed).rjust(6)}")
