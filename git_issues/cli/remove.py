"""Command: ``rm``, deleting an issue and the links to it."""

from __future__ import annotations

import sys

import click

from git_issues.cli.app import cli, id_argument
from git_issues.cli.output import is_tty
from git_issues.errors import GitIssuesError
from git_issues.ops import remove
from git_issues.repo.workspace import Workspace, open_workspace


@cli.command("rm")
@id_argument
@click.option("-y", "--yes", is_flag=True, help="Do not ask (required off a terminal).")
def rm(issue_id: str, yes: bool) -> None:
    """Delete an issue (git rm -f) and the links to it in other issues."""
    with open_workspace() as ws:
        full_id = ws.store.resolve(issue_id)
        if not yes:
            _confirm(ws, full_id)
        removal = remove.remove(ws, full_id)
    for other, kinds in removal.unlinked.items():
        shown = ", ".join(kind.replace("_", " ") for kind in kinds)
        click.echo(f"Removed the link ({shown}) from {other}", err=True)
    click.echo(f"Deleted issue {removal.issue.id}: {removal.issue.title}", err=True)


def _confirm(ws: Workspace, issue_id: str) -> None:
    """Ask on a terminal; elsewhere nobody can answer, so ``--yes`` must say it."""
    if not (is_tty(sys.stdin) and is_tty(sys.stderr)):
        raise GitIssuesError(f"rm {issue_id} needs --yes when not run on a terminal")
    issue = ws.store.read(issue_id)
    lost = ("" if remove.is_committed(ws, issue_id)
            else " It was never committed: git cannot bring it back.")
    if not click.confirm(f"Delete issue {issue_id} \"{issue.title}\"?{lost}", err=True):
        raise GitIssuesError("aborted: nothing was deleted")
