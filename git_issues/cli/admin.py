"""Commands that set up and maintain: ``init``, ``reindex`` and ``layout``."""

from __future__ import annotations

import sys

import click

from git_issues.cli.app import cli, report_problems
from git_issues.cli.output import is_tty
from git_issues.gitint import project
from git_issues.index.query import read_index
from git_issues.index.rebuild import rebuild
from git_issues.index.scan import scan
from git_issues.ops.layout import set_layout
from git_issues.repo import registration
from git_issues.repo.store import LAYOUTS
from git_issues.repo.workspace import open_workspace

_PROGRESS_MIN = 2000  # below this a rebuild is too quick for a bar to help


@cli.command()
@click.option("--no-hooks", is_flag=True, help="Do not install the git hooks.")
@click.option("--global", "global_", is_flag=True,
              help="Only register the merge driver once for your user (like git lfs install).")
def init(no_hooks: bool, global_: bool) -> None:
    """Set this repository up for issues (safe to run again)."""
    if global_:
        for line in registration.register_global() or ["the merge driver is already registered"]:
            click.echo(line, err=True)
        return
    with open_workspace(heal=False) as ws:  # init registers the driver itself, and says so
        done = project.init(ws, hooks=not no_hooks)
    for line in done:
        click.echo(line, err=True)
    click.echo(f"git-issues is ready in {ws.root}", err=True)


@cli.command()
def reindex() -> None:
    """Rebuild the index from the issue files."""
    with open_workspace() as ws:
        stderr = sys.stderr  # click.get_text_stream is deprecated in click 8.5
        # Counting the files for the bar costs a scan: only a person watching pays it.
        total = len(scan(ws.store.dir)) if is_tty(stderr) else 0
        if total >= _PROGRESS_MIN:
            with click.progressbar(length=total, label="Indexing", file=stderr) as bar:
                count = rebuild(ws.sources, progress=bar.update)
        else:
            count = rebuild(ws.sources)
        with read_index(ws.db_path) as view:  # just rebuilt: no freshness check needed
            problems = view.problems()
    indexed = count - len(problems)
    click.echo(f"indexed {indexed} issue{'' if indexed == 1 else 's'}", err=True)
    report_problems(problems)


@cli.command()
@click.argument("layout", type=click.Choice(list(LAYOUTS)))
def layout(layout: str) -> None:
    """Move every issue file to LAYOUT: flat (.issues/ID.yml) or fanned (.issues/ID[:2]/ID.yml)."""
    with open_workspace() as ws:
        moved = set_layout(ws, layout)
    click.echo(f"moved {moved.moved} issue file{'' if moved.moved == 1 else 's'} to the "
               f"{layout} layout ({moved.staged} staged); commit them", err=True)
