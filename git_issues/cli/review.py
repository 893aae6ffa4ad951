"""Commands for reviewing issue changes: ``diff`` and ``check``."""

from __future__ import annotations

import sys

import click

from git_issues.cli.app import cli, report_problems
from git_issues.core.changes import FORMATS
from git_issues.ops import changelog, review, validation
from git_issues.repo.workspace import open_workspace


@cli.command("diff")
@click.argument("revisions", required=False, metavar="[REV | A..B | A...B]")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="markdown is made for pull-request comments.")
def diff_command(revisions: str | None, fmt: str) -> None:
    """Say what happened to issues between two states, for reviewers.

    Like git diff: no argument compares HEAD with the work tree, REV compares
    REV with the work tree, A..B compares A with B, and A...B compares the
    merge base of A and B with B: what a pull request does.
    """
    with open_workspace() as ws:
        report = review.diff(ws, revisions)
    click.echo(review.format_report(report, fmt), nl=False)


@cli.command("changelog")
@click.argument("revisions", metavar="A..B")
@click.option("--format", "fmt", type=click.Choice(changelog.FORMATS), default="markdown",
              show_default=True, help="markdown for release notes, json for programs.")
def changelog_command(revisions: str, fmt: str) -> None:
    """Release notes: the issues closed from A to B, then those opened and still open.

    Grouped by label (bug, feature, others), each with its id, title and its
    number on the forge it came from.  An issue closed and reopened within the
    range is open at B: it is not listed as closed.  A...B starts from the
    merge base of A and B.
    """
    with open_workspace() as ws:
        notes = changelog.changelog(ws.root, revisions)
    click.echo(changelog.format_changelog(notes, fmt), nl=False)
    report_problems(notes.problems)


@cli.command()
@click.option("--staged", is_flag=True,
              help="Check what is staged in git's index (for the pre-commit hook).")
@click.argument("paths", nargs=-1, metavar="[PATH]...")
def check(staged: bool, paths: tuple[str, ...]) -> None:
    """Validate issue files (all, or PATHs) for CI and pre-commit.

    Prints one line per problem and exits 1; prints nothing and exits 0 when
    every file is valid.
    """
    with open_workspace() as ws:
        if staged:
            problems = validation.check_staged(ws, list(paths))
        else:
            problems = validation.check_worktree(ws, list(paths))
    for line in problems:
        click.echo(line)
    if problems:
        sys.exit(1)
