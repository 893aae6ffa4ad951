"""``git issues resolve``: finish a merge that git left in conflict without the driver."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from git_issues.cli.app import cli
from git_issues.repo.workspace import open_workspace


@cli.command()
@click.argument("paths", nargs=-1, metavar="[PATH]...")
def resolve(paths: tuple[str, ...]) -> None:
    """Merge the issue files git left in conflict, field by field, and stage them.

    For a merge, rebase, cherry-pick, revert or stash pop that ran without
    the merge driver: each conflicted issue file (all, or those under PATHs)
    is merged as the driver would have, written and staged.  Exits 1, with
    markers around that field alone, when a field was changed two ways.
    """
    from git_issues.gitint import resolve as resolving

    with open_workspace() as ws:
        outcomes = resolving.resolve(ws, list(paths), Path.cwd())
        left = resolving.other_conflicts(ws)
        step = resolving.next_step(ws)
    if not outcomes:
        click.echo("no issue file is in conflict", err=True)
    for outcome in outcomes:
        if outcome.merged:
            click.echo(f"merged {outcome.path} (staged)", err=True)
        for line in outcome.messages:
            click.echo(f"error: {line}" if not outcome.merged else line, err=True)
    if all(outcome.merged for outcome in outcomes):
        if left:
            click.echo(f"still in conflict (not issue files): {', '.join(left)}", err=True)
        elif step and outcomes:
            click.echo(f"next: {step}", err=True)
        return
    sys.exit(1)
