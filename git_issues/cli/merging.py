"""Merging issue files: git's ``merge-driver``, and ``resolve``, which finishes a merge
that git left in conflict without the driver."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from git_issues.cli.app import cli
from git_issues.gitint import mergedriver
from git_issues.gitint import resolve as resolving
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


@cli.command("merge-driver", hidden=True)
@click.argument("base", metavar="%O", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("ours", metavar="%A", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("theirs", metavar="%B", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("path", metavar="%P")
@click.argument("labels", metavar="[%L %S %X %Y]", nargs=-1)
def merge_driver(base: Path, ours: Path, theirs: Path, path: str,
                 labels: tuple[str, ...]) -> None:
    """Merge one issue file for git (git runs this; see docs/review.md).

    Writes the result over %A; exits 0 when clean and 1 when a person has
    to resolve the marked fields.  The markers carry git's labels (%S %X %Y,
    git 2.44+) and size (%L), so they name the branches as git's own do.
    """
    size, base_label, ours_label, theirs_label = (*labels, None, None, None, None)[:4]
    markers = mergedriver.git_markers(size, base_label, ours_label, theirs_label)
    result = mergedriver.run_driver(base, ours, theirs, path, markers)
    for line in result.messages(path):
        click.echo(f"git-issues: {line}", err=True)
    sys.exit(0 if result.clean else 1)
